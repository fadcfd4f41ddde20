//go:build !js

package loader_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/widget/core"
	"github.com/lintel-id/lintel/widget/dist"
	"github.com/lintel-id/lintel/widget/loader"
)

// handoverSite is a host page with the widget, the widget's files and a
// flow API with one flow: identify with an identity provider's button,
// then the hand-over to the provider (redirect-idp), which Lintel's own
// page at /signin/f1/idp receives. The app's redirect URI is /cb, a page
// that calls Lintel.handleRedirect and redeems the code at /token.
type handoverSite struct {
	t      *testing.T
	wasm   []byte // nil: the widget stays server-rendered
	goroot string // where wasm_exec.js is, under lib/wasm
	origin string // the site's origin, http on loopback
	// back, when set, makes the hand-over redirect at once to /cb with
	// the query it returns for the state the flow started with, as
	// Lintel's pages do after the provider; nil shows the provider.
	back func(state string) url.Values

	mu         sync.Mutex
	step       int
	state      string   // the state the flow started with
	challenge  string   // the PKCE challenge the flow started with
	posted     []string // what /signin/f1/idp received: method, query and body
	redirected string   // where the hand-over sent the browser back to
	tokens     []string // what /token answered: "ok" or why it refused
}

// handoverTexts are the texts the flow's steps show.
var handoverTexts = wire.Catalog{Lang: "en", Messages: map[string]string{
	"identify.title": "Sign in", "federation.continue_with": "Continue with {name}", "federation.or": "or", "action.next": "Next",
}}

// flow is the current step: identify, then the hand-over.
func (s *handoverSite) flow() wire.Flow {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := []wire.Param{{Name: "name", Value: "Acme SSO"}, {Name: "kind", Value: "oidc"}}
	if s.step == 0 {
		return wire.Flow{ID: "f1", Step: wire.StepIdentify, Context: wire.Context{Locale: "en"},
			Fields: []wire.Field{{Name: "login", Type: wire.FieldEmail, Required: true}},
			Actions: []wire.Action{{Name: "next", Method: "POST", Label: "action.next", Primary: true},
				{Name: "idp:acme", Method: "POST", Label: "federation.continue_with", LabelParams: name}}}
	}
	return wire.Flow{ID: "f1", Step: wire.StepRedirectIdP, Context: wire.Context{Locale: "en"},
		Actions: []wire.Action{{Name: "redirect", Method: "POST", Href: s.origin + "/signin/f1/idp",
			Label: "federation.continue_with", LabelParams: name, Primary: true}}}
}

