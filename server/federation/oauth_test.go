package federation

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/idptest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/tenant"
)

// oaT0 is when the OpenID Connect and OAuth 2 tests happen.
var oaT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// oaCallback is the callback URL the tests send upstream.
const oaCallback = "https://id.example.com/federation/callback"

// oaWorld is one emulated provider and a Service configured for it.
type oaWorld struct {
	p   *idptest.Provider
	svc *Service
	idp IdP
	clk *clock.Fake
}

// newOAWorld starts an emulator of kind and configures an IdP for it as
// an admin would (with what the emulator says the kind needs).
func newOAWorld(t *testing.T, kind Kind, opts idptest.Options) *oaWorld {
	t.Helper()
	clk := clock.NewFake(oaT0)
	opts.Clock = clk
	p := idptest.New(t, string(kind), opts)
	return &oaWorld{
		p:   p,
		clk: clk,
		svc: oaService(t, p.CertPool, clk, true),
		idp: IdP{
			ID: "idp_test", TenantID: "ten_test", Name: "Test", Kind: kind, Enabled: true, Secret: p.Secret,
			Config: Config{
				Issuer: p.Issuer, AuthorizationURL: p.AuthorizationURL, TokenURL: p.TokenURL,
				UserinfoURL: p.UserinfoURL, JWKSURL: p.JWKSURL, ClientID: p.ClientID,
				MicrosoftTenant: p.MicrosoftTenant, AppleTeamID: p.AppleTeamID, AppleKeyID: p.AppleKeyID,
			},
		},
	}
}

