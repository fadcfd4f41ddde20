package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	otptotp "github.com/pquerna/otp/totp"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// enrolled gives the test user factors besides their password.
type enrolled struct {
	totp, codes, passkey, phone, answer bool
}

// totpKey is the test user's authenticator-app key, in base32.
const totpKey = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// giveFactors stores the factors of en for the test user, as enrollment would;
// it returns the recovery codes when it made some.
func (v *env) giveFactors(t *testing.T, en enrolled) []string {
	t.Helper()
	var codes []string
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		tenantID := v.iss.TenantID
		add := func(typ, secret, label string) (directory.Credential, error) {
			return v.dir.AddCredential(ctx, tx, tenantID, v.userID, directory.CredentialInput{Type: typ, Secret: secret, Verified: true, Label: label})
		}
		if en.totp {
			c, err := add(directory.CredentialTOTP, "pending", "Portal")
			if err != nil {
				return err
			}
			seed, err := totp.ParseSeed(totpKey, "", 0, 0)
			if err != nil {
				return err
			}
			stored, err := v.e.TOTP.Seal(c.ID, seed)
			if err != nil {
				return err
			}
			if err := v.dir.SwapCredentialSecret(ctx, tx, tenantID, v.userID, c.ID, "pending", stored, true); err != nil {
				return err
			}
		}
		if en.codes {
			var stored string
			var err error
			if codes, stored, err = v.e.Codes.Generate(0); err != nil {
				return err
			}
			if _, err := add(directory.CredentialRecoveryCodes, stored, ""); err != nil {
				return err
			}
		}
		if en.passkey {
			if _, err := add(directory.CredentialWebAuthn, testPasskey(t).Encode(), "Laptop"); err != nil {
				return err
			}
		}
		if en.phone {
			if _, err := add(directory.CredentialPhone, "+14155550100", ""); err != nil {
				return err
			}
		}
		if en.answer {
			h, err := v.passwords.HashAnswer(ctx, "Lovelace Primary")
			if err != nil {
				return err
			}
			if _, err := add(directory.CredentialSecurityAnswer, h, "What was the name of your first school?"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// testPasskey is a stored passkey with a real (unused) ES256 public key.
func testPasskey(t *testing.T) passkey.Credential {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
	if err != nil {
		t.Fatal(err)
	}
	return passkey.Credential{ID: []byte("credential-1"), PublicKey: cose, AttestationType: "none", UserVerified: true,
		BackupEligible: true, CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

// totpCode is the authenticator app's code at the test clock's time.
func (v *env) totpCode(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := otptotp.GenerateCode(totpKey, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// actionNames lists a view's action names.
func actionNames(f wire.Flow) []string {
	var out []string
	for _, a := range f.Actions {
		out = append(out, a.Name)
	}
	return out
}

// offered lists the options of the select-authenticator step's choice.
func (v *env) offered(t *testing.T, r Result) []string {
	t.Helper()
	sel := must(t)(v.cont(t, r, ActionAnotherWay))
	if sel.Flow.Step != wire.StepSelectAuthenticator {
		t.Fatalf("another way: %s", sel.Flow.Step)
	}
	var out []string
	for _, f := range sel.Flow.Fields {
		for _, o := range f.Options {
			out = append(out, o.Value)
		}
	}
	return out
}

// TestFactorSequencing is the table of what the engine asks for each
// (sign-on rule, enrolled factors) pair once the password is proven (or,
// where a rule starts elsewhere, at identify): the step, its actions, the
// factors offered as another way, and, when the sign-in ends, the amr and
// acr of the session.
func TestFactorSequencing(t *testing.T) {
	mfa := func(auth ...string) policy.Rule {
		return policy.Rule{Name: "r", Access: policy.AccessAllow, Authenticators: auth, Factors: 2}
	}
	one := func(auth ...string) policy.Rule {
		return policy.Rule{Name: "r", Access: policy.AccessAllow, Authenticators: auth, Factors: 1}
	}
	withGrace := func(r policy.Rule, d time.Duration) policy.Rule { r.EnrollGrace = d; return r }
	prompting := func(r policy.Rule, auth ...string) policy.Rule { r.Enroll = auth; return r }
	const (
		pw, em, pk, tp, sm, vc, rc, sa = policy.AuthPassword, policy.AuthEmail, policy.AuthPasskey, policy.AuthTOTP,
			policy.AuthSMS, policy.AuthVoice, policy.AuthRecoveryCode, policy.AuthSecurityAnswer
	)
	for _, tc := range []struct {
		name string
		rule policy.Rule
		have enrolled
		// acr is the request's acr_values; age how long after the
		// account's creation the sign-in happens.
		acr string
		age time.Duration
		// first is the step identify leads to, when not the password.
		first wire.StepKind
		// want is the step after the password; actions and offer what it
		// offers (offer: another way's choice, nil when there is none).
		want    wire.StepKind
		actions []string
		offer   []string
		// amr and acr of the session when want is done.
		amr    []string
		acrGot string
	}{
		{name: "one factor: the password signs in", rule: one(pw, em),
			want: wire.StepDone, amr: []string{"pwd"}, acrGot: ACROneFactor},
		{name: "password then an authenticator app", rule: mfa(pw, tp), have: enrolled{totp: true},
			want: wire.StepChallengeTOTP, actions: []string{ActionVerify, ActionBack}},
		{name: "the app, or a recovery code as another way", rule: mfa(pw, tp, rc), have: enrolled{totp: true, codes: true},
			want: wire.StepChallengeTOTP, actions: []string{ActionVerify, ActionAnotherWay, ActionBack}, offer: []string{tp, rc}},
		{name: "a passkey as second factor", rule: mfa(pw, pk, tp), have: enrolled{passkey: true, totp: true},
			want: wire.StepChallengePasskey, actions: []string{ActionVerify, ActionAnotherWay, ActionBack}, offer: []string{pk, tp}},
		{name: "a text message when only the phone is enrolled", rule: mfa(pw, tp, sm), have: enrolled{phone: true},
			want: wire.StepChallengeSMS, actions: []string{ActionVerify, ActionResend, ActionBack}},
		{name: "voice before text when the rule prefers it", rule: mfa(pw, vc, sm), have: enrolled{phone: true},
			want: wire.StepChallengeVoice, actions: []string{ActionVerify, ActionResend, ActionAnotherWay, ActionBack}, offer: []string{vc, sm}},
		{name: "a security answer for people without phones", rule: mfa(pw, sa), have: enrolled{answer: true},
			want: StepChallengeAnswer, actions: []string{ActionVerify, ActionBack}},
		{name: "email as second factor after the password", rule: mfa(pw, em),
			want: wire.StepPoll},
		{name: "nothing enrolled, no grace: set up the app, no skipping", rule: mfa(pw, tp),
			want: wire.EnrollStep(tp), actions: []string{ActionVerify}},
		{name: "nothing enrolled, several to set up", rule: mfa(pw, pk, tp),
			want: wire.EnrollStep(pk), actions: []string{ActionEnroll, ActionAnotherWay}, offer: []string{pk, tp}},
		{name: "within the grace the set-up may be skipped", rule: withGrace(mfa(pw, tp), 7*24*time.Hour), age: 24 * time.Hour,
			want: wire.EnrollStep(tp), actions: []string{ActionVerify, ActionSkip}},
		{name: "past the grace it may not", rule: withGrace(mfa(pw, tp), 7*24*time.Hour), age: 8 * 24 * time.Hour,
			want: wire.EnrollStep(tp), actions: []string{ActionVerify}},
		{name: "email then a passkey enrollment prompt", rule: prompting(one(pw, em), pk),
			want: wire.EnrollStep(pk), actions: []string{ActionEnroll, ActionSkip}},
		{name: "no prompt once a passkey is enrolled", rule: prompting(one(pw, em), pk), have: enrolled{passkey: true},
			want: wire.StepDone, amr: []string{"pwd"}, acrGot: ACROneFactor},
		{name: "a phone the rule does not allow is not asked for", rule: mfa(pw, tp, sm), have: enrolled{totp: true, phone: true},
			acr: "", want: wire.StepChallengeTOTP, actions: []string{ActionVerify, ActionAnotherWay, ActionBack}, offer: []string{tp, sm}},
		{name: "acr_values 2fa steps up a one-factor rule", rule: one(pw, tp), have: enrolled{totp: true}, acr: ACRTwoFactors,
			want: wire.StepChallengeTOTP, actions: []string{ActionVerify, ActionBack}},
		{name: "acr_values phr asks for a passkey only", rule: one(pw, tp, pk), have: enrolled{totp: true, passkey: true}, acr: ACRPhishingResistant,
			want: wire.StepChallengePasskey, actions: []string{ActionVerify, ActionBack}},
		{name: "an unreachable acr signs in with what is proven", rule: one(pw), acr: ACRTwoFactors,
			want: wire.StepDone, amr: []string{"pwd"}, acrGot: ACROneFactor},
		{name: "a passkey-first rule asks for a passkey at once", rule: one(pk, pw), have: enrolled{passkey: true},
			first: wire.StepChallengePasskey},
		{name: "an email-first rule sends the code at once", rule: one(em, pw),
			first: wire.StepPoll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range storetest.Backends() {
				t.Run(b.Name, func(t *testing.T) {
					v := newEnv(t, b.New(t))
					v.policy(t, tc.rule)
					v.giveFactors(t, tc.have)
					v.clk.Advance(tc.age)
					begin := v.begin("", "")
					begin.Request.ACRValues = tc.acr
					r := v.startWith(t, begin)
					next := must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
					first := tc.first
					if first == "" {
						first = wire.StepChallengePassword
					}
					if next.Flow.Step != first {
						t.Fatalf("after identify: %s (%s), want %s", next.Flow.Step, messageIDs(next.Flow), first)
					}
					if tc.first != "" {
						return
					}
					got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
					if got.Flow.Step != tc.want {
						t.Fatalf("after the password: %s (%s), want %s", got.Flow.Step, messageIDs(got.Flow), tc.want)
					}
					if tc.actions != nil && !slices.Equal(actionNames(got.Flow), tc.actions) {
						t.Errorf("actions %v, want %v", actionNames(got.Flow), tc.actions)
					}
					if tc.offer != nil {
						if got := v.offered(t, r); !slices.Equal(got, tc.offer) {
							t.Errorf("another way offers %v, want %v", got, tc.offer)
						}
					}
					if tc.want == wire.StepDone {
						s := v.sessionOf(t, got.SetSession.Value)
						if !slices.Equal(s.AMR, tc.amr) || s.ACR != tc.acrGot {
							t.Errorf("session amr %v acr %q, want %v %q", s.AMR, s.ACR, tc.amr, tc.acrGot)
						}
					}
				})
			}
		})
	}
}

// TestCodeFactors proves the second factor with each kind of code, and
// refuses each code used twice: an authenticator app's code (also one of
// an earlier step, within the drift window, once a later one was used),
// a recovery code, and a security answer's wrong guesses.
func TestCodeFactors(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			v := newEnv(t, b.New(t))
			v.policy(t, policy.Rule{Name: "mfa", Access: policy.AccessAllow, Factors: 2,
				Authenticators: []string{policy.AuthPassword, policy.AuthTOTP, policy.AuthRecoveryCode, policy.AuthSecurityAnswer}})
			codes := v.giveFactors(t, enrolled{totp: true, codes: true, answer: true})
			toSecond := func(t *testing.T) Result {
				t.Helper()
				r := v.start(t, "", "")
				must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
				if got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password)); got.Flow.Step != wire.StepChallengeTOTP {
					t.Fatalf("second factor: %s", got.Flow.Step)
				}
				return r
			}
			verify := func(t *testing.T, r Result, code string, wantDone bool, wantMsg string) Result {
				t.Helper()
				got := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
				if done := got.Flow.Step == wire.StepDone; done != wantDone || (wantMsg != "" && !strings.Contains(messageIDs(got.Flow), wantMsg)) {
					t.Fatalf("code %q: %s (%s), want done=%v %s", code, got.Flow.Step, messageIDs(got.Flow), wantDone, wantMsg)
				}
				return got
			}

			t.Run("an authenticator app's code works once", func(t *testing.T) {
				now := v.clk.Now()
				r := toSecond(t)
				done := verify(t, r, v.totpCode(t, now), true, "")
				if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd", "otp", "mfa"}) || s.ACR != ACRTwoFactors {
					t.Fatalf("amr %v acr %q", s.AMR, s.ACR)
				}
				verify(t, toSecond(t), v.totpCode(t, now), false, MsgCodeUsed)
				// The previous step's code is within the drift window but
				// older than the one used: a replay too.
				verify(t, toSecond(t), v.totpCode(t, now.Add(-30*time.Second)), false, MsgCodeUsed)
				verify(t, toSecond(t), "000000", false, MsgCodeInvalid)
				v.clk.Advance(30 * time.Second)
				verify(t, toSecond(t), v.totpCode(t, v.clk.Now()), true, "")
			})
			t.Run("a recovery code works once", func(t *testing.T) {
				r := toSecond(t)
				must(t)(v.cont(t, r, ActionAnotherWay))
				if got := must(t)(v.cont(t, r, ActionSelect, FieldAuthenticator, policy.AuthRecoveryCode)); got.Flow.Step != wire.StepChallengeRecoveryCode {
					t.Fatalf("chose a recovery code: %s", got.Flow.Step)
				}
				verify(t, r, strings.ToUpper(codes[0]), true, "")
				r = toSecond(t)
				must(t)(v.cont(t, r, ActionAnotherWay))
				must(t)(v.cont(t, r, ActionSelect, FieldAuthenticator, policy.AuthRecoveryCode))
				verify(t, r, codes[0], false, MsgCodeUsed)
				verify(t, r, codes[1], true, "")
			})
			t.Run("a security answer, normalized; wrong ones counted", func(t *testing.T) {
				r := toSecond(t)
				must(t)(v.cont(t, r, ActionAnotherWay))
				if got := must(t)(v.cont(t, r, ActionSelect, FieldAuthenticator, policy.AuthSecurityAnswer)); got.Flow.Step != StepChallengeAnswer {
					t.Fatalf("chose a security answer: %s", got.Flow.Step)
				}
				if got := must(t)(v.cont(t, r, ActionVerify, FieldAnswer, "Babbage Primary")); got.Flow.Step != StepChallengeAnswer || !strings.Contains(messageIDs(got.Flow), MsgAnswerInvalid) {
					t.Fatalf("a wrong answer: %s (%s)", got.Flow.Step, messageIDs(got.Flow))
				}
				done := must(t)(v.cont(t, r, ActionVerify, FieldAnswer, "  lovelace   PRIMARY "))
				if done.Flow.Step != wire.StepDone {
					t.Fatalf("the right answer: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
				}
				if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd", "kba", "mfa"}) {
					t.Fatalf("amr %v", s.AMR)
				}
			})
		})
	}
}

