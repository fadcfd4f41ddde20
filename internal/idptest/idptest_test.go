package idptest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/idptest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const redirect = "https://rp.example/callback"

// verifier is the PKCE verifier of every request here.
const verifier = "0123456789012345678901234567890123456789abc"

// challenge is verifier's S256 challenge.
func challenge() string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authURL is the authorization endpoint of p's kind.
func authURL(p *idptest.Provider) string {
	switch p.Kind {
	case idptest.Microsoft:
		return p.URL + "/" + p.MicrosoftTenant + "/oauth2/v2.0/authorize"
	case idptest.OIDC, idptest.Google, idptest.LinkedIn, idptest.Apple:
		return p.URL + "/authorize"
	}
	return p.AuthorizationURL
}

// tokenURL is the token endpoint of p's kind.
func tokenURL(p *idptest.Provider) string {
	switch p.Kind {
	case idptest.Microsoft:
		return p.URL + "/" + p.MicrosoftTenant + "/oauth2/v2.0/token"
	case idptest.OIDC, idptest.Google, idptest.LinkedIn, idptest.Apple:
		return p.URL + "/token"
	}
	return p.TokenURL
}

// authorize builds an authorization request with q over the defaults
// ("" removes a parameter).
func authorize(p *idptest.Provider, q url.Values) string {
	v := url.Values{
		"client_id": {p.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"st"},
		"code_challenge": {challenge()}, "code_challenge_method": {"S256"}, "nonce": {"n-1"},
		"scope": {"openid email"},
	}
	if p.Kind == idptest.Apple {
		v.Set("scope", "name email")
		v.Set("response_mode", "form_post")
	}
	for k, vs := range q {
		v[k] = vs
		if len(vs) == 1 && vs[0] == "" {
			delete(v, k)
		}
	}
	return authURL(p) + "?" + v.Encode()
}

// status returns the status of an authorization request with q.
func status(t *testing.T, p *idptest.Provider, q url.Values) int {
	t.Helper()
	resp, err := p.Client().Get(authorize(p, q))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// callback signs in with the default request and returns the callback's
// parameters.
func callback(t *testing.T, p *idptest.Provider) url.Values {
	t.Helper()
	cb, params, err := p.SignIn(authorize(p, nil))
	if err != nil || cb != redirect {
		t.Fatalf("sign-in: %q %v", cb, err)
	}
	return params
}

// code signs in and returns a fresh code.
func code(t *testing.T, p *idptest.Provider) string {
	t.Helper()
	params := callback(t, p)
	if params.Get("code") == "" {
		t.Fatalf("no code: %v", params)
	}
	return params.Get("code")
}

// token posts form to p's token endpoint, with Basic credentials when
// basic, and returns the status and JSON answer.
func token(t *testing.T, p *idptest.Provider, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tokenURL(p), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		req.SetBasicAuth(p.ClientID, p.ClientSecret)
	}
	resp, err := p.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// redeem is the token request for c with the right verifier, in the body.
func redeem(p *idptest.Provider, c string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect},
		"code_verifier": {verifier}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret}}
}

func TestAuthorizeChecks(t *testing.T) {
	for _, kind := range []string{idptest.OIDC, idptest.OAuth2, idptest.Google, idptest.Microsoft, idptest.Apple, idptest.Facebook, idptest.LinkedIn, idptest.GitHub} {
		t.Run(kind, func(t *testing.T) {
			p := idptest.New(t, kind, idptest.Options{RedirectURI: redirect})
			for name, q := range map[string]url.Values{
				"another client":       {"client_id": {"other"}},
				"another redirect URI": {"redirect_uri": {"https://evil.example/cb"}},
				"no PKCE":              {"code_challenge": {""}},
				"plain PKCE":           {"code_challenge_method": {"plain"}},
				"an implicit flow":     {"response_type": {"token"}},
			} {
				if got := status(t, p, q); got != http.StatusBadRequest {
					t.Errorf("%s: status %d, want 400", name, got)
				}
			}
			if params := callback(t, p); params.Get("code") == "" || params.Get("state") != "st" {
				t.Errorf("a good request: %v", params)
			}
			p.Deny()
			params := callback(t, p)
			if params.Get("error") == "" || params.Get("code") != "" || params.Get("state") != "st" {
				t.Errorf("after Deny: %v", params)
			}
		})
	}

	t.Run("apple requires form_post for name and email", func(t *testing.T) {
		p := idptest.New(t, idptest.Apple, idptest.Options{})
		if got := status(t, p, url.Values{"response_mode": {""}}); got != http.StatusBadRequest {
			t.Errorf("status %d, want 400", got)
		}
	})
}

