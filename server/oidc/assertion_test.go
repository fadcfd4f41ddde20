package oidc_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// assertionType is the client_assertion_type of RFC 7523 §2.2.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientKey is a key a private_key_jwt client signs assertions with.
type clientKey struct {
	kid    string
	method jwt.SigningMethod
	signer crypto.Signer
}

// clientKeys are the client keys of the tests, by name, made once.
var clientKeys = sync.OnceValue(func() map[string]clientKey {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	es := func(kid string) clientKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		return clientKey{kid: kid, method: jwt.SigningMethodES256, signer: k}
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	return map[string]clientKey{
		"es": es("es-1"),
		// stranger has the kid of "es" but is another key.
		"stranger": es("es-1"),
		"es2":      es("es-2"),
		"es3":      es("es-3"),
		"rsa":      {kid: "rsa-1", method: jwt.SigningMethodRS256, signer: rk},
		"ed":       {kid: "ed-1", method: jwt.SigningMethodEdDSA, signer: ek},
	}
})

func key(name string) clientKey { return clientKeys()[name] }

// jwksOf is the JWK Set of the public halves of keys.
func jwksOf(keys ...clientKey) string {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.signer.Public(), KeyID: k.kid, Algorithm: k.method.Alg(), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sign signs claims with k; header, when set, edits the header first.
func (k clientKey) sign(t testing.TB, claims jwt.MapClaims, header func(h map[string]any)) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.method, claims)
	tok.Header["kid"] = k.kid
	if header != nil {
		header(tok.Header)
	}
	s, err := tok.SignedString(k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertionClaims are the claims of a valid assertion of app for iss.
func (w *world) assertionClaims(app string, iss oidc.Issuer) jwt.MapClaims {
	id, now := w.apps[app].ID, w.clk.Now()
	return jwt.MapClaims{"iss": id, "sub": id, "aud": iss.URL, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "jti": rand.Text()}
}

// withAssertion authenticates form by assertion.
func withAssertion(form url.Values, assertion string) url.Values {
	form.Set("client_assertion_type", assertionType)
	form.Set("client_assertion", assertion)
	return form
}

// keyApps are the private_key_jwt apps of acme and the key each signs
// with.
var keyApps = map[string]string{"jwt-es": "es", "jwt-rsa": "rsa", "jwt-ed": "ed", "jwt-web": "es"}

// addKeyApps adds the service apps of keyApps, each registering its key
// inline, and "jwt-web", a web app that signs with the ES256 key.
func (w *world) addKeyApps(t testing.TB) {
	t.Helper()
	for app, k := range keyApps {
		in := tenant.AppInput{Name: app, Type: tenant.AppService, TokenEndpointAuthMethod: tenant.AuthPrivateKeyJWT, JWKS: jwksOf(key(k))}
		if app == "jwt-web" {
			in.Type, in.RedirectURIs = tenant.AppWeb, []string{"https://jwtweb.example.com/cb"}
		}
		w.addApp(t, w.iss.TenantID, app, in)
	}
}

// assertionReq is a token request authenticated by a client assertion:
// client_credentials unless code, signed by the app's key unless key
// names another; claims, header and form edit what is sent; raw, when
// set, replaces the signed assertion; sign, when set, signs instead.
type assertionReq struct {
	app, key string
	code     bool
	claims   func(w *world, c jwt.MapClaims)
	header   func(h map[string]any)
	sign     func(t *testing.T, c jwt.MapClaims) string
	raw      string
	form     func(w *world, f url.Values, h http.Header)
}

func (a assertionReq) setup(t *testing.T, w *world) (url.Values, http.Header) {
	app := a.app
	if app == "" {
		app = "jwt-es"
	}
	k := key(keyApps[app])
	if a.key != "" {
		k = key(a.key)
	}
	c := w.assertionClaims(app, w.iss)
	if a.claims != nil {
		a.claims(w, c)
	}
	raw := a.raw
	switch {
	case raw != "":
	case a.sign != nil:
		raw = a.sign(t, c)
	default:
		raw = k.sign(t, c, a.header)
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if a.code {
		req, code := w.code(t, w.iss, w.authQuery(app))
		form = w.tokenForm(app, code, req)
	}
	withAssertion(form, raw)
	h := http.Header{}
	if a.form != nil {
		a.form(w, form, h)
	}
	return form, h
}

var assertionCases = []tokenCase{
	{name: "authenticates a client by an ES256 assertion", status: 200, setup: assertionReq{app: "jwt-es"}.setup},
	{name: "authenticates a client by an RS256 assertion", status: 200, setup: assertionReq{app: "jwt-rsa"}.setup},
	{name: "authenticates a client by an EdDSA assertion", status: 200, setup: assertionReq{app: "jwt-ed"}.setup},
	{name: "redeems a code with private_key_jwt", status: 200, setup: assertionReq{app: "jwt-web", code: true}.setup},
	{name: "accepts an assertion without a kid when one key fits", status: 200,
		setup: assertionReq{header: func(h map[string]any) { delete(h, "kid") }}.setup},
	{name: "accepts an audience list that holds the issuer", status: 200,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["aud"] = []string{"https://rs.example.com", w.iss.URL} }}.setup},
	{name: "accepts the client_id next to the assertion", status: 200,
		setup: assertionReq{form: func(w *world, f url.Values, _ http.Header) { f.Set("client_id", w.apps["jwt-es"].ID) }}.setup},
	{name: "accepts an iat within the clock skew", status: 200,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["iat"] = w.clk.Now().Add(30 * time.Second).Unix() }}.setup},
	{name: "accepts an exp exactly an hour ahead", status: 200,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["exp"] = w.clk.Now().Add(time.Hour).Unix() }}.setup},

	{name: "refuses an assertion signed by an unknown key", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{key: "stranger"}.setup},
	{name: "refuses an assertion naming an unknown kid", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{header: func(h map[string]any) { h["kid"] = "es-9" }}.setup},
	{name: "refuses an assertion signed with another client's key", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{key: "rsa"}.setup},
	{name: "refuses an assertion with a bad signature", status: 401, want: oidc.ErrInvalidClient,
		setup: func(t *testing.T, w *world) (url.Values, http.Header) {
			form, h := assertionReq{}.setup(t, w)
			s := form.Get("client_assertion")
			i := strings.LastIndex(s, ".") + 1
			c := byte('A')
			if s[i] == c {
				c = 'B'
			}
			form.Set("client_assertion", s[:i]+string(c)+s[i+1:])
			return form, h
		}},
	{name: "refuses the token endpoint URL as audience", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["aud"] = w.iss.URL + oidc.PathToken }}.setup},
	{name: "refuses another tenant's issuer as audience", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["aud"] = w.other.URL }}.setup},
	{name: "refuses an assertion without aud", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(_ *world, c jwt.MapClaims) { delete(c, "aud") }}.setup},
	{name: "refuses an assertion without exp", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(_ *world, c jwt.MapClaims) { delete(c, "exp") }}.setup},
	{name: "refuses an expired assertion", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["exp"] = w.clk.Now().Add(-2 * time.Minute).Unix() }}.setup},
	{name: "refuses an exp more than an hour ahead", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["exp"] = w.clk.Now().Add(time.Hour + time.Second).Unix() }}.setup},
	{name: "refuses an iat in the future", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["iat"] = w.clk.Now().Add(2 * time.Minute).Unix() }}.setup},
	{name: "refuses an nbf in the future", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["nbf"] = w.clk.Now().Add(2 * time.Minute).Unix() }}.setup},
	{name: "refuses an assertion without jti", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(_ *world, c jwt.MapClaims) { delete(c, "jti") }}.setup},
	{name: "refuses a jti longer than 256 characters", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(_ *world, c jwt.MapClaims) { c["jti"] = strings.Repeat("j", 257) }}.setup},
	{name: "refuses an iss other than the sub", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["iss"] = w.apps["jwt-rsa"].ID }}.setup},
	{name: "refuses an assertion without iss and sub", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(_ *world, c jwt.MapClaims) { delete(c, "iss"); delete(c, "sub") }}.setup},
	{name: "refuses an assertion of a client registered for client_secret", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{claims: func(w *world, c jwt.MapClaims) { c["iss"], c["sub"] = w.apps["service"].ID, w.apps["service"].ID }}.setup},
	{name: "refuses alg none", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{sign: func(t *testing.T, c jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}}.setup},
	{name: "refuses HS256", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{sign: func(t *testing.T, c jwt.MapClaims) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
			tok.Header["kid"] = "es-1"
			s, err := tok.SignedString([]byte("a shared secret of thirty-two bytes"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}}.setup},
	{name: "refuses a client_assertion that is not a JWT", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{raw: "not-a-jwt"}.setup},
	{name: "refuses a client_assertion of three garbage segments", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{raw: "bm9wZQ.bm9wZQ.bm9wZQ"}.setup},
	{name: "refuses an oversized client_assertion", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{raw: strings.Repeat("a", 9<<10)}.setup},
	{name: "refuses a wrong client_assertion_type", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{form: func(_ *world, f url.Values, _ http.Header) {
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		}}.setup},
	{name: "refuses an assertion without client_assertion_type", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{form: func(_ *world, f url.Values, _ http.Header) { f.Del("client_assertion_type") }}.setup},
	{name: "refuses client_assertion_type without an assertion", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{form: func(_ *world, f url.Values, _ http.Header) { f.Del("client_assertion") }}.setup},
	{name: "refuses a client_id that is not the assertion's subject", status: 401, want: oidc.ErrInvalidClient,
		setup: assertionReq{form: func(w *world, f url.Values, _ http.Header) { f.Set("client_id", w.apps["jwt-rsa"].ID) }}.setup},
	{name: "refuses a replayed assertion", status: 401, want: oidc.ErrInvalidClient,
		setup: func(t *testing.T, w *world) (url.Values, http.Header) {
			form, h := assertionReq{}.setup(t, w)
			checkTokenResponse(t, w, w.post(w.iss, form, h), 200, oidc.Error{})
			return form, h
		}},
	{name: "refuses an assertion replayed at another node", status: 401, want: oidc.ErrInvalidClient,
		setup: func(t *testing.T, w *world) (url.Values, http.Header) {
			form, h := assertionReq{}.setup(t, w)
			rec := w.send(w.provider(t, w.st).Token(), w.iss, oidc.PathToken, form, h)
			checkTokenResponse(t, w, rec, 200, oidc.Error{})
			return form, h
		}},
	{name: "refuses a private_key_jwt client sending a secret", status: 401, want: oidc.ErrInvalidClient,
		setup: func(_ *testing.T, w *world) (url.Values, http.Header) {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {w.apps["jwt-es"].ID}, "client_secret": {"lsec_anything"}}, nil
		}},
	{name: "refuses a private_key_jwt client sending only its client_id", status: 401, want: oidc.ErrInvalidClient,
		setup: func(_ *testing.T, w *world) (url.Values, http.Header) {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {w.apps["jwt-es"].ID}}, nil
		}},
	{name: "refuses a client_secret together with an assertion", status: 400, want: oidc.ErrInvalidRequest,
		setup: assertionReq{form: func(_ *world, f url.Values, _ http.Header) { f.Set("client_secret", "lsec_anything") }}.setup},
	{name: "refuses Basic credentials together with an assertion", status: 400, want: oidc.ErrInvalidRequest,
		setup: assertionReq{form: func(w *world, _ url.Values, h http.Header) {
			h.Set("Authorization", basic(w.apps["service"].ID, w.apps["service"].secret))
		}}.setup},
}