func (s *handoverSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<!doctype html><html><body><div id="w"></div><script src="/lintel.js"></script>
<script>Lintel.mount(document.getElementById("w"), {issuer: location.origin, clientId: "app", redirectUri: location.origin + "/cb"})</script></body></html>`)
	case r.URL.Path == "/lintel.js":
		m := map[string]string{}
		if s.wasm != nil {
			m = map[string]string{"runtime": "/wasm_exec.js", "wasm": "/w.wasm"}
		}
		b, _ := json.Marshal(m)
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(bytes.Replace(loader.Script(), []byte(loader.ManifestPlaceholder), b, 1))
	case r.URL.Path == "/wasm_exec.js":
		b, err := os.ReadFile(filepath.Join(s.goroot, "lib", "wasm", "wasm_exec.js"))
		if err != nil {
			s.t.Error(err)
		}
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(b)
	case r.URL.Path == "/w.wasm":
		w.Header().Set("Content-Type", "application/wasm")
		_, _ = w.Write(s.wasm)
	case r.URL.Path == "/signin/f1/idp":
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.posted = append(s.posted, r.Method+" ?"+r.URL.RawQuery+" "+string(body))
		if s.back != nil {
			s.redirected = s.origin + "/cb?" + s.back(s.state).Encode()
			http.Redirect(w, r, s.redirected, http.StatusSeeOther)
			return
		}
		_, _ = io.WriteString(w, `<!doctype html><p id="provider">the provider</p>`)
	case r.URL.Path == "/cb":
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, redirectPage)
	case r.URL.Path == "/token":
		verdict := s.token(r)
		s.mu.Lock()
		s.tokens = append(s.tokens, verdict)
		s.mu.Unlock()
		if verdict != "ok" {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = io.WriteString(w, verdict)
	case strings.HasPrefix(r.URL.Path, "/api/v1/locales/"):
		_, _ = w.Write(handoverTexts.AppendJSON(nil))
	case r.URL.Path == "/api/v1/flows" || r.URL.Path == "/api/v1/flows/f1":
		if r.URL.Path == "/api/v1/flows/f1" && r.Header.Get(core.SecretHeader) != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == "POST" && r.URL.Path == "/api/v1/flows" {
			body, _ := io.ReadAll(r.Body)
			req, err := wire.ParseStartRequest(body)
			if err != nil || req.CodeChallengeMethod != "S256" {
				s.t.Errorf("flow start %s: %v", body, err)
			}
			s.mu.Lock()
			s.state, s.challenge = req.State, req.CodeChallenge
			s.mu.Unlock()
		}
		if r.Method == "POST" && r.URL.Path == "/api/v1/flows/f1" {
			body, _ := io.ReadAll(r.Body)
			if req, err := wire.ParseContinueRequest(body); err == nil && req.Action == "idp:acme" {
				s.mu.Lock()
				s.step = 1
				s.mu.Unlock()
			}
		}
		f := s.flow()
		w.Header().Set("Lintel-Flow-Id", "f1")
		w.Header().Set("Lintel-Flow-Secret", "s3cret")
		w.Header().Set("Lintel-Flow-Step", string(f.Step))
		if r.Header.Get("Accept") == "text/html" {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, core.Render(f, handoverTexts, core.Options{Action: "/api/v1/flows/f1"}).HTML())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(f.AppendJSON(nil))
	case r.URL.Path == "/branding/theme.css":
		w.Header().Set("Content-Type", "text/css")
	default:
		http.NotFound(w, r)
	}
}

// redirectPage is the app's page at its redirect URI: it ends the sign-in
// with Lintel.handleRedirect, redeems the code at /token as a single-page
// app does, and shows what came of it in #done.
const redirectPage = `<!doctype html><html><body><script src="/lintel.js"></script><script>
var exchange;
Lintel.handleRedirect({issuer: location.origin, clientId: "app", redirectUri: location.origin + "/cb",
  onSuccess: function (r) {
    var body = new URLSearchParams({grant_type: "authorization_code", code: r.code, redirect_uri: r.redirectUri,
      client_id: "app", code_verifier: r.codeVerifier});
    exchange = fetch("/token", {method: "POST", body: body}).then(function (res) { return res.text(); });
  },
  onError: function (e) { exchange = Promise.resolve("error " + e.error); },
}).then(function () { return exchange; }).then(function (s) {
  var p = document.createElement("p");
  p.id = "done";
  p.textContent = s;
  document.body.appendChild(p);
});
</script></body></html>`

// token is the token endpoint's verdict on r: "ok" when it redeems the
// code the hand-over gave with the verifier of the flow's challenge.
func (s *handoverSite) token(r *http.Request) string {
	if err := r.ParseForm(); err != nil {
		return err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != "app":
		return "wrong grant or client: " + r.PostForm.Encode()
	case r.PostForm.Get("code") != "c0de" || r.PostForm.Get("redirect_uri") != s.origin+"/cb":
		return "wrong code or redirect_uri: " + r.PostForm.Encode()
	case s.challenge == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != s.challenge:
		return "code_verifier does not match the challenge " + s.challenge
	}
	return "ok"
}

// buildWidget is the WebAssembly widget, built once for this package's
// browser tests, and GOROOT (where wasm_exec.js is).
var buildWidget = sync.OnceValues(func() (widgetBuild, error) {
	dir, err := os.MkdirTemp("", "lintel-widget")
	if err != nil {
		return widgetBuild{}, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "w.wasm")
	cmd := exec.Command("go", append(append([]string{"build", "-o", out}, dist.BuildFlags...), "../cmd/lintel-widget")...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return widgetBuild{}, fmt.Errorf("%w\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return widgetBuild{}, err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return widgetBuild{}, err
	}
	return widgetBuild{wasm: wasm, goroot: strings.TrimSpace(string(goroot))}, nil
})

type widgetBuild struct {
	wasm   []byte
	goroot string
}

// modes are the widget's two ways of running: server-rendered steps and
// the WebAssembly widget.
func modes(t *testing.T) []struct {
	name string
	wasm []byte
	mode string
} {
	b, err := buildWidget()
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name string
		wasm []byte
		mode string
	}{{"server-rendered", nil, "html"}, {"webassembly", b.wasm, "wasm"}}
}

// chooseProvider opens the site's host page in ctx's tab, waits for the
// widget in mode and clicks the identity provider's button; the hand-over
// follows.
func chooseProvider(ctx context.Context, origin, mode string) error {
	return chromedp.Do(ctx, chromedp.Navigate(origin),
		chromedp.Poll[chromedp.Void](`(function(){var r=document.getElementById("w").shadowRoot; var b=r&&r.querySelector('button[value="idp:acme"]'); return !!b && document.getElementById("w").dataset.lintelMode === "`+mode+`"})()`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("w").shadowRoot.querySelector('button[value="idp:acme"]').click()`))
}

