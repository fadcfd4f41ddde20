//go:build !js

package core_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/widget/core"
)

// parse reads markup as the children of a <body>, with scripting off so
// that <noscript> holds elements.
func parse(t *testing.T, markup string) []*html.Node {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragmentWithOptions(strings.NewReader(markup), body, html.ParseOptionEnableScripting(false))
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// describe writes a parsed tree one node a line, for comparison.
func describe(b *strings.Builder, n *html.Node, depth int) {
	pad := strings.Repeat("  ", depth)
	switch n.Type {
	case html.TextNode:
		if strings.TrimSpace(n.Data) == "" {
			// templ keeps a space where its source breaks a line between
			// elements; the widget writes none. Every such space sits
			// between block or flex items, where it is not rendered.
			return
		}
		b.WriteString(pad + "#text " + strings.ReplaceAll(n.Data, "\n", `\n`) + "\n")
	case html.ElementNode:
		b.WriteString(pad + "<" + n.Namespace + " " + n.Data)
		for _, a := range n.Attr {
			b.WriteString(" " + a.Key + "=" + `"` + a.Val + `"`)
		}
		b.WriteString(">\n")
	default:
		b.WriteString(pad + "?\n")
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		describe(b, c, depth+1)
	}
}

func tree(nodes []*html.Node) string {
	var b strings.Builder
	for _, n := range nodes {
		describe(&b, n, 0)
	}
	return b.String()
}

// TestRenderMatchesTheHostedPages renders every sample flow (the hosted
// pages' step screens and edge cases, pages.SampleFlows) with templ's
// FlowFragment and with core.Render, in English and Arabic, and compares
// the parsed trees node for node, the QR code's SVG included.
func TestRenderMatchesTheHostedPages(t *testing.T) {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ar"} {
		l := cat.Localizer(language.Make(lang))
		c := l.Catalog() // what GET /api/v1/locales/{lang} serves
		for _, f := range pages.SampleFlows() {
			t.Run(lang+"/"+f.ID+"/"+string(f.Step), func(t *testing.T) {
				if err := f.Validate(); err != nil {
					t.Fatalf("the test's flow is not valid: %v", err)
				}
				for _, autofocus := range []bool{false, true} {
					action := "https://login.acme-test.com/api/v1/flows/" + f.ID
					var buf bytes.Buffer
					err := pages.FlowFragment(pages.Page{L: l, CSRF: "c<s>rf"}, pages.FlowForm{Flow: f, Action: action, Secret: "s3cr&t", Autofocus: autofocus}).
						Render(context.Background(), &buf)
					if err != nil {
						t.Fatal(err)
					}
					want := tree(parse(t, buf.String()))
					n := core.Render(f, c, core.Options{Action: action, Secret: "s3cr&t", CSRF: "c<s>rf", Autofocus: autofocus})
					got := tree(parse(t, n.HTML()))
					if got != want {
						t.Errorf("autofocus %v: core.Render differs from the templ fragment\ncore:\n%s\ntempl:\n%s\ntempl markup: %s", autofocus, got, want, buf.String())
					}
				}
			})
		}
	}
}
