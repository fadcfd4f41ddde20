package events

import (
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

// FuzzQueryTypes checks the type-pattern parser: it never panics, refuses
// with an error naming the pattern, and accepts only patterns that cannot
// widen the query: exact types valid for Append, and prefixes whose LIKE
// pattern has no wildcard but the final one.
func FuzzQueryTypes(f *testing.F) {
	for _, s := range []string{
		"app.created", "app.*", "app.secret.*", "mgmt_token.*", "*", ".*", "app", "app.",
		"app..*", "App.*", "app.%", "app_%.*", "a!b.*", "app.*.*", "app.created.*", "é.*",
		"app." + strings.Repeat("x", 60), strings.Repeat("a.", 40) + "*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		exact, prefixes, err := parseTypes([]string{"tenant.updated", s})
		if err != nil {
			errs := invalid.All(err)
			if len(errs) != 1 || errs[0].Field != "types[1]" {
				t.Fatalf("parseTypes(%q): %v, want one error naming types[1]", s, err)
			}
			if exact != nil || prefixes != nil {
				t.Fatalf("parseTypes(%q) refused but returned patterns", s)
			}
			return
		}
		if len(s) > maxTypeLen {
			t.Fatalf("accepted %q, longer than %d bytes", s, maxTypeLen)
		}
		if len(exact)+len(prefixes) != 2 || exact[0] != "tenant.updated" {
			t.Fatalf("parseTypes(%q) = %q, %q", s, exact, prefixes)
		}
		if len(exact) == 2 {
			if exact[1] != s || typeProblem(s) != "" {
				t.Fatalf("accepted %q as an exact type that Append refuses", s)
			}
			return
		}
		p := prefixes[0]
		if p+"*" != s || !strings.HasSuffix(p, ".") {
			t.Fatalf("prefix %q does not come from %q", p, s)
		}
		if typeProblem(p+"x") != "" && typeProblem(p+"x.y") != "" {
			t.Fatalf("prefix %q of %q matches no valid type", p, s)
		}
		like := likePrefix(p)
		body := strings.TrimSuffix(like, "%")
		var unescaped strings.Builder
		for i := 0; i < len(body); i++ {
			switch c := body[i]; c {
			case '!':
				i++
				if i == len(body) {
					t.Fatalf("LIKE pattern %q ends in the escape character", like)
				}
				unescaped.WriteByte(body[i])
			case '%', '_':
				t.Fatalf("LIKE pattern %q of %q has an unescaped wildcard", like, s)
			default:
				unescaped.WriteByte(c)
			}
		}
		if unescaped.String() != p {
			t.Fatalf("LIKE pattern %q does not match the prefix %q literally", like, p)
		}
	})
}
