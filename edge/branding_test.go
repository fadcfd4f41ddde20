package edge

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// brandedWorld is a site world whose pages wear published themes.
type brandedWorld struct {
	*siteWorld
	themes *branding.Service
}

func newBrandedWorld(t *testing.T) *brandedWorld {
	t.Helper()
	clk := clock.System()
	var svc *branding.Service
	w := buildSiteWorld(t, storetest.SQLite(), clk, worldOptions{config: func(c *Config) {
		var err error
		svc, err = branding.New(branding.Deps{Store: c.Engine.Store, Tenants: c.Tenants, Clock: clk,
			MAC: func(purpose string, v []byte) []byte {
				m := hmac.New(sha256.New, []byte("test key "+purpose))
				m.Write(v)
				return m.Sum(nil)
			},
			Checks: themes.Checks{Text: c.Locales.CheckText, PageTemplate: pagetemplate.Check}})
		if err != nil {
			t.Fatal(err)
		}
		set, err := emailtemplates.New(c.Locales)
		if err != nil {
			t.Fatal(err)
		}
		mail := &branding.Mail{Themes: svc, Tenants: c.Tenants, Templates: set, Logger: c.Logger}
		if c.Previewer, err = NewPreviewer(PreviewerDeps{Store: c.Engine.Store, Tenants: c.Tenants, Locales: c.Locales, Mail: mail}); err != nil {
			t.Fatal(err)
		}
		c.Branding = svc
	}})
	return &brandedWorld{siteWorld: w, themes: svc}
}

