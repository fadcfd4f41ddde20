package engine

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/internal/texttest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/factor/recoverycode"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/server/terms"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const (
	origin   = "https://id.example.test"
	login    = "ada@example.com"
	password = "analytical engine"
)

type env struct {
	e      *Engine
	clk    *clock.Fake
	iss    oidc.Issuer
	app    tenant.App
	third  tenant.App // ConsentRequired
	userID string
	events *events.Log
	// What the email, lockout and limit tests reach into.
	st        store.Store
	dir       *directory.Directory
	policies  *policy.Service
	outbox    *mail.Outbox
	limits    *countingLimiter
	passwords *factor.Passwords
	sink      *mailtest.Sink
	tenants   *tenant.Service
	// Texts and calls go through the real phone outbox to a webhook
	// gateway on loopback.
	phoneSettings *phone.Settings
	phones        *phone.Outbox
	gateway       *smsGateway
}

// sender is the address the test tenant's mail comes from.
const sender = "Acme <no-reply@acme.example>"

// fixedSender is a tenant mail configuration with one from address.
type fixedSender string

func (f fixedSender) FromBrand(context.Context, store.Tx, string, string) (string, error) {
	return string(f), nil
}

// countingLimiter allows everything unless a key is listed in deny; it
// records every key it is asked about.
type countingLimiter struct {
	mu   sync.Mutex
	keys []string
	deny func(key string) bool
}

func (l *countingLimiter) Allow(_ context.Context, key string, _ Limit) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	if l.deny != nil && l.deny(key) {
		return false, 42 * time.Second, nil
	}
	return true, 0, nil
}

// allowAll is a phone limiter that never refuses.
type allowAll struct{}

func (allowAll) Allow(context.Context, string, phone.Limit) (bool, time.Duration, error) {
	return true, 0, nil
}

type claims struct{ dir *directory.Directory }

func (c claims) UserClaims(ctx context.Context, tx store.Tx, tenantID, userID string) (oidc.Claims, error) {
	u, err := c.dir.User(ctx, tx, tenantID, userID)
	return oidc.Claims{Subject: u.ID, Email: u.Email}, err
}

func newEnv(t *testing.T, open storetest.Opener) *env {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	kek, _ := secrets.GenerateKEK(clk.Now())
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	tenants := tenant.New(sec, clk, tenant.Options{})
	ev := events.New(st, sec, clk)
	dir := directory.New(clk, ev, sec)
	pw := factor.NewPasswords(2)
	log := slog.New(slog.DiscardHandler)
	prov, err := oidc.New(oidc.Deps{Store: st, Secrets: sec, Tenants: tenants, Servers: authserver.New(clk), Users: claims{dir}, Events: ev, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(policy.Deps{Store: st, Clock: clk, Passwords: pw, Zones: tenants, Types: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cat, tpl := texttest.Builtin(t)
	outbox := mail.New(st, clk, mail.Options{})
	limits := &countingLimiter{}
	gateway := newSMSGateway(t)
	keys, err := passkey.New(passkey.Deps{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	otps, err := totp.New(totp.Deps{Secrets: sec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	phoneSettings := phone.NewSettings(st, sec, clk, phone.SettingsOptions{})
	phones := phone.NewOutbox(st, phoneSettings, allowAll{}, gateway.client, clk, phone.Options{})
	e, err := New(Deps{Store: st, Secrets: sec, OIDC: prov, Directory: dir, Passwords: pw, Sessions: session.New(sec, clk, session.Options{}), Events: ev,
		Policies: pol, Terms: terms.New(clk, ev), Mail: outbox, Senders: fixedSender(sender), Templates: tpl, Limits: limits, Clock: clk, Logger: log,
		Passkeys: keys, TOTP: otps, Codes: recoverycode.New(sec.MAC), Sites: tenants, Phones: phones,
		Text: func(locale, id string, params ...string) string {
			return cat.Localizer(cat.Match(locale, "", "")).Text(id, params...)
		}})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := pw.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	env := &env{e: e, clk: clk, events: ev, st: st, dir: dir, policies: pol, outbox: outbox, limits: limits, passwords: pw, tenants: tenants,
		phoneSettings: phoneSettings, phones: phones, gateway: gateway}
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		tn, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		env.iss = oidc.Issuer{TenantID: tn.ID, Server: "default", URL: origin + "/oauth2/default"}
		if env.app, _, err = tenants.CreateApp(ctx, tx, tn.ID, tenant.AppInput{Name: "Portal", Type: tenant.AppSPA, RedirectURIs: []string{"https://app.example.test/cb"}}); err != nil {
			return err
		}
		if env.third, _, err = tenants.CreateApp(ctx, tx, tn.ID, tenant.AppInput{Name: "Partner", Type: tenant.AppSPA, RedirectURIs: []string{"https://partner.example.net/cb"}, ConsentRequired: true}); err != nil {
			return err
		}
		u, err := dir.CreateUser(ctx, tx, tn.ID, directory.UserInput{Login: login, Email: login})
		if err != nil {
			return err
		}
		env.userID = u.ID
		return dir.SetCredential(ctx, tx, tn.ID, u.ID, directory.CredentialPassword, hash)
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func (v *env) begin(prompt, sessionCookie string) Begin {
	return Begin{
		Issuer: v.iss, App: v.app, Origin: origin, Base: origin, Session: sessionCookie, Locale: "en", Dir: "ltr",
		Request: oidc.AuthRequest{
			ClientID: v.app.ID, RedirectURI: "https://app.example.test/cb", ResponseType: "code", Scope: "openid",
			State: "st", CodeChallenge: strings.Repeat("c", 43), CodeChallengeMethod: "S256", Prompt: prompt,
		},
	}
}

func (v *env) start(t *testing.T, prompt, cookie string) Result {
	t.Helper()
	return v.startWith(t, v.begin(prompt, cookie))
}

func (v *env) startWith(t *testing.T, b Begin) Result {
	t.Helper()
	res, err := v.e.Start(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (v *env) cont(t *testing.T, r Result, action string, kv ...string) (Result, error) {
	t.Helper()
	req := wire.ContinueRequest{Action: action}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Values = append(req.Values, wire.Param{Name: kv[i], Value: kv[i+1]})
	}
	return v.e.Continue(requestid.With(context.Background(), "req-1"), v.iss, r.Flow.ID, r.Secret, origin, req, "")
}

// must fails the test on an error: must(t)(v.cont(…)).
func must(t *testing.T) func(Result, error) Result {
	return func(r Result, err error) Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func messageIDs(f wire.Flow) string {
	var ids []string
	for _, m := range f.Messages {
		ids = append(ids, m.ID)
	}
	return strings.Join(ids, ",")
}

func TestEngine(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"signs in with the right password and issues a code", testSignIn},
				{"identify does not reveal whether an account exists", testNoEnumeration},
				{"wrong passwords count down and end the flow", testAttempts},
				{"a flow answers only to its secret, origin and tenant", testBinding},
				{"an expired flow is refused", testExpiry},
				{"refuses an action the step does not offer", testUnknownAction},
				{"back returns to identify", testBack},
				{"empty and over-long values become field messages", testFieldMessages},
				{"a live session ends the flow at once unless prompt=login", testSSO},
				{"prompt=none without a session answers login_required", testPromptNone},
				{"a suspended user's session does not sign them in", testSuspended},
				{"housekeeping removes long-expired flows only", testPurge},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// signIn runs a flow to done and returns its result.
func (v *env) signIn(t *testing.T) Result {
	t.Helper()
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	done := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("step %s after the right password", done.Flow.Step)
	}
	return done
}
