package main

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/engine"
)

// TestProfileLanguageAndUILocales runs the binary and signs in over
// HTTP as a person whose profile says German, from a browser that asks
// for nothing in particular: the pages before the password stay in the
// browser's language (a page following a typed login would tell that
// the account exists), the consent page after it is German, and so is
// the sign-in email. ui_locales=en keeps the flow English after sign-in;
// ui_locales=ar renders right to left.
func TestProfileLanguageAndUILocales(t *testing.T) {
	b := startBranded(t)
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	de := cat.Localizer(language.German)
	if de.Lang() != "de" {
		t.Fatalf("the catalogs have no German: %s", de.Lang())
	}

	var users struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(call(t, http.MethodGet, b.api+"/users?q="+url.QueryEscape(b.login), b.admin, nil, http.StatusOK), &users); err != nil || len(users.Items) != 1 {
		t.Fatalf("the demo user: %v %+v", err, users)
	}
	call(t, http.MethodPatch, b.api+"/users/"+users.Items[0].ID, b.admin, map[string]any{"locale": "de-AT"}, http.StatusOK)
	// A third-party app: its consent page comes after the password.
	call(t, http.MethodPatch, b.api+"/apps/"+b.appB, b.admin, map[string]any{"consent_required": true}, http.StatusOK)

	var c *http.Client
	signIn := func(extra url.Values) (before, after string) {
		t.Helper()
		c = browserClient(t)
		page, body := b.signInPageWith(t, c, b.appB, extra)
		pw := b.act(t, c, page, body, engine.ActionNext, "login", b.login)
		return pw, b.act(t, c, page, pw, engine.ActionSignIn, "password", b.pass)
	}
	before, consent := signIn(nil)
	if !strings.Contains(before, `<html lang="en" dir="ltr"`) {
		t.Errorf("the password page is not in the browser's language:\n%.300s", before)
	}
	if !strings.Contains(consent, `<html lang="de" dir="ltr"`) || !strings.Contains(consent, html.EscapeString(de.Text("consent.title"))) {
		t.Errorf("the consent page after sign-in is not German:\n%.2000s", consent)
	}
	// The account pages know the person too.
	if _, _, security := fetch(t, c, mustRequest(t, b.base+"/account/security")); !strings.Contains(security, `<html lang="de" dir="ltr"`) {
		t.Errorf("the account's sign-in methods page is not German:\n%.300s", security)
	}
	if _, consent := signIn(url.Values{"ui_locales": {"en"}}); !strings.Contains(consent, `<html lang="en" dir="ltr"`) {
		t.Errorf("ui_locales=en did not keep the flow English:\n%.300s", consent)
	}

	// The second sign-in came from a browser the account had not used:
	// the notice is German too.
	notice := b.sink.Wait(t, 1, 30*time.Second)[0]
	if !strings.Contains(notice.HTML, `lang="de"`) || !strings.Contains(notice.Text, de.Text("mail.common.if_you_did")) {
		t.Errorf("the new-device notice is not German:\n%s", notice.Text)
	}
	b.mailsSoFar = 1
	_, msg := b.signInByEmail(t, b.appA)
	var app struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(call(t, http.MethodGet, b.api+"/apps/"+b.appA, b.admin, nil, http.StatusOK), &app); err != nil {
		t.Fatal(err)
	}
	if want := de.Text("mail.passwordless.subject", "app", app.Name); msg.Subject != want {
		t.Errorf("the sign-in email's subject is %q, want %q", msg.Subject, want)
	}
	if !strings.Contains(msg.HTML, `lang="de"`) || !strings.Contains(msg.Text, de.Text("mail.passwordless.enter_code")) {
		t.Errorf("the sign-in email is not German:\n%s", msg.Text)
	}

	_, ar := b.signInPageWith(t, browserClient(t), b.appA, url.Values{"ui_locales": {"ar-EG en"}})
	l := cat.Localizer(language.Arabic)
	if !strings.Contains(ar, `<html lang="ar" dir="rtl"`) || !strings.Contains(ar, html.EscapeString(l.Text("identify.title"))) {
		t.Errorf("ui_locales=ar-EG did not render Arabic, right to left:\n%.600s", ar)
	}
}
