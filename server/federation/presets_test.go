package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// claimsOf parses a JSON object as the client does (numbers as
// json.Number).
func claimsOf(t testing.TB, s string) map[string]any {
	t.Helper()
	m, err := parseJSONObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPresetsIdentify(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		config Config
		claims string
		want   identity
		err    error
	}{
		{"oidc: email_verified true", KindOIDC, Config{}, `{"sub":"a","email":"a@x.example","email_verified":true}`, identity{"a", "a@x.example", true}, nil},
		{"oidc: email_verified \"true\" is not true", KindOIDC, Config{}, `{"sub":"a","email":"a@x.example","email_verified":"true"}`, identity{"a", "a@x.example", false}, nil},
		{"oauth2: sub before id", KindOAuth2, Config{}, `{"sub":"s","id":7}`, identity{subject: "s"}, nil},
		{"oauth2: id when sub is missing", KindOAuth2, Config{}, `{"id":12345678901234567890}`, identity{subject: "12345678901234567890"}, nil},
		{"oauth2: an id with an exponent is written out", KindOAuth2, Config{}, `{"id":1.5e3}`, identity{subject: "1500"}, nil},
		{"oauth2: a configured subject claim", KindOAuth2, Config{SubjectClaim: "user_id"}, `{"sub":"s","user_id":"u"}`, identity{subject: "u"}, nil},
		{"oauth2: a configured subject claim that is missing", KindOAuth2, Config{SubjectClaim: "user_id"}, `{"sub":"s"}`, identity{}, nil},
		{"oauth2: an object is no subject", KindOAuth2, Config{}, `{"id":{"a":1}}`, identity{}, nil},
		{"oauth2: email verified by the configured member", KindOAuth2, Config{EmailVerifiedClaim: "verified"}, `{"id":1,"email":"e@x.example","verified":true}`, identity{"1", "e@x.example", true}, nil},
		{"oauth2: the configured member must be JSON true", KindOAuth2, Config{EmailVerifiedClaim: "verified"}, `{"id":1,"email":"e@x.example","verified":"true"}`, identity{"1", "e@x.example", false}, nil},
		{"oauth2: without a configured member, never verified", KindOAuth2, Config{}, `{"id":1,"email":"e@x.example","email_verified":true}`, identity{"1", "e@x.example", false}, nil},
		{"apple: the string true", KindApple, Config{}, `{"sub":"a","email":"a@x.example","email_verified":"true"}`, identity{"a", "a@x.example", true}, nil},
		{"apple: the boolean true", KindApple, Config{}, `{"sub":"a","email":"a@x.example","email_verified":true}`, identity{"a", "a@x.example", true}, nil},
		{"apple: the string false", KindApple, Config{}, `{"sub":"a","email":"a@x.example","email_verified":"false"}`, identity{"a", "a@x.example", false}, nil},
		{"microsoft: tid/oid, lowercased", KindMicrosoft, Config{}, `{"sub":"pairwise","tid":"AAAAAAAA-0000-0000-0000-000000000001","oid":"bbbbbbbb-0000-0000-0000-000000000002","email":"e@x.example","email_verified":true,"xms_edov":true}`,
			identity{"aaaaaaaa-0000-0000-0000-000000000001/bbbbbbbb-0000-0000-0000-000000000002", "e@x.example", false}, nil},
		{"microsoft: no oid", KindMicrosoft, Config{}, `{"sub":"pairwise","tid":"aaaaaaaa-0000-0000-0000-000000000001","email":"e@x.example"}`, identity{}, ErrInvalid},
		{"microsoft: a tid that is no GUID", KindMicrosoft, Config{}, `{"tid":"contoso/../x","oid":"bbbbbbbb-0000-0000-0000-000000000002"}`, identity{}, ErrInvalid},
		{"facebook: a string id, never verified", KindFacebook, Config{}, `{"id":"10158","email":"f@x.example","email_verified":true}`, identity{"10158", "f@x.example", false}, nil},
		{"github: the numeric id", KindGitHub, Config{}, `{"id":583231,"login":"octocat","email":"p@x.example","email_verified":true}`, identity{"583231", "p@x.example", true}, nil},
		{"github: a string id is refused", KindGitHub, Config{}, `{"id":"583231"}`, identity{}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := presets[tt.kind].identify(tt.config, claimsOf(t, tt.claims))
			if !errors.Is(err, tt.err) || tt.err == nil && err != nil {
				t.Fatalf("identify: %v, want %v", err, tt.err)
			}
			if err == nil && got != tt.want {
				t.Errorf("identify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPresetsTable(t *testing.T) {
	for _, k := range Kinds {
		p, ok := presets[k]
		if k == KindSAML {
			if ok {
				t.Error("SAML has an OAuth preset")
			}
			continue
		}
		if !ok || p.identify == nil || len(p.scopes) == 0 && k != KindOAuth2 {
			t.Errorf("%s: no preset (%v), or one without identify or scopes", k, ok)
		}
		if p.oidc != (p.authURL == "") && k != KindOAuth2 {
			t.Errorf("%s: an OpenID Connect preset discovers its endpoints, an OAuth 2 one names them", k)
		}
		if p.authority != nil && p.checkIssuer == nil {
			t.Errorf("%s: an authority without its own issuer check", k)
		}
	}
	if presets[KindLinkedIn].tokenAuth != authPost || presets[KindApple].tokenAuth != authPost {
		t.Error("LinkedIn and Apple take client credentials in the body only")
	}
}

func TestCheckGoogleIssuer(t *testing.T) {
	ep := endpoints{issuer: "https://accounts.google.com"}
	for iss, ok := range map[string]bool{
		"https://accounts.google.com":   true,
		"accounts.google.com":           true,
		"http://accounts.google.com":    false,
		"accounts.google.com/":          false,
		"https://accounts.google.com/":  false,
		"https://accounts.google.co":    false,
		"":                              false,
		"evil.example/accounts.google":  false,
		"https://evil.example":          false,
		"ACCOUNTS.GOOGLE.COM":           false,
		"https://accounts.google.com.x": false,
	} {
		err := checkGoogleIssuer(Config{}, ep, map[string]any{"iss": iss})
		if ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("iss %q: %v, want accepted=%v", iss, err, ok)
		}
	}
}

func TestCheckMicrosoftIssuer(t *testing.T) {
	const (
		a    = "aaaaaaaa-0000-0000-0000-000000000001"
		b    = "bbbbbbbb-0000-0000-0000-000000000002"
		base = "https://login.microsoftonline.com"
	)
	multi := endpoints{discovered: base + "/{tenantid}/v2.0"}
	single := endpoints{discovered: base + "/" + a + "/v2.0"}
	tests := []struct {
		name    string
		config  Config
		ep      endpoints
		tid     string
		iss     string
		allowed bool
	}{
		{"the token's tenant", Config{}, multi, a, base + "/" + a + "/v2.0", true},
		{"another tenant's issuer", Config{}, multi, a, base + "/" + b + "/v2.0", false},
		{"the template itself", Config{}, multi, a, base + "/{tenantid}/v2.0", false},
		{"another cloud", Config{}, multi, a, "https://login.microsoftonline.us/" + a + "/v2.0", false},
		{"a configured cloud", Config{Issuer: "https://login.microsoftonline.us/"}, multi, a, "https://login.microsoftonline.us/" + a + "/v2.0", true},
		{"the v1 issuer", Config{}, multi, a, "https://sts.windows.net/" + a + "/", false},
		{"no tid", Config{}, multi, "", base + "/" + a + "/v2.0", false},
		{"an allowed tenant", Config{AllowedTenants: []string{b, a}}, multi, a, base + "/" + a + "/v2.0", true},
		{"a tenant not allowed", Config{AllowedTenants: []string{b}}, multi, a, base + "/" + a + "/v2.0", false},
		{"a single-tenant authority's tenant", Config{}, single, a, base + "/" + a + "/v2.0", true},
		{"a single-tenant authority, another tenant", Config{}, single, b, base + "/" + b + "/v2.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMicrosoftIssuer(tt.config, tt.ep, map[string]any{"tid": tt.tid, "iss": tt.iss})
			if tt.allowed != (err == nil) || err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("check: %v, want allowed=%v", err, tt.allowed)
			}
		})
	}
}

func TestMicrosoftAuthority(t *testing.T) {
	for tenant, want := range map[string]string{
		"":                                     "https://login.microsoftonline.com/common/v2.0",
		"organizations":                        "https://login.microsoftonline.com/organizations/v2.0",
		"aaaaaaaa-0000-0000-0000-000000000001": "https://login.microsoftonline.com/aaaaaaaa-0000-0000-0000-000000000001/v2.0",
		"contoso.onmicrosoft.com":              "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
		"../x":                                 "",
		"a/b":                                  "",
		"a..b":                                 "",
		"a?b":                                  "",
	} {
		got, err := microsoftAuthority(Config{MicrosoftTenant: tenant})
		if got != want || (want == "") != errors.Is(err, ErrConfig) {
			t.Errorf("tenant %q: %q, %v; want %q", tenant, got, err, want)
		}
	}
}

func TestAppsecretProof(t *testing.T) {
	// HMAC-SHA256's published example.
	got := appsecretProof("key", "The quick brown fox jumps over the lazy dog")
	if got != "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Fatalf("proof = %s", got)
	}
}

