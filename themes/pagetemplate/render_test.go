package pagetemplate

import (
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
)

// text returns a part that writes s.
func text(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// testParts fills every slot with a recognisable element.
func testParts() Parts {
	return Parts{
		Head:   text(`<link rel="stylesheet" href="/assets/lintel.css">`),
		Form:   text(`<main id="lintel">form</main>`),
		Footer: text(`<small id="lintel-footer">footer</small>`),
		Logo:   text(`<img id="lintel-logo" src="/logo.png" alt="Acme">`),
		Lang:   "fr-CA",
		Dir:    "ltr",
		Nonce:  "r4nd0m_N-nce",
	}
}

// render compiles src and renders it with p.
func render(t *testing.T, src string, p Parts) string {
	t.Helper()
	tpl, err := Compile(src, testStyle, testScript)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var b strings.Builder
	if err := tpl.Render(&b, p); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.String()
}

// TestRender checks what Render writes into the page, case by case.
func TestRender(t *testing.T) {
	cases := []struct {
		name, src string
		parts     Parts
		want      []string // substrings, in this order
		not       []string // substrings that must not appear
	}{
		{"adds the nonce to script src and style, over the page's own",
			inHead(`<script src="https://js.acme.example/a.js" nonce="stale"></script><style>p{}</style>`), testParts(),
			[]string{`<script src="https://js.acme.example/a.js" nonce="r4nd0m_N-nce"></script>`, `<style nonce="r4nd0m_N-nce">p{}</style>`},
			[]string{"stale"}},
		{"adds no nonce when there is none",
			inHead(`<style>p{}</style>`), Parts{},
			[]string{`<style>p{}</style>`}, []string{"nonce"}},
		{"sets lang and dir on html over the page's own",
			`<html lang="en" dir="rtl" xml:lang="en"><lintel-slot name=form></lintel-slot>`, testParts(),
			[]string{`<!DOCTYPE html><html lang="fr-CA" dir="ltr"><head>`}, []string{`"en"`, "rtl"}},
		{"keeps the page's lang and dir when Parts has none",
			`<html lang="ar" dir="rtl"><lintel-slot name=form></lintel-slot>`, Parts{},
			[]string{`<html lang="ar" dir="rtl">`}, nil},
		{"escapes the page's own lang",
			`<html lang='x"y'><lintel-slot name=form></lintel-slot>`, Parts{},
			[]string{`<html lang="x&#34;y">`}, nil},
		{"writes no lang or dir when neither has one",
			`<lintel-slot name=form></lintel-slot>`, Parts{},
			[]string{`<html><head>`}, []string{"lang=", "dir="}},
		{"puts the head parts at the end of head without a head slot",
			inHead(`<title>Acme</title><style>p{}</style>`), testParts(),
			[]string{`<style nonce="r4nd0m_N-nce">p{}</style>`, "\n" + `<link rel="stylesheet" href="/assets/lintel.css"></head>`}, nil},
		{"puts the head parts at the head slot",
			inHead(`<meta charset="utf-8"><lintel-slot name="head"></lintel-slot><title>Acme</title>`), testParts(),
			[]string{`<meta charset="utf-8"/><link rel="stylesheet" href="/assets/lintel.css"><title>Acme</title>`}, nil},
		{"fills every slot where it stands",
			`<header><lintel-slot name="logo"></lintel-slot></header><div class="card"><lintel-slot name="form"/></div><footer><lintel-slot name="footer"></lintel-slot></footer>`, testParts(),
			[]string{`<header><img id="lintel-logo"`, `<div class="card"><main id="lintel">form</main></div>`, `<footer><small id="lintel-footer">footer</small></footer>`}, []string{"lintel-slot"}},
		{"writes nothing for nil parts",
			`<div class="card"><lintel-slot name="form"></lintel-slot></div><lintel-slot name="footer"></lintel-slot>`, Parts{},
			[]string{`<div class="card"></div></body>`}, []string{"<main"}},
		{"closes an unclosed paragraph",
			`<div><p>Welcome<p>Sign in below</div><lintel-slot name="form"></lintel-slot>`, Parts{},
			[]string{`<div><p>Welcome</p><p>Sign in below</p></div>`}, nil},
		{"re-serialises attributes and entities",
			`<p class=intro title='a "b"'>Caf&eacute; &amp; co</p><lintel-slot name="form"></lintel-slot>`, Parts{},
			[]string{`<p class="intro" title="a &#34;b&#34;">Café &amp; co</p>`}, nil},
		{"replaces a legacy doctype",
			"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><lintel-slot name=form></lintel-slot>", Parts{},
			[]string{`<!DOCTYPE html><html>`}, []string{"W3C"}},
		{"keeps the page's comments",
			`<!-- Acme page v2 --><lintel-slot name=form></lintel-slot>`, Parts{},
			[]string{`<!-- Acme page v2 -->`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.src, c.parts)
			rest := got
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("output has %q:\n%s", n, got)
				}
			}
			if strings.Contains(strings.ToLower(got), reserved) {
				t.Errorf("output has a marker:\n%s", got)
			}
		})
	}
}

