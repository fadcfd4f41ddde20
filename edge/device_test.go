package edge

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestDeviceCookie: the first sign-in page a browser sees gives it a
// long-lived device cookie (HttpOnly, Secure and __Host- on HTTPS,
// SameSite=Lax, two years) holding a random ID; a browser that has one
// keeps it.
func TestDeviceCookie(t *testing.T) {
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	w := newSiteWorld(t, storetest.SQLite(), clk)
	browser := w.browser(t)
	_, challenge := pkce("device")
	status, h, _ := get(t, browser, w.authorizeURL(challenge))
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	var device *http.Cookie
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "__Host-"+deviceCookieName {
			device = c
		}
	}
	if device == nil {
		t.Fatalf("no device cookie: %v", h.Values("Set-Cookie"))
	}
	if !device.HttpOnly || !device.Secure || device.SameSite != http.SameSiteLaxMode || device.Path != "/" || device.MaxAge != 2*365*24*3600 || !validDeviceID(device.Value) {
		t.Fatalf("device cookie %+v", device)
	}
	_, h, _ = get(t, browser, w.authorizeURL(challenge))
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == device.Name {
			t.Fatalf("a browser with a device cookie got another: %+v", c)
		}
	}
	other := w.browser(t)
	_, h, _ = get(t, other, w.authorizeURL(challenge))
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == device.Name && c.Value == device.Value {
			t.Fatal("two browsers got the same device ID")
		}
	}
}

// TestSecurityChangePassword: the account page offers to change the
// password; the change ends back on the page, which says so.
func TestSecurityChangePassword(t *testing.T) {
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	w := newSiteWorld(t, storetest.SQLite(), clk)
	browser := w.browser(t)
	_, challenge := pkce("pw")
	w.signIn(t, browser, w.authorizeURL(challenge), alice, alicePass)
	status, _, body := get(t, browser, w.srv.URL+engine.SecurityPath)
	if status != http.StatusOK || !strings.Contains(body, `value="password"`) || !strings.Contains(body, "Change password") {
		t.Fatalf("security page %d:\n%s", status, body)
	}
	if strings.Contains(body, `data-kind="password"`) {
		t.Fatal("the password is listed as a removable factor")
	}
	form := formFields(body)
	form.Set("action", "add")
	form.Set("factor", engine.FactorPassword)
	status, h, body := postForm(t, browser, w.srv.URL+engine.SecurityPath, form, "Origin", w.srv.URL)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("change password: %d %s", status, body)
	}
	flow := h.Get("Location")
	_, _, page := get(t, browser, w.srv.URL+flow)
	if !strings.Contains(page, `name="new_password"`) || !strings.Contains(page, `value="cancel"`) {
		t.Fatalf("password step:\n%s", page)
	}
	form = formFields(page)
	form.Set("action", engine.ActionSetPassword)
	form.Set("new_password", "a brand new passphrase 42")
	status, h, body = postForm(t, browser, w.srv.URL+flow, form, "Origin", w.srv.URL)
	loc := h.Get("Location")
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, engine.SecurityPath+"?done="+engine.DonePassword) {
		t.Fatalf("after the change: %d %q %s", status, loc, body)
	}
	u, _ := url.Parse(loc)
	if _, _, body = get(t, browser, w.srv.URL+u.RequestURI()); !strings.Contains(body, "Your password was changed.") {
		t.Fatalf("the page does not say the password changed:\n%s", body)
	}
}