// TestEnrollAuthenticatorApp sets up an authenticator app where the rule
// needs a second factor and none is enrolled: the key is shown as a QR
// code URI, a wrong code is refused, the right one proves the factor and
// the recovery codes the rule allows are shown once.
func TestEnrollAuthenticatorApp(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			v := newEnv(t, b.New(t))
			v.policy(t, policy.Rule{Name: "mfa", Access: policy.AccessAllow, Factors: 2,
				Authenticators: []string{policy.AuthPassword, policy.AuthTOTP, policy.AuthRecoveryCode}})
			r := v.start(t, "", "")
			must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
			en := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
			if en.Flow.Step != wire.EnrollStep(policy.AuthTOTP) || len(en.Flow.Fields) != 2 || en.Flow.Fields[0].Type != wire.FieldQR {
				t.Fatalf("enrollment: %+v", en.Flow)
			}
			uri := en.Flow.Fields[0].Value
			if !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "issuer=Portal") {
				t.Fatalf("key URI %q", uri)
			}
			key := uri[strings.Index(uri, "secret=")+len("secret="):]
			key = key[:strings.IndexByte(key, '&')]
			if got := must(t)(v.cont(t, r, ActionVerify, FieldCode, "123456")); got.Flow.Step != wire.EnrollStep(policy.AuthTOTP) {
				t.Fatalf("a wrong code: %s", got.Flow.Step)
			}
			code, err := otptotp.GenerateCode(key, v.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			shown := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
			if shown.Flow.Step != wire.EnrollStep(policy.AuthRecoveryCode) || len(strings.Fields(shown.Flow.Fields[0].Value)) != 10 {
				t.Fatalf("recovery codes: %+v", shown.Flow)
			}
			// Shown once: the view of the same flow again still shows
			// them (a reload), but they are gone from the flow once saved.
			done := must(t)(v.cont(t, r, ActionContinue))
			if done.Flow.Step != wire.StepDone || done.SetSession == nil {
				t.Fatalf("after saving the codes: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
			}
			if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd", "otp", "mfa"}) {
				t.Fatalf("amr %v", s.AMR)
			}
			creds := storetest.Get(t, v.st, func(ctx context.Context, tx store.Tx) ([]directory.Credential, error) {
				return v.dir.Credentials(ctx, tx, v.iss.TenantID, v.userID)
			})
			var types []string
			for _, c := range creds {
				if !c.Verified {
					t.Errorf("credential %s left unverified", c.Type)
				}
				if strings.Contains(c.Secret, key) {
					t.Errorf("the %s credential holds the key in clear", c.Type)
				}
				types = append(types, c.Type)
			}
			slices.Sort(types)
			if !slices.Equal(types, []string{directory.CredentialPassword, directory.CredentialRecoveryCodes, directory.CredentialTOTP}) {
				t.Fatalf("credentials %v", types)
			}
		})
	}
}

