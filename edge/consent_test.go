package edge

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

const partnerCallback = "https://partner.example.net/callback"

// partner adds a third-party app (ConsentRequired) to the world.
func (w *siteWorld) partner(t *testing.T) tenant.App {
	t.Helper()
	var app tenant.App
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		app, _, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{
			Name: "Partner", Type: tenant.AppSPA, RedirectURIs: []string{partnerCallback}, ConsentRequired: true,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// toConsent walks a third-party app's sign-in on the hosted pages up to
// the consent page and returns its URL and body.
func (w *siteWorld) toConsent(t *testing.T, c *http.Client, app tenant.App, extra ...string) (string, string) {
	t.Helper()
	_, challenge := pkce("c")
	status, h, _ := get(t, c, w.authorizeURL(challenge, append([]string{"client_id", app.ID, "redirect_uri", partnerCallback, "scope", "openid email"}, extra...)...))
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("authorize: %d to %q", status, h.Get("Location"))
	}
	page := w.srv.URL + h.Get("Location")
	for _, step := range []struct{ action, name, value string }{
		{engine.ActionNext, "login", alice}, {engine.ActionSignIn, "password", alicePass},
	} {
		_, _, body := get(t, c, page)
		form := formFields(body)
		form.Set("action", step.action)
		form.Set(step.name, step.value)
		status, h, body := postForm(t, c, page, form, "Origin", w.srv.URL)
		if status != http.StatusSeeOther || w.srv.URL+h.Get("Location") != page {
			t.Fatalf("%s: %d to %q\n%s", step.action, status, h.Get("Location"), body)
		}
	}
	_, _, body := get(t, c, page)
	if !strings.Contains(body, `data-step="consent"`) {
		t.Fatalf("not the consent page:\n%s", body)
	}
	return page, body
}

// TestConsentPage shows a third-party app's consent step on the hosted
// page with JavaScript off, in English and Arabic: allowing sends a code,
// denying sends access_denied, and the session made at the password step
// is kept either way.
func TestConsentPage(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	app := w.partner(t)
	for _, lang := range []string{"en", "ar"} {
		t.Run("renders in "+lang, func(t *testing.T) {
			_, body := w.toConsent(t, w.browser(t), app, "ui_locales", lang)
			golden(t, "pages/consent-"+lang+".golden", normalizePage(strings.ReplaceAll(body, app.ID, "app_APP")))
		})
	}
	t.Run("allow sends a code and the next sign-in skips consent", func(t *testing.T) {
		c := w.browser(t)
		page, body := w.toConsent(t, c, app)
		form := formFields(body)
		form.Set("action", engine.ActionAccept)
		status, h, _ := postForm(t, c, page, form, "Origin", w.srv.URL)
		if loc, _ := url.Parse(h.Get("Location")); status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), partnerCallback) || loc.Query().Get("code") == "" {
			t.Fatalf("allow: %d to %q", status, h.Get("Location"))
		}
		_, challenge := pkce("d")
		status, h, _ = get(t, c, w.authorizeURL(challenge, "client_id", app.ID, "redirect_uri", partnerCallback, "scope", "openid"))
		if loc, _ := url.Parse(h.Get("Location")); status != http.StatusSeeOther || loc.Query().Get("code") == "" {
			t.Fatalf("second sign-in: %d to %q", status, h.Get("Location"))
		}
	})
	t.Run("deny sends access_denied and keeps the session", func(t *testing.T) {
		c := w.browser(t)
		// Alice consented above: prompt=consent asks again.
		page, body := w.toConsent(t, c, app, "prompt", "consent")
		form := formFields(body)
		form.Set("action", engine.ActionDeny)
		status, h, _ := postForm(t, c, page, form, "Origin", w.srv.URL)
		if loc, _ := url.Parse(h.Get("Location")); status != http.StatusSeeOther || loc.Query().Get("error") != "access_denied" {
			t.Fatalf("deny: %d to %q", status, h.Get("Location"))
		}
		_, challenge := pkce("e")
		status, h, _ = get(t, c, w.authorizeURL(challenge))
		if loc, _ := url.Parse(h.Get("Location")); status != http.StatusSeeOther || loc.Query().Get("code") == "" {
			t.Fatalf("first-party app after the denial: %d to %q", status, h.Get("Location"))
		}
	})
}

// TestFlowAPIConsentFragment answers the consent step as JSON and as the
// pages' markup.
func TestFlowAPIConsentFragment(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	app := w.partner(t)
	c := w.browser(t)
	_, challenge := pkce("f")
	start := wire.StartRequest{ClientID: app.ID, RedirectURI: partnerCallback, Scope: "openid profile", State: "s", CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil))
	if status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	flow, _ := wire.ParseFlow([]byte(body))
	secret, next := h.Get(FlowSecretHeader), w.srv.URL+"/api/v1/flows/"+flow.ID
	jsonRequest(t, c, http.MethodPost, next, secret, wire.ContinueRequest{Action: engine.ActionNext, Values: []wire.Param{{Name: "login", Value: alice}}}.AppendJSON(nil))
	_, _, body = jsonRequest(t, c, http.MethodPost, next, secret, wire.ContinueRequest{Action: engine.ActionSignIn, Values: []wire.Param{{Name: "password", Value: alicePass}}}.AppendJSON(nil))
	consent, err := wire.ParseFlow([]byte(body))
	if err != nil || consent.Step != wire.StepConsent || len(consent.Fields) != 1 || consent.Fields[0].Type != wire.FieldList {
		t.Fatalf("consent step: %v %s", err, body)
	}
	req, _ := http.NewRequest(http.MethodGet, next, nil)
	req.Header.Set(FlowSecretHeader, secret)
	req.Header.Set("Accept", "text/html")
	status, _, frag := do(t, c, req)
	if status != http.StatusOK || strings.Contains(frag, "<html") {
		t.Fatalf("fragment: %d\n%s", status, frag)
	}
	for _, want := range []string{`data-step="consent"`, "Partner wants to access your account.", "<li part=\"list-item\">Know who you are when you sign in</li>",
		"See your name and preferred language", `value="accept"`, `value="deny"`} {
		if !strings.Contains(frag, want) {
			t.Errorf("fragment lacks %q:\n%s", want, frag)
		}
	}
	_, _, body = jsonRequest(t, c, http.MethodPost, next, secret, wire.ContinueRequest{Action: engine.ActionAccept}.AppendJSON(nil))
	if done, err := wire.ParseFlow([]byte(body)); err != nil || done.Step != wire.StepDone || !strings.Contains(done.Redirect, "code=") {
		t.Fatalf("accept: %v %s", err, body)
	}
}