// TestHandOverPostsTheFlowSecretTopLevel chooses an identity provider in
// Chromium, with the server-rendered widget and with the WebAssembly one:
// the whole page goes to Lintel's hand-over address by a POST whose body
// is the flow secret, and no URL carries it. Before it left, the page
// saved its transaction in sessionStorage for the redirect URI, without
// the secret.
func TestHandOverPostsTheFlowSecretTopLevel(t *testing.T) {
	t.Parallel()
	b, err := buildWidget()
	if err != nil {
		t.Fatal(err)
	}
	browser := browsertest.Start(t, browsertest.Options{JavaScript: true})
	for _, c := range modes(t) {
		t.Run(c.name, func(t *testing.T) {
			site := &handoverSite{t: t, wasm: c.wasm, goroot: b.goroot}
			srv := httptest.NewServer(site)
			defer srv.Close()
			site.origin = srv.URL
			ctx := browsertest.Isolated(t, browser)
			if err := chooseProvider(ctx, srv.URL, c.mode); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#provider"))); err != nil {
				t.Fatal(err)
			}
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			site.mu.Lock()
			defer site.mu.Unlock()
			if len(site.posted) != 1 || site.posted[0] != "POST ? flow_secret=s3cret" || strings.Contains(loc, "s3cret") {
				t.Fatalf("posted %q, location %s", site.posted, loc)
			}
			// The hand-over's page shares the fake site's origin, so it
			// reads what the app's page saved.
			saved, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(Object.keys(sessionStorage).map(function (k) { return [k, JSON.parse(sessionStorage.getItem(k))]; }))`))
			if err != nil {
				t.Fatal(err)
			}
			var txs [][2]json.RawMessage
			var tx struct {
				Verifier, State, Nonce, ClientID, Issuer, RedirectURI string
				Created                                               int64
			}
			if err := json.Unmarshal([]byte(saved), &txs); err != nil || len(txs) != 1 || json.Unmarshal(txs[0][1], &tx) != nil {
				t.Fatalf("saved %s: %v", saved, err)
			}
			sum := sha256.Sum256([]byte(tx.Verifier))
			if string(txs[0][0]) != `"lintel.tx.`+site.state+`"` || tx.State != site.state || base64.RawURLEncoding.EncodeToString(sum[:]) != site.challenge ||
				tx.Nonce == "" || tx.ClientID != "app" || tx.Issuer != srv.URL || tx.RedirectURI != srv.URL+"/cb" || tx.Created == 0 ||
				strings.Contains(saved, "s3cret") {
				t.Fatalf("saved %s for the state %q and challenge %q", saved, site.state, site.challenge)
			}
		})
	}
}
