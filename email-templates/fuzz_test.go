package emailtemplates

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxFuzzField bounds each string the fuzzer passes: with every field at
// most this long, every message must render within MaxBodyLen.
const maxFuzzField = 1 << 10

// FuzzRender renders both kinds in random languages with random view
// values. For valid UTF-8 of bounded length it never fails, except that
// Passwordless refuses a link checkLink refuses; the subject is one line;
// the bodies are valid UTF-8; the code and the link come out unaltered.
func FuzzRender(f *testing.F) {
	for _, seed := range []struct {
		lang, brand, app, code, link, at, until string
		n                                       int
	}{
		{"en", "Acme", "Acme Shop", "123456", "https://login.acme.example/m?t=abc&f=1", "09:26 UTC", "09:56 UTC", 10},
		{"ar-EG", "أكمي", "", "000000", "https://[2001:db8::1]:8443/m/%2F", "", "", 0},
		{"fr", "<script>alert(1)</script>", `"'&`, "<b>", "javascript:alert(1)", "\r\n", "\u202e", -1},
		{"", "a\u2028b\x00c", "\t", "", "http://localhost:8080/m", "\xff", "\u2069", 1 << 40},
		{strings.Repeat("ar-", 40), strings.Repeat("\"", maxFuzzField), strings.Repeat("&", maxFuzzField), "1 2 3", "https://a.example/" + strings.Repeat("a", 900), "", "", 103},
	} {
		f.Add(seed.lang, seed.brand, seed.app, seed.code, seed.link, seed.at, seed.until, seed.n)
	}
	s := mustNew(f)
	f.Fuzz(func(t *testing.T, lang, brand, app, code, link, at, until string, n int) {
		bounded := true
		for _, v := range []string{brand, app, code, link, at, until} {
			bounded = bounded && len(v) <= maxFuzzField && utf8.ValidString(v)
		}
		pv := PasswordlessView{Brand: brand, App: app, Code: code, Link: link, ExpiresMinutes: n, RequestedAt: at, IP: until}
		pw, err := s.Passwordless(lang, pv)
		switch {
		case checkLink(link) != nil:
			if !errors.Is(err, ErrBadLink) {
				t.Fatalf("link %q: err = %v, want ErrBadLink", link, err)
			}
		case err != nil && (bounded || !errors.Is(err, ErrTooLarge)):
			t.Fatalf("Passwordless(%q, %+v): %v", lang, pv, err)
		case err == nil:
			check(t, pw)
			if !strings.Contains(pw.Text, "\n"+link+"\n") {
				t.Fatalf("text lacks the link on a line of its own")
			}
			if c := clean(code); !strings.Contains(pw.Text, "\n    "+c+"\n") {
				t.Fatalf("text lacks the code %q on a line of its own", c)
			}
			for _, href := range parseHTML(t, pw.HTML).hrefs {
				if href != link {
					t.Fatalf("href = %q, want %q", href, link)
				}
			}
		}
		lv := LockoutView{Brand: brand, App: app, Until: until, Minutes: n, Attempts: n}
		lo, err := s.Lockout(lang, lv)
		switch {
		case err != nil && (bounded || !errors.Is(err, ErrTooLarge)):
			t.Fatalf("Lockout(%q, %+v): %v", lang, lv, err)
		case err == nil:
			check(t, lo)
			if len(parseHTML(t, lo.HTML).hrefs) > 0 {
				t.Fatal("the lockout HTML has a link")
			}
		}
	})
}

// check asserts what holds for every rendered message.
func check(t *testing.T, r Rendered) {
	t.Helper()
	if strings.ContainsAny(r.Subject, "\r\n") || strings.Contains(r.Subject, "  ") ||
		strings.TrimSpace(r.Subject) != r.Subject || len(r.Subject) > MaxSubjectLen {
		t.Fatalf("subject is not one line: %q", r.Subject)
	}
	for _, part := range []string{r.Subject, r.Text, r.HTML} {
		if !utf8.ValidString(part) {
			t.Fatalf("invalid UTF-8: %q", part)
		}
	}
	if len(r.Text) > MaxBodyLen || len(r.HTML) > MaxBodyLen {
		t.Fatalf("a body passes MaxBodyLen: %d, %d", len(r.Text), len(r.HTML))
	}
	if d := parseHTML(t, r.HTML); len(d.problems) > 0 || d.scripts > 0 {
		t.Fatalf("HTML problems: %q", d.problems)
	}
}
