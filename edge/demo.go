package edge

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/edge/pages"
)

// DemoConfig configures the demo client that `lintel serve --demo` serves
// at /demo: an ordinary OpenID Connect client of the demo app, talking to
// this server over HTTP like any other client.
type DemoConfig struct {
	// Issuer is the demo tenant's issuer on the public URL.
	Issuer string
	// ClientID and ClientSecret identify the demo app.
	ClientID, ClientSecret string
	// TenantID is the demo tenant: /demo answers only on its sites.
	TenantID string
	// Dial is the address the client connects to for every request (the
	// server's own listener), so it works whatever the public URL is.
	Dial string
}

// demo is the demo client.
type demo struct {
	cfg    DemoConfig
	key    []byte // signs the demo's own cookies; new on every start
	client *http.Client
	oauth  oauth2.Config
	sites  *siteHandlers
	// mu guards the discovery made on first use: oauth and verifier.
	mu       sync.Mutex
	verifier *gooidc.IDTokenVerifier
}

func newDemo(cfg DemoConfig, s *siteHandlers) *demo {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		// Every request goes to this server's listener; the Host header
		// keeps the public name, which picks the tenant.
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", cfg.Dial)
		},
	}
	d := &demo{cfg: cfg, key: key, sites: s}
	d.client = &http.Client{Timeout: 10 * time.Second, Transport: plainHTTP{transport}}
	return d
}

// plainHTTP speaks plain HTTP to the listener even when the public URL is
// https (TLS then ends at a proxy in front of Lintel).
type plainHTTP struct{ t *http.Transport }

func (p plainHTTP) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme = "http"
	return p.t.RoundTrip(r)
}

