package edge

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestAccountSecurity walks the account page a signed-in person manages
// their factors on: without a session it asks to sign in; an
// authenticator app set up from it (the key shown as a QR code drawn on
// the server and as text; a first code proves it) is listed, renamed
// (an overlong name refused) and removed; new recovery codes are shown
// once; a forged ID changes nothing.
func TestAccountSecurity(t *testing.T) {
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	w := newSiteWorld(t, storetest.SQLite(), clk)
	anon := w.browser(t)
	if status, _, body := get(t, anon, w.srv.URL+engine.SecurityPath); status != http.StatusUnauthorized || !strings.Contains(body, "Sign in first") {
		t.Fatalf("without a session: %d", status)
	}
	browser := w.browser(t)
	_, challenge := pkce("sec")
	w.signIn(t, browser, w.authorizeURL(challenge), alice, alicePass)

	page := func(t *testing.T, path string) string {
		t.Helper()
		status, _, body := get(t, browser, w.srv.URL+path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		return body
	}
	post := func(t *testing.T, path string, form url.Values) string {
		t.Helper()
		status, h, body := postForm(t, browser, w.srv.URL+path, form, "Origin", w.srv.URL)
		if status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %s", path, status, body)
		}
		return h.Get("Location")
	}
	act := func(action string, kv ...string) url.Values {
		f := formFields(page(t, engine.SecurityPath))
		f.Set("action", action)
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	if body := page(t, engine.SecurityPath); !strings.Contains(body, "no passkeys or other sign-in methods") || !strings.Contains(body, `value="passkey"`) {
		t.Fatalf("empty page:\n%s", body)
	}
	// Set up an authenticator app.
	flow := post(t, engine.SecurityPath, act("add", "factor", "totp"))
	en := page(t, flow)
	if !strings.Contains(en, `data-step="enroll-totp"`) || !strings.Contains(en, "<svg") || !strings.Contains(en, `value="cancel"`) {
		t.Fatalf("enrollment page:\n%s", en)
	}
	key := strings.ReplaceAll(between(en, `<code class="lt-key" dir="ltr">`, "</code>"), " ", "")
	code, err := otptotp.GenerateCode(key, clk.Now())
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	f := formFields(en)
	f.Set("action", engine.ActionVerify)
	f.Set("code", code)
	if loc := post(t, flow, f); loc != w.srv.URL+engine.SecurityPath && loc != engine.SecurityPath {
		t.Fatalf("after the code: %q", loc)
	}
	body := page(t, engine.SecurityPath)
	id := between(body, `<li class="lt-factor" data-kind="totp" part="list-item"><h2 class="lt-factor-name" id="fac-`, `"`)
	if id == "" {
		t.Fatalf("the app is not listed:\n%s", body)
	}
	// Rename, then an overlong name.
	if loc := post(t, engine.SecurityPath, act("rename", "id", id, "label", "My phone")); !strings.HasSuffix(loc, "?done=renamed") {
		t.Fatalf("rename: %q", loc)
	}
	if !strings.Contains(page(t, engine.SecurityPath), ">My phone</h2>") {
		t.Fatal("the new name is not shown")
	}
	if loc := post(t, engine.SecurityPath, act("rename", "id", id, "label", strings.Repeat("x", 101))); !strings.HasSuffix(loc, "?done=label") {
		t.Fatalf("an overlong name: %q", loc)
	}
	// A forged ID is refused and changes nothing.
	status, _, _ := postForm(t, browser, w.srv.URL+engine.SecurityPath, act("remove", "id", "cred_forged"), "Origin", w.srv.URL)
	if status != http.StatusBadRequest || !strings.Contains(page(t, engine.SecurityPath), ">My phone</h2>") {
		t.Fatalf("a forged ID: %d", status)
	}
	// New recovery codes, shown once.
	flow = post(t, engine.SecurityPath, act("add", "factor", "recovery_code"))
	codes := page(t, flow)
	if n := strings.Count(codes, "<li part=\"list-item\"><code>"); n != 10 {
		t.Fatalf("%d recovery codes shown:\n%s", n, codes)
	}
	f = formFields(codes)
	f.Set("action", engine.ActionContinue)
	post(t, flow, f)
	if body := page(t, engine.SecurityPath); !strings.Contains(body, "codes left: 10") {
		t.Fatalf("recovery codes not listed:\n%s", body)
	}
	// Remove the app.
	if loc := post(t, engine.SecurityPath, act("remove", "id", id)); !strings.HasSuffix(loc, "?done=removed") {
		t.Fatalf("remove: %q", loc)
	}
	if strings.Contains(page(t, engine.SecurityPath), `data-kind="totp"`) {
		t.Fatal("the removed app is still listed")
	}
}
