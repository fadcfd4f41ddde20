package edge

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// startPage authorizes and returns the sign-in page's path.
func (w *siteWorld) startPage(t *testing.T, c *http.Client, extra ...string) string {
	t.Helper()
	_, challenge := pkce("p")
	status, h, _ := get(t, c, w.authorizeURL(challenge, extra...))
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("authorize: %d to %q", status, h.Get("Location"))
	}
	return h.Get("Location")
}

// TestEveryPageCarriesTheSecurityHeaders requests each kind of page and
// checks the headers the security middleware promises.
func TestEveryPageCarriesTheSecurityHeaders(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)
	signin := w.startPage(t, c)
	_, challenge := pkce("h")
	pagesToCheck := map[string]string{
		"sign-in page":      w.srv.URL + signin,
		"error page":        w.authorizeURL(challenge, "client_id", "app_unknown"),
		"unknown flow page": w.srv.URL + "/signin/flw_unknown",
		"logout page":       w.srv.URL + "/oauth2/default/v1/logout",
		"unknown path page": w.srv.URL + "/no/such/page",
	}
	nonces := map[string]bool{}
	for name, u := range pagesToCheck {
		t.Run(name, func(t *testing.T) {
			_, h, body := get(t, c, u)
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'nonce-", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-") {
				t.Errorf("CSP %q allows unsafe sources", csp)
			}
			nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
			if nonce == nil || nonces[nonce[1]] {
				t.Errorf("nonce missing or reused in %q", csp)
			} else {
				nonces[nonce[1]] = true
			}
			for header, want := range map[string]string{
				"Strict-Transport-Security": "max-age=31536000",
				"X-Content-Type-Options":    "nosniff",
				"X-Frame-Options":           "DENY",
				"Referrer-Policy":           "no-referrer",
				"Cache-Control":             "no-store",
			} {
				if got := h.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			if !strings.Contains(body, "<html") {
				t.Errorf("not a page: %q", body)
			}
		})
	}
}

// TestCSRFIsRefused posts the sign-in form without its token, with a wrong
// one, and from another site; each is refused and the flow stays put.
func TestCSRFIsRefused(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)
	page := w.srv.URL + w.startPage(t, c)
	_, _, body := get(t, c, page)
	good := formFields(body)
	good.Set("action", "next")
	good.Set("login", alice)
	cases := []struct {
		name   string
		form   func() url.Values
		origin string
	}{
		{"no token", func() url.Values { f := clone(good); f.Del("csrf"); return f }, w.srv.URL},
		{"wrong token", func() url.Values { f := clone(good); f.Set("csrf", "forged"); return f }, w.srv.URL},
		{"cross-site origin", func() url.Values { return clone(good) }, "https://evil.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := postForm(t, c, page, tc.form(), "Origin", tc.origin)
			if status != http.StatusForbidden || h.Get("Location") != "" {
				t.Fatalf("status %d, Location %q", status, h.Get("Location"))
			}
			if !strings.Contains(body, "<html") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Fatalf("not a branded page with headers:\n%s", body)
			}
			if _, _, now := get(t, c, page); !strings.Contains(now, `name="login"`) {
				t.Fatal("the refused post moved the flow on")
			}
		})
	}
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// normalizePage removes per-request tokens from a page for golden files.
func normalizePage(body string) string {
	for _, re := range []struct{ re, repl string }{
		{`flw_[a-z0-9]+`, "flw_FLOW"},
		{`name="csrf" value="[^"]*"`, `name="csrf" value="CSRF"`},
		{`name="flow_secret" value="[^"]*"`, `name="flow_secret" value="SECRET"`},
		// A change to a stylesheet or script is no change to the markup.
		{`(/assets/[a-z0-9_-]+)\.[0-9a-f]{12}\.`, `$1.HASH.`},
	} {
		body = regexp.MustCompile(re.re).ReplaceAllString(body, re.repl)
	}
	return strings.ReplaceAll(body, "><", ">\n<") + "\n"
}

// TestPagesInEachLanguage renders the identify and password pages in
// English and Arabic; Arabic pages are right-to-left.
func TestPagesInEachLanguage(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	for _, lang := range []struct{ tag, dir string }{{"en", "ltr"}, {"ar", "rtl"}} {
		t.Run(lang.tag, func(t *testing.T) {
			c := w.browser(t)
			page := w.srv.URL + w.startPage(t, c, "ui_locales", lang.tag)
			_, _, identify := get(t, c, page)
			if !strings.Contains(identify, `<html lang="`+lang.tag+`" dir="`+lang.dir+`">`) {
				t.Fatalf("identify page is not %s/%s", lang.tag, lang.dir)
			}
			golden(t, "pages/identify-"+lang.tag+".golden", normalizePage(identify))
			form := formFields(identify)
			form.Set("action", "next")
			form.Set("login", alice)
			postForm(t, c, page, form, "Origin", w.srv.URL)
			_, _, password := get(t, c, page)
			golden(t, "pages/password-"+lang.tag+".golden", normalizePage(password))
		})
	}
}