// publish makes doc scope's live theme.
func (w *brandedWorld) publish(t *testing.T, scope string, doc themes.Document) {
	t.Helper()
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, _, err := w.themes.SaveDraft(ctx, tx, w.acme.ID, scope, doc); err != nil {
			return err
		}
		_, err := w.themes.Publish(ctx, tx, w.acme.ID, scope, branding.PublishInput{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

const acmeTemplate = `<!DOCTYPE html><html><head><title>Acme</title>
<link rel="stylesheet" href="https://cdn.acme.example/site.css"><lintel-slot name="head"></lintel-slot></head>
<body><header class="acme-header">Acme Corporation</header><lintel-slot name="form"></lintel-slot>
<footer class="acme-footer"><a href="/help">Help</a><lintel-slot name="footer"></lintel-slot></footer></body></html>`

// TestPagesWearTheirTheme publishes a tenant theme with a page template
// and texts, and an app theme over it: the app's sign-in page has the
// app's primary colour, the tenant's wording and page around the form,
// and a CSP that lets the template's stylesheet in and nothing more.
func TestPagesWearTheirTheme(t *testing.T) {
	w := newBrandedWorld(t)
	w.publish(t, w.acme.ID, themes.Document{Tokens: themes.Tokens{"color-primary": "#0b6e4f"}, Texts: map[string]map[string]string{"en": {"identify.title": "Welcome to Acme"}},
		PageTemplate: acmeTemplate, StyleOrigins: []string{"https://cdn.acme.example"}})
	w.publish(t, w.app.ID, themes.Document{Tokens: themes.Tokens{"color-primary": "#6a1b9a"}})

	c := w.browser(t)
	_, h, body := get(t, c, w.srv.URL+w.startPage(t, c))
	csp := h.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	for _, want := range []string{"--lt-color-primary: #6a1b9a", "Welcome to Acme", `<header class="acme-header">Acme Corporation</header>`, `class="lt-card"`,
		`<link rel="stylesheet" href="https://cdn.acme.example/site.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if nonce == nil || !strings.Contains(body, `<style nonce="`+nonce[1]+`">`) {
		t.Errorf("the theme's style does not carry the CSP nonce")
	}
	if !strings.Contains(csp, "style-src 'self' 'nonce-"+nonce[1]+"' https://cdn.acme.example;") || strings.Contains(csp, "unsafe-") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(body, "#0b6e4f") {
		t.Error("the app's primary does not override the tenant's")
	}

	// The widget's stylesheet is the app's tokens.
	_, h, css := get(t, c, w.srv.URL+"/branding/theme.css?client_id="+w.app.ID)
	if !strings.Contains(css, "--lt-color-primary: #6a1b9a;") || h.Get("Content-Type") != "text/css; charset=utf-8" || h.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Errorf("theme.css: %v\n%s", h, css)
	}
}

// TestBrandAssetsAreServedSandboxed stores a hostile SVG: what is served
// is the sanitised drawing, sandboxed, cached for ever.
func TestBrandAssetsAreServedSandboxed(t *testing.T) {
	w := newBrandedWorld(t)
	var a branding.Asset
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		a, _, err = w.themes.PutAsset(ctx, tx, w.acme.ID, "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script><rect width="10" height="10" fill="#0b6e4f"/><image href="https://evil.example/x.png"/></svg>`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	status, h, body := get(t, w.browser(t), w.srv.URL+AssetsPrefix+a.ID)
	if status != http.StatusOK || h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %v", status, h)
	}
	for _, bad := range []string{"script", "onload", "evil.example", "alert"} {
		if strings.Contains(body, bad) {
			t.Errorf("the served SVG holds %q:\n%s", bad, body)
		}
	}
	if !strings.Contains(body, "#0b6e4f") {
		t.Errorf("the drawing is gone:\n%s", body)
	}
	if status, _, _ := get(t, w.browser(t), w.srv.URL+AssetsPrefix+"ast_none"); status != http.StatusNotFound {
		t.Errorf("unknown asset: %d", status)
	}
}

// TestPreviewsRenderDraftsByTicket previews a draft through a ticket:
// every screen and every email renders with the draft's colours, sandboxed;
// a forged or expired ticket sees nothing.
func TestPreviewsRenderDraftsByTicket(t *testing.T) {
	w := newBrandedWorld(t)
	w.publish(t, w.app.ID, themes.Document{Tokens: themes.Tokens{"color-primary": "#0b6e4f"}})
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, _, err := w.themes.SaveDraft(ctx, tx, w.acme.ID, w.app.ID, themes.Document{Base: "dark", Tokens: themes.Tokens{"color-primary": "#ce93d8", "color-on-primary": "#1b1d24"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ticket := w.themes.IssueTicket(branding.Ticket{TenantID: w.acme.ID, ScopeID: w.app.ID, AppID: w.app.ID, Expires: time.Now().Add(time.Minute)})
	c := w.browser(t)
	for _, s := range []string{"identify", "challenge-password", "error-404", "logout"} {
		status, h, body := get(t, c, w.srv.URL+"/branding/preview/"+ticket+"/screens/"+s+"?locale=ar")
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox;") || !strings.Contains(body, "--lt-color-primary: #ce93d8") ||
			!strings.Contains(body, `dir="rtl"`) || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v\n%s", s, status, h, body)
		}
	}
	for _, k := range []string{"passwordless", "recovery", "email-changed"} {
		status, _, body := get(t, c, w.srv.URL+"/branding/preview/"+ticket+"/emails/"+k)
		// The draft's dark base, and its primary where the email has a button.
		if status != http.StatusOK || !strings.Contains(body, "#111318") || (k != "email-changed" && !strings.Contains(strings.ToLower(body), "#ce93d8")) {
			t.Errorf("email %s: %d\n%s", k, status, body)
		}
	}
	for name, u := range map[string]string{
		"forged ticket":  "/branding/preview/" + ticket[:len(ticket)-2] + "xx/screens/identify",
		"expired ticket": "/branding/preview/" + w.themes.IssueTicket(branding.Ticket{TenantID: w.acme.ID, ScopeID: w.app.ID, Expires: time.Now().Add(-time.Minute)}) + "/screens/identify",
	} {
		if status, _, body := get(t, c, w.srv.URL+u); status != http.StatusForbidden || strings.Contains(body, "ce93d8") {
			t.Errorf("%s: %d", name, status)
		}
	}
	if status, _, _ := get(t, c, w.srv.URL+"/branding/preview/"+ticket+"/screens/no-such-screen"); status != http.StatusNotFound {
		t.Errorf("unknown screen: %d", status)
	}
	// The live page still shows the published version.
	_, _, body := get(t, c, w.srv.URL+w.startPage(t, c))
	if !strings.Contains(body, "#0b6e4f") || strings.Contains(body, "#ce93d8") {
		t.Error("a draft reached the live page")
	}
}
