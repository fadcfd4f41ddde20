package main

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/engine"
)

// upstreamLintel is a second Lintel (its demo tenant) that the branded
// instance signs people in through, as a generic OpenID Connect
// provider.
type upstreamLintel struct {
	*brandedInstance
	clientID, clientSecret string
}

// startUpstream starts another Lintel on its own loopback host (so the
// two keep their cookies apart) with an app whose redirect URI is
// downstream's callback.
func startUpstream(t *testing.T, downstream string) *upstreamLintel {
	t.Helper()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "LINTEL_PUBLIC_URL=" + base}
	s := startCommand(t, exec.Command(binary, "serve", "--demo", "--addr", fmt.Sprintf("127.0.0.1:%d", port)), env)
	m := demoOutput.FindStringSubmatch(s.output)
	if m == nil {
		t.Fatalf("no demo data in the upstream's output:\n%s", s.output)
	}
	u := &upstreamLintel{brandedInstance: &brandedInstance{s: s, base: base, demoTenantID: m[1], appA: m[2], login: m[3], pass: m[4], admin: m[5],
		api: base + "/api/v1/mgmt/tenants/demo"}}
	var app struct {
		ID     string `json:"id"`
		Secret string `json:"client_secret"`
	}
	body := call(t, http.MethodPost, u.api+"/apps", u.admin, map[string]any{"name": "Downstream Lintel", "type": "web",
		"redirect_uris": []string{downstream + engine.CallbackPath}}, http.StatusCreated)
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" || app.Secret == "" {
		t.Fatalf("upstream app %s: %v", body, err)
	}
	u.clientID, u.clientSecret = app.ID, app.Secret
	return u
}

// createUser makes a user with a password on instance b and returns its
// ID.
func (b *brandedInstance) createUser(t *testing.T, login, given string, verified bool, password string) string {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	body := call(t, http.MethodPost, b.api+"/users", b.admin, map[string]any{"login": login, "email": login, "email_verified": verified,
		"given_name": given, "status": "ACTIVE"}, http.StatusCreated)
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		t.Fatalf("create user %s: %v", body, err)
	}
	call(t, http.MethodPut, b.api+"/users/"+u.ID+"/password", b.admin, map[string]any{"password": password}, http.StatusNoContent)
	return u.ID
}

// userByLogin returns the user of b holding login ("" none) and its
// given name.
func (b *brandedInstance) userByLogin(t *testing.T, login string) (id, given string) {
	t.Helper()
	var users struct {
		Items []struct {
			ID        string `json:"id"`
			Login     string `json:"login"`
			GivenName string `json:"given_name"`
		} `json:"items"`
	}
	if err := json.Unmarshal(call(t, http.MethodGet, b.api+"/users?q="+url.QueryEscape(login), b.admin, nil, http.StatusOK), &users); err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Items {
		if u.Login == login {
			return u.ID, u.GivenName
		}
	}
	return "", ""
}

