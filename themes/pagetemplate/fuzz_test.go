package pagetemplate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// fuzzForm is the form part the fuzz test renders, found once in the
// output by its id.
const fuzzForm = `<main id="lintel-fuzz-form"></main>`

// FuzzCompile feeds Compile any input: it must never panic, and when it
// accepts a page, the rendered page parsed as a browser would must have a
// nonce on every <script>, no event-handler attribute, nothing it refuses,
// and the form part exactly once.
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		inBody(`<script>alert(1)</script>`),
		inHead(`<script src="https://js.acme.example/a.js"></script><style>p{}</style><lintel-slot name="head"></lintel-slot>`),
		`<lintel-slot name="form"/><lintel-slot name="footer"></lintel-slot><lintel-slot name="logo">`,
		`<a href="java&#9;script:x">x</a><lintel-slot name=form></lintel-slot>`,
		`<svg><lintel-slot name=form></lintel-slot></svg>`,
		`<noscript><lintel-slot name=form></lintel-slot></noscript>`,
		`<table><lintel-slot name=form></lintel-slot><tr><td>x</table>`,
		`<template><lintel-slot name=form></lintel-slot></template>`,
		`<a><table><a>x</a></table></a><lintel-slot name=form></lintel-slot>`,
		`<p>&#95;_LINTEL_SLOT_form__<lintel-slot name=form></lintel-slot>`,
		`<!--<lintel-slot name=form>--><lintel-slot name=form></lintel-slot>`,
		`<title><lintel-slot name=form></lintel-slot></title><lintel-slot name=form></lintel-slot>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><lintel-slot name=form></lintel-slot>`,
		`<style><style/><img src=x onerror=alert(1)></style><lintel-slot name=form></lintel-slot>`,
		`<lintel-slot name=head><script>alert(1)</script></lintel-slot><lintel-slot name=form></lintel-slot>`,
		`<img src="https://cdn.acme.example/a.png" srcset=",,,javascript:alert(1)"><lintel-slot name=form></lintel-slot>`,
		`<style></style><script src="https://js.acme.example/a"></script><body><lintel-slot name="form">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Compile(src, testStyle, testScript)
		if err != nil {
			if tpl != nil {
				t.Fatal("Compile returned a template with its error")
			}
			return
		}
		var b strings.Builder
		p := Parts{
			Head: text(`<link rel="stylesheet" href="/l.css">`), Form: text(fuzzForm),
			Footer: text(`<p>f</p>`), Logo: text(`<img src="/l.png" alt="">`),
			Lang: "en", Dir: "ltr", Nonce: "fuzz-nonce",
		}
		if err := tpl.Render(&b, p); err != nil {
			t.Fatalf("Render: %v", err)
		}
		out := b.String()
		doc, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		forms := 0
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			if n.Namespace != "" {
				t.Fatalf("output has <%s %s>:\n%s", n.Namespace, n.Data, out)
			}
			switch n.Data {
			case "script":
				if v, _ := attr(n, "nonce"); v != "fuzz-nonce" {
					t.Fatalf("output has a <script> without the nonce:\n%s", out)
				}
			case "iframe", "object", "embed", "base", "frame", "noscript":
				t.Fatalf("output has <%s>:\n%s", n.Data, out)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
					t.Fatalf("output has <%s %s>:\n%s", n.Data, a.Key, out)
				}
			}
			if v, _ := attr(n, "id"); v == "lintel-fuzz-form" {
				forms++
			}
		}
		if forms != 1 {
			t.Fatalf("the form part appears %d times:\n%s", forms, out)
		}
		if strings.Count(out, fuzzForm) != 1 {
			t.Fatalf("the form part is not written once as is:\n%s", out)
		}
	})
}
