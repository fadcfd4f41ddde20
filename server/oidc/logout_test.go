package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// Post-logout redirect URIs of the "rp" app of tenant acme.
const (
	byeURI   = "https://rp.example.com/bye"
	byeQuery = "https://rp.example.com/bye?from=idp"
)

// logoutFixture is what every logout case builds on: an app that
// registers post-logout redirect URIs, and ID tokens issued at t0.
type logoutFixture struct {
	rp, web string // client IDs
	// hint is an ID token (RS256) of rp at acme; es256 and eddsa are ID
	// tokens of apps that registered those algorithms; foreign is one of
	// globex's app at globex; access is an access token of rp at acme.
	hint, es256, eddsa, foreign, access string
	sid                                 string // the sid claim of hint, "" if none
}

func newLogoutFixture(t *testing.T, w *world) logoutFixture {
	t.Helper()
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		a, secret, err := w.ten.CreateApp(ctx, tx, w.iss.TenantID, tenant.AppInput{Name: "RP", Type: tenant.AppWeb,
			RedirectURIs: []string{"https://rp.example.com/callback"}, PostLogoutRedirectURIs: []string{byeURI, byeQuery}})
		w.apps["rp"] = client{a, secret}
		if err != nil {
			return err
		}
		for _, alg := range []string{"ES256", "EdDSA"} {
			a, secret, err := w.ten.CreateApp(ctx, tx, w.iss.TenantID, tenant.AppInput{Name: "RP " + alg, Type: tenant.AppWeb,
				RedirectURIs: []string{"https://rp.example.com/callback"}, PostLogoutRedirectURIs: []string{byeURI}, IDTokenAlg: alg})
			if err != nil {
				return err
			}
			w.apps[alg] = client{a, secret}
		}
		return nil
	})
	own := w.tokens(t, w.iss, "rp", "openid profile")
	f := logoutFixture{
		rp: w.apps["rp"].ID, web: w.apps["web"].ID,
		hint: own["id_token"].(string), access: own["access_token"].(string),
		foreign: w.tokens(t, w.other, "web", "openid")["id_token"].(string),
		es256:   w.tokens(t, w.iss, "ES256", "openid")["id_token"].(string),
		eddsa:   w.tokens(t, w.iss, "EdDSA", "openid")["id_token"].(string),
	}
	for _, tc := range []struct{ token, alg string }{{f.hint, "RS256"}, {f.es256, "ES256"}, {f.eddsa, "EdDSA"}} {
		tok, _, err := jwt.NewParser().ParseUnverified(tc.token, jwt.MapClaims{})
		if err != nil || tok.Method.Alg() != tc.alg {
			t.Fatalf("fixture: an ID token signed with %v, want %s (%v)", tok.Method, tc.alg, err)
		}
	}
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(f.hint, &c); err != nil {
		t.Fatal(err)
	}
	f.sid, _ = c["sid"].(string)
	return f
}

