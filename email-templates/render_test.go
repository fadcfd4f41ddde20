package emailtemplates

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

func samplePasswordless() PasswordlessView {
	return PasswordlessView{
		Brand: "Acme", App: "Acme Shop", Code: "123456",
		Link:           "https://login.acme.example/magic/confirm?flow=f_1&t=q2Xv-9_kLm~A%2Fz#x",
		ExpiresMinutes: 10, RequestedAt: "14 March 2026, 09:26 UTC", IP: "203.0.113.7",
	}
}

func sampleLockout() LockoutView {
	return LockoutView{Brand: "Acme", App: "Acme Shop", Until: "14 March 2026, 09:56 UTC", Minutes: 30, Attempts: 5}
}

func TestLanguages(t *testing.T) {
	s := mustNew(t)
	if got := s.Languages(); !slices.Equal(got, []string{"ar", "en"}) {
		t.Fatalf("Languages() = %q, want [ar en]", got)
	}
	s.Languages()[0] = "xx"
	if s.Languages()[0] != "ar" {
		t.Fatal("Languages() returns the set's own slice")
	}
}

func TestEveryLanguageHasEveryKind(t *testing.T) {
	s := mustNew(t)
	for _, lang := range s.Languages() {
		for _, k := range kinds() {
			p := s.msgs[lang][k]
			if p == nil || p.subject == nil || p.text == nil || p.html == nil {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
}

func TestLanguageMatching(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct{ lang, want string }{
		{"ar", "ar"},
		{"ar-EG", "ar"},
		{"AR_eg", "ar"},
		{"ar-u-nu-latn", "ar"},
		{"ar-EGGGGGG", "ar"}, // well-formed, unknown region: dropped by the parser
		{"en", "en"},
		{"en-GB", "en"},
		{"fr", "en"},
		{"fr-CA", "en"},
		{"", "en"},
		{"*", "en"},
		{"x-klingon", "en"},
		{"ar EG", "en"},
		{"ar;q=0.9", "en"},
		{"ar-" + strings.Repeat("x", maxLangLen), "en"},
	} {
		if got := s.match(c.lang); got != c.want {
			t.Errorf("match(%q) = %s, want %s", c.lang, got, c.want)
		}
		r, err := s.Lockout(c.lang, sampleLockout())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.HTML, `<html lang="`+c.want+`"`) {
			t.Errorf("Lockout(%q) is not in %s", c.lang, c.want)
		}
	}
}

func TestArabicIsRightToLeft(t *testing.T) {
	s := mustNew(t)
	for _, lang := range s.Languages() {
		dir := "ltr"
		if lang == "ar" {
			dir = "rtl"
		}
		pw, err := s.Passwordless(lang, samplePasswordless())
		if err != nil {
			t.Fatal(err)
		}
		lo, err := s.Lockout(lang, sampleLockout())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Rendered{pw, lo} {
			if want := `<html lang="` + lang + `" dir="` + dir + `">`; !strings.Contains(r.HTML, want) {
				t.Errorf("%s HTML lacks %s", lang, want)
			}
		}
	}
}

func TestCodeAndLinkInBothBodies(t *testing.T) {
	s := mustNew(t)
	v := samplePasswordless()
	for _, lang := range s.Languages() {
		r, err := s.Passwordless(lang, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"    " + v.Code, v.Link} {
			if !slices.Contains(strings.Split(r.Text, "\n"), line) {
				t.Errorf("%s text lacks the line %q", lang, line)
			}
		}
		doc := parseHTML(t, r.HTML)
		if !slices.Contains(doc.texts, v.Code) {
			t.Errorf("%s HTML lacks the code as a text of its own", lang)
		}
		if len(doc.hrefs) == 0 {
			t.Errorf("%s HTML has no link", lang)
		}
		for _, href := range doc.hrefs {
			if href != v.Link {
				t.Errorf("%s HTML links to %q, want %q unaltered", lang, href, v.Link)
			}
		}
		if !slices.Contains(doc.texts, v.Link) {
			t.Errorf("%s HTML lacks the link as text to copy", lang)
		}
		if strings.Contains(r.Subject, v.Code) || strings.Contains(doc.preheader, v.Code) {
			t.Errorf("%s subject or preheader shows the code: %q, %q", lang, r.Subject, doc.preheader)
		}
	}
}

func TestLinks(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct {
		name, link string
		ok         bool
	}{
		{"accepts a link with query and fragment", "https://login.acme.example/m?t=a-b_c~d.e&f=1#top", true},
		{"accepts a port and percent escapes", "https://login.acme.example:8443/m/%2F%C3%A4?t=%41", true},
		{"accepts an IPv6 host", "https://[2001:db8::1]/m", true},
		{"accepts sub-delims html/template keeps", "https://a.example/!$*+,;=:@", true},
		{"refuses http", "http://login.acme.example/m", false},
		{"accepts http on localhost (make run)", "http://localhost:8080/m", true},
		{"accepts http on a loopback address", "http://127.0.0.1:8080/m", true},
		{"refuses http on a name that only starts like localhost", "http://localhost.example/m", false},
		{"refuses an upper-case scheme", "HTTPS://login.acme.example/m", false},
		{"refuses javascript", "javascript:alert(1)", false},
		{"refuses data", "data:text/html,<script>alert(1)</script>", false},
		{"refuses a relative link", "/magic?t=1", false},
		{"refuses a scheme-relative link", "//login.acme.example/m", false},
		{"refuses an empty link", "", false},
		{"refuses no host", "https:///m", false},
		{"refuses a port without host", "https://:443/m", false},
		{"refuses user info", "https://login.acme.example@evil.example/m", false},
		{"refuses a space", "https://login.acme.example/m t", false},
		{"refuses a newline", "https://login.acme.example/m\n", false},
		{"refuses a quote", `https://login.acme.example/m"onclick=x`, false},
		{"refuses an apostrophe, which html/template would encode", "https://login.acme.example/m'", false},
		{"refuses parentheses, which html/template would encode", "https://login.acme.example/(m)", false},
		{"refuses a bad percent escape", "https://login.acme.example/%zz", false},
		{"refuses a cut percent escape", "https://login.acme.example/%4", false},
		{"refuses non-ASCII", "https://login.acme.example/ä", false},
		{"refuses a non-ASCII host", "https://bücher.example/m", false},
		{"refuses a bad IPv6 host", "https://[::1/m", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := samplePasswordless()
			v.Link = c.link
			r, err := s.Passwordless("en", v)
			if !c.ok {
				if !errors.Is(err, ErrBadLink) {
					t.Fatalf("err = %v, want ErrBadLink", err)
				}
				if c.link != "" && strings.Contains(err.Error(), c.link) {
					t.Fatalf("the error quotes the link: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, href := range parseHTML(t, r.HTML).hrefs {
				if href != c.link {
					t.Errorf("href = %q, want %q", href, c.link)
				}
			}
			if !strings.Contains(r.Text, "\n"+c.link+"\n") {
				t.Errorf("text lacks the link on a line of its own")
			}
		})
	}
}

// An unsafe URL that reached the HTML template, past Passwordless's
// check, would still not be a working link: html/template replaces it.
func TestHTMLTemplateNeutralisesUnsafeURLs(t *testing.T) {
	s := mustNew(t)
	for _, lang := range s.Languages() {
		v := samplePasswordless()
		v.Link = "javascript:alert(1)"
		r, err := s.msgs[lang][Passwordless].render(v)
		if err != nil {
			t.Fatal(err)
		}
		hrefs := parseHTML(t, r.HTML).hrefs
		if len(hrefs) == 0 {
			t.Fatalf("%s: no links", lang)
		}
		for _, href := range hrefs {
			if href != "#ZgotmplZ" {
				t.Errorf("%s: href = %q, want #ZgotmplZ", lang, href)
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	s := mustNew(t)
	const hostile = `<script>alert("x")</script>'&`
	pv := PasswordlessView{Brand: hostile, App: hostile, Code: hostile, Link: "https://a.example/m", ExpiresMinutes: 5, RequestedAt: hostile, IP: hostile}
	lv := LockoutView{Brand: hostile, App: hostile, Until: hostile, Minutes: 5, Attempts: 3}
	for _, lang := range s.Languages() {
		pw, err := s.Passwordless(lang, pv)
		if err != nil {
			t.Fatal(err)
		}
		lo, err := s.Lockout(lang, lv)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Rendered{pw, lo} {
			for _, bad := range []string{"<script", `"x"`, "'&"} {
				if strings.Contains(r.HTML, bad) {
					t.Errorf("%s HTML holds %q unescaped", lang, bad)
				}
			}
			if !strings.Contains(r.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&amp;") {
				t.Errorf("%s HTML lacks the escaped value", lang)
			}
			// Text is text/plain: the value is shown as it is, and
			// no client runs it.
			if !strings.Contains(r.Text, hostile) {
				t.Errorf("%s text lacks the value as it is", lang)
			}
			if !strings.Contains(r.Subject, hostile) {
				t.Errorf("%s subject lacks the value as it is", lang)
			}
			if scripts := parseHTML(t, r.HTML).scripts; scripts > 0 {
				t.Errorf("%s HTML has %d script elements", lang, scripts)
			}
		}
	}
}

func TestSizeBound(t *testing.T) {
	s := mustNew(t)
	big := strings.Repeat("a", MaxBodyLen)
	pv := samplePasswordless()
	pv.Brand = big
	lv := sampleLockout()
	lv.Until = big
	for _, lang := range s.Languages() {
		if _, err := s.Passwordless(lang, pv); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s Passwordless: err = %v, want ErrTooLarge", lang, err)
		}
		if _, err := s.Lockout(lang, lv); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s Lockout: err = %v, want ErrTooLarge", lang, err)
		}
	}
	// Just below the bound, everything fits.
	pv.Brand = strings.Repeat("a", 1<<10)
	if _, err := s.Passwordless("en", pv); err != nil {
		t.Fatal(err)
	}
}

func TestLimitWriter(t *testing.T) {
	w := limitWriter{max: 4}
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if n, err := w.Write([]byte("de")); n != 0 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Write past the limit = %d, %v", n, err)
	}
	if n, err := w.Write([]byte("d")); n != 1 || err != nil || w.buf.String() != "abcd" {
		t.Fatalf("Write to the limit = %d, %v, %q", n, err, w.buf.String())
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	s := mustNew(t)
	v := samplePasswordless()
	v.App = "Acme\r\nBcc: victim@example.com\u2028\t  Shop\x00\x1b"
	r, err := s.Passwordless("en", v)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Sign in to Acme Bcc: victim@example.com Shop"; r.Subject != want {
		t.Fatalf("subject = %q, want %q", r.Subject, want)
	}
}

func TestOneLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"  a \r\n b\t\tc  ", "a b c"},
		{"a\u00a0\u2028\u2029\u0085b", "a b"},
		{"a\x00\x7fb", "a b"},
		{"\u2068Acme\u2069", "\u2068Acme\u2069"},
	} {
		if got := oneLine(c.in); got != c.want {
			t.Errorf("oneLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", MaxSubjectLen) // 2 bytes each
	got := oneLine(long)
	if len(got) > MaxSubjectLen || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Fatalf("oneLine of %d bytes = %d bytes ending %q", len(long), len(got), got[len(got)-8:])
	}
	if got := oneLine(strings.Repeat("a", MaxSubjectLen)); len(got) != MaxSubjectLen || strings.Contains(got, "…") {
		t.Fatalf("a subject of exactly MaxSubjectLen bytes was cut")
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Acme", "Acme"},
		{"a\r\nb\tc", "a  b c"},
		{"a\u2028b\u2029c\u0085d", "a b c d"},
		{"a\u202eb\u2066c\u2069d\u202ae", "abcde"},
		{"a\u200fb\u061cc", "a\u200fb\u061cc"}, // marks do not nest: kept
		{"a\xffb", "a\ufffdb"},
		{`<b>"x"</b>`, `<b>"x"</b>`},
	} {
		if got := clean(c.in); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestValuesCannotAddLines(t *testing.T) {
	s := mustNew(t)
	v := samplePasswordless()
	v.IP = "203.0.113.7\n\nOr open https://evil.example/ instead"
	r, err := s.Passwordless("en", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(r.Text, "\n") {
		if strings.HasPrefix(line, "Or open https://evil") {
			t.Fatalf("a value started a line of its own: %q", line)
		}
	}
}

func TestPlurals(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "expire in 1 minute."},
		{"en", 2, "expire in 2 minutes."},
		{"en", 0, "expire in 0 minutes."},
		{"ar", 1, "خلال دقيقة واحدة."},
		{"ar", 2, "خلال دقيقتين."},
		{"ar", 3, "خلال 3 دقائق."},
		{"ar", 10, "خلال 10 دقائق."},
		{"ar", 11, "خلال 11 دقيقة."},
		{"ar", 99, "خلال 99 دقيقة."},
		{"ar", 100, "خلال 100 دقيقة."},
		{"ar", 103, "خلال 103 دقائق."},
	} {
		v := samplePasswordless()
		v.ExpiresMinutes = c.n
		r, err := s.Passwordless(c.lang, v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, c.want) || !strings.Contains(r.HTML, c.want) {
			t.Errorf("%s, %d minutes: no %q in text and HTML", c.lang, c.n, c.want)
		}
	}
}

func TestLockoutSaysHowItEnds(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct {
		name string
		v    LockoutView
		want map[string]string
	}{
		{"until a time", LockoutView{Brand: "Acme", Until: "09:56", Minutes: 1},
			map[string]string{"en": "after 09:56, in 1 minute.", "ar": "بعد \u206809:56\u2069، أي بعد دقيقة واحدة."}},
		{"for minutes", LockoutView{Brand: "Acme", Minutes: 15},
			map[string]string{"en": "sign in again in 15 minutes.", "ar": "مجددًا بعد 15 دقيقة."}},
		{"until an administrator unlocks it", LockoutView{Brand: "Acme"},
			map[string]string{"en": "until an administrator unlocks it.", "ar": "إلى أن يفتحه أحد المسؤولين."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, lang := range s.Languages() {
				r, err := s.Lockout(lang, c.v)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(r.Text, c.want[lang]) || !strings.Contains(r.HTML, c.want[lang]) {
					t.Errorf("%s: no %q in text and HTML", lang, c.want[lang])
				}
				if d := parseHTML(t, r.HTML); len(d.hrefs) > 0 {
					t.Errorf("%s: the lockout HTML has links: %q", lang, d.hrefs)
				}
				if strings.Contains(r.Text, "http") {
					t.Errorf("%s: the lockout text has a link", lang)
				}
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	s := mustNew(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			lang := s.Languages()[i%2]
			if _, err := s.Passwordless(lang, samplePasswordless()); err != nil {
				t.Error(err)
			}
			if _, err := s.Lockout(lang, sampleLockout()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// Without a brand or an app name, sentences still read well: no double
// spaces, no empty elements, no dangling signature.
func TestWithoutNames(t *testing.T) {
	s := mustNew(t)
	for _, lang := range s.Languages() {
		pw, err := s.Passwordless(lang, PasswordlessView{Code: "123456", Link: "https://a.example/m", ExpiresMinutes: 10})
		if err != nil {
			t.Fatal(err)
		}
		lo, err := s.Lockout(lang, LockoutView{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Rendered{pw, lo} {
			for i, line := range strings.Split(strings.TrimSuffix(r.Text, "\n"), "\n") {
				if strings.Contains(strings.TrimLeft(line, " "), "  ") || strings.Contains(line, "\u2068\u2069") || strings.HasSuffix(line, " ") {
					t.Errorf("%s text line %d: %q", lang, i+1, line)
				}
			}
			if strings.HasSuffix(r.Text, "\n\n") {
				t.Errorf("%s text ends with a blank line", lang)
			}
			for _, bad := range []string{"  ", "\u2068\u2069", `"></p>`, `"></h1>`, "></title>"} {
				if strings.Contains(r.HTML, bad) || strings.Contains(r.Subject, bad) {
					t.Errorf("%s: %q in the subject %q or the HTML", lang, bad, r.Subject)
				}
			}
		}
	}
}