// identities lists the IdP IDs linked to a user of b.
func (b *brandedInstance) identities(t *testing.T, userID string) []string {
	t.Helper()
	var ids struct {
		Items []struct {
			IdP string `json:"idp_id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(call(t, http.MethodGet, b.api+"/users/"+userID+"/identities", b.admin, nil, http.StatusOK), &ids); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range ids.Items {
		out = append(out, i.IdP)
	}
	return out
}

var metaRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0; url=([^"]+)"`)

// get fetches u with c and returns the status, the Location made
// absolute against u, and the body.
func getPage(t *testing.T, c *http.Client, u string) (int, string, string) {
	t.Helper()
	status, h, body := fetch(t, c, mustRequest(t, u))
	loc := h.Get("Location")
	if loc != "" {
		base, _ := url.Parse(u)
		ref, err := base.Parse(loc)
		if err != nil {
			t.Fatalf("location %q: %v", loc, err)
		}
		loc = ref.String()
	}
	return status, loc, body
}

// followTo follows redirects and meta refreshes from u until a page
// answers 200 without a refresh, or a URL starting with stop is reached
// (returned without being fetched).
func followTo(t *testing.T, c *http.Client, u, stop string) (string, string) {
	t.Helper()
	for range 20 {
		if stop != "" && strings.HasPrefix(u, stop) {
			return u, ""
		}
		status, loc, body := getPage(t, c, u)
		switch {
		case status == http.StatusSeeOther || status == http.StatusFound:
			u = loc
		case status == http.StatusOK && metaRefresh.MatchString(body):
			u = html.UnescapeString(metaRefresh.FindStringSubmatch(body)[1])
		case status == http.StatusOK:
			return u, body
		default:
			t.Fatalf("GET %s: %d\n%.2000s", u, status, body)
		}
	}
	t.Fatalf("too many redirects from %s", u)
	return "", ""
}

// TestSignInThroughAnotherLintel runs two binaries: the upstream Lintel
// is a generic OpenID Connect provider of the downstream one, which
// routes people of the upstream's email domain straight to it. Over
// real HTTP, a browser (cookie jar, every redirect followed by hand):
//   - signs in a person unknown downstream: the account is created just
//     in time, with the upstream's given name, and linked;
//   - signs in again after the upstream changed the given name: the
//     attribute, synced from the provider, follows;
//   - signs in a person whose email a downstream account with an
//     unverified address holds: nothing is linked until the person
//     proves that account with its password, and then it is;
//   - signs in a person the upstream does not vouch for (unverified
//     email) whose address a verified downstream account holds: the
//     account is never linked silently.
func TestSignInThroughAnotherLintel(t *testing.T) {
	b := startBranded(t)
	up := startUpstream(t, b.base)
	const domain = "upstream.test"
	upPass := "upstream passphrase 9f2c"

	var idp struct {
		ID string `json:"id"`
	}
	body := call(t, http.MethodPost, b.api+"/idps", b.admin, map[string]any{
		"name": "Upstream Lintel", "kind": "oidc", "enabled": true, "client_secret": up.clientSecret,
		"config": map[string]any{"issuer": up.base + "/oauth2/default", "client_id": up.clientID, "scopes": []string{"openid", "email", "profile"},
			"sync": map[string]string{"given_name": "idp"}},
	}, http.StatusCreated)
	if err := json.Unmarshal(body, &idp); err != nil || idp.ID == "" {
		t.Fatalf("create IdP: %s %v", body, err)
	}
	call(t, http.MethodPost, b.api+"/idp-routing-rules", b.admin, map[string]any{"name": "Upstream people", "priority": 1,
		"match": map[string]any{"domains": []string{domain}}, "idps": []string{idp.ID}, "mode": "redirect"}, http.StatusCreated)
	call(t, http.MethodPost, b.api+"/idp-routing-rules", b.admin, map[string]any{"name": "Everyone", "priority": 10,
		"match": map[string]any{}, "idps": []string{idp.ID}, "mode": "buttons"}, http.StatusCreated)

	// signIn types login downstream and signs in upstream when asked
	// (with upstreamLogin, or not at all when the browser has a session
	// there); it returns where the browser ends: the demo app's callback,
	// or a downstream page.
	signIn := func(c *http.Client, login, upstreamLogin string) (string, string) {
		t.Helper()
		page, identify := b.signInPage(t, c, b.appA)
		if !strings.Contains(identify, `value="idp:`+idp.ID+`"`) || !strings.Contains(identify, "Upstream Lintel") {
			t.Fatalf("the identify page offers no button of the identity provider:\n%.3000s", identify)
		}
		form := url.Values{"action": {engine.ActionNext}, "login": {login}}
		for _, m := range hiddenField.FindAllStringSubmatch(identify, -1) {
			form.Set(m[1], m[2])
		}
		req, _ := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
		status, h, resp := fetch(t, c, req)
		if status != http.StatusSeeOther {
			t.Fatalf("identify: %d\n%s", status, resp)
		}
		u, upPage := followTo(t, c, b.base+h.Get("Location"), b.base+"/demo/callback")
		if upPage != "" && strings.HasPrefix(u, up.base) {
			// The upstream's own sign-in: password of its account.
			pw := up.act(t, c, u, upPage, engine.ActionNext, "login", upstreamLogin)
			form := url.Values{"action": {engine.ActionSignIn}, "password": {upPass}}
			if upstreamLogin == up.login {
				form.Set("password", up.pass)
			}
			for _, m := range hiddenField.FindAllStringSubmatch(pw, -1) {
				form.Set(m[1], m[2])
			}
			req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", up.base)
			status, h, resp := fetch(t, c, req)
			if status != http.StatusSeeOther {
				t.Fatalf("upstream password: %d\n%.2000s", status, resp)
			}
			u, upPage = followTo(t, c, h.Get("Location"), b.base+"/demo/callback")
		}
		return u, upPage
	}

	// 1. Just in time, routed by the email domain.
	jit := "jay@" + domain
	up.createUser(t, jit, "Jay", true, upPass)
	c := browserClient(t)
	if end, page := signIn(c, jit, jit); !strings.HasPrefix(end, b.base+"/demo/callback?code=") {
		t.Fatalf("the just-in-time sign-in ended at %s:\n%.3000s", end, page)
	}
	jitID, given := b.userByLogin(t, jit)
	if jitID == "" || given != "Jay" {
		t.Fatalf("no account made just in time (%q, given name %q)", jitID, given)
	}
	if got := b.identities(t, jitID); len(got) != 1 || got[0] != idp.ID {
		t.Fatalf("the new account's linked identities: %v", got)
	}

	// 2. Profile sync: the upstream changes the given name.
	upJay, _ := up.userByLogin(t, jit)
	call(t, http.MethodPatch, up.api+"/users/"+upJay, up.admin, map[string]any{"given_name": "Jason"}, http.StatusOK)
	if end, page := signIn(browserClient(t), jit, jit); !strings.HasPrefix(end, b.base+"/demo/callback?code=") {
		t.Fatalf("the second sign-in ended at %s:\n%.3000s", end, page)
	}
	if id, given := b.userByLogin(t, jit); id != jitID || given != "Jason" {
		t.Fatalf("after sync: user %q given name %q, want %q Jason", id, given, jitID)
	}

	// 3. Link with proof: downstream's account has an unverified address.
	prove := "pat@" + domain
	up.createUser(t, prove, "Pat", true, upPass)
	downPass := "downstream passphrase 4c1e"
	patID := b.createUser(t, prove, "Pat", false, downPass)
	c = browserClient(t)
	end, page := signIn(c, prove, prove)
	if !strings.Contains(end, "/signin/") || !strings.Contains(page, `name="password"`) || !strings.Contains(page, "Upstream Lintel") {
		t.Fatalf("an account with an unverified address was not asked for proof: %s\n%.3000s", end, page)
	}
	if got := b.identities(t, patID); len(got) != 0 {
		t.Fatalf("linked before the proof: %v", got)
	}
	form := url.Values{"action": {engine.ActionSignIn}, "password": {downPass}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], m[2])
	}
	req, _ := http.NewRequest(http.MethodPost, end, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	if status, h, resp := fetch(t, c, req); status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), b.base+"/demo/callback?code=") {
		t.Fatalf("the proof: %d to %q\n%.2000s", status, h.Get("Location"), resp)
	}
	if got := b.identities(t, patID); len(got) != 1 || got[0] != idp.ID {
		t.Fatalf("not linked after the proof: %v", got)
	}
	if id, _ := b.userByLogin(t, prove); id != patID {
		t.Fatalf("a second account was made: %q", id)
	}

	// 4. The upstream does not vouch for the address: never linked
	// silently, though the downstream account's address is verified.
	shady := "sam@" + domain
	up.createUser(t, shady, "Sam", false, upPass)
	samID := b.createUser(t, shady, "Sam", true, downPass)
	end, page = signIn(browserClient(t), shady, shady)
	if strings.HasPrefix(end, b.base+"/demo/callback") || !strings.Contains(page, `name="password"`) {
		t.Fatalf("an unverified upstream email signed in: %s\n%.2000s", end, page)
	}
	if got := b.identities(t, samID); len(got) != 0 {
		t.Fatalf("an unverified upstream email was linked: %v", got)
	}
}