// oaService builds a Service whose egress client trusts pool and, with
// loopback, may reach 127.0.0.1. The directory, secrets and tenant
// services are not used by the protocol code.
func oaService(t *testing.T, pool *x509.CertPool, clk clock.Clock, loopback bool) *Service {
	t.Helper()
	o := egress.Options{TLS: &tls.Config{RootCAs: pool}}
	if loopback {
		o.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	svc, err := New(Deps{Secrets: &secrets.Service{}, Directory: &directory.Directory{}, Tenants: &tenant.Service{},
		HTTP: egress.New(o).Client(), Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// start calls AuthURL and plays the browser at the provider; it returns
// the pending request and what came back to the callback.
func (w *oaWorld) start(t *testing.T) (Pending, url.Values) {
	t.Helper()
	u, pend, err := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, Base: "https://id.example.com", State: "state-1"})
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	cb, params, err := w.p.SignIn(u)
	if err != nil {
		t.Fatalf("at the provider: %v", err)
	}
	if cb != oaCallback || params.Get("state") != "state-1" {
		t.Fatalf("the provider came back to %q with state %q", cb, params.Get("state"))
	}
	return pend, params
}

// signIn runs a whole sign-in and returns what Exchange makes of it.
func (w *oaWorld) signIn(t *testing.T) (Assertion, error) {
	t.Helper()
	pend, cb := w.start(t)
	return w.svc.Exchange(t.Context(), nil, w.idp, pend, cb)
}

func TestOAuthSignIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		kind   Kind
		user   idptest.User
		config func(*Config)
		want   Assertion
		// claims are some of want's claims (with email and
		// email_verified, which always match the assertion).
		claims map[string]any
	}{
		{
			name:   "oidc: sub, a lowercased email and email_verified",
			kind:   KindOIDC,
			user:   idptest.User{Subject: "u-42", Email: " Ada@Example.COM", EmailVerified: true, GivenName: "Ada", FamilyName: "Lovelace", Locale: "en-GB"},
			want:   Assertion{Subject: "u-42", Email: "ada@example.com", EmailVerified: true},
			claims: map[string]any{"given_name": "Ada", "family_name": "Lovelace", "locale": "en-GB", "sub": "u-42"},
		},
		{
			name: "oidc: an unverified email stays unverified",
			kind: KindOIDC,
			user: idptest.User{Subject: "u-43", Email: "bob@example.com"},
			want: Assertion{Subject: "u-43", Email: "bob@example.com"},
		},
		{
			name:   "oauth2: the numeric id when there is no sub, the email never verified by default",
			kind:   KindOAuth2,
			user:   idptest.User{ID: 9007199254740993, Email: "carol@example.com", EmailVerified: true, Name: "Carol"},
			want:   Assertion{Subject: "9007199254740993", Email: "carol@example.com"},
			claims: map[string]any{"name": "Carol", "id": float64(9007199254740993)},
		},
		{
			name:   "oauth2: the configured subject and email-verified members",
			kind:   KindOAuth2,
			user:   idptest.User{Subject: "s-1", ID: 77, Email: "dan@example.com", EmailVerified: true},
			config: func(c *Config) { c.SubjectClaim, c.EmailVerifiedClaim = "id", "email_verified" },
			want:   Assertion{Subject: "77", Email: "dan@example.com", EmailVerified: true},
		},
		{
			name:   "google",
			kind:   KindGoogle,
			user:   idptest.User{Subject: "1098", Email: "erin@gmail.com", EmailVerified: true, Name: "Erin"},
			want:   Assertion{Subject: "1098", Email: "erin@gmail.com", EmailVerified: true},
			claims: map[string]any{"name": "Erin"},
		},
		{
			name:   "microsoft: tid/oid, and the email is never verified",
			kind:   KindMicrosoft,
			user:   idptest.User{TenantID: "72F988BF-86F1-41AF-91AB-2D7CD011DB47", ObjectID: "00000000-0000-0000-66f3-3332eca7ea81", Email: "Frank@Contoso.com", EmailVerified: true, Name: "Frank"},
			want:   Assertion{Subject: "72f988bf-86f1-41af-91ab-2d7cd011db47/00000000-0000-0000-66f3-3332eca7ea81", Email: "frank@contoso.com"},
			claims: map[string]any{"name": "Frank", "oid": "00000000-0000-0000-66f3-3332eca7ea81"},
		},
		{
			name:   "apple: email_verified \"true\" and the name from the user field",
			kind:   KindApple,
			user:   idptest.User{Subject: "001234.abcd", Email: "x1y2@privaterelay.appleid.com", EmailVerified: true, PrivateEmail: true, GivenName: "Grace", FamilyName: "Hopper"},
			want:   Assertion{Subject: "001234.abcd", Email: "x1y2@privaterelay.appleid.com", EmailVerified: true},
			claims: map[string]any{"given_name": "Grace", "family_name": "Hopper", "is_private_email": true},
		},
		{
			name:   "apple: email_verified \"false\"",
			kind:   KindApple,
			user:   idptest.User{Subject: "001235.abcd", Email: "heidi@example.com"},
			want:   Assertion{Subject: "001235.abcd", Email: "heidi@example.com"},
			claims: map[string]any{"is_private_email": false},
		},
		{
			name:   "facebook: the id, an email that is never verified",
			kind:   KindFacebook,
			user:   idptest.User{ID: 10158, Email: "ivan@example.com", EmailVerified: true, GivenName: "Ivan", FamilyName: "Petrov", Name: "Ivan Petrov"},
			want:   Assertion{Subject: "10158", Email: "ivan@example.com"},
			claims: map[string]any{"first_name": "Ivan", "last_name": "Petrov", "id": "10158"},
		},
		{
			name:   "linkedin",
			kind:   KindLinkedIn,
			user:   idptest.User{Subject: "li-7", Email: "judy@example.com", EmailVerified: true, GivenName: "Judy"},
			want:   Assertion{Subject: "li-7", Email: "judy@example.com", EmailVerified: true},
			claims: map[string]any{"given_name": "Judy"},
		},
		{
			name: "github: the numeric id and the verified primary address, not the public one",
			kind: KindGitHub,
			user: idptest.User{ID: 583231, Login: "octocat", PublicEmail: "public@example.com", Emails: []idptest.GitHubEmail{
				{Email: "old@example.com", Verified: true}, {Email: "Octo@Example.com", Primary: true, Verified: true},
			}},
			want:   Assertion{Subject: "583231", Email: "octo@example.com", EmailVerified: true},
			claims: map[string]any{"login": "octocat"},
		},
		{
			name: "github: an unverified primary address is not verified",
			kind: KindGitHub,
			user: idptest.User{ID: 1, PublicEmail: "public@example.com", Emails: []idptest.GitHubEmail{
				{Email: "other@example.com", Verified: true}, {Email: "primary@example.com", Primary: true},
			}},
			want: Assertion{Subject: "1", Email: "primary@example.com"},
		},
		{
			name: "github: no primary address means no email, whatever the profile shows",
			kind: KindGitHub,
			user: idptest.User{ID: 2, PublicEmail: "public@example.com"},
			want: Assertion{Subject: "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newOAWorld(t, tt.kind, idptest.Options{})
			if tt.config != nil {
				tt.config(&w.idp.Config)
			}
			w.p.SetUser(tt.user)
			a, err := w.signIn(t)
			if err != nil {
				t.Fatalf("sign-in: %v", err)
			}
			if a.IdPID != w.idp.ID || a.Subject != tt.want.Subject || a.Email != tt.want.Email || a.EmailVerified != tt.want.EmailVerified {
				t.Errorf("assertion = %q %q %q %v, want %q %q %q %v", a.IdPID, a.Subject, a.Email, a.EmailVerified,
					w.idp.ID, tt.want.Subject, tt.want.Email, tt.want.EmailVerified)
			}
			want := map[string]any{"email_verified": tt.want.EmailVerified}
			if tt.want.Email != "" {
				want["email"] = tt.want.Email
			} else if _, ok := a.Claims["email"]; ok {
				t.Errorf("claims hold email %v, want none", a.Claims["email"])
			}
			for k, v := range tt.claims {
				want[k] = v
			}
			for k, v := range want {
				if !reflect.DeepEqual(a.Claims[k], v) {
					t.Errorf("claims[%q] = %#v, want %#v", k, a.Claims[k], v)
				}
			}
		})
	}
}

func TestOAuthAuthURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind Kind
		// want are parameters that must be there ("" any value); absent
		// ones that must not.
		want   map[string]string
		absent []string
	}{
		{KindOIDC, map[string]string{"scope": "openid email profile", "login_hint": "ada@example.com", "nonce": ""}, []string{"response_mode"}},
		{KindOAuth2, map[string]string{}, []string{"nonce", "login_hint"}},
		{KindGoogle, map[string]string{"scope": "openid email profile", "login_hint": "ada@example.com", "nonce": ""}, nil},
		{KindMicrosoft, map[string]string{"login_hint": "ada@example.com", "nonce": ""}, nil},
		{KindApple, map[string]string{"scope": "name email", "response_mode": "form_post", "nonce": ""}, []string{"login_hint"}},
		{KindFacebook, map[string]string{"scope": "email public_profile"}, []string{"nonce", "login_hint"}},
		{KindLinkedIn, map[string]string{"scope": "openid email profile", "nonce": ""}, []string{"login_hint"}},
		{KindGitHub, map[string]string{"scope": "read:user user:email"}, []string{"nonce", "login_hint"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			w := newOAWorld(t, tt.kind, idptest.Options{})
			raw, pend, err := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, State: "st", LoginHint: "ada@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			sum := sha256.Sum256([]byte(pend.Verifier))
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) {
				t.Errorf("PKCE = %q %q, want S256 of the pending verifier", q.Get("code_challenge_method"), q.Get("code_challenge"))
			}
			if q.Get("state") != "st" || q.Get("redirect_uri") != oaCallback || q.Get("client_id") != w.p.ClientID || q.Get("response_type") != "code" {
				t.Errorf("query = %v", q)
			}
			for k, v := range tt.want {
				if !q.Has(k) || v != "" && q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			for _, k := range tt.absent {
				if q.Has(k) {
					t.Errorf("%s = %q, want none", k, q.Get(k))
				}
			}
			if q.Get("nonce") != pend.Nonce {
				t.Errorf("nonce %q, pending %q", q.Get("nonce"), pend.Nonce)
			}
			if len(pend.Verifier) != 43 || pend.IdPID != w.idp.ID || pend.Callback != oaCallback || !pend.Started.Equal(oaT0) {
				t.Errorf("pending = %+v", pend)
			}
			if pend.Nonce != "" && len(pend.Nonce) != 43 {
				t.Errorf("nonce %q is not 32 bytes", pend.Nonce)
			}
		})
	}

	t.Run("fresh verifier and nonce each time", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindOIDC, idptest.Options{})
		_, a, _ := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, State: "1"})
		_, b, _ := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, State: "2"})
		if a.Verifier == b.Verifier || a.Nonce == b.Nonce {
			t.Errorf("two requests share a verifier or nonce")
		}
	})

	t.Run("configured scopes replace the kind's", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindGoogle, idptest.Options{})
		w.idp.Config.Scopes = []string{"openid", "email"}
		raw, _, err := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, State: "st"})
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := url.Parse(raw); u.Query().Get("scope") != "openid email" {
			t.Errorf("scope = %q", u.Query().Get("scope"))
		}
	})
}

func TestGoogleIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind Kind
		opts idptest.Options
		want error
	}{
		{"google: iss without the scheme is Google's", KindGoogle, idptest.Options{IssuerWithoutScheme: true}, nil},
		{"google: another issuer is refused", KindGoogle, idptest.Options{WrongIssuer: true}, ErrInvalid},
		{"oidc: iss without the scheme is refused", KindOIDC, idptest.Options{IssuerWithoutScheme: true}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := newOAWorld(t, tt.kind, tt.opts).signIn(t)
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("sign-in: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMicrosoftTenants(t *testing.T) {
	t.Parallel()
	const (
		tenantA = "11111111-1111-1111-1111-111111111111"
		tenantB = "22222222-2222-2222-2222-222222222222"
	)
	user := func(tid, oid string) idptest.User {
		return idptest.User{TenantID: tid, ObjectID: oid, Email: "boss@contoso.com", EmailVerified: true}
	}

	t.Run("same email, another oid, another subject", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindMicrosoft, idptest.Options{})
		w.p.SetUser(user(tenantA, "aaaaaaaa-0000-0000-0000-000000000001"))
		a, err := w.signIn(t)
		if err != nil {
			t.Fatal(err)
		}
		// An admin of tenant B sets the same address on an account of
		// theirs (nOAuth).
		w.p.SetUser(user(tenantB, "bbbbbbbb-0000-0000-0000-000000000002"))
		b, err := w.signIn(t)
		if err != nil {
			t.Fatal(err)
		}
		if a.Email != b.Email || a.Subject == b.Subject || a.EmailVerified || b.EmailVerified {
			t.Fatalf("assertions %q %q %v and %q %q %v: want one email, two subjects, unverified",
				a.Subject, a.Email, a.EmailVerified, b.Subject, b.Email, b.EmailVerified)
		}
	})

	tests := []struct {
		name    string
		opts    idptest.Options
		tid     string
		allowed []string
		want    error
	}{
		{"iss names another tenant than tid", idptest.Options{WrongTenantIssuer: true}, tenantA, nil, ErrInvalid},
		{"a tenant among the allowed ones", idptest.Options{}, tenantA, []string{tenantB, strings.ToUpper(tenantA)}, nil},
		{"a tenant not among the allowed ones", idptest.Options{}, tenantB, []string{tenantA}, ErrInvalid},
		{"a single-tenant authority takes its tenant", idptest.Options{Tenant: tenantA}, tenantA, nil, nil},
		{"a single-tenant authority refuses another tenant", idptest.Options{Tenant: tenantA}, tenantB, nil, ErrInvalid},
		{"the organizations authority", idptest.Options{Tenant: "organizations"}, tenantB, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newOAWorld(t, KindMicrosoft, tt.opts)
			w.idp.Config.AllowedTenants = tt.allowed
			w.p.SetUser(user(tt.tid, "cccccccc-0000-0000-0000-000000000003"))
			a, err := w.signIn(t)
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("sign-in: %v, want %v", err, tt.want)
			}
			if err == nil && a.Subject != tt.tid+"/cccccccc-0000-0000-0000-000000000003" {
				t.Errorf("subject %q", a.Subject)
			}
		})
	}
}

