package edge

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/texttest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
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

// Fixtures of every site test.
const (
	rpCallback = "https://rp.example.test/callback"
	alice      = "alice@example.com"
	alicePass  = "correct horse battery staple"
)

// siteWorld is a full Lintel behind the edge on a TLS test server whose
// address is the public URL (a plain HTTP one in a demo world, see
// newDemoWorld); tenant "acme" is the default tenant with one
// web app and one user.
type siteWorld struct {
	srv     *httptest.Server
	st      store.Store
	tenants *tenant.Service
	engine  *engine.Engine
	oidc    *oidc.Provider
	authz   *authserver.Service
	logs    *logBuffer
	acme    tenant.Tenant
	app     tenant.App
	secret  string
	userID  string
	// demoApp and demoSecret are the demo client's, in a demo world.
	demoApp    tenant.App
	demoSecret string
	// Mail goes through the real outbox to a real SMTP server on loopback.
	outbox    *mail.Outbox
	sink      *mailtest.Sink
	passwords *factor.Passwords
	policies  *policy.Service
	dir       *directory.Directory
	events    *events.Log
	// Texts and calls go through the real phone outbox.
	phoneSettings *phone.Settings
	phones        *phone.Outbox
}

// fixedSender is a tenant mail configuration with one from address.
type fixedSender string

func (f fixedSender) FromBrand(context.Context, store.Tx, string, string) (string, error) {
	return string(f), nil
}

// limiter adapts edge/ratelimit to the engine, as cmd/lintel does.
type limiter struct{ l ratelimit.Limiter }

func (a limiter) Allow(ctx context.Context, key string, l engine.Limit) (bool, time.Duration, error) {
	r, err := a.l.Allow(ctx, key, ratelimit.Limit{Rate: l.Rate, Per: l.Per})
	return r.Allowed, r.RetryAfter, err
}

// phoneLimiter adapts edge/ratelimit to the phone outbox, as cmd/lintel
// does.
type phoneLimiter struct{ l ratelimit.Limiter }

func (a phoneLimiter) Allow(ctx context.Context, key string, l phone.Limit) (bool, time.Duration, error) {
	r, err := a.l.Allow(ctx, key, ratelimit.Limit{Rate: l.Rate, Per: l.Per})
	return r.Allowed, r.RetryAfter, err
}

// delivered hands the outbox to the SMTP sink and returns what it holds.
func (w *siteWorld) delivered(t *testing.T) []mailtest.Message {
	t.Helper()
	if _, _, err := w.outbox.Deliver(context.Background(), &mail.SMTP{Host: w.sink.Host, Port: w.sink.Port, TLS: mail.NoTLS, Timeout: 10 * time.Second}, 100); err != nil {
		t.Fatal(err)
	}
	return w.sink.Messages()
}

func newSiteWorld(t *testing.T, backend storetest.Backend, clk clock.Clock) *siteWorld {
	t.Helper()
	return buildSiteWorld(t, backend, clk, worldOptions{})
}

// worldOptions change how a site world is built.
type worldOptions struct {
	// demo serves the demo client over plain HTTP (see newDemoWorld).
	demo bool
	// config, when set, changes the edge's configuration before New.
	config func(*Config)
	// handler, when set, wraps the edge's handler (to watch requests).
	handler func(http.Handler) http.Handler
}

// newDemoWorld is a site world that also serves the demo client, as
// `lintel serve --demo` does, with acme's demo app: its redirect URIs are
// the demo's on the public URL. The server speaks plain HTTP, as the demo
// client does to the listener (TLS, if any, ends at a proxy in front).
func newDemoWorld(t *testing.T, backend storetest.Backend, clk clock.Clock) *siteWorld {
	t.Helper()
	return buildSiteWorld(t, backend, clk, worldOptions{demo: true})
}

