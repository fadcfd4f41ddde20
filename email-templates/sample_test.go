package emailtemplates

import (
	"errors"
	"strings"
	"testing"
)

// TestSampleFor: a preview shows the site's brand and links on its base;
// an http base (a developer's instance) keeps the sample's https links.
func TestSampleFor(t *testing.T) {
	s := mustNew(t)
	cases := []struct {
		name       string
		kind       Kind
		site       Site
		brand      string
		link, nope string
	}{
		{"brand and base", Passwordless, Site{Brand: "Globex", Base: "https://id.globex.example/"}, "Globex", "https://id.globex.example/magic?t=abc", "login.acme.example"},
		{"the app", Welcome, Site{Brand: "Globex", App: "Globex Store"}, "Globex Store", "", "Acme"},
		{"an http base keeps the sample link", Passwordless, Site{Brand: "Globex", Base: "http://localhost:8080"}, "Globex", "https://login.acme.example/magic?t=abc", "localhost"},
		{"nothing given keeps the sample", Activation, Site{}, "Acme", "https://login.acme.example/activate?t=abc", "Globex"},
		{"a kind without a link takes the brand", Lockout, Site{Brand: "Globex", Base: "https://id.globex.example"}, "Globex", "", "login.acme.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.SampleFor("en", tc.kind, tc.site)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Text, tc.brand) && !strings.Contains(r.Subject, tc.brand) {
				t.Errorf("brand %q missing:\n%s\n%s", tc.brand, r.Subject, r.Text)
			}
			if tc.link != "" && !strings.Contains(r.Text, tc.link) {
				t.Errorf("link %q missing:\n%s", tc.link, r.Text)
			}
			if strings.Contains(r.Text+r.HTML, tc.nope) {
				t.Errorf("%q should not show", tc.nope)
			}
		})
	}
	if _, err := s.SampleFor("en", Kind("nope"), Site{}); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}