func TestAppleQuirks(t *testing.T) {
	t.Parallel()
	t.Run("the name comes once, in the user field", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindApple, idptest.Options{})
		w.p.SetUser(idptest.User{Subject: "001.a", Email: "a@example.com", EmailVerified: true, GivenName: "Ada", FamilyName: "Lovelace"})
		pend, cb := w.start(t)
		if cb.Get("user") == "" || cb.Get("id_token") == "" {
			t.Fatalf("the form post lacks user or id_token: %v", cb)
		}
		a, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb)
		if err != nil || a.Claims["given_name"] != "Ada" || a.Claims["family_name"] != "Lovelace" {
			t.Fatalf("first sign-in: %v %v", a.Claims, err)
		}
		a, err = w.signIn(t)
		if err != nil || a.Claims["given_name"] != nil || a.Subject != "001.a" {
			t.Fatalf("second sign-in: %v %v", a.Claims, err)
		}
	})

	t.Run("the user field never sets the email", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindApple, idptest.Options{})
		w.p.SetUser(idptest.User{Subject: "001.b", Email: "real@example.com", EmailVerified: true, GivenName: "Bo"})
		pend, cb := w.start(t)
		cb.Set("user", `{"name":{"firstName":"Eve"},"email":"victim@example.com"}`)
		a, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb)
		if err != nil || a.Email != "real@example.com" || a.Claims["given_name"] != "Eve" {
			t.Fatalf("assertion %q %v: %v", a.Email, a.Claims, err)
		}
	})

	t.Run("a malformed user field is ignored", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindApple, idptest.Options{})
		pend, cb := w.start(t)
		cb.Set("user", `{"name":`)
		a, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb)
		if err != nil || a.Claims["given_name"] != nil {
			t.Fatalf("assertion %v: %v", a.Claims, err)
		}
	})

	t.Run("the emulator refuses a client secret signed by another key", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindApple, idptest.Options{})
		w.idp.Secret = idptest.New(t, idptest.Apple, idptest.Options{}).Secret
		if _, err := w.signIn(t); !errors.Is(err, ErrUpstream) {
			t.Fatalf("sign-in: %v, want ErrUpstream", err)
		}
	})

	t.Run("a key that is not P-256 PKCS #8 is a configuration error", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindApple, idptest.Options{})
		w.idp.Secret = "not a key"
		_, err := w.signIn(t)
		if !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "not a key") {
			t.Fatalf("sign-in: %v, want ErrConfig without the secret", err)
		}
	})
}

func TestLinkedInClientSecretPost(t *testing.T) {
	t.Parallel()
	w := newOAWorld(t, KindLinkedIn, idptest.Options{})
	w.idp.Config.TokenAuth = authBasic // the preset knows better
	if _, err := w.signIn(t); err != nil {
		t.Fatalf("linkedin: %v", err)
	}
	// The same provider configured as a generic one with Basic fails: the
	// emulator refuses credentials in the header, as LinkedIn does.
	w.idp.Kind = KindOIDC
	if _, err := w.signIn(t); !errors.Is(err, ErrUpstream) {
		t.Fatalf("generic with client_secret_basic: %v, want ErrUpstream", err)
	}
	w.idp.Config.TokenAuth = authPost
	if _, err := w.signIn(t); err != nil {
		t.Fatalf("generic with client_secret_post: %v", err)
	}
}

func TestOAuthRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind Kind
		opts idptest.Options
		// deny makes the provider decline; edit changes the callback.
		deny bool
		edit func(cb url.Values)
		want error
	}{
		{name: "a nonce of another request", kind: KindOIDC, opts: idptest.Options{WrongNonce: true}, want: ErrInvalid},
		{name: "another audience", kind: KindOIDC, opts: idptest.Options{WrongAudience: true}, want: ErrInvalid},
		{name: "an expired ID token", kind: KindOIDC, opts: idptest.Options{Expired: true}, want: ErrInvalid},
		{name: "a bad signature", kind: KindOIDC, opts: idptest.Options{BadSignature: true}, want: ErrInvalid},
		{name: "alg none", kind: KindOIDC, opts: idptest.Options{Alg: "none"}, want: ErrInvalid},
		{name: "alg HS256 with the client secret", kind: KindOIDC, opts: idptest.Options{Alg: "HS256"}, want: ErrInvalid},
		{name: "another issuer", kind: KindLinkedIn, opts: idptest.Options{WrongIssuer: true}, want: ErrInvalid},
		{name: "an apple token of another audience", kind: KindApple, opts: idptest.Options{WrongAudience: true}, want: ErrInvalid},
		{name: "userinfo about someone else", kind: KindOIDC, opts: idptest.Options{UserinfoSubject: "someone-else"}, want: ErrInvalid},
		{name: "access_denied", kind: KindOIDC, deny: true, want: ErrDenied},
		{name: "apple: user_cancelled_authorize", kind: KindApple, deny: true, want: ErrDenied},
		{name: "another error", kind: KindGitHub, edit: func(cb url.Values) { cb.Set("error", "server_error") }, want: ErrUpstream},
		{name: "no code", kind: KindOIDC, edit: func(cb url.Values) { cb.Del("code") }, want: ErrInvalid},
		{name: "a forged code", kind: KindGitHub, edit: func(cb url.Values) { cb.Set("code", "forged") }, want: ErrInvalid},
		{name: "the callback names another issuer", kind: KindOIDC, edit: func(cb url.Values) { cb.Set("iss", "https://evil.example") }, want: ErrInvalid},
		{name: "500 at the token endpoint", kind: KindOIDC, opts: idptest.Options{TokenStatus: 500}, want: ErrUpstream},
		{name: "500 at github's token endpoint", kind: KindGitHub, opts: idptest.Options{TokenStatus: 500}, want: ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newOAWorld(t, tt.kind, tt.opts)
			if tt.deny {
				w.p.Deny()
			}
			pend, cb := w.start(t)
			if tt.edit != nil {
				tt.edit(cb)
			}
			a, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Exchange = %+v, %v; want %v", a, err, tt.want)
			}
		})
	}

	t.Run("a code used twice", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindOIDC, idptest.Options{})
		pend, cb := w.start(t)
		if _, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb); !errors.Is(err, ErrInvalid) {
			t.Fatalf("replay: %v, want ErrInvalid", err)
		}
	})

	t.Run("a callback of another request", func(t *testing.T) {
		t.Parallel()
		for _, kind := range []Kind{KindOIDC, KindGitHub} {
			w := newOAWorld(t, kind, idptest.Options{})
			pendA, _ := w.start(t)
			_, cbB := w.start(t)
			if _, err := w.svc.Exchange(t.Context(), nil, w.idp, pendA, cbB); !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s: swapped callback: %v, want ErrInvalid", kind, err)
			}
		}
	})

	t.Run("a callback for another identity provider", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindOIDC, idptest.Options{})
		pend, cb := w.start(t)
		pend.IdPID = "idp_other"
		if _, err := w.svc.Exchange(t.Context(), nil, w.idp, pend, cb); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Exchange: %v, want ErrInvalid", err)
		}
	})

	t.Run("a disabled identity provider", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindOIDC, idptest.Options{})
		w.idp.Enabled = false
		if _, _, err := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("AuthURL: %v, want ErrNotFound", err)
		}
	})

	t.Run("configuration errors", func(t *testing.T) {
		t.Parallel()
		for name, edit := range map[string]func(*IdP){
			"no client ID":                func(p *IdP) { p.Config.ClientID = "" },
			"an http issuer off loopback": func(p *IdP) { p.Config.Issuer = "http://idp.example.com" },
			"a bad Microsoft tenant":      func(p *IdP) { p.Kind, p.Config.MicrosoftTenant = KindMicrosoft, "../evil" },
			"an unknown token_auth":       func(p *IdP) { p.Config.TokenAuth = "private_key_jwt" },
			"an unknown kind":             func(p *IdP) { p.Kind = "unknown" },
			"OAuth 2 without userinfo_url": func(p *IdP) {
				p.Kind, p.Config.AuthorizationURL, p.Config.TokenURL = KindOAuth2, "https://idp.example/a", "https://idp.example/t"
			},
		} {
			w := newOAWorld(t, KindOIDC, idptest.Options{})
			edit(&w.idp)
			_, err := w.signIn2(t)
			if !errors.Is(err, ErrConfig) {
				t.Errorf("%s: %v, want ErrConfig", name, err)
			}
		}
	})
}