// resign signs the claims of a real token with method and a key of the
// attacker's choosing, under the real kid.
func resign(t *testing.T, real string, method jwt.SigningMethod) string {
	t.Helper()
	var c jwt.MapClaims
	tok, _, err := jwt.NewParser().ParseUnverified(real, &c)
	if err != nil {
		t.Fatal(err)
	}
	var key any = []byte("a key the attacker chose")
	switch method {
	case jwt.SigningMethodES256:
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	case jwt.SigningMethodNone:
		key = jwt.UnsafeAllowNoneSignatureType
	}
	f := jwt.NewWithClaims(method, c)
	f.Header["kid"] = tok.Header["kid"]
	s, err := f.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// otherSubject changes the sub claim of a token, keeping its signature.
func otherSubject(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	c["sub"] = "usr_someone_else"
	if raw, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// badSignature changes the last byte of the token's signature.
func badSignature(token string) string {
	last := token[len(token)-2]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return token[:len(token)-2] + string(repl) + token[len(token)-1:]
}

// endSessionCase is a logout request and what ValidateEndSession says.
type endSessionCase struct {
	name   string
	params func(w *world, f logoutFixture) url.Values
	clock  time.Duration              // moved from t0 before validating
	iss    func(w *world) oidc.Issuer // nil: w.iss
	want   oidc.Error                 // zero: accepted, then check
	check  func(t *testing.T, f logoutFixture, req oidc.EndSessionRequest)
}

func TestValidateEndSession(t *testing.T) {
	type check = func(t *testing.T, f logoutFixture, req oidc.EndSessionRequest)
	accepted := func(client, uri, redirect string, hinted bool) check {
		return func(t *testing.T, f logoutFixture, req oidc.EndSessionRequest) {
			t.Helper()
			want := oidc.EndSessionRequest{ClientID: client, PostLogoutRedirectURI: uri, State: req.State, UILocales: req.UILocales}
			if hinted {
				want.HintSubject, want.HintSessionID = userID, f.sid
			}
			if req != want {
				t.Errorf("request %+v, want %+v", req, want)
			}
			if got := req.PostLogoutRedirect(); got != redirect {
				t.Errorf("PostLogoutRedirect() = %q, want %q", got, redirect)
			}
		}
	}
	cases := []endSessionCase{
		{
			name: "accepts a valid hint with a registered URI",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.hint}, "post_logout_redirect_uri": {byeURI}, "state": {"s 1"}}
			},
			check: accepted("rp", byeURI, byeURI+"?state=s+1", true),
		},
		{
			name: "accepts client_id with a hint addressed to it",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.hint}, "client_id": {f.rp}, "post_logout_redirect_uri": {byeURI}}
			},
			check: accepted("rp", byeURI, byeURI, true),
		},
		{
			name: "accepts client_id alone with a registered URI",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"client_id": {f.rp}, "post_logout_redirect_uri": {byeURI}, "ui_locales": {"ar"}, "logout_hint": {"ada"}}
			},
			check: accepted("rp", byeURI, byeURI, false),
		},
		{
			name:   "accepts a request without parameters",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{} },
			check:  accepted("", "", "", false),
		},
		{
			name:   "accepts a hint alone, taking the client from it",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {f.hint}} },
			check:  accepted("rp", "", "", true),
		},
		{
			name: "accepts an ES256 hint",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.es256}, "post_logout_redirect_uri": {byeURI}}
			},
			check: func(t *testing.T, f logoutFixture, req oidc.EndSessionRequest) {
				if req.ClientID == "" || req.PostLogoutRedirectURI != byeURI || req.HintSubject != userID {
					t.Errorf("request %+v", req)
				}
			},
		},
		{
			name: "accepts an EdDSA hint",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.eddsa}, "post_logout_redirect_uri": {byeURI}}
			},
			check: func(t *testing.T, f logoutFixture, req oidc.EndSessionRequest) {
				if req.ClientID == "" || req.PostLogoutRedirectURI != byeURI || req.HintSubject != userID {
					t.Errorf("request %+v", req)
				}
			},
		},
		{
			name: "appends state to a registered query",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"client_id": {f.rp}, "post_logout_redirect_uri": {byeQuery}, "state": {"x&y=z"}}
			},
			check: accepted("rp", byeQuery, byeQuery+"&state=x%26y%3Dz", false),
		},
		{
			name: "accepts an expired hint",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.hint}, "post_logout_redirect_uri": {byeURI}}
			},
			clock: 30 * 24 * time.Hour,
			check: accepted("rp", byeURI, byeURI, true),
		},
		{
			name:   "accepts a hint issued within the clock skew",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {f.hint}} },
			clock:  -4 * time.Minute,
			check:  accepted("rp", "", "", true),
		},
		{
			name:   "refuses a hint issued in the future",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {f.hint}} },
			clock:  -10 * time.Minute,
			want:   oidc.ErrInvalidRequest,
		},
		{
			name: "refuses an unregistered URI",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.hint}, "post_logout_redirect_uri": {"https://evil.example/bye"}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a redirect URI of the client's sign-in, not of logout",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"client_id": {f.rp}, "post_logout_redirect_uri": {"https://rp.example.com/callback"}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a URI that differs only in its query",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"client_id": {f.rp}, "post_logout_redirect_uri": {byeURI + "?from=elsewhere"}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name:   "refuses a URI without a client",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"post_logout_redirect_uri": {byeURI}} },
			want:   oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a hint of another tenant's issuer",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.foreign}, "post_logout_redirect_uri": {byeURI}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name:   "refuses a hint whose iss is another URL of the tenant",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {f.hint}} },
			iss: func(w *world) oidc.Issuer {
				iss := w.iss
				iss.URL = "https://login.acme.example/oauth2/default"
				return iss
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name:   "refuses a tampered signature",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {badSignature(f.hint)}} },
			want:   oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a tampered payload",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {otherSubject(t, f.hint)}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a hint signed with HMAC under a real kid",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {resign(t, f.hint, jwt.SigningMethodHS256)}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a hint whose alg is not its key's",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {resign(t, f.hint, jwt.SigningMethodES256)}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name: "refuses an unsigned hint",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {resign(t, f.hint, jwt.SigningMethodNone)}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name:   "refuses an access token as a hint",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {f.access}} },
			want:   oidc.ErrInvalidRequest,
		},
		{
			name:   "refuses a hint that is not a JWT",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"id_token_hint": {"not-a-jwt"}} },
			want:   oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a client_id that is not in the hint's aud",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"id_token_hint": {f.hint}, "client_id": {f.web}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name:   "refuses an unknown client",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"client_id": {"app_unknown"}} },
			want:   oidc.ErrInvalidClient,
		},
		{
			name: "refuses a client of another tenant",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"client_id": {w.apps["foreign"].ID}, "post_logout_redirect_uri": {"https://app.example.com/callback"}}
			},
			want: oidc.ErrInvalidClient,
		},
		{
			name:   "refuses a long state",
			params: func(w *world, f logoutFixture) url.Values { return url.Values{"state": {strings.Repeat("s", 2049)}} },
			want:   oidc.ErrInvalidRequest,
		},
		{
			name: "refuses a long logout_hint",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"logout_hint": {strings.Repeat("h", 513)}}
			},
			want: oidc.ErrInvalidRequest,
		},
		{
			name: "refuses an unknown authorization server",
			params: func(w *world, f logoutFixture) url.Values {
				return url.Values{"client_id": {f.rp}}
			},
			iss: func(w *world) oidc.Issuer {
				iss := w.iss
				iss.Server = "custom"
				return iss
			},
			want: oidc.ErrInvalidRequest,
		},
	}
	for _, param := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales", "logout_hint"} {
		cases = append(cases, endSessionCase{
			name: "refuses a repeated " + param,
			params: func(w *world, f logoutFixture) url.Values {
				q := url.Values{"id_token_hint": {f.hint}, "client_id": {f.rp}, "post_logout_redirect_uri": {byeURI},
					"state": {"s"}, "ui_locales": {"en"}, "logout_hint": {"h"}}
				q.Add(param, q.Get(param))
				return q
			},
			want: oidc.ErrInvalidRequest,
		})
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			f := newLogoutFixture(t, w)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					w.clk.Set(t0.Add(tc.clock))
					defer w.clk.Set(t0)
					iss := w.iss
					if tc.iss != nil {
						iss = tc.iss(w)
					}
					params := tc.params(w, f)
					req, e := w.p.ValidateEndSession(context.Background(), iss, params)
					if tc.want.Code != "" {
						if e == nil || !errors.Is(*e, tc.want) {
							t.Fatalf("got %+v, %v; want %s", req, e, tc.want.Code)
						}
						if e.Status < 400 || e.Status >= 500 {
							t.Errorf("status %d", e.Status)
						}
						if req != (oidc.EndSessionRequest{}) {
							t.Errorf("a refused request came back with %+v", req)
						}
						return
					}
					if e != nil {
						t.Fatalf("refused: %v", e)
					}
					if req.State != params.Get("state") || req.UILocales != params.Get("ui_locales") {
						t.Errorf("state %q ui_locales %q", req.State, req.UILocales)
					}
					// The table names the client "rp" for the fixture's ID.
					if req.ClientID == f.rp {
						req.ClientID = "rp"
					}
					tc.check(t, f, req)
				})
			}
		})
	}
}

// TestValidateEndSessionReportsStoreFailures checks that a store that
// cannot be read gives server_error, not a verdict on the hint.
func TestValidateEndSessionReportsStoreFailures(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	f := newLogoutFixture(t, w)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := w.provider(t, w.st) // a node that has cached no keys
	_, e := p.ValidateEndSession(ctx, w.iss, url.Values{"id_token_hint": {f.hint}})
	if e == nil || !errors.Is(*e, oidc.ErrServerError) || e.Status != http.StatusInternalServerError {
		t.Fatalf("got %v, want server_error", e)
	}
}

func ExampleEndSessionRequest_PostLogoutRedirect() {
	req := oidc.EndSessionRequest{ClientID: "app_1", PostLogoutRedirectURI: "https://app.example.com/bye?from=idp", State: "af0ifjsldkj"}
	fmt.Println(req.PostLogoutRedirect())
	fmt.Printf("%q\n", oidc.EndSessionRequest{State: "af0ifjsldkj"}.PostLogoutRedirect())
	// Output:
	// https://app.example.com/bye?from=idp&state=af0ifjsldkj
	// ""
}