func TestParseAppleUser(t *testing.T) {
	tests := []struct {
		raw           string
		given, family string
		ok            bool
	}{
		{`{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"a@x.example"}`, "Ada", "Lovelace", true},
		{`{"name":{"firstName":" Ada "}}`, "Ada", "", true},
		{`{"name":{}}`, "", "", false},
		{`{"email":"a@x.example"}`, "", "", false},
		{``, "", "", false},
		{`{"name":`, "", "", false},
		{`{"name":{"firstName":1}}`, "", "", false},
		{`[]`, "", "", false},
		{`{"name":{"firstName":"` + strings.Repeat("a", 201) + `"}}`, "", "", false},
		{`{"name":{"firstName":"` + strings.Repeat("a", maxAppleUser) + `"}}`, "", "", false},
	}
	for _, tt := range tests {
		given, family, ok := parseAppleUser(tt.raw)
		if given != tt.given || family != tt.family || ok != tt.ok {
			t.Errorf("parseAppleUser(%.40q) = %q %q %v, want %q %q %v", tt.raw, given, family, ok, tt.given, tt.family, tt.ok)
		}
	}
}

func TestCallbackError(t *testing.T) {
	for _, tt := range []struct {
		cb   url.Values
		want error
	}{
		{url.Values{"code": {"c"}}, nil},
		{url.Values{"error": {"access_denied"}}, ErrDenied},
		{url.Values{"error": {"user_cancelled_authorize"}}, ErrDenied},
		{url.Values{"error": {"login_required"}}, ErrUpstream},
		{url.Values{"error": {"server_error"}, "error_description": {strings.Repeat("x", 5000) + "\n"}}, ErrUpstream},
	} {
		err := callbackError(tt.cb)
		if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
			t.Errorf("callbackError(%.60v) = %v, want %v", tt.cb, err, tt.want)
		}
		if err != nil && (len(err.Error()) > 400 || strings.Contains(err.Error(), "\n")) {
			t.Errorf("the error text is not short and on one line: %d bytes", len(err.Error()))
		}
	}
}