// TestRelyingParty checks the passkeys' relying party of a tenant's
// sites: the RP ID of its oldest active custom domain for every origin of
// the tenant (another registrable domain being a related origin), a site
// the tenant does not list on its own, and none on an IP address.
func TestRelyingParty(t *testing.T) {
	v := newEnv(t, storetest.SQLite().New(t))
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, host := range []string{"login.acme.com", "login.acme.co.uk"} {
			d, err := v.tenants.CreateDomain(ctx, tx, v.iss.TenantID, tenant.DomainInput{Hostname: host})
			if err != nil {
				return err
			}
			if _, err := v.tenants.SetDomainState(ctx, tx, d.ID, tenant.DomainActive, ""); err != nil {
				return err
			}
			v.clk.Advance(time.Second)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		base, id string
		origins  []string
		err      error
	}{
		{"https://login.acme.co.uk", "acme.com", []string{"https://login.acme.com", "https://login.acme.co.uk"}, nil},
		{"https://login.acme.com", "acme.com", []string{"https://login.acme.com", "https://login.acme.co.uk"}, nil},
		{"https://id.example.test:8443", "example.test", []string{"https://id.example.test:8443"}, nil},
		{"https://127.0.0.1:8443", "", nil, passkey.ErrNoRPID},
	} {
		t.Run(tc.base, func(t *testing.T) {
			var rp passkey.RP
			err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
				rp, err = v.e.RelyingParty(ctx, tx, v.iss.TenantID, tc.base)
				return err
			})
			if !errors.Is(err, tc.err) {
				t.Fatalf("RelyingParty(%s): %v, want %v", tc.base, err, tc.err)
			}
			if rp.ID != tc.id || !slices.Equal(rp.Origins, tc.origins) {
				t.Fatalf("RelyingParty(%s) = %q %v, want %q %v", tc.base, rp.ID, rp.Origins, tc.id, tc.origins)
			}
		})
	}
}

