package pagetemplate

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestCompileAccepts checks pages that must pass, and the slots each has.
func TestCompileAccepts(t *testing.T) {
	accepted := []struct {
		name, src string
		slots     []string
	}{
		{"accepts a fragment without html, head or body", `<h1>Acme</h1><lintel-slot name="form"></lintel-slot>`, []string{"form"}},
		{"accepts a page that is only the form slot", `<lintel-slot name="form"></lintel-slot>`, []string{"form"}},
		{"accepts a self-closing slot", `<div><lintel-slot name="form"/></div><p>after</p>`, []string{"form"}},
		{"accepts a slot holding white space", "<div><lintel-slot name=\"form\">\n  </lintel-slot></div>", []string{"form"}},
		{"accepts upper-case slot markup", `<LINTEL-SLOT NAME="form"></LINTEL-SLOT>`, []string{"form"}},
		{"accepts every slot", inHead(`<lintel-slot name="head"></lintel-slot>`) + `<lintel-slot name="logo"></lintel-slot><lintel-slot name="footer"></lintel-slot>`, []string{"head", "form", "logo", "footer"}},
		{"accepts the head slot among head elements", inHead(`<meta charset="utf-8"><lintel-slot name="head"></lintel-slot><title>x</title>`), []string{"head", "form"}},
		{"accepts the logo in a link and a heading", inBody(`<h1><a href="/"><lintel-slot name="logo"></lintel-slot></a></h1>`), []string{"logo", "form"}},
		{"accepts slots in table cells", `<table><tr><td><lintel-slot name="form"></lintel-slot></td></tr></table>`, []string{"form"}},
		{"accepts a style element", inHead(`<style>body { color: #222 } a[href^="https"] { color: blue }</style>`), []string{"form"}},
		{"accepts a script from a script origin", inHead(`<script src="https://js.acme.example/a.js" async defer></script>`), []string{"form"}},
		{"accepts a script origin given with port 443 and a slash", inHead(`<script src="https://js.acme.example:443/a.js"></script>`), []string{"form"}},
		{"accepts a stylesheet from a wildcard style origin", inHead(`<link rel="stylesheet" href="https://static.fonts.example/a.css">`), []string{"form"}},
		{"accepts icon, shortcut icon and preconnect", inHead(`<link rel="icon" href="https://cdn.acme.example/i.png"><link rel="shortcut icon" href="data:image/png;base64,iVBORw0KGgo="><link rel="preconnect" href="https://js.acme.example">`), []string{"form"}},
		{"accepts meta charset, viewport and description", inHead(`<meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="description" content="Acme">`), []string{"form"}},
		{"accepts relative, https and mailto links", inBody(`<a href="/help">h</a><a href="#top">t</a><a href="https://www.acme.example/">w</a><a href="mailto:help@acme.example">m</a><a href="">e</a>`), []string{"form"}},
		{"accepts raster data: images", inBody(`<img alt="" src="data:image/png;base64,iVBORw0KGgo="><img alt="" src="DATA:image/webp;base64,UklGR"><img alt="" srcset="data:image/gif;base64,R0lGOD, https://cdn.acme.example/a.png 2x">`), []string{"form"}},
		{"accepts images from style origins", inBody(`<picture><source srcset="https://cdn.acme.example/a.avif 1x, https://cdn.acme.example/a@2x.avif 2x" type="image/avif"><img src="https://cdn.acme.example/a.png" alt=""></picture>`), []string{"form"}},
		{"accepts a template of its own with checked content", inBody(`<template><p class="x">later</p></template>`), []string{"form"}},
		{"accepts text that mentions events and lintel", inBody(`<p>Click on the button. Lintel signs you in; onclick is just a word.</p>`), []string{"form"}},
		{"accepts a legacy doctype", "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<lintel-slot name=form></lintel-slot>", []string{"form"}},
		{"accepts a byte-order mark", "\uFEFF<lintel-slot name=form></lintel-slot>", []string{"form"}},
		{"accepts CR LF line ends", "<div>\r\n<lintel-slot name=\"form\"></lintel-slot>\r\n</div>\r\n", []string{"form"}},
		{"accepts a page of exactly 64 KiB", pad(`<lintel-slot name="form"></lintel-slot>`, MaxSize), []string{"form"}},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			tpl, err := Compile(c.src, testStyle, []string{"https://js.acme.example/"})
			if err != nil {
				t.Fatalf("Compile refused the page:\n%v", err)
			}
			if got := tpl.Slots(); !slices.Equal(got, c.slots) {
				t.Errorf("Slots() = %q, want %q", got, c.slots)
			}
		})
	}
}

