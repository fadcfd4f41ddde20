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

// fuzzViews returns a view of every kind made of the fuzzer's values.
func fuzzViews(brand, app, code, link, at, other string, n int) []any {
	return []any{
		PasswordlessView{Brand: brand, App: app, Code: code, Link: link, ExpiresMinutes: n, RequestedAt: at, IP: other},
		LockoutView{Brand: brand, App: app, Until: other, Minutes: n, Attempts: n},
		ActivationView{Brand: brand, App: app, Link: link, ExpiresHours: n, Name: other},
		VerifyEmailView{Brand: brand, App: app, Code: code, Link: link, ExpiresMinutes: n},
		RecoveryView{Brand: brand, App: app, Code: code, Link: link, ExpiresMinutes: n, RequestedAt: at, IP: other},
		RecoveredView{Brand: brand, At: at, IP: other},
		EmailChangeView{Brand: brand, App: app, Code: code, Link: link, ExpiresMinutes: n},
		EmailChangedView{Brand: brand, NewAddress: other, At: at},
		WelcomeView{Audience: Audience{AppID: other, Profile: map[string]string{"region": app}}, Brand: brand, App: app, Name: other, Login: code, Link: link},
		PasswordChangedView{Brand: brand, App: app, ChangedAt: at, IP: other, Device: code},
		FactorEnrolledView{Brand: brand, App: app, Factor: other, Label: code, EnrolledAt: at, IP: other, Device: app},
		NewDeviceView{Brand: brand, App: app, At: at, IP: other, Device: code, Location: other, Link: link},
	}
}

// FuzzRender renders every kind in random languages with random view
// values. For valid UTF-8 of bounded length it never fails, except that
// a kind with a link refuses a link checkLink refuses; the subject is
// one line; the bodies are valid UTF-8; the code and the link come out
// unaltered (a verify-email without a code has no code line); a kind
// without a link has none.
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
		{"ar", "Acme", "", "123456", "https://a.example/m", "", "j•••@example.com", 72},
	} {
		f.Add(seed.lang, seed.brand, seed.app, seed.code, seed.link, seed.at, seed.until, seed.n)
	}
	s := mustNew(f)
	covered := map[Kind]bool{}
	for _, v := range fuzzViews("", "", "", "", "", "", 0) {
		covered[kindOf(v)] = true
	}
	for _, k := range Kinds() {
		if !covered[k] {
			f.Fatalf("fuzzViews has no view of %s", k)
		}
	}
	f.Fuzz(func(t *testing.T, lang, brand, app, code, link, at, until string, n int) {
		bounded := true
		for _, v := range []string{brand, app, code, link, at, until} {
			bounded = bounded && len(v) <= maxFuzzField && utf8.ValidString(v)
		}
		for _, v := range fuzzViews(brand, app, code, link, at, until, n) {
			k := kindOf(v)
			linked := hasField(v, "Link") && (link != "" || !optionalLink(k))
			r, err := renderView(s, lang, v)
			switch {
			case linked && checkLink(link) != nil:
				if !errors.Is(err, ErrBadLink) {
					t.Fatalf("%s, link %q: err = %v, want ErrBadLink", k, link, err)
				}
			case err != nil && (bounded || !errors.Is(err, ErrTooLarge)):
				t.Fatalf("%s(%q, %+v): %v", k, lang, v, err)
			case err == nil:
				check(t, r)
				hrefs := parseHTML(t, r.HTML).hrefs
				if !linked && len(hrefs) > 0 {
					t.Fatalf("the %s HTML has a link", k)
				}
				if linked {
					if !strings.Contains(r.Text, "\n"+link+"\n") {
						t.Fatalf("%s text lacks the link on a line of its own", k)
					}
					for _, href := range hrefs {
						if href != link {
							t.Fatalf("%s href = %q, want %q", k, href, link)
						}
					}
				}
				switch c := clean(code); {
				case !hasField(v, "Code"):
				case c == "" && k == VerifyEmail:
					// The link-only email: no code box at all.
					if strings.Contains(r.Text, "\n    ") {
						t.Fatalf("%s without a code has a code line:\n%s", k, r.Text)
					}
				case !strings.Contains(r.Text, "\n    "+c+"\n"):
					t.Fatalf("%s text lacks the code %q on a line of its own", k, c)
				}
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
	if d := parseHTML(t, r.HTML); len(d.problems) > 0 || d.scripts > 0 || len(d.images) > 0 {
		t.Fatalf("HTML problems: %q, images %v", d.problems, d.images)
	}
}
