package edge

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// unknownLogin has no account; it is as long as alice's login, though the
// comparison replaces both anyway.
const unknownLogin = "nobody@example.com"

// TestEnumerationResistance walks the same sign-in for an existing account
// and for a login without one, through the hosted pages and through the
// flow API: identify, a wrong password, an emailed code, a wrong code.
// Every answer (status, headers that matter, body) must be byte-identical
// once flow IDs, CSRF tokens, flow secrets, CSP nonces and the typed login
// are replaced, and both walks must run the password hasher equally often.
func TestEnumerationResistance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
			w := newSiteWorld(t, b, clk)
			for _, api := range []struct {
				name string
				walk func(t *testing.T, w *siteWorld, login string) []string
			}{{"hosted pages", walkPages}, {"flow API", walkFlowAPI}} {
				t.Run(api.name, func(t *testing.T) {
					before := w.passwords.Derivations()
					known := api.walk(t, w, alice)
					hashedKnown := w.passwords.Derivations() - before
					before = w.passwords.Derivations()
					unknown := api.walk(t, w, unknownLogin)
					hashedUnknown := w.passwords.Derivations() - before
					if len(known) != len(unknown) {
						t.Fatalf("%d answers for the account, %d for the unknown login", len(known), len(unknown))
					}
					for i := range known {
						if known[i] != unknown[i] {
							t.Fatalf("answer %d differs:\n--- existing account\n%s\n--- unknown login\n%s", i, known[i], unknown[i])
						}
					}
					if hashedKnown != hashedUnknown || hashedKnown == 0 {
						t.Fatalf("password hasher ran %d times for the account, %d for the unknown login", hashedKnown, hashedUnknown)
					}
					// Only the real account got mail.
					for _, m := range w.delivered(t) {
						if m.To[0] != alice {
							t.Fatalf("mail to %v", m.To)
						}
					}
				})
			}
		})
	}
}

var (
	flowIDs   = regexp.MustCompile(`flw_[a-z2-7]+`)
	hidden    = regexp.MustCompile(`name="(csrf|flow_secret)" value="[^"]*"`)
	nonces    = regexp.MustCompile(`nonce-[A-Za-z0-9_-]+`)
	nonceAttr = regexp.MustCompile(`nonce="[A-Za-z0-9_-]*"`)
	requestID = regexp.MustCompile(`[A-Z0-9]{26}`)
)

// sameShape replaces what differs between any two walks.
func sameShape(s, login string) string {
	s = flowIDs.ReplaceAllString(s, "flw_FLOW")
	s = hidden.ReplaceAllString(s, `name="$1" value="X"`)
	s = nonces.ReplaceAllString(s, "nonce-X")
	s = nonceAttr.ReplaceAllString(s, `nonce="X"`)
	s = requestID.ReplaceAllString(s, "REQUEST")
	return strings.ReplaceAll(s, login, "LOGIN")
}

// answer renders a response for comparison: status, the headers a person
// or a script could read, and the body.
func answer(status int, h http.Header, body, login string) string {
	var keys []string
	for k := range h {
		switch k {
		case "Date", "Set-Cookie", "X-Request-Id", "Content-Length":
			continue // per response; cookie values and lengths hold nonces
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", status)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(h[k], ", "))
	}
	b.WriteString("\n" + body)
	return sameShape(b.String(), login)
}

// walkPages signs in through the hosted pages and returns every answer.
func walkPages(t *testing.T, w *siteWorld, login string) []string {
	t.Helper()
	c := w.browser(t)
	var out []string
	_, challenge := pkce("enum")
	status, h, _ := get(t, c, w.authorizeURL(challenge))
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	page := w.srv.URL + h.Get("Location")
	step := func(action string, kv ...string) {
		_, _, body := get(t, c, page)
		form := formFields(body)
		form.Set("action", action)
		for i := 0; i+1 < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		status, h, body := postForm(t, c, page, form, "Origin", w.srv.URL)
		out = append(out, answer(status, h, body, login))
		status, h, body = get(t, c, page)
		out = append(out, answer(status, h, body, login))
	}
	step(engine.ActionNext, "login", login)
	step(engine.ActionSignIn, "password", "not the password")
	step(engine.ActionEmailCode)
	step(engine.ActionEnterCode)
	step(engine.ActionVerify, "code", "000000")
	step(engine.ActionResend)
	return out
}

// walkFlowAPI signs in through the flow API and returns every answer.
func walkFlowAPI(t *testing.T, w *siteWorld, login string) []string {
	t.Helper()
	c := w.browser(t)
	_, challenge := pkce("enum")
	start := wire.StartRequest{ClientID: w.app.ID, RedirectURI: rpCallback, Scope: "openid", State: "s", CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil))
	if status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	id, secret := flowIDs.FindString(body), h.Get(FlowSecretHeader)
	var out []string
	step := func(action string, kv ...string) {
		req := wire.ContinueRequest{Action: action}
		for i := 0; i+1 < len(kv); i += 2 {
			req.Values = append(req.Values, wire.Param{Name: kv[i], Value: kv[i+1]})
		}
		status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows/"+id, secret, req.AppendJSON(nil))
		out = append(out, answer(status, h, body, login))
	}
	step(engine.ActionNext, "login", login)
	step(engine.ActionSignIn, "password", "not the password")
	step(engine.ActionEmailCode)
	step(engine.ActionEnterCode)
	step(engine.ActionVerify, "code", "000000")
	step(engine.ActionResend)
	return out
}
