package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
)

// TestAxe serves pages under a CSP that allows no script at all and runs
// axe-core on them: it finds an unlabelled field and text of too little
// contrast, with their selectors, and nothing on a page without faults.
func TestAxe(t *testing.T) {
	pages := map[string]string{
		"/faulty": `<!doctype html><html lang="en"><head><title>Faulty</title></head><body><main>
			<h1>Faulty</h1><p id="pale" style="color:#ccc;background:#fff">Hard to read</p><input id="nameless" type="text">
			</main></body></html>`,
		"/clean": `<!doctype html><html lang="en"><head><title>Clean</title></head><body><main>
			<h1>Clean</h1><p>Easy to read</p><label for="name">Name</label><input id="name" type="text">
			</main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(pages[r.URL.Path]))
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.Start(t, browsertest.Options{JavaScript: true})

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/faulty")); err != nil {
		t.Fatal(err)
	}
	found := map[string]browsertest.Violation{}
	for _, v := range browsertest.Axe(t, ctx) {
		found[v.ID] = v
	}
	for id, target := range map[string]string{"label": "#nameless", "color-contrast": "#pale"} {
		v, ok := found[id]
		if !ok || !v.Serious() || !slices.ContainsFunc(v.Nodes, func(n browsertest.ViolationNode) bool { return n.Target == target }) {
			t.Errorf("violation %s on %s not found: %+v", id, target, found)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/clean")); err != nil {
		t.Fatal(err)
	}
	if vs := browsertest.AxeClean(t, ctx); len(vs) != 0 {
		t.Errorf("clean page: %v", vs)
	}
}
