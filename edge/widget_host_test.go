package edge

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/widget/dist"
)

// The names of the widget tests: Lintel on acme's custom login domain, the
// shop that embeds the widget on the same site, a second shop on another
// site, and the RP ID's apex where the related origins document is served.
// Chromium maps each to a loopback server (--host-resolver-rules).
const (
	widgetLogin  = "login.acme-test.com"
	widgetShop   = "shop.acme-test.com"
	widgetStore  = "shop.acme-store.test"
	widgetApex   = "acme-test.com"
	widgetIssuer = "https://" + widgetLogin + "/oauth2/default"
)

// widgetCSP is the host page's Content-Security-Policy, exactly as the
// issue asks: scripts and styles only from the shop and Lintel, compiled
// WebAssembly allowed, nothing inline, no eval.
const widgetCSP = "script-src 'self' https://" + widgetLogin + " 'wasm-unsafe-eval'; style-src 'self' https://" + widgetLogin

// widgetHost is a customer's web site that embeds the widget, over TLS on
// loopback: its page mounts the widget with app.js (no inline script) under
// widgetCSP; the widget's onSuccess posts the code and PKCE verifier to
// /exchange, where the shop's backend redeems them and verifies the ID
// token with go-oidc, and the page shows the result as JSON in #result.
// Every CSP violation the page sees is posted to /report and kept.
type widgetHost struct {
	srv *httptest.Server
	app tenant.App
	// spa is a single-page app on the same page: a public client whose
	// page redeems the code at the token endpoint itself (?spa).
	spa tenant.App
	mu  sync.Mutex
	// reports are the page's securitypolicyviolation events.
	reports []string
}

func newWidgetHost(t *testing.T, w *siteWorld) *widgetHost {
	t.Helper()
	h := &widgetHost{srv: httptest.NewUnstartedServer(nil)}
	callback := "https://" + widgetShop + "/callback"
	var secret string
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		h.app, secret, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{Name: "Acme Shop", Type: tenant.AppWeb,
			RedirectURIs: []string{callback, "https://" + widgetStore + "/callback"}})
		if err != nil {
			return err
		}
		if h.spa, _, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{Name: "Acme Shop SPA", Type: tenant.AppSPA,
			RedirectURIs: []string{callback}}); err != nil {
			return err
		}
		for _, o := range []string{widgetShop, widgetStore} {
			if _, err := w.tenants.CreateOrigin(ctx, tx, w.acme.ID, tenant.OriginInput{Name: o, Origin: "https://" + o, AppIDs: []string{h.app.ID, h.spa.ID}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := gooidc.ClientContext(context.Background(), w.brandClient(widgetLogin))
	provider, err := gooidc.NewProvider(ctx, widgetIssuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&gooidc.Config{ClientID: h.app.ID})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		csp := widgetCSP
		if r.URL.Query().Has("tt") {
			// Trusted Types enforced, with the policy the widget asks for.
			csp += "; require-trusted-types-for 'script'; trusted-types lintel"
		}
		rw.Header().Set("Content-Security-Policy", csp)
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(rw, widgetPage)
	})
	mux.HandleFunc("GET /app.js", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/javascript")
		_, _ = io.WriteString(rw, widgetApp)
	})
	mux.HandleFunc("GET /hostile.css", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/css")
		_, _ = io.WriteString(rw, hostileCSS)
	})
	mux.HandleFunc("POST /report", func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		h.mu.Lock()
		h.reports = append(h.reports, string(b))
		h.mu.Unlock()
	})
	spaVerifier := provider.Verifier(&gooidc.Config{ClientID: h.spa.ID})
	mux.HandleFunc("POST /verify", func(rw http.ResponseWriter, r *http.Request) {
		// The single-page app's ID token, checked as its backend would.
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 16<<10))
		res := rpResult{}
		idt, err := spaVerifier.Verify(ctx, string(raw))
		if err != nil {
			res.Error = "id token: " + err.Error() + ": " + string(raw)
		} else {
			var c struct {
				AMR []string `json:"amr"`
				ACR string   `json:"acr"`
			}
			_ = idt.Claims(&c)
			res = rpResult{Iss: idt.Issuer, Sub: idt.Subject, AMR: c.AMR, ACR: c.ACR}
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(res)
	})
	mux.HandleFunc("POST /exchange", func(rw http.ResponseWriter, r *http.Request) {
		var in struct {
			Code         string `json:"code"`
			CodeVerifier string `json:"codeVerifier"`
			RedirectURI  string `json:"redirectUri"`
			Iss          string `json:"iss"`
		}
		res := rpResult{}
		if err := json.NewDecoder(io.LimitReader(r.Body, 8192)).Decode(&in); err != nil {
			res.Error = "request: " + err.Error()
		} else if in.Iss != widgetIssuer {
			res.Error = "iss " + in.Iss
		} else {
			cfg := oauth2.Config{ClientID: h.app.ID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: in.RedirectURI, Scopes: []string{gooidc.ScopeOpenID}}
			res = describeIDToken(ctx, cfg, verifier, in.Code, in.CodeVerifier)
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(res)
	})
	h.srv.Config.Handler = mux
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

// violations returns the CSP violations reported so far.
func (h *widgetHost) violations() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.reports...)
}