// provider discovers the issuer on first use (the server is not listening
// yet when the demo is built).
func (d *demo) provider(ctx context.Context) (*gooidc.IDTokenVerifier, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.verifier != nil {
		return d.verifier, nil
	}
	p, err := gooidc.NewProvider(gooidc.ClientContext(ctx, d.client), d.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	d.oauth = oauth2.Config{
		ClientID: d.cfg.ClientID, ClientSecret: d.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: d.redirectURL(),
		Scopes:      []string{gooidc.ScopeOpenID, "profile", "email"},
	}
	d.verifier = p.Verifier(&gooidc.Config{ClientID: d.cfg.ClientID})
	return d.verifier, nil
}

// redirectURL is the demo app's registered redirect URI, on the public
// URL: the redirect sign-in comes back to it, and the embedded widget
// names it (the flow ends with a code for it, without navigating).
func (d *demo) redirectURL() string {
	return strings.TrimSuffix(strings.TrimSuffix(d.cfg.Issuer, "/default"), "/oauth2") + "/demo/callback"
}

// sign and open protect the demo's cookies (its own, not Lintel's).
func (d *demo) sign(v any) string {
	b, _ := json.Marshal(v)
	m := hmac.New(sha256.New, d.key)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (d *demo) open(s string, v any) bool {
	body, mac, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	got, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err1 != nil || err2 != nil {
		return false
	}
	m := hmac.New(sha256.New, d.key)
	m.Write(b)
	return hmac.Equal(got, m.Sum(nil)) && json.Unmarshal(b, v) == nil
}

type demoAuth struct {
	State, Nonce, Verifier string
}

func (d *demo) onDemoSite(w http.ResponseWriter, r *http.Request) bool {
	site, ok := SiteFrom(r.Context())
	if !ok || site.Tenant.ID != d.cfg.TenantID {
		w.WriteHeader(http.StatusNotFound)
		return false
	}
	return true
}

func (d *demo) home(w http.ResponseWriter, r *http.Request) {
	if !d.onDemoSite(w, r) {
		return
	}
	site, _ := SiteFrom(r.Context())
	l := d.sites.localizer(r)
	var claims []pages.Claim
	if d.open(readCookie(r, site.Secure, "lintel-demo"), &claims) && len(claims) > 0 {
		allowFormTarget(r.Context(), site.Base)
		d.sites.render(w, r, http.StatusOK, pages.DemoClaims(d.sites.page(r.Context(), l, "demo.title"), claims))
		return
	}
	d.sites.render(w, r, http.StatusOK, pages.DemoHome(d.sites.page(r.Context(), l, "demo.title"), r.URL.Path == "/demo/signed-out"))
}

func (d *demo) login(w http.ResponseWriter, r *http.Request) {
	if !d.onDemoSite(w, r) {
		return
	}
	site, _ := SiteFrom(r.Context())
	if _, err := d.provider(r.Context()); err != nil {
		d.sites.log.ErrorContext(r.Context(), "demo: discovery", "err", err)
		d.sites.errorPage(w, r, http.StatusBadGateway, "error.server")
		return
	}
	a := demoAuth{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier()}
	setCookie(w, site.Secure, "lintel-demo-auth", d.sign(a), 600)
	http.Redirect(w, r, d.oauth.AuthCodeURL(a.State, gooidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)), http.StatusSeeOther)
}

func (d *demo) callback(w http.ResponseWriter, r *http.Request) {
	if !d.onDemoSite(w, r) {
		return
	}
	site, _ := SiteFrom(r.Context())
	verifier, err := d.provider(r.Context())
	var a demoAuth
	q := r.URL.Query()
	switch {
	case err != nil:
	case !d.open(readCookie(r, site.Secure, "lintel-demo-auth"), &a) || q.Get("state") != a.State:
		err = fmt.Errorf("state does not match")
	case q.Get("iss") != d.cfg.Issuer:
		err = fmt.Errorf("iss %q is not the issuer", q.Get("iss"))
	case q.Get("error") != "":
		err = fmt.Errorf("authorization error %q", q.Get("error"))
	}
	var claims []pages.Claim
	if err == nil {
		claims, err = d.exchange(r.Context(), verifier, q.Get("code"), a)
	}
	if err != nil {
		d.sites.log.WarnContext(r.Context(), "demo: sign-in failed", "err", err)
		d.sites.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
		return
	}
	setCookie(w, site.Secure, "lintel-demo-auth", "", -1)
	setCookie(w, site.Secure, "lintel-demo", d.sign(claims), 3600)
	http.Redirect(w, r, "/demo", http.StatusSeeOther)
}

func (d *demo) exchange(ctx context.Context, verifier *gooidc.IDTokenVerifier, code string, a demoAuth) ([]pages.Claim, error) {
	ctx = gooidc.ClientContext(ctx, d.client)
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if idt.Nonce != a.Nonce {
		return nil, fmt.Errorf("nonce does not match")
	}
	var m map[string]any
	if err := idt.Claims(&m); err != nil {
		return nil, err
	}
	var claims []pages.Claim
	for k, v := range m {
		b, _ := json.Marshal(v)
		claims = append(claims, pages.Claim{Name: k, Value: strings.Trim(string(b), `"`)})
	}
	slices.SortFunc(claims, func(x, y pages.Claim) int { return strings.Compare(x.Name, y.Name) })
	return claims, nil
}

func (d *demo) logout(w http.ResponseWriter, r *http.Request) {
	if !d.onDemoSite(w, r) {
		return
	}
	site, _ := SiteFrom(r.Context())
	setCookie(w, site.Secure, "lintel-demo", "", -1)
	q := url.Values{"client_id": {d.cfg.ClientID}, "post_logout_redirect_uri": {site.Base + "/demo/signed-out"}}
	http.Redirect(w, r, "/oauth2/default/v1/logout?"+q.Encode(), http.StatusSeeOther)
}

// widget is GET /demo/widget: the same demo app signing in with the
// embedded sign-in widget instead of a redirect. The page may compile the
// widget's WebAssembly; demo-widget.js mounts it and hands the code to
// widgetCallback.
func (d *demo) widget(w http.ResponseWriter, r *http.Request) {
	if !d.onDemoSite(w, r) {
		return
	}
	allowWasm(r.Context())
	l := d.sites.localizer(r)
	d.sites.render(w, r, http.StatusOK, pages.DemoWidget(d.sites.page(r.Context(), l, "demo.title"), pages.DemoWidgetConfig{
		Issuer: d.cfg.Issuer, ClientID: d.cfg.ClientID, RedirectURI: d.redirectURL(), Locale: l.Lang(),
	}))
}

// demoWidgetResult is what the widget page posts after the widget's
// onSuccess: the code, the PKCE verifier the loader made for it and the
// nonce it sent.
type demoWidgetResult struct {
	Code         string `json:"code"`
	CodeVerifier string `json:"codeVerifier"`
	Nonce        string `json:"nonce"`
}

// widgetCallback is POST /demo/widget/callback (JSON, same origin, with
// the page's CSRF token, which secure checks): the demo's backend
// redeems the widget's code with its secret and the verifier, verifies
// the ID token and its nonce, and signs the person in to the demo as the
// redirect callback does. 204; the page then goes to /demo.
func (d *demo) widgetCallback(w http.ResponseWriter, r *http.Request) {
	if !d.onDemoSite(w, r) {
		return
	}
	site, _ := SiteFrom(r.Context())
	verifier, err := d.provider(r.Context())
	if err != nil {
		d.sites.log.ErrorContext(r.Context(), "demo: discovery", "err", err)
		http.Error(w, "", http.StatusBadGateway)
		return
	}
	var in demoWidgetResult
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	var claims []pages.Claim
	switch err = dec.Decode(&in); {
	case err != nil:
	case in.Code == "" || in.CodeVerifier == "" || in.Nonce == "":
		err = errors.New("code, codeVerifier and nonce are required")
	default:
		claims, err = d.exchange(r.Context(), verifier, in.Code, demoAuth{Nonce: in.Nonce, Verifier: in.CodeVerifier})
	}
	if err != nil {
		d.sites.log.WarnContext(r.Context(), "demo: widget sign-in failed", "err", err)
		http.Error(w, "", http.StatusBadRequest)
		return
	}
	setCookie(w, site.Secure, "lintel-demo", d.sign(claims), 3600)
	w.WriteHeader(http.StatusNoContent)
}