// pad fills src with a comment up to n bytes.
func pad(src string, n int) string {
	return src + "<!--" + strings.Repeat("x", n-len(src)-7) + "-->"
}

// TestCompileReportsEveryProblemWithItsLine checks that one Compile names
// every problem, in source order, each at its line.
func TestCompileReportsEveryProblemWithItsLine(t *testing.T) {
	src := `<!DOCTYPE html>
<html>
<head>
  <script>alert(1)</script>
  <base href="https://evil.example/">
</head>
<body
  onload="go()">
  <p style="x">a</p>
  <lintel-slot name="form"></lintel-slot>
  <lintel-slot name="form"></lintel-slot>
</body>
</html>`
	err := Check(src, testStyle, testScript)
	got := []int{}
	for _, p := range Problems(err) {
		got = append(got, p.Line)
	}
	if want := []int{4, 5, 7, 9, 11}; !slices.Equal(got, want) {
		t.Errorf("problem lines = %v, want %v:\n%v", got, want, err)
	}
	if !strings.HasPrefix(err.Error(), "line 4: an inline <script>") {
		t.Errorf("error text does not start with the first problem and its line:\n%v", err)
	}
}

// TestCompileBoundsTheProblemList checks that a page with very many
// problems gets a readable list.
func TestCompileBoundsTheProblemList(t *testing.T) {
	err := Check(inBody(strings.Repeat("<p onclick=x>a</p>\n", 200)), testStyle, testScript)
	ps := Problems(err)
	if len(ps) != maxProblems+1 {
		t.Fatalf("got %d problems, want %d and a count of the rest", len(ps), maxProblems+1)
	}
	if last := ps[len(ps)-1].Msg; last != "and 150 more problems" {
		t.Errorf("last problem = %q", last)
	}
}

// TestCompileRefusesMalformedOrigins checks that a bad origin in the
// brand's configuration is an error of its own, not the page's.
func TestCompileRefusesMalformedOrigins(t *testing.T) {
	page := `<lintel-slot name="form"></lintel-slot>`
	for _, o := range []string{"http://cdn.acme.example", "cdn.acme.example", "https://cdn.acme.example/css/", "https://a.*.example", "https://u@cdn.acme.example"} {
		t.Run(o, func(t *testing.T) {
			_, err := Compile(page, []string{o}, nil)
			if err == nil {
				t.Fatal("Compile accepted the origin")
			}
			if errors.Is(err, ErrInvalid) {
				t.Errorf("a bad origin is reported as the page's problem: %v", err)
			}
			if _, err := Compile(page, nil, []string{o}); err == nil {
				t.Error("Compile accepted the script origin")
			}
		})
	}
}

// TestProblemsOfOtherErrors checks Problems on errors that hold none.
func TestProblemsOfOtherErrors(t *testing.T) {
	if ps := Problems(nil); ps != nil {
		t.Errorf("Problems(nil) = %v", ps)
	}
	if ps := Problems(errors.New("x")); ps != nil {
		t.Errorf("Problems(plain error) = %v", ps)
	}
	p := &Problem{Line: 3, Msg: "m"}
	if ps := Problems(errors.Join(errors.New("x"), wrap{p})); len(ps) != 1 || ps[0] != p {
		t.Errorf("Problems does not find a wrapped problem: %v", ps)
	}
}

// wrap is an error wrapping one other.
type wrap struct{ err error }

func (w wrap) Error() string { return "wrapped: " + w.err.Error() }
func (w wrap) Unwrap() error { return w.err }