func buildSiteWorld(t *testing.T, backend storetest.Backend, clk clock.Clock, opts worldOptions) *siteWorld {
	t.Helper()
	demo := opts.demo
	ctx := context.Background()
	w := &siteWorld{st: backend.Open(t), logs: &logBuffer{}, authz: authserver.New(clk)}
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(ctx, w.st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewUnstartedServer(nil)
	scheme := "https"
	if demo {
		scheme = "http"
	}
	public, _ := url.Parse(scheme + "://" + w.srv.Listener.Addr().String())
	w.tenants = tenant.New(sec, clk, tenant.Options{PublicHost: public.Hostname()})
	ev := events.New(w.st, sec, clk)
	dir := directory.New(clk, ev, sec)
	pw := factor.NewPasswords(2)
	sessions := session.New(sec, clk, session.Options{})
	prov, err := oidc.New(oidc.Deps{Store: w.st, Secrets: sec, Tenants: w.tenants, Servers: w.authz, Users: claimsOf{dir}, Events: ev, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	w.oidc = prov
	pol, err := policy.New(policy.Deps{Store: w.st, Clock: clk, Passwords: pw, Zones: w.tenants, Types: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cat, tpl := texttest.Builtin(t)
	w.outbox, w.sink, w.passwords, w.policies, w.dir, w.events = mail.New(w.st, clk, mail.Options{}), mailtest.Start(t), pw, pol, dir, ev
	keys, err := passkey.New(passkey.Deps{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	otps, err := totp.New(totp.Deps{Secrets: sec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	mem := ratelimit.NewMemory(clk, ratelimit.MemoryOptions{})
	w.phoneSettings = phone.NewSettings(w.st, sec, clk, phone.SettingsOptions{})
	w.phones = phone.NewOutbox(w.st, w.phoneSettings, phoneLimiter{mem}, nil, clk, phone.Options{})
	w.engine, err = engine.New(engine.Deps{Store: w.st, Secrets: sec, OIDC: prov, Directory: dir, Passwords: pw, Sessions: sessions, Events: ev,
		Policies: pol, Terms: terms.New(clk, ev), Mail: w.outbox, Senders: fixedSender("Acme <no-reply@acme.example>"), Templates: tpl,
		Limits: limiter{mem}, Clock: clk, Logger: log,
		Passkeys: keys, TOTP: otps, Codes: recoverycode.New(sec.MAC), Sites: w.tenants, Phones: w.phones,
		Text: func(locale, id string, params ...string) string {
			return cat.Localizer(cat.Match(locale, "", "")).Text(id, params...)
		}})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := pw.Hash(ctx, alicePass)
	if err != nil {
		t.Fatal(err)
	}
	err = w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if w.acme, err = w.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"}); err != nil {
			return err
		}
		if w.app, w.secret, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{
			Name: "Acme Portal", Type: tenant.AppWeb, RedirectURIs: []string{rpCallback},
			PostLogoutRedirectURIs: []string{"https://rp.example.test/bye"},
		}); err != nil {
			return err
		}
		if demo {
			if w.demoApp, w.demoSecret, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{
				Name: "Demo app", Type: tenant.AppWeb, RedirectURIs: []string{public.String() + "/demo/callback"},
				PostLogoutRedirectURIs: []string{public.String() + "/demo/signed-out"},
			}); err != nil {
				return err
			}
		}
		u, err := dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: alice, Email: alice, EmailVerified: true, Name: "Alice"})
		if err != nil {
			return err
		}
		w.userID = u.ID
		return dir.SetCredential(ctx, tx, w.acme.ID, u.ID, directory.CredentialPassword, hash)
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Store: w.st, Logger: log, Registry: prometheus.NewRegistry(), Clock: clk,
		Engine: w.engine, OIDC: prov, Tenants: w.tenants, Locales: cat, PublicURL: public, DefaultTenant: "acme",
		PhoneSettings: w.phoneSettings, Phones: w.phones,
	}
	if demo {
		// As cmd/lintel wires it.
		cfg.Demo = &DemoConfig{Issuer: public.String() + "/oauth2/default", ClientID: w.demoApp.ID, ClientSecret: w.demoSecret,
			TenantID: w.acme.ID, Dial: w.srv.Listener.Addr().String()}
	}
	if opts.config != nil {
		opts.config(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if opts.handler != nil {
		h = opts.handler(h)
	}
	w.srv.Config.Handler = h
	if demo {
		w.srv.Start()
	} else {
		w.srv.StartTLS()
	}
	t.Cleanup(w.srv.Close)
	return w
}

// claimsOf adapts the directory to the provider, as cmd/lintel does.
type claimsOf struct{ dir *directory.Directory }

func (c claimsOf) UserClaims(ctx context.Context, tx store.Tx, tenantID, userID string) (oidc.Claims, error) {
	u, err := c.dir.User(ctx, tx, tenantID, userID)
	if err != nil {
		return oidc.Claims{}, err
	}
	if !u.Status.CanSignIn() {
		// Tokens must not describe a user who may no longer sign in.
		return oidc.Claims{}, fmt.Errorf("user %s: %w", u.ID, store.ErrNotFound)
	}
	return oidc.Claims{Subject: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, Locale: u.Locale, UpdatedAt: u.UpdatedAt}, nil
}

// browser is an HTTP client with cookies that trusts the test server and
// stops at redirects, so tests see each hop.
func (w *siteWorld) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *w.srv.Client() // a browser of its own: the server's client is shared
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// get and post return status, headers and body.
func get(t *testing.T, c *http.Client, u string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, c, req)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

// formFields returns the hidden fields of the page's form.
func formFields(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL builds an authorization request for the world's app.
func (w *siteWorld) authorizeURL(challenge string, extra ...string) string {
	q := url.Values{
		"client_id": {w.app.ID}, "redirect_uri": {rpCallback}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-123"}, "nonce": {"n-456"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return w.srv.URL + "/oauth2/default/v1/authorize?" + q.Encode()
}

// signIn walks the hosted pages from an authorize URL to the redirect to
// the client, posting forms as a browser with JavaScript off would. It
// returns the final redirect and the page URLs on the way.
func (w *siteWorld) signIn(t *testing.T, c *http.Client, authorize, login, password string) (string, []string) {
	t.Helper()
	var visited []string
	status, h, _ := get(t, c, authorize)
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	loc := h.Get("Location")
	for range 5 {
		if !strings.HasPrefix(loc, "/signin/") {
			return loc, visited
		}
		page := w.srv.URL + loc
		visited = append(visited, loc)
		status, _, body := get(t, c, page)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", loc, status, body)
		}
		form := formFields(body)
		switch {
		case strings.Contains(body, `name="login"`):
			form.Set("action", engine.ActionNext)
			form.Set("login", login)
		case strings.Contains(body, `name="password"`):
			form.Set("action", engine.ActionSignIn)
			form.Set("password", password)
		default:
			t.Fatalf("unexpected page:\n%s", body)
		}
		status, h, body = postForm(t, c, page, form, "Origin", w.srv.URL)
		if status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %s", loc, status, body)
		}
		loc = h.Get("Location")
	}
	t.Fatalf("sign-in did not end")
	return "", nil
}