// TestRelyingPartyOfWidgetPages: the pages the tenant trusts for CORS
// (host pages of the widget) join the related origins after the tenant's
// own, within browsers' limit of five labels, and a flow's ceremonies
// accept its Origin whenever the app trusts it, listed or not.
func TestRelyingPartyOfWidgetPages(t *testing.T) {
	v := newEnv(t, storetest.SQLite().New(t))
	const base = "https://login.acme.com"
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		d, err := v.tenants.CreateDomain(ctx, tx, v.iss.TenantID, tenant.DomainInput{Hostname: "login.acme.com"})
		if err != nil {
			return err
		}
		if _, err := v.tenants.SetDomainState(ctx, tx, d.ID, tenant.DomainActive, ""); err != nil {
			return err
		}
		for i, o := range []string{"https://shop.acme.com", "https://shop.b.com", "https://c.com", "https://d.com",
			"https://e.com", "https://f.com", "https://b.de"} {
			if _, err := v.tenants.CreateOrigin(ctx, tx, v.iss.TenantID, tenant.OriginInput{Name: fmt.Sprint("o", i), Origin: o,
				Purposes: []string{tenant.PurposeCORS}, AppIDs: []string{v.app.ID}}); err != nil {
				return err
			}
		}
		_, err = v.tenants.CreateOrigin(ctx, tx, v.iss.TenantID, tenant.OriginInput{Name: "embed only", Origin: "https://g.com", Purposes: []string{tenant.PurposeEmbed}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted, the trusted origins are b.de, c.com, d.com, e.com, f.com,
	// shop.acme.com, shop.b.com: acme, b, c, d and e fill the five labels.
	want := []string{base, "https://b.de", "https://c.com", "https://d.com", "https://e.com", "https://shop.acme.com", "https://shop.b.com"}
	_, doc, err := v.e.RelatedOrigins(context.Background(), v.iss.TenantID, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range want {
		if !strings.Contains(string(doc), `"`+o+`"`) {
			t.Errorf("the document lacks %s:\n%s", o, doc)
		}
	}
	for _, o := range []string{"https://f.com", "https://g.com"} {
		if strings.Contains(string(doc), o) {
			t.Errorf("the document lists %s:\n%s", o, doc)
		}
	}
	for _, tc := range []struct {
		name, origin, app string
		accepted          bool
	}{
		{"accepts a trusted page beyond the label limit", "https://f.com", v.app.ID, true},
		{"accepts a listed trusted page", "https://shop.b.com", v.app.ID, true},
		{"refuses a page another app trusts", "https://f.com", v.third.ID, false},
		{"refuses a page trusted only for embedding", "https://g.com", v.app.ID, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flow{TenantID: v.iss.TenantID, ClientID: tc.app, Origin: tc.origin}
			f.State.Base = base
			var rp passkey.RP
			err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
				rp, err = v.e.flowRP(ctx, tx, f)
				return err
			})
			if err != nil || rp.ID != "acme.com" {
				t.Fatalf("flowRP: %q, %v", rp.ID, err)
			}
			if got := slices.Contains(rp.Origins, tc.origin); got != tc.accepted {
				t.Fatalf("origins %v: accepted %s = %v, want %v", rp.Origins, tc.origin, got, tc.accepted)
			}
		})
	}
}
