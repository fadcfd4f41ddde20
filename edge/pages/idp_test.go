package pages_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine/wire"
)

// has reports whether n has the attribute key.
func has(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// renderDoc renders the fragment of flow f in English and parses it.
func renderDoc(t *testing.T, f wire.Flow) *html.Node {
	t.Helper()
	l := localizer(t, "en")
	var b bytes.Buffer
	err := pages.FlowFragment(pages.Page{L: l, CSRF: "CSRF"}, pages.FlowForm{Flow: f, Action: "/signin/" + f.ID, Secret: "SECRET"}).
		Render(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.missing) > 0 {
		t.Errorf("unknown message IDs shown raw: %v", l.missing)
	}
	return doc
}

// sample returns the sample flow of the step screen named id.
func sample(t *testing.T, id string) wire.Flow {
	t.Helper()
	for _, f := range pages.SampleFlows() {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no sample flow %s", id)
	return wire.Flow{}
}

// TestIdPButtons checks the identity providers' buttons where the
// engine offers them: each submits its action without checking the
// form's fields, is labelled with the provider's name and carries its
// kind; on a step with fields they follow the step's own actions after
// an "or" divider, on a choice they come first and without one.
func TestIdPButtons(t *testing.T) {
	cases := []struct {
		name    string
		flow    string
		labels  []string // every button's text, in order
		divider bool
	}{
		{"identify: after the step's own actions, below a divider", "flw_identify_idps",
			[]string{"Next", "Forgot your password?", "Create an account", "Continue with Google", "Continue with Acme SSO"}, true},
		{"a choice: the providers first, no divider", "flw_redirect_idp_choice",
			[]string{"Continue with Acme SSO", "Continue with Acme Partners", "Back"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := renderDoc(t, sample(t, tc.flow))
			var labels []string
			var idps int
			dividerAt := -1
			for n := range doc.Descendants() {
				if n.Type != html.ElementNode {
					continue
				}
				if attr(n, "part") == "divider" {
					dividerAt = len(labels)
					if got := text(n); got != "or" {
						t.Errorf("divider says %q, want or", got)
					}
				}
				if n.Data != "button" {
					continue
				}
				labels = append(labels, text(n))
				value := attr(n, "value")
				if !strings.HasPrefix(value, wire.IdPActionPrefix) {
					continue
				}
				idps++
				if dividerAt < 0 && tc.divider {
					t.Errorf("%s comes before the divider", value)
				}
				if part, kind := attr(n, "part"), attr(n, "data-kind"); part != "idp-button" || kind == "" || !has(n, "formnovalidate") {
					t.Errorf("%s: part %q, data-kind %q, formnovalidate %v", value, part, kind, has(n, "formnovalidate"))
				}
			}
			if strings.Join(labels, "|") != strings.Join(tc.labels, "|") {
				t.Errorf("buttons %q, want %q", labels, tc.labels)
			}
			if (dividerAt >= 0) != tc.divider {
				t.Errorf("divider shown: %v, want %v", dividerAt >= 0, tc.divider)
			}
			if idps != 2 {
				t.Errorf("%d provider buttons, want 2", idps)
			}
		})
	}
}

// TestChosenIdPPostsToItsAddress checks that the primary action of a
// redirect-idp step posts the form (with its CSRF token and flow secret)
// to the action's own address, and only when that address is https (or
// http on loopback); no other button changes where the form posts.
func TestChosenIdPPostsToItsAddress(t *testing.T) {
	cases := []struct {
		name, href, want string
	}{
		{"an https address", "https://login.acme.example/signin/f/idp", "https://login.acme.example/signin/f/idp"},
		{"http on loopback", "http://localhost:8080/signin/f/idp", "http://localhost:8080/signin/f/idp"},
		{"never javascript:", "javascript:alert(1)", ""},
		{"never http off loopback", "http://login.acme.example/signin/f/idp", ""},
		{"never a relative address", "/signin/f/idp", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := sample(t, "flw_redirect_idp")
			f.Actions[0].Href = tc.href
			doc := renderDoc(t, f)
			var hidden []string
			for n := range doc.Descendants() {
				if n.Type != html.ElementNode {
					continue
				}
				if n.Data == "input" && attr(n, "type") == "hidden" {
					hidden = append(hidden, attr(n, "name"))
				}
				if n.Data != "button" {
					continue
				}
				value := attr(n, "value")
				got := attr(n, "formaction")
				want := ""
				if value == "redirect" {
					want = tc.want
					if label := text(n); label != "Continue with Acme SSO" {
						t.Errorf("the button says %q", label)
					}
				}
				if got != want {
					t.Errorf("%s: formaction %q, want %q", value, got, want)
				}
			}
			if strings.Join(hidden, ",") != "csrf,flow_secret" {
				t.Errorf("hidden inputs %v, want csrf and flow_secret", hidden)
			}
		})
	}
}

// TestIdPRedirect checks the hand-over page: it moves on by itself to
// an address the page may follow (RefreshTo), links there, and names the
// provider; an address it may not follow gets neither.
func TestIdPRedirect(t *testing.T) {
	const to = "https://sso.acme.example/authorize?a=1&b=2"
	cases := []struct {
		name, to  string
		flow      wire.Flow
		refresh   string // the meta refresh's content, "" for none
		link      string // the link's address, "" for none
		message   string
		linkLabel string
	}{
		{"moves on and links to the provider", to, sample(t, "flw_redirect_idp"), "0; url=" + to, to,
			"Taking you to Acme SSO…", "Continue with Acme SSO"},
		{"follows no javascript: address", "javascript:alert(1)", sample(t, "flw_redirect_idp"), "", "", "Taking you to Acme SSO…", ""},
		{"a provider without a name", to, wire.Flow{ID: "f", Step: wire.StepRedirectIdP}, "0; url=" + to, to, "Loading…", "Continue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := localizer(t, "en")
			p := samplePage(l, pages.Theme{})
			p.Title, p.RefreshTo = pages.StepTitle(wire.StepRedirectIdP), tc.to
			doc := parseRendered(t, render(t, l, pages.IdPRedirect(p, tc.flow, tc.to)))
			var refresh, link, message, linkLabel string
			for n := range doc.Descendants() {
				switch {
				case n.Type != html.ElementNode:
				case n.Data == "meta":
					if attr(n, "http-equiv") == "refresh" {
						refresh = attr(n, "content")
					}
				case n.Data == "a" && n.Parent.Data == "p":
					if attr(n, "part") == "link" {
						link, linkLabel = attr(n, "href"), text(n)
					}
				case n.Data == "p":
					if attr(n, "role") == "status" {
						message = text(n)
					}
				}
			}
			if refresh != tc.refresh || link != tc.link || message != tc.message || linkLabel != tc.linkLabel {
				t.Errorf("refresh %q, link %q %q, message %q; want %q, %q %q, %q", refresh, link, linkLabel, message,
					tc.refresh, tc.link, tc.linkLabel, tc.message)
			}
		})
	}
}
