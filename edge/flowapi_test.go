package edge

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// normalize replaces what changes from run to run (flow IDs, codes) so a
// golden file can hold a flow answer.
func normalize(body string, w *siteWorld) string {
	body = regexp.MustCompile(`flw_[a-z0-9]+`).ReplaceAllString(body, "flw_FLOW")
	body = regexp.MustCompile(`code=[A-Za-z0-9_-]+`).ReplaceAllString(body, "code=CODE")
	body = strings.ReplaceAll(body, w.app.ID, "app_APP")
	body = strings.ReplaceAll(body, url.QueryEscape(w.srv.URL), "ISSUER_BASE")
	body = strings.ReplaceAll(body, w.srv.URL, "BASE")
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(body), "", "  ") == nil {
		return pretty.String() + "\n"
	}
	return body
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func jsonRequest(t *testing.T, c *http.Client, method, u, secret string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(FlowSecretHeader, secret)
	}
	return do(t, c, req)
}

// TestFlowAPISignsIn signs in through /api/v1/flows alone: PKCE start,
// identify, password, done, then code and token, with a golden answer per
// step; a continuation without the flow secret is refused.
func TestFlowAPISignsIn(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	w := newSiteWorld(t, storetest.SQLite(), clk)
	c := w.browser(t)
	verifier, challenge := pkce("v")
	start := wire.StartRequest{ClientID: w.app.ID, RedirectURI: rpCallback, Scope: "openid email", State: "s1", Nonce: "n1", CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil))
	if status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	secret := h.Get(FlowSecretHeader)
	flow, err := wire.ParseFlow([]byte(body))
	if err != nil || secret == "" {
		t.Fatalf("start answer %q secret %q: %v", body, secret, err)
	}
	golden(t, "flowapi/1-identify.golden", normalize(body, w))
	next := w.srv.URL + "/api/v1/flows/" + flow.ID

	step := func(name, secret string, req wire.ContinueRequest) (int, string) {
		status, _, body := jsonRequest(t, c, http.MethodPost, next, secret, req.AppendJSON(nil))
		return status, body
	}
	if status, body := step("no secret", "", wire.ContinueRequest{Action: engine.ActionNext, Values: []wire.Param{{Name: "login", Value: alice}}}); status != http.StatusUnauthorized {
		t.Fatalf("continue without the flow secret: %d %s", status, body)
	}
	if status, body := step("wrong secret", "x"+secret, wire.ContinueRequest{Action: engine.ActionNext, Values: []wire.Param{{Name: "login", Value: alice}}}); status != http.StatusNotFound {
		t.Fatalf("continue with a wrong secret: %d %s", status, body)
	}
	status, body = step("identify", secret, wire.ContinueRequest{Action: engine.ActionNext, Values: []wire.Param{{Name: "login", Value: alice}}})
	if status != http.StatusOK {
		t.Fatalf("identify: %d %s", status, body)
	}
	golden(t, "flowapi/2-password.golden", normalize(body, w))
	status, body = step("wrong password", secret, wire.ContinueRequest{Action: engine.ActionSignIn, Values: []wire.Param{{Name: "password", Value: "wrong"}}})
	if status != http.StatusOK {
		t.Fatalf("wrong password: %d %s", status, body)
	}
	golden(t, "flowapi/3-wrong-password.golden", normalize(body, w))
	status, body = step("password", secret, wire.ContinueRequest{Action: engine.ActionSignIn, Values: []wire.Param{{Name: "password", Value: alicePass}}})
	if status != http.StatusOK {
		t.Fatalf("password: %d %s", status, body)
	}
	golden(t, "flowapi/4-done.golden", normalize(body, w))
	done, err := wire.ParseFlow([]byte(body))
	if err != nil || done.Step != wire.StepDone {
		t.Fatalf("done: %v %q", err, body)
	}
	cb, _ := url.Parse(done.Redirect)
	code := cb.Query().Get("code")

	token := func(code, verifier string) (int, string) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}, "code_verifier": {verifier}}
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/oauth2/default/v1/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(w.app.ID), url.QueryEscape(w.secret))
		status, _, body := do(t, c, req)
		return status, body
	}
	status, body = token(code, verifier)
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != http.StatusOK || err != nil || tok.IDToken == "" || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", status, body)
	}
	if status, body := token(code, verifier); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("replayed code: %d %s", status, body)
	}

	// A second sign-in, whose code is presented with the wrong verifier.
	_, challenge2 := pkce("x")
	start.CodeChallenge, start.Prompt = challenge2, "login" // the browser is signed in now
	_, h, body = jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil))
	flow2, _ := wire.ParseFlow([]byte(body))
	secret2, next2 := h.Get(FlowSecretHeader), w.srv.URL+"/api/v1/flows/"+flow2.ID
	jsonRequest(t, c, http.MethodPost, next2, secret2, wire.ContinueRequest{Action: engine.ActionNext, Values: []wire.Param{{Name: "login", Value: alice}}}.AppendJSON(nil))
	_, _, body = jsonRequest(t, c, http.MethodPost, next2, secret2, wire.ContinueRequest{Action: engine.ActionSignIn, Values: []wire.Param{{Name: "password", Value: alicePass}}}.AppendJSON(nil))
	done2, _ := wire.ParseFlow([]byte(body))
	cb2, _ := url.Parse(done2.Redirect)
	if status, body := token(cb2.Query().Get("code"), verifier); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("wrong verifier: %d %s", status, body)
	}
}

// TestFlowAPIAnswersHTMLFragments returns the step as the pages' markup.
func TestFlowAPIAnswersHTMLFragments(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)
	_, challenge := pkce("f")
	start := wire.StartRequest{ClientID: w.app.ID, RedirectURI: rpCallback, Scope: "openid", State: "s", CodeChallenge: challenge, CodeChallengeMethod: "S256", UILocales: "ar"}
	status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil))
	if status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	flow, _ := wire.ParseFlow([]byte(body))
	req, _ := http.NewRequest(http.MethodGet, w.srv.URL+"/api/v1/flows/"+flow.ID, nil)
	req.Header.Set(FlowSecretHeader, h.Get(FlowSecretHeader))
	req.Header.Set("Accept", "text/html")
	status, rh, frag := do(t, c, req)
	if status != http.StatusOK || !strings.HasPrefix(rh.Get("Content-Type"), "text/html") {
		t.Fatalf("fragment: %d %s", status, rh.Get("Content-Type"))
	}
	if !strings.Contains(frag, `data-step="identify"`) || !strings.Contains(frag, `name="login"`) || strings.Contains(frag, "<html") {
		t.Fatalf("not the identify fragment:\n%s", frag)
	}
}
