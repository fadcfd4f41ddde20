package oidc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeUsers is the directory as the provider sees it.
type fakeUsers struct {
	mu    sync.Mutex
	users map[string]oidc.Claims // tenantID/userID
}

func (f *fakeUsers) UserClaims(_ context.Context, _ store.Tx, tenantID, userID string) (oidc.Claims, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.users[tenantID+"/"+userID]
	if !ok {
		return oidc.Claims{}, fmt.Errorf("%w: user %s", store.ErrNotFound, userID)
	}
	return c, nil
}

func (f *fakeUsers) put(tenantID, userID string, c oidc.Claims) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[tenantID+"/"+userID] = c
}

func (f *fakeUsers) remove(tenantID, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, tenantID+"/"+userID)
}

var _ oidc.Users = (*fakeUsers)(nil)

// client is an app with its secret ("" for public clients).
type client struct {
	tenant.App
	secret string
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is one fresh database with two tenants, their apps and a user.
type world struct {
	st    store.Store
	clk   *clock.Fake
	sec   *secrets.Service
	ten   *tenant.Service
	users *fakeUsers
	logs  *syncBuffer
	p     *oidc.Provider
	iss   oidc.Issuer // tenant "acme"
	other oidc.Issuer // tenant "globex"
	apps  map[string]client
	// httpc is the egress client providers get (jwks_uri fetches).
	httpc *http.Client
	// authz holds the tenants' authorization servers.
	authz *authserver.Service
}

const userID = "usr_01jd0000000000000000000000"

// appSpecs are the apps of tenant acme, by test name.
var appSpecs = map[string]tenant.AppInput{
	"web": {Name: "Web", Type: tenant.AppWeb,
		RedirectURIs: []string{"https://app.example.com/callback", "https://app.example.com/cb?tab=1"}},
	"post": {Name: "Post", Type: tenant.AppWeb, TokenEndpointAuthMethod: tenant.AuthClientSecretPost,
		RedirectURIs: []string{"https://post.example.com/callback"}},
	"spa": {Name: "SPA", Type: tenant.AppSPA,
		RedirectURIs: []string{"https://spa.example.com/callback", "http://127.0.0.1:5173/cb"}},
	"native": {Name: "Native", Type: tenant.AppNative,
		RedirectURIs: []string{"http://127.0.0.1/callback", "http://[::1]:8400/cb", "http://localhost/cb", "com.example.app:/oauth"}},
	"device": {Name: "Device only", Type: tenant.AppNative, GrantTypes: []string{tenant.GrantDeviceCode},
		RedirectURIs: []string{"com.example.tv:/oauth"}},
	"service": {Name: "Service", Type: tenant.AppService},
}

func newWorld(t testing.TB, b storetest.Backend) *world {
	t.Helper()
	return newWorldOn(t, b.New(t))
}

func newWorldOn(t testing.TB, open storetest.Opener) *world {
	t.Helper()
	st := open(t)
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, clk: clk, sec: sec, ten: tenant.New(sec, clk, tenant.Options{PublicHost: "id.example.com"}),
		users: &fakeUsers{users: map[string]oidc.Claims{}}, logs: &syncBuffer{}, apps: map[string]client{}}
	w.p = w.provider(t, st)
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		acme, err := w.ten.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		globex, err := w.ten.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "globex", Name: "Globex"})
		if err != nil {
			return err
		}
		w.iss = oidc.Issuer{TenantID: acme.ID, Server: oidc.DefaultServer, URL: "https://login.acme.test/oauth2/default"}
		w.other = oidc.Issuer{TenantID: globex.ID, Server: oidc.DefaultServer, URL: "https://login.globex.test/oauth2/default"}
		for name, in := range appSpecs {
			a, secret, err := w.ten.CreateApp(ctx, tx, acme.ID, in)
			if err != nil {
				return fmt.Errorf("app %s: %w", name, err)
			}
			w.apps[name] = client{a, secret}
		}
		a, secret, err := w.ten.CreateApp(ctx, tx, globex.ID, appSpecs["web"])
		w.apps["foreign"] = client{a, secret}
		return err
	})
	w.users.put(w.iss.TenantID, userID, oidc.Claims{Subject: userID, Email: "ada@example.com", EmailVerified: true,
		Name: "Ada Lovelace", Locale: "en-GB", UpdatedAt: t0.Add(-24 * time.Hour)})
	w.users.put(w.other.TenantID, userID, oidc.Claims{Subject: userID, Email: "ada@globex.example"})
	return w
}

// servers returns the authorization-server service providers share.
func (w *world) servers() *authserver.Service {
	if w.authz == nil {
		w.authz = authserver.New(w.clk)
		w.authz.Zones = w.ten
	}
	return w.authz
}