func TestPrivateKeyJWT(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.addKeyApps(t)
			for _, tc := range assertionCases {
				t.Run(tc.name, func(t *testing.T) {
					form, h := tc.setup(t, w)
					checkTokenResponse(t, w, w.post(w.iss, form, h), tc.status, tc.want)
				})
			}
		})
	}
}

// jwksServer serves a client's jwks_uri over TLS on loopback and counts
// the fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	status  int
	body    string
	fetches int
}

func newJWKSServer(t *testing.T, keys ...clientKey) *jwksServer {
	s := &jwksServer{status: http.StatusOK, body: jwksOf(keys...)}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fetches++
		rw.Header().Set("Content-Type", "application/jwk-set+json")
		rw.WriteHeader(s.status)
		_, _ = rw.Write([]byte(s.body))
	}))
	t.Cleanup(s.Close)
	return s
}

// serve makes the server answer status and the JWK Set of keys.
func (s *jwksServer) serve(status int, keys ...clientKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, jwksOf(keys...)
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// egressClient is an egress client that trusts srv's certificate and,
// with loopback, may dial 127.0.0.0/8 (as tests must).
func egressClient(srv *httptest.Server, loopback bool) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	o := egress.Options{TLS: &tls.Config{RootCAs: roots}}
	if loopback {
		o.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	return egress.New(o).Client()
}

// providerWith returns another provider over w's store that fetches
// jwks_uri with httpc (nil: none).
func (w *world) providerWith(t *testing.T, httpc *http.Client) *oidc.Provider {
	t.Helper()
	saved := w.httpc
	defer func() { w.httpc = saved }()
	w.httpc = httpc
	return w.provider(t, w.st)
}

// TestPrivateKeyJWTFromJWKSURI runs a client that publishes its keys at a
// jwks_uri through key rotation and failures. Steps run in order: each
// starts where the last left the client's server, the clock and the
// providers' caches.
func TestPrivateKeyJWTFromJWKSURI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			srv := newJWKSServer(t, key("es"))
			w.addApp(t, w.iss.TenantID, "jwt-uri", tenant.AppInput{Name: "JWKS URI", Type: tenant.AppService,
				TokenEndpointAuthMethod: tenant.AuthPrivateKeyJWT, JWKSURI: srv.URL + "/jwks"})
			providers := map[string]*oidc.Provider{
				"egress":   w.providerWith(t, egressClient(srv.Server, true)),
				"closed":   w.providerWith(t, egressClient(srv.Server, false)),
				"no-httpc": w.providerWith(t, nil),
			}
			const refetch = 30*time.Second + time.Second // past the least time between fetches
			for _, tc := range []struct {
				name     string
				before   func()
				provider string // "egress" when empty
				key      string
				status   int
				want     oidc.Error
				fetched  int // fetches of the jwks_uri the step makes
			}{
				{name: "fetches the client's keys from its jwks_uri through the egress client", key: "es", status: 200, fetched: 1},
				{name: "uses the fetched keys for the next assertion", key: "es", status: 200, fetched: 0},
				{name: "refuses a key the client never published under a known kid", key: "stranger",
					status: 401, want: oidc.ErrInvalidClient, fetched: 0},
				{name: "does not refetch for an unknown kid within the refetch interval", key: "es2",
					before: func() { srv.serve(200, key("es2")) }, status: 401, want: oidc.ErrInvalidClient, fetched: 0},
				{name: "refetches on an unknown kid once the client rotated its key", key: "es2",
					before: func() { w.clk.Advance(refetch) }, status: 200, fetched: 1},
				{name: "refuses the key the client retired", key: "es", status: 401, want: oidc.ErrInvalidClient, fetched: 0},
				{name: "refetches a rotated set after the interval", key: "es3",
					before: func() { srv.serve(200, key("es2"), key("es3")); w.clk.Advance(refetch) }, status: 200, fetched: 1},
				{name: "refetches a set once it is stale", key: "es2",
					before: func() { w.clk.Advance(5*time.Minute + time.Second) }, status: 200, fetched: 1},
				{name: "refuses assertions while the jwks_uri fails", key: "es2",
					before: func() { srv.serve(500); w.clk.Advance(5*time.Minute + time.Second) },
					status: 401, want: oidc.ErrInvalidClient, fetched: 1},
				{name: "does not fetch a failing jwks_uri again for every assertion", key: "es2",
					status: 401, want: oidc.ErrInvalidClient, fetched: 0},
				{name: "refuses a jwks_uri on loopback without the egress allowlist", key: "es2", provider: "closed",
					before: func() { srv.serve(200, key("es2")) }, status: 401, want: oidc.ErrInvalidClient, fetched: 0},
				{name: "refuses a jwks_uri client when the provider has no HTTP client", key: "es2", provider: "no-httpc",
					status: 401, want: oidc.ErrInvalidClient, fetched: 0},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if tc.before != nil {
						tc.before()
					}
					before := srv.count()
					p := providers[tc.provider]
					if tc.provider == "" {
						p = providers["egress"]
					}
					form := url.Values{"grant_type": {"client_credentials"}}
					withAssertion(form, key(tc.key).sign(t, w.assertionClaims("jwt-uri", w.iss), nil))
					rec := w.send(p.Token(), w.iss, oidc.PathToken, form, nil)
					checkTokenResponse(t, w, rec, tc.status, tc.want)
					if n := srv.count() - before; n != tc.fetched {
						t.Errorf("%d fetches of the jwks_uri, want %d", n, tc.fetched)
					}
				})
			}
		})
	}
}