func TestTokenChecks(t *testing.T) {
	p := idptest.New(t, idptest.OIDC, idptest.Options{})
	c := code(t, p)
	if got, out := token(t, p, url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}, "code_verifier": {"wrong" + verifier[5:]}}, true); got != 400 || out["error"] != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v", got, out)
	}
	if got, out := token(t, p, redeem(p, c), false); got != 400 || out["error"] != "invalid_grant" {
		t.Errorf("a code tried once already: %d %v", got, out)
	}
	c = code(t, p)
	form := redeem(p, c)
	form.Set("redirect_uri", "https://rp.example/other")
	if got, out := token(t, p, form, false); got != 400 || out["error"] != "invalid_grant" {
		t.Errorf("another redirect URI: %d %v", got, out)
	}
	c = code(t, p)
	form = redeem(p, c)
	form.Set("client_secret", "wrong")
	if got, out := token(t, p, form, false); got != 401 || out["error"] != "invalid_client" {
		t.Errorf("a wrong secret: %d %v", got, out)
	}
	c = code(t, p)
	if got, out := token(t, p, redeem(p, c), false); got != 200 || out["id_token"] == nil || out["access_token"] == nil {
		t.Errorf("a good request: %d %v", got, out)
	}
}

func TestLinkedInRefusesBasic(t *testing.T) {
	p := idptest.New(t, idptest.LinkedIn, idptest.Options{})
	form := redeem(p, code(t, p))
	form.Del("client_id")
	form.Del("client_secret")
	if got, out := token(t, p, form, true); got != 401 || out["error"] != "invalid_client" {
		t.Errorf("Basic: %d %v", got, out)
	}
	if got, _ := token(t, p, redeem(p, code(t, p)), false); got != 200 {
		t.Errorf("the body: %d", got)
	}
}

func TestAppleClientSecret(t *testing.T) {
	clk := clock.NewFake(t0)
	p := idptest.New(t, idptest.Apple, idptest.Options{Clock: clk})
	block, _ := pem.Decode([]byte(p.Secret))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	secret := func(edit func(c jwt.MapClaims, h map[string]any)) string {
		c := jwt.MapClaims{"iss": p.AppleTeamID, "sub": p.ClientID, "aud": p.URL, "iat": t0.Unix(), "exp": t0.Add(5 * time.Minute).Unix()}
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
		tok.Header["kid"] = p.AppleKeyID
		if edit != nil {
			edit(c, tok.Header)
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name   string
		secret string
		want   int
	}{
		{"a good secret", secret(nil), 200},
		{"another kid", secret(func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "OTHER" }), 401},
		{"another team", secret(func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "OTHER" }), 401},
		{"another client", secret(func(c jwt.MapClaims, _ map[string]any) { c["sub"] = "other" }), 401},
		{"another audience", secret(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "https://appleid.apple.com" }), 401},
		{"expired", secret(func(c jwt.MapClaims, _ map[string]any) { c["exp"] = t0.Add(-time.Minute).Unix() }), 401},
		{"living a year", secret(func(c jwt.MapClaims, _ map[string]any) { c["exp"] = t0.AddDate(1, 0, 0).Unix() }), 401},
		{"a plain secret", "secret", 401},
	}
	for _, tt := range tests {
		form := redeem(p, code(t, p))
		form.Set("client_secret", tt.secret)
		if got, out := token(t, p, form, false); got != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, got, out, tt.want)
		}
	}
}

func TestFacebookAppsecretProof(t *testing.T) {
	p := idptest.New(t, idptest.Facebook, idptest.Options{})
	_, out := token(t, p, redeem(p, code(t, p)), false)
	at, _ := out["access_token"].(string)
	me := func(proof string) int {
		req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL+"?fields=id,email&appsecret_proof="+proof, nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := p.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := me(""); got != 400 {
		t.Errorf("without the proof: %d", got)
	}
	if got := me(strings.Repeat("00", 32)); got != 400 {
		t.Errorf("a wrong proof: %d", got)
	}
	m := hmac.New(sha256.New, []byte(p.ClientSecret))
	m.Write([]byte(at))
	if got := me(hex.EncodeToString(m.Sum(nil))); got != 200 {
		t.Errorf("the right proof: %d", got)
	}
}

func TestIDTokensVerify(t *testing.T) {
	clk := clock.NewFake(t0)
	p := idptest.New(t, idptest.Google, idptest.Options{Clock: clk})
	ctx := oidc.ClientContext(context.Background(), p.Client())
	provider, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	_, out := token(t, p, redeem(p, code(t, p)), false)
	raw, _ := out["id_token"].(string)
	tok, err := provider.VerifierContext(ctx, &oidc.Config{ClientID: p.ClientID, Now: clk.Now}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Nonce != "n-1" || tok.Subject != "user-1" {
		t.Errorf("token nonce %q sub %q", tok.Nonce, tok.Subject)
	}
}
