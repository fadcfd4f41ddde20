package pagetemplate

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Origins the sample pages in testdata use.
var (
	goldenStyle  = []string{"https://cdn.acme.example"}
	goldenScript = []string{"https://js.acme.example", "https://static.initech.example"}
)

// goldenParts stand in for Lintel's templ components.
func goldenParts() Parts {
	return Parts{
		Head: text(`<link rel="stylesheet" href="/assets/lintel.css"><style nonce="golden-nonce">:root{--lintel-accent:#0b5fff}</style>` +
			`<script type="module" src="/assets/lintel.js" nonce="golden-nonce"></script>`),
		Form:   text(`<main class="lintel-card"><h1>Sign in</h1><form method="post" action="/flow/f_01J9Z3"><label>Email <input name="identifier" type="email"></label><button>Next</button></form></main>`),
		Footer: text(`<p class="lintel-footer">Secured by Lintel</p>`),
		Logo:   text(`<img class="lintel-logo" src="/brand/acme/logo.png" alt="Acme">`),
		Lang:   "en-GB",
		Dir:    "ltr",
		Nonce:  "golden-nonce",
	}
}

// TestGolden renders every testdata/*.html sample page and compares it
// with testdata/<name>.golden, so that every change to the output shows
// in review. Regenerate with:
//
//	go test ./themes/pagetemplate -run TestGolden -update
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no testdata/*.html")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := Compile(string(src), goldenStyle, goldenScript)
			if err != nil {
				t.Fatalf("Compile:\n%v", err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "slots: %s\n\n", strings.Join(tpl.Slots(), " "))
			p := goldenParts()
			if name == "rtl" {
				// Shows the page's own lang and dir kept.
				p.Lang, p.Dir = "", ""
			}
			if err := tpl.Render(&b, p); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".golden", b.String())
		})
	}
}

// checkGolden compares got with testdata/file, or writes it with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./themes/pagetemplate -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("rendering differs from %s (run go test ./themes/pagetemplate -update and review the diff):\n%s", path, firstDiff(got, string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return ""
}