// signIn2 is signIn that returns AuthURL's error rather than failing.
func (w *oaWorld) signIn2(t *testing.T) (Assertion, error) {
	t.Helper()
	u, pend, err := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, State: "s"})
	if err != nil {
		return Assertion{}, err
	}
	_, cb, err := w.p.SignIn(u)
	if err != nil {
		t.Fatal(err)
	}
	return w.svc.Exchange(t.Context(), nil, w.idp, pend, cb)
}

func TestOAuthEgress(t *testing.T) {
	t.Parallel()
	t.Run("discovery of a loopback issuer is refused", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindOIDC, idptest.Options{})
		w.svc = oaService(t, w.p.CertPool, w.clk, false)
		_, _, err := w.svc.AuthURL(t.Context(), nil, w.idp, AuthParams{Callback: oaCallback, State: "s"})
		if !errors.Is(err, ErrUpstream) || !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("AuthURL: %v, want ErrUpstream wrapping egress.ErrForbidden", err)
		}
	})

	t.Run("a loopback token endpoint is refused", func(t *testing.T) {
		t.Parallel()
		w := newOAWorld(t, KindGitHub, idptest.Options{})
		pend, cb := w.start(t)
		strict := oaService(t, w.p.CertPool, w.clk, false)
		_, err := strict.Exchange(t.Context(), nil, w.idp, pend, cb)
		if !errors.Is(err, ErrUpstream) || !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("Exchange: %v, want ErrUpstream wrapping egress.ErrForbidden", err)
		}
	})

	t.Run("a body over 1 MiB is refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"issuer":"` + strings.Repeat("x", maxBody) + `"}`))
		}))
		defer srv.Close()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		svc := oaService(t, pool, clock.NewFake(oaT0), true)
		idp := IdP{ID: "idp_big", Kind: KindOIDC, Enabled: true, Config: Config{Issuer: srv.URL, ClientID: "c"}}
		_, _, err := svc.AuthURL(t.Context(), nil, idp, AuthParams{Callback: oaCallback, State: "s"})
		if !errors.Is(err, ErrUpstream) || len(err.Error()) > 1000 {
			t.Fatalf("AuthURL: %.300v (%d bytes), want a short ErrUpstream", err, len(err.Error()))
		}
	})
}

func TestOAuthCachesDiscovery(t *testing.T) {
	t.Parallel()
	w := newOAWorld(t, KindOIDC, idptest.Options{})
	if _, err := w.signIn(t); err != nil {
		t.Fatal(err)
	}
	ep, ok := w.svc.upstream.get("discovery "+w.p.Issuer, w.clk.Now())
	if !ok || ep.endpoints.jwks == "" {
		t.Fatalf("discovery not cached: %+v", ep)
	}
	if keys, ok := w.svc.upstream.get("jwks "+ep.endpoints.jwks, w.clk.Now()); !ok || len(keys.keys) != 1 {
		t.Fatalf("key set not cached: %+v", keys)
	}
	w.clk.Advance(cacheTTL)
	if _, ok := w.svc.upstream.get("discovery "+w.p.Issuer, w.clk.Now()); ok {
		t.Fatal("discovery still cached after its TTL")
	}
	if _, err := w.signIn(t); err != nil {
		t.Fatal(err)
	}
}