// provider returns another Provider over st, as another node would run.
func (w *world) provider(t testing.TB, st store.Store) *oidc.Provider {
	t.Helper()
	p, err := oidc.New(oidc.Deps{Store: st, Secrets: w.sec, Tenants: w.ten, Servers: w.servers(), Users: w.users, Clock: w.clk,
		Events: events.New(st, w.sec, w.clk), HTTPClient: w.httpc,
		Logger: slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *world) tx(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := w.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// serve starts an HTTP server that routes /oauth2/default/… of its own
// host to the provider for tenant acme, as the edge does, and makes w.iss
// point at it.
func (w *world) serve(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	w.iss.URL = srv.URL + "/oauth2/default"
	srv.Config.Handler = routes(w.p, w.iss)
	return srv
}

// routes mounts the provider's handlers under the issuer's path.
func routes(p *oidc.Provider, iss oidc.Issuer) http.Handler {
	u, _ := url.Parse(iss.URL)
	mux := http.NewServeMux()
	mux.Handle(u.Path+oidc.PathDiscovery, p.Discovery())
	mux.Handle(u.Path+oidc.PathKeys, p.JWKS())
	mux.Handle(u.Path+oidc.PathToken, p.Token())
	mux.Handle(u.Path+oidc.PathUserInfo, p.UserInfo())
	mux.Handle(u.Path+oidc.PathIntrospect, p.Introspect())
	mux.Handle(u.Path+oidc.PathRevoke, p.Revoke())
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(rw, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	})
}

// verifier is a PKCE code_verifier used by most tests.
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authQuery is a valid authorization request of app to its first
// redirect URI.
func (w *world) authQuery(app string) url.Values {
	a := w.apps[app]
	redirect := ""
	if len(a.RedirectURIs) > 0 {
		redirect = a.RedirectURIs[0]
	}
	return url.Values{
		"client_id": {a.ID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-123"}, "nonce": {"n-0S6_WzA2Mj"},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"},
	}
}

// code runs an accepted authorization request through IssueCode and
// returns the request and the code.
func (w *world) code(t testing.TB, iss oidc.Issuer, q url.Values) (oidc.AuthRequest, string) {
	t.Helper()
	req, _, aerr := w.p.ValidateAuthorize(context.Background(), iss, q)
	if aerr != nil {
		t.Fatalf("authorize: %v", aerr)
	}
	var code string
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		code, err = w.p.IssueCode(ctx, tx, iss, req, oidc.Grant{UserID: userID, SessionID: "ses_1",
			AuthTime: w.clk.Now().Add(-time.Minute), AMR: []string{"pwd", "otp"}, ACR: "urn:lintel:acr:mfa"})
		return err
	})
	return req, code
}

// tokenForm is the token request that redeems code for app.
func (w *world) tokenForm(app, code string, req oidc.AuthRequest) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {req.RedirectURI},
		"code_verifier": {verifier}, "client_id": {w.apps[app].ID}}
}

// auth adds app's credentials to a token request by its registered
// method and returns the request headers that carry them.
func (w *world) auth(form url.Values, app string) http.Header {
	a := w.apps[app]
	h := http.Header{}
	switch a.TokenEndpointAuthMethod {
	case tenant.AuthClientSecretBasic:
		form.Del("client_id")
		h.Set("Authorization", basic(a.ID, a.secret))
	case tenant.AuthClientSecretPost:
		form.Set("client_secret", a.secret)
	}
	return h
}

// basic is an Authorization header with form-encoded credentials.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// post sends a token request straight to the handler for iss.
func (w *world) post(iss oidc.Issuer, form url.Values, h http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, iss.URL+oidc.PathToken, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range h {
		r.Header[k] = v
	}
	r = r.WithContext(oidc.WithIssuer(r.Context(), iss))
	rec := httptest.NewRecorder()
	w.p.Token().ServeHTTP(rec, r)
	return rec
}

// send posts a form to handler h, served for iss at path.
func (w *world) send(h http.Handler, iss oidc.Issuer, path string, form url.Values, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, iss.URL+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	return rec
}

// introspect posts form to the introspection endpoint of iss (RFC 7662).
func (w *world) introspect(iss oidc.Issuer, form url.Values, hdr http.Header) *httptest.ResponseRecorder {
	return w.send(w.p.Introspect(), iss, oidc.PathIntrospect, form, hdr)
}

// revoke posts form to the revocation endpoint of iss (RFC 7009).
func (w *world) revoke(iss oidc.Issuer, form url.Values, hdr http.Header) *httptest.ResponseRecorder {
	return w.send(w.p.Revoke(), iss, oidc.PathRevoke, form, hdr)
}

// authAs adds app's client_id and credentials (by its registered method) to
// form and returns the headers that carry them.
func (w *world) authAs(app string, form url.Values) http.Header {
	form.Set("client_id", w.apps[app].ID)
	return w.auth(form, app)
}

// refresh runs the refresh_token grant at iss for app; scope "" asks for
// the granted scope.
func (w *world) refresh(iss oidc.Issuer, app, token, scope string) *httptest.ResponseRecorder {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return w.post(iss, form, w.authAs(app, form))
}

// addApp creates an app in tenantID and registers it in w.apps as name.
func (w *world) addApp(t testing.TB, tenantID, name string, in tenant.AppInput) client {
	t.Helper()
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		a, secret, err := w.ten.CreateApp(ctx, tx, tenantID, in)
		w.apps[name] = client{a, secret}
		return err
	})
	return w.apps[name]
}

// decode reads a JSON object answer.
func decode(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q (status %d): %v", rec.Body, rec.Code, err)
	}
	return body
}
