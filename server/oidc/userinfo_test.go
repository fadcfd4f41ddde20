package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// tokens redeems a code of app at iss for scope and returns the token
// response.
func (w *world) tokens(t *testing.T, iss oidc.Issuer, app, scope string) map[string]any {
	t.Helper()
	q := w.authQuery(app)
	q.Set("scope", scope)
	if iss.TenantID == w.other.TenantID {
		q.Set("client_id", w.apps["foreign"].ID)
		app = "foreign"
	}
	req, code := w.code(t, iss, q)
	form := w.tokenForm(app, code, req)
	rec := w.post(iss, form, w.auth(form, app))
	if rec.Code != http.StatusOK {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var resp map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

// userinfo calls the userinfo handler for iss.
func (w *world) userinfo(iss oidc.Issuer, method, authorization string, form url.Values) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, iss.URL+oidc.PathUserInfo, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, iss.URL+oidc.PathUserInfo, nil)
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	w.p.UserInfo().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	return rec
}

func TestUserInfo(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			full := w.tokens(t, w.iss, "web", "openid profile email")
			at := full["access_token"].(string)
			bare := w.tokens(t, w.iss, "spa", "openid")["access_token"].(string)
			foreign := w.tokens(t, w.other, "web", "openid email")["access_token"].(string)
			for _, tc := range []struct {
				name      string
				method    string
				auth      string
				form      url.Values
				advance   time.Duration
				status    int
				wantError string // "" for success; "-" for a bare challenge
				want      map[string]any
			}{
				{name: "answers the claims the scope grants", method: "GET", auth: "Bearer " + at, status: 200,
					want: map[string]any{"sub": userID, "email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace",
						"locale": "en-GB", "updated_at": float64(t0.Add(-24 * time.Hour).Unix())}},
				{name: "answers only sub for the openid scope alone", method: "GET", auth: "Bearer " + bare, status: 200,
					want: map[string]any{"sub": userID}},
				{name: "accepts POST with the token in the header", method: "POST", auth: "Bearer " + at, form: url.Values{}, status: 200},
				{name: "accepts the token in a POST form", method: "POST", form: url.Values{"access_token": {at}}, status: 200},
				{name: "accepts a lowercase bearer scheme", method: "GET", auth: "bearer " + at, status: 200},
				{name: "refuses an expired token", method: "GET", auth: "Bearer " + at, advance: oidc.AccessTokenLifetime + time.Second,
					status: 401, wantError: "invalid_token"},
				{name: "refuses a garbage token", method: "GET", auth: "Bearer not.a.jwt", status: 401, wantError: "invalid_token"},
				{name: "refuses an ID token", method: "GET", auth: "Bearer " + full["id_token"].(string), status: 401, wantError: "invalid_token"},
				{name: "refuses a token of another tenant", method: "GET", auth: "Bearer " + foreign, status: 401, wantError: "invalid_token"},
				{name: "refuses a token signed by an unknown key", method: "GET", auth: "Bearer " + forged(t, w, at), status: 401, wantError: "invalid_token"},
				{name: "refuses a tampered token", method: "GET", auth: "Bearer " + tamper(at), status: 401, wantError: "invalid_token"},
				{name: "challenges a request without a token", method: "GET", status: 401, wantError: "-"},
				{name: "refuses another authentication scheme", method: "GET", auth: "Basic YTpi", status: 400, wantError: "invalid_request"},
				{name: "refuses a token sent twice", method: "POST", auth: "Bearer " + at, form: url.Values{"access_token": {at}}, status: 400, wantError: "invalid_request"},
				{name: "refuses DELETE", method: "DELETE", auth: "Bearer " + at, status: 405},
			} {
				t.Run(tc.name, func(t *testing.T) {
					w.clk.Set(t0.Add(tc.advance))
					defer w.clk.Set(t0)
					rec := w.userinfo(w.iss, tc.method, tc.auth, tc.form)
					if rec.Code != tc.status {
						t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
					}
					if rec.Header().Get("Cache-Control") != "no-store" {
						t.Error("userinfo response may be cached")
					}
					challenge := rec.Header().Get("WWW-Authenticate")
					switch tc.wantError {
					case "":
					case "-":
						if !strings.HasPrefix(challenge, "Bearer realm=") || strings.Contains(challenge, "error=") {
							t.Errorf("challenge %q, want a bare Bearer challenge", challenge)
						}
					default:
						if !strings.HasPrefix(challenge, "Bearer realm=") || !strings.Contains(challenge, `error="`+tc.wantError+`"`) {
							t.Errorf("challenge %q, want error %s", challenge, tc.wantError)
						}
					}
					if tc.want != nil {
						var got map[string]any
						if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
							t.Fatal(err)
						}
						if len(got) != len(tc.want) {
							t.Errorf("claims %v, want %v", got, tc.want)
						}
						for k, v := range tc.want {
							if got[k] != v {
								t.Errorf("%s = %v, want %v", k, got[k], v)
							}
						}
					}
				})
			}
		})
	}
}

// forged re-signs the claims of a real access token with a fresh key under
// the same kid.
func forged(t *testing.T, w *world, real string) string {
	t.Helper()
	var c jwt.MapClaims
	tok, _, err := jwt.NewParser().ParseUnverified(real, &c)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	f.Header["kid"], f.Header["typ"] = tok.Header["kid"], "at+jwt"
	s, err := f.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamper changes the token's payload, keeping its signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	parts[1] = parts[1][:len(parts[1])-2] + "AA"
	return strings.Join(parts, ".")
}
