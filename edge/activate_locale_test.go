package edge

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestActivationKeepsTheAccountLanguage opens the activation link of an
// account whose language is Arabic in a browser that asks for English:
// the confirmation page is in Arabic (the account's language), and so
// must be the page that follows it. (It is in English: edge/activate.go,
// activatePost, starts the activation with s.localizer(r), the browser's
// language, where activatePage used s.localizerFor(info.Locale, r); the
// flow keeps that language to the end.)
func TestActivationKeepsTheAccountLanguage(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	var token string
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: "layla@example.com", Locale: "ar", Status: directory.StatusProvisioned})
		if err != nil {
			return err
		}
		token, err = w.dir.CreateActivation(ctx, tx, w.acme.ID, u.ID, time.Hour)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := w.browser(t)
	link := w.srv.URL + "/activate/" + url.PathEscape(token)
	status, _, body := get(t, c, link, "Accept-Language", "en")
	if status != http.StatusOK || !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
		t.Fatalf("confirmation page: %d\n%s", status, body)
	}
	status, h, _ := postForm(t, c, link, formFields(body), "Origin", w.srv.URL, "Accept-Language", "en")
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("activating: %d %q", status, h.Get("Location"))
	}
	status, _, body = get(t, c, w.srv.URL+h.Get("Location"), "Accept-Language", "en")
	if status != http.StatusOK || !strings.Contains(body, `name="new_password"`) {
		t.Fatalf("password page: %d\n%s", status, body)
	}
	if !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
		t.Fatalf("the page after the Arabic confirmation is not in Arabic:\n%s", body)
	}
}