func TestOIDCCache(t *testing.T) {
	var c oidcCache
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range cacheSize + 10 {
		c.put(fmt.Sprint(i), cacheEntry{fetched: t0.Add(time.Duration(i) * time.Second)})
	}
	if len(c.entries) != cacheSize {
		t.Fatalf("%d entries, want at most %d", len(c.entries), cacheSize)
	}
	if _, ok := c.get("0", t0); ok {
		t.Error("the oldest entry was kept")
	}
	last := fmt.Sprint(cacheSize + 9)
	if _, ok := c.get(last, t0.Add(cacheTTL)); !ok {
		t.Error("the newest entry is gone")
	}
	if _, ok := c.get(last, t0.Add(cacheSize*time.Second+cacheTTL+10*time.Second)); ok {
		t.Error("an entry outlived its TTL")
	}
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[string]string{
		"123": "123", "12345678901234567890": "12345678901234567890", "1e3": "1000",
		"1.5E2": "150", "-2e0": "-2", "1e400": "", "0.5": "0.5",
	} {
		if got := formatNumber(json.Number(in)); got != want {
			t.Errorf("formatNumber(%s) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseAppleUser(f *testing.F) {
	for _, s := range []string{
		`{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"a@x.example"}`,
		`{"name":{"firstName":"\u00e9"}}`, `{"name":null}`, `{`, ``, `"x"`, `{"name":{"firstName":"a\ud800"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		given, family, ok := parseAppleUser(raw)
		if !ok {
			if given != "" || family != "" {
				t.Fatalf("not ok but names %q %q", given, family)
			}
			return
		}
		if given == "" && family == "" || len(given) > 200 || len(family) > 200 || !utf8.ValidString(given+family) {
			t.Fatalf("names %q %q", given, family)
		}
		claims := map[string]any{}
		appleFromCallback(url.Values{"user": {raw}}, claims)
		if _, ok := claims["email"]; ok {
			t.Fatal("the user field set an email")
		}
	})
}

func FuzzUserinfo(f *testing.F) {
	for _, s := range []string{
		`{"sub":"a","email":"A@X.example","email_verified":true}`, `{"id":1e400}`, `{"id":-0.0}`,
		`{"id":123456789012345678901234567890,"email":"x"}`, `{"id":"7","tid":"x","oid":"y"}`,
		`[{"email":"a@x.example","primary":true,"verified":true}]`, `{"a":[1,{"b":2e5}]}`, `{} {}`, `nul`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, _, _ = githubPrimary([]byte(body)) // must not panic
		claims, err := parseJSONObject([]byte(body))
		if err != nil {
			return
		}
		for _, k := range []Kind{KindOIDC, KindOAuth2, KindApple, KindMicrosoft, KindFacebook, KindGitHub} {
			c := cloneClaims(t, body)
			a, err := newAssertion(IdP{ID: "idp_f"}, presets[k], c)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s: %v is not ErrInvalid", k, err)
				}
				continue
			}
			if a.Subject == "" || len(a.Subject) > 255 {
				t.Fatalf("%s: subject %q", k, a.Subject)
			}
			if n, ok := claims["id"].(json.Number); ok && a.Subject == formatNumber(n) && strings.ContainsAny(a.Subject, "eE+") {
				t.Fatalf("%s: subject %q has an exponent", k, a.Subject)
			}
			if a.Email != strings.ToLower(strings.TrimSpace(a.Email)) || a.EmailVerified && a.Email == "" {
				t.Fatalf("%s: email %q verified %v", k, a.Email, a.EmailVerified)
			}
			if k == KindMicrosoft || k == KindFacebook {
				if a.EmailVerified {
					t.Fatalf("%s: a verified email", k)
				}
			}
			if _, err := json.Marshal(a.Claims); err != nil {
				t.Fatalf("%s: claims are not JSON: %v", k, err)
			}
		}
	})
}

// cloneClaims parses body again, for a fresh claims map.
func cloneClaims(t *testing.T, body string) map[string]any {
	m, err := parseJSONObject([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