// TestRenderRefusesBadParts checks that a Lang, Dir or Nonce that could
// break out of its attribute is refused before anything is written.
func TestRenderRefusesBadParts(t *testing.T) {
	tpl, err := Compile(`<lintel-slot name="form"></lintel-slot>`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		parts Parts
	}{
		{"refuses a lang with a quote", Parts{Lang: `en" onload="x`}},
		{"refuses a lang with an empty subtag", Parts{Lang: "en--GB"}},
		{"refuses a lang subtag over 8 characters", Parts{Lang: "en-abcdefghi"}},
		{"refuses a dir other than ltr or rtl", Parts{Dir: "auto"}},
		{"refuses a nonce with a quote", Parts{Nonce: `abc"def`}},
		{"refuses a standard base64 nonce", Parts{Nonce: "ab+c/d=="}},
		{"refuses a nonce of padding only", Parts{Nonce: "=="}},
		{"refuses a nonce with three pads", Parts{Nonce: "abc==="}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			err := tpl.Render(&b, c.parts)
			if !errors.Is(err, ErrPart) {
				t.Errorf("Render error = %v, want ErrPart", err)
			}
			if b.Len() != 0 {
				t.Errorf("Render wrote %q before refusing", b.String())
			}
		})
	}
	var b strings.Builder
	if err := tpl.Render(&b, Parts{Lang: "zh-Hant-TW", Dir: "rtl", Nonce: "AbC-_09=="}); err != nil {
		t.Errorf("Render refused good parts: %v", err)
	}
}

// TestRenderReportsPartAndWriteErrors checks that failures come back
// wrapped, naming the part.
func TestRenderReportsPartAndWriteErrors(t *testing.T) {
	tpl, err := Compile(`<lintel-slot name="form"></lintel-slot>`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = tpl.Render(io.Discard, Parts{Form: func(io.Writer) error { return boom }})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "form part") {
		t.Errorf("Render error = %v, want the form part's error wrapped", err)
	}
	err = tpl.Render(failWriter{boom}, Parts{})
	if !errors.Is(err, boom) {
		t.Errorf("Render error = %v, want the writer's error wrapped", err)
	}
}

// failWriter fails every write.
type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// TestSlotsReturnsACopy checks that a caller cannot change a template.
func TestSlotsReturnsACopy(t *testing.T) {
	tpl, err := Compile(`<lintel-slot name="form"></lintel-slot>`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tpl.Slots()[0] = "changed"
	if got := tpl.Slots()[0]; got != "form" {
		t.Errorf("Slots()[0] = %q after changing a copy", got)
	}
}

// TestRenderConcurrently checks that one template serves many requests at
// once (run with -race).
func TestRenderConcurrently(t *testing.T) {
	tpl, err := Compile(inHead(`<style>p{}</style>`), testStyle, testScript)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([]string, 8)
	for i := range outs {
		wg.Go(func() {
			var b strings.Builder
			p := testParts()
			p.Nonce = strings.Repeat("n", i+1)
			if err := tpl.Render(&b, p); err != nil {
				t.Error(err)
			}
			outs[i] = b.String()
		})
	}
	wg.Wait()
	for i, out := range outs {
		if want := `nonce="` + strings.Repeat("n", i+1) + `"`; !strings.Contains(out, want) {
			t.Errorf("render %d lacks %s", i, want)
		}
	}
}

// BenchmarkRender measures a request's rendering of the acme page: the
// page's static segments are written as they are, so allocations stay
// those of the parts.
func BenchmarkRender(b *testing.B) {
	src, err := os.ReadFile("testdata/acme.html")
	if err != nil {
		b.Fatal(err)
	}
	tpl, err := Compile(string(src), goldenStyle, goldenScript)
	if err != nil {
		b.Fatal(err)
	}
	p := goldenParts()
	b.ReportAllocs()
	for b.Loop() {
		if err := tpl.Render(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}
