package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/idptest"
)

// presetIdP is an emulator configured as an identity provider of the
// demo tenant.
type presetIdP struct {
	emu *idptest.Provider
	id  string
	// pool trusts the emulators, for the test's own client.
	pool *x509.CertPool
}

// presetAccount is a user as the management API shows it.
type presetAccount struct {
	ID            string `json:"id"`
	Login         string `json:"login"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	GivenName     string `json:"given_name"`
}

// presetCase is one preset's sign-in and what its quirk means for the
// account made just in time.
type presetCase struct {
	name, kind string
	opts       idptest.Options
	user       idptest.User
	// email, verified and given are what the account must hold.
	email    string
	verified bool
	given    string
	// then goes on after the first sign-in made the account userID.
	then func(t *testing.T, p presetIdP, userID string)
}

// TestSignInThroughEachPreset runs one binary and an emulator of each
// preset (Google, Microsoft, Apple, Facebook, LinkedIn, GitHub),
// configured through the management API with the emulator's endpoints
// in place of the provider's. A cookie-jar client presses each preset's
// button on the identify page, follows the hand-over, the provider and
// the callback (POSTing Apple's form_post itself) back to the demo app,
// and the account made just in time shows what the preset's quirk means:
//   - Google: an ID token whose iss lacks "https://" is accepted;
//   - Microsoft: the email is never verified, so a second person (another
//     oid) with the same address is never linked to the first account:
//     refused while the account has no factor to prove, then asked for
//     its password, and no second account is made;
//   - Apple: the name comes from the user field of the first
//     authorization only, email_verified is the string "true";
//   - Facebook: the email is never verified;
//   - LinkedIn: the token endpoint takes client_secret_post only;
//   - GitHub: the verified primary address of /user/emails counts, not
//     the profile's public one.
func TestSignInThroughEachPreset(t *testing.T) {
	const msTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	var b *brandedInstance
	cases := []presetCase{
		{name: "google", kind: idptest.Google, opts: idptest.Options{IssuerWithoutScheme: true},
			user:  idptest.User{Subject: "g-1001", Email: "gail@gmail.test", EmailVerified: true, GivenName: "Gail", FamilyName: "Gee"},
			email: "gail@gmail.test", verified: true, given: "Gail"},
		{name: "microsoft", kind: idptest.Microsoft,
			user: idptest.User{Email: "mo@contoso.test", Name: "Mo First", TenantID: msTenant,
				ObjectID: "00000000-0000-0000-0000-00000000a001"},
			email: "mo@contoso.test", verified: false,
			then: func(t *testing.T, p presetIdP, first string) {
				// Someone else of the same tenant has the same address.
				p.emu.SetUser(idptest.User{Email: "mo@contoso.test", Name: "Mo Second", TenantID: msTenant,
					ObjectID: "00000000-0000-0000-0000-00000000b002"})
				end, page := presetSignIn(t, b, p)
				if strings.HasPrefix(end, b.base+"/demo/callback") || !strings.Contains(page, "already exists") || strings.Contains(page, `name="password"`) {
					t.Fatalf("another person with the address of an account without factors was not refused: %s\n%.3000s", end, page)
				}
				presetUnlinked(t, b, p, first, "mo@contoso.test")

				// Once the account has a password, the person is asked for
				// it; nothing is linked before.
				call(t, http.MethodPut, b.api+"/users/"+first+"/password", b.admin, map[string]any{"password": "first person's passphrase 7b1d"}, http.StatusNoContent)
				end, page = presetSignIn(t, b, p)
				if !strings.HasPrefix(end, b.base+"/signin/") || !strings.Contains(page, `name="password"`) || !strings.Contains(page, "link it to Microsoft") {
					t.Fatalf("another person with the account's address was not asked to prove it: %s\n%.3000s", end, page)
				}
				presetUnlinked(t, b, p, first, "mo@contoso.test")
			}},
		{name: "apple", kind: idptest.Apple,
			user:  idptest.User{Subject: "001234.5678abcd.0042", Email: "ann@privaterelay.appleid.com", EmailVerified: true, GivenName: "Ann", FamilyName: "Appleseed", PrivateEmail: true},
			email: "ann@privaterelay.appleid.com", verified: true, given: "Ann",
			then: func(t *testing.T, p presetIdP, userID string) {
				// The next authorization has no user field: the same
				// account signs in and keeps its name.
				if end, page := presetSignIn(t, b, p); !strings.HasPrefix(end, b.base+"/demo/callback?code=") {
					t.Fatalf("the second sign-in with Apple ended at %s:\n%.3000s", end, page)
				}
				if a := presetGet(t, b, userID); a.GivenName != "Ann" {
					t.Errorf("after a sign-in without Apple's user field the given name is %q", a.GivenName)
				}
				if got := presetHolders(t, b, "ann@privaterelay.appleid.com"); len(got) != 1 || got[0] != userID {
					t.Errorf("the address's accounts after a second sign-in: %v", got)
				}
			}},
		{name: "facebook", kind: idptest.Facebook,
			user:  idptest.User{ID: 4242, Email: "fay@facebook.test", GivenName: "Fay", FamilyName: "Book", Name: "Fay Book"},
			email: "fay@facebook.test", verified: false, given: "Fay"},
		{name: "linkedin", kind: idptest.LinkedIn,
			user:  idptest.User{Subject: "li-777", Email: "lin@linkedin.test", EmailVerified: true, GivenName: "Lin"},
			email: "lin@linkedin.test", verified: true, given: "Lin"},
		{name: "github", kind: idptest.GitHub,
			user: idptest.User{ID: 583231, Login: "octo", Name: "Octo Cat", PublicEmail: "octo@public.test",
				Emails: []idptest.GitHubEmail{{Email: "octo@old.test", Verified: true}, {Email: "octo@github.test", Primary: true, Verified: true}}},
			email: "octo@github.test", verified: true, given: "Octo Cat",
			then: func(t *testing.T, _ presetIdP, _ string) {
				if got := presetHolders(t, b, "octo@public.test"); len(got) != 0 {
					t.Errorf("GitHub's public, unverified address is an account's: %v", got)
				}
			}},
	}

	// The emulators are httptest TLS servers, which share one
	// certificate: the binary trusts it, and nothing else.
	idps := map[string]presetIdP{}
	pool := x509.NewCertPool()
	var cert *x509.Certificate
	for _, c := range cases {
		emu := idptest.New(t, c.kind, c.opts)
		emu.SetUser(c.user)
		idps[c.name] = presetIdP{emu: emu, pool: pool}
		if cert == nil {
			cert = emu.Certificate
			pool.AddCert(cert)
		} else if !cert.Equal(emu.Certificate) {
			t.Fatalf("the %s emulator's certificate is not the others'", c.name)
		}
	}
	roots := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	rootsFile := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(rootsFile, roots, 0o600); err != nil {
		t.Fatal(err)
	}
	b = startBranded(t, "SSL_CERT_FILE="+rootsFile, "LINTEL_EGRESS_ALLOW=127.0.0.0/8,::1/128")
	for _, c := range cases {
		p := idps[c.name]
		p.id = presetCreateIdP(t, b, c.name, p.emu)
		idps[c.name] = p
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := idps[c.name]
			if end, page := presetSignIn(t, b, p); !strings.HasPrefix(end, b.base+"/demo/callback?code=") {
				t.Fatalf("the sign-in ended at %s:\n%.3000s", end, page)
			}
			id, _ := b.userByLogin(t, c.email)
			if id == "" {
				t.Fatalf("no account %s made just in time", c.email)
			}
			a := presetGet(t, b, id)
			if a.Email != c.email || a.EmailVerified != c.verified || a.GivenName != c.given {
				t.Errorf("the account is %s verified %v given name %q, want %s verified %v given name %q",
					a.Email, a.EmailVerified, a.GivenName, c.email, c.verified, c.given)
			}
			if got := b.identities(t, id); len(got) != 1 || got[0] != p.id {
				t.Fatalf("the account's linked identities: %v, want [%s]", got, p.id)
			}
			if c.then != nil {
				c.then(t, p, id)
			}
		})
	}
}

// presetCreateIdP configures emu as an enabled identity provider named
// name, with the emulator's issuer and endpoints overriding the
// preset's, and returns its ID.
func presetCreateIdP(t *testing.T, b *brandedInstance, name string, emu *idptest.Provider) string {
	t.Helper()
	cfg := map[string]any{"client_id": emu.ClientID}
	for k, v := range map[string]string{"issuer": emu.Issuer, "authorization_url": emu.AuthorizationURL, "token_url": emu.TokenURL,
		"userinfo_url": emu.UserinfoURL, "jwks_url": emu.JWKSURL, "microsoft_tenant": emu.MicrosoftTenant,
		"apple_team_id": emu.AppleTeamID, "apple_key_id": emu.AppleKeyID} {
		if v != "" {
			cfg[k] = v
		}
	}
	body := call(t, http.MethodPost, b.api+"/idps", b.admin, map[string]any{
		"name": presetTitle(name), "kind": emu.Kind, "enabled": true, "client_secret": emu.Secret, "config": cfg,
	}, http.StatusCreated)
	var idp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &idp); err != nil || idp.ID == "" {
		t.Fatalf("create the %s IdP: %s %v", name, body, err)
	}
	return idp.ID
}

// presetTitle is the button's name of a preset: "LinkedIn" for
// "linkedin".
func presetTitle(name string) string {
	switch name {
	case "linkedin":
		return "LinkedIn"
	case "github":
		return "GitHub"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// presetFormPost finds the form of a form_post answer, and its action.
var presetFormPost = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// presetSignIn signs in at the demo app with a new cookie-jar client
// that trusts the emulators, by pressing p's button on the identify
// page. It follows every redirect and refresh (and POSTs a form_post
// answer, as a browser's script would) and returns where it ends: the
// demo app's callback (not fetched), or a page of the site.
func presetSignIn(t *testing.T, b *brandedInstance, p presetIdP) (string, string) {
	t.Helper()
	c := browserClient(t)
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}}
	t.Cleanup(c.CloseIdleConnections)
	page, identify := b.signInPage(t, c, b.appA)
	if !strings.Contains(identify, `value="idp:`+p.id+`"`) {
		t.Fatalf("the identify page has no button of %s:\n%.3000s", p.emu.Kind, identify)
	}
	form := url.Values{"action": {"idp:" + p.id}}
	for _, m := range hiddenField.FindAllStringSubmatch(identify, -1) {
		form.Set(m[1], m[2])
	}
	req, _ := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	status, h, resp := fetch(t, c, req)
	if status != http.StatusSeeOther {
		t.Fatalf("the %s button: %d\n%.2000s", p.emu.Kind, status, resp)
	}
	stop := b.base + "/demo/callback"
	end, body := followTo(t, c, b.base+h.Get("Location"), stop)
	m := presetFormPost.FindStringSubmatch(body)
	if m == nil || !strings.HasPrefix(end, p.emu.URL) {
		return end, body
	}
	// The provider's form_post: a cross-site POST to the callback.
	cb := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(body, -1) {
		cb.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	req, _ = http.NewRequest(http.MethodPost, html.UnescapeString(m[1]), strings.NewReader(cb.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.emu.URL)
	status, h, resp = fetch(t, c, req)
	if status != http.StatusSeeOther {
		t.Fatalf("the form_post callback: %d\n%.2000s", status, resp)
	}
	return followTo(t, c, b.base+h.Get("Location"), stop)
}

// presetGet returns the account userID.
func presetGet(t *testing.T, b *brandedInstance, userID string) presetAccount {
	t.Helper()
	var a presetAccount
	if err := json.Unmarshal(call(t, http.MethodGet, b.api+"/users/"+userID, b.admin, nil, http.StatusOK), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// presetHolders returns the IDs of the accounts whose login or email is
// addr.
func presetHolders(t *testing.T, b *brandedInstance, addr string) []string {
	t.Helper()
	var users struct {
		Items []presetAccount `json:"items"`
	}
	if err := json.Unmarshal(call(t, http.MethodGet, b.api+"/users?q="+url.QueryEscape(addr), b.admin, nil, http.StatusOK), &users); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range users.Items {
		if strings.EqualFold(u.Login, addr) || strings.EqualFold(u.Email, addr) {
			out = append(out, u.ID)
		}
	}
	return out
}

// presetUnlinked checks that addr is still only userID's and that
// userID has only its own identity at p.
func presetUnlinked(t *testing.T, b *brandedInstance, p presetIdP, userID, addr string) {
	t.Helper()
	if got := b.identities(t, userID); len(got) != 1 || got[0] != p.id {
		t.Errorf("the account's linked identities: %v, want its own only [%s]", got, p.id)
	}
	if got := presetHolders(t, b, addr); len(got) != 1 || got[0] != userID {
		t.Errorf("the accounts holding %s: %v, want [%s]", addr, got, userID)
	}
}