// widgetPage is the shop's page: the three lines of the embed (the
// element, Lintel's loader, the shop's own script) and a paragraph and an
// input of the shop's own, whose look the widget must not change.
const widgetPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Acme Shop</title>
<link rel="stylesheet" href="/shop.css">
</head>
<body>
<main>
<h1 id="shop-title">Acme Shop</h1>
<p id="shop-text">Sign in to see your orders.</p>
<input id="shop-search" type="search" aria-label="Search the shop">
<div id="signin"></div>
<pre id="result"></pre>
</main>
<script src="https://` + widgetLogin + `/widget/lintel.js"></script>
<script src="/app.js"></script>
</body>
</html>
`

// widgetApp mounts the widget as the query string says: ?hostile adds the
// hostile stylesheet, ?locale picks the language, ?theme overrides two
// design tokens. On success it hands the code to the shop's backend.
const widgetApp = `(() => {
  const q = new URLSearchParams(location.search);
  const report = (what) => fetch("/report", {method: "POST", body: what});
  // axe-core, injected by the accessibility pass (?axe), adds inline
  // styles the CSP refuses: those pages report nothing.
  if (!q.has("axe")) {
    document.addEventListener("securitypolicyviolation", (e) => report(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber), true);
  }
  if (q.has("hostile")) {
    const l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = "/hostile.css";
    document.head.append(l);
  }
  const result = document.getElementById("result");
  const options = {
    issuer: "` + widgetIssuer + `",
    clientId: q.get("client_id"),
    redirectUri: location.origin + "/callback",
    scopes: ["openid", "profile", "email"],
    onSuccess: async (r) => {
      let res;
      if (q.has("spa")) {
        // A single-page app redeems the code itself (CORS for trusted origins).
        const form = new URLSearchParams({grant_type: "authorization_code", code: r.code, redirect_uri: r.redirectUri,
          client_id: q.get("client_id"), code_verifier: r.codeVerifier});
        const tok = await (await fetch(r.iss + "/v1/token", {method: "POST", body: form})).json();
        res = await fetch("/verify", {method: "POST", body: tok.id_token || JSON.stringify(tok)});
      } else {
        res = await fetch("/exchange", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(r)});
      }
      result.textContent = await res.text();
      result.dataset.done = "true";
    },
    onError: (e) => {
      result.textContent = JSON.stringify({error: String(e && (e.error || e.message || e))});
      result.dataset.done = "true";
    },
  };
  if (q.get("locale")) options.locale = q.get("locale");
  if (q.get("prompt")) options.prompt = q.get("prompt");
  if (q.has("theme")) options.theme = {"--lt-color-primary": "#0a6e4f", "--lt-radius": "2px"};
  if (q.has("nomount")) { window.mountWidget = () => Lintel.mount(document.getElementById("signin"), options); return; }
  Lintel.mount(document.getElementById("signin"), options);
})();
`

// hostileCSS is what a careless host page might have: it must change
// nothing inside the widget.
const hostileCSS = `* { color: red !important; font-family: serif !important; letter-spacing: 3px !important; }
input { display: none !important; }
button { background: yellow !important; }
`

// shadow returns a JSPath to the element sel inside the widget's shadow
// root: CSS selectors of the DevTools protocol do not enter shadow trees.
func shadow(sel string) string {
	return `document.querySelector("#signin").shadowRoot.querySelector(` + jsString(sel) + `)`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "<", `\u003c`)
}

// buildWidget builds the widget's WebAssembly as `make widget` does (the
// build output is not committed) and returns a directory with it and
// Go's wasm_exec.js, for Config.Widget.
func buildWidget(t *testing.T) fs.FS {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"build", "-o", filepath.Join(dir, "lintel.wasm")}, dist.BuildFlags...)
	cmd := exec.Command("go", append(args, "../widget/cmd/lintel-widget")...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the widget: %v\n%s", err, out)
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	return os.DirFS(dir)
}
