//go:build !js

package loader_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
// page at /signin/f1/idp receives.
type handoverSite struct {
	t      *testing.T
	wasm   []byte // nil: the widget stays server-rendered
	goroot string // where wasm_exec.js is, under lib/wasm
	origin string // the site's origin, http on loopback
	mu     sync.Mutex
	step   int
	posted []string // what /signin/f1/idp received: method, query and body
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
		s.posted = append(s.posted, r.Method+" ?"+r.URL.RawQuery+" "+string(body))
		s.mu.Unlock()
		_, _ = io.WriteString(w, `<!doctype html><p id="provider">the provider</p>`)
	case strings.HasPrefix(r.URL.Path, "/api/v1/locales/"):
		_, _ = w.Write(handoverTexts.AppendJSON(nil))
	case r.URL.Path == "/api/v1/flows" || r.URL.Path == "/api/v1/flows/f1":
		if r.URL.Path == "/api/v1/flows/f1" && r.Header.Get(core.SecretHeader) != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
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

// TestHandOverPostsTheFlowSecretTopLevel chooses an identity provider in
// Chromium, with the server-rendered widget and with the WebAssembly one:
// the whole page goes to Lintel's hand-over address by a POST whose body
// is the flow secret, and no URL carries it.
func TestHandOverPostsTheFlowSecretTopLevel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "w.wasm")
	cmd := exec.Command("go", append(append([]string{"build", "-o", out}, dist.BuildFlags...), "../cmd/lintel-widget")...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		wasm []byte
		mode string
	}{{"server-rendered", nil, "html"}, {"webassembly", wasm, "wasm"}} {
		t.Run(c.name, func(t *testing.T) {
			site := &handoverSite{t: t, wasm: c.wasm, goroot: strings.TrimSpace(string(goroot))}
			srv := httptest.NewServer(site)
			defer srv.Close()
			site.origin = srv.URL
			ctx := browsertest.Start(t, browsertest.Options{JavaScript: true})
			err := chromedp.Do(ctx, chromedp.Navigate(srv.URL),
				chromedp.Poll[chromedp.Void](`(function(){var r=document.getElementById("w").shadowRoot; var b=r&&r.querySelector('button[value="idp:acme"]'); return !!b && document.getElementById("w").dataset.lintelMode === "`+c.mode+`"})()`),
				chromedp.Evaluate[chromedp.Void](`document.getElementById("w").shadowRoot.querySelector('button[value="idp:acme"]').click()`),
				chromedp.WaitVisible(chromedp.CSS("#provider")))
			if err != nil {
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
		})
	}
}
