package edge

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// rpLogin is the test app's initiate_login_uri.
const rpLogin = "https://rp.example.test/login"

// TestActivationOverTLS activates a provisioned account from its link
// through the hosted pages over TLS: showing the link uses nothing; using
// it activates and signs in this browser, verifies the address, offers a
// password, and sends the browser back to the app's initiate_login_uri
// with iss and login_hint and no credential; the app's own PKCE sign-in
// then ends at once in tokens. A used link is refused.
func TestActivationOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSiteWorld(t, b, clock.System())
			rp := w.relyingParty(t)
			ctx := context.Background()
			var token, userID string
			err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				login := rpLogin
				if _, err := w.tenants.UpdateApp(ctx, tx, w.acme.ID, w.app.ID, tenant.AppPatch{InitiateLoginURI: &login}); err != nil {
					return err
				}
				u, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: "bob@example.com", Status: directory.StatusProvisioned})
				if err != nil {
					return err
				}
				userID = u.ID
				token, err = w.dir.CreateActivation(ctx, tx, w.acme.ID, u.ID, time.Hour)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			rp.userID = userID
			link := w.srv.URL + "/activate/" + url.PathEscape(token) + "?app=" + w.app.ID
			c := w.browser(t)
			for range 2 {
				status, _, body := get(t, c, link)
				if status != http.StatusOK || !strings.Contains(body, `data-step="confirm-activation"`) || !strings.Contains(body, "Acme Portal") {
					t.Fatalf("activation page: %d\n%s", status, body)
				}
			}
			_, _, body := get(t, c, link)
			status, h, body := postForm(t, c, link, formFields(body), "Origin", w.srv.URL)
			if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
				t.Fatalf("activating: %d %s\n%s", status, h.Get("Location"), body)
			}
			page := w.srv.URL + h.Get("Location")
			_, _, body = get(t, c, page)
			if !strings.Contains(body, `name="new_password"`) || !strings.Contains(body, `value="skip"`) {
				t.Fatalf("password page:\n%s", body)
			}
			loc := w.post(t, c, page, engine.ActionSetPassword, "new_password", "a tidy new passphrase 7")
			back, err := url.Parse(loc)
			if err != nil || !strings.HasPrefix(loc, rpLogin+"?") || back.Query().Get("iss") != w.srv.URL+"/oauth2/default" ||
				back.Query().Get("login_hint") != "bob@example.com" || len(back.Query()) != 2 {
				t.Fatalf("returned to %q", loc)
			}
			// The app starts its own sign-in; the new session answers it.
			verifier := oauth2.GenerateVerifier()
			status, h, _ = get(t, c, rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", "bob@example.com")))
			if status != http.StatusSeeOther {
				t.Fatalf("authorize: %d", status)
			}
			rp.tokens(t, h.Get("Location"), verifier)
			var u directory.User
			if err := w.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				u, err = w.dir.User(ctx, tx, w.acme.ID, userID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if u.Status != directory.StatusActive || !u.EmailVerified {
				t.Fatalf("user %s, email verified %v", u.Status, u.EmailVerified)
			}
			if status, _, _ := get(t, c, link); status != http.StatusNotFound {
				t.Fatalf("a used link: %d", status)
			}
		})
	}
}
