package emailtemplates

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/language"
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
	got := s.Languages()
	if len(got) < 2 || got[0] != "en" || !slices.Contains(got, "ar") {
		t.Fatalf("Languages() = %q, want en first, and ar", got)
	}
	s.Languages()[0] = "xx"
	if s.Languages()[0] != "en" {
		t.Fatal("Languages() returns the set's own slice")
	}
}

func TestEveryKindHasItsTemplates(t *testing.T) {
	s := mustNew(t)
	for _, k := range Kinds() {
		p := s.msgs[k]
		if p == nil || p.subject == nil || p.text == nil || p.html == nil {
			t.Errorf("the set lacks %s", k)
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
		{"en", "en"},
		{"en-GB", "en"},
		{"kl", "en"}, // Greenlandic: no catalog
		{"kl-GL", "en"},
		{"", "en"},
		{"*", "en"},
		{"x-klingon", "en"},
		{"ar EG", "ar"}, // a list of tags, as ui_locales: the first that matches
		{"ar;q=0.9", "en"},
		{"ar-" + strings.Repeat("x", maxLangLen), "en"},
	} {
		if got := s.localizer(c.lang).Lang(); got != c.want {
			t.Errorf("localizer(%q) = %s, want %s", c.lang, got, c.want)
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
		dir := scriptDir(language.MustParse(lang))
		if (lang == "ar") != (dir == "rtl") && lang != "he" && lang != "fa" {
			t.Errorf("%s is %s", lang, dir)
		}
		for _, k := range Kinds() {
			r, err := renderView(s, lang, sampleView(k))
			if err != nil {
				t.Fatal(err)
			}
			if want := `<html lang="` + lang + `" dir="` + dir + `">`; !strings.Contains(r.HTML, want) {
				t.Errorf("%s %s HTML lacks %s", lang, k, want)
			}
		}
	}
}

// Every kind with a link (and a code) has them, exactly as given, in
// both bodies, and never in the subject or the preheader.
func TestCodeAndLinkInBothBodies(t *testing.T) {
	s := mustNew(t)
	for _, k := range kindsWith("Link") {
		v := sampleView(k)
		link := field(v, "Link")
		var code string
		if hasField(v, "Code") {
			code = field(v, "Code")
		}
		for _, lang := range s.Languages() {
			r, err := renderView(s, lang, v)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(r.Text, "\n")
			if !slices.Contains(lines, link) {
				t.Errorf("%s %s text lacks the link on a line of its own", lang, k)
			}
			doc := parseHTML(t, r.HTML)
			if code != "" {
				if !slices.Contains(lines, "    "+code) {
					t.Errorf("%s %s text lacks the code on a line of its own", lang, k)
				}
				if !slices.Contains(doc.texts, code) {
					t.Errorf("%s %s HTML lacks the code as a text of its own", lang, k)
				}
				if strings.Contains(r.Subject, code) || strings.Contains(doc.preheader, code) {
					t.Errorf("%s %s subject or preheader shows the code: %q, %q", lang, k, r.Subject, doc.preheader)
				}
			}
			if len(doc.hrefs) == 0 {
				t.Errorf("%s %s HTML has no link", lang, k)
			}
			for _, href := range doc.hrefs {
				if href != link {
					t.Errorf("%s %s HTML links to %q, want %q unaltered", lang, k, href, link)
				}
			}
			if !slices.Contains(doc.texts, link) {
				t.Errorf("%s %s HTML lacks the link as text to copy", lang, k)
			}
			if strings.Contains(r.Subject, link) || strings.Contains(doc.preheader, link) {
				t.Errorf("%s %s subject or preheader shows the link", lang, k)
			}
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
			for _, k := range kindsWith("Link") {
				r, err := renderView(s, "en", with(sampleView(k), "Link", c.link))
				if c.link == "" && optionalLink(k) {
					// An optional link: "" is none.
					if err != nil || len(parseHTML(t, r.HTML).hrefs) > 0 || strings.Contains(r.Text, "https:") {
						t.Errorf("%s without a link: %v, or a link in a body", k, err)
					}
					continue
				}
				if !c.ok {
					if !errors.Is(err, ErrBadLink) {
						t.Fatalf("%s: err = %v, want ErrBadLink", k, err)
					}
					if c.link != "" && strings.Contains(err.Error(), c.link) {
						t.Fatalf("%s: the error quotes the link: %v", k, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				for _, href := range parseHTML(t, r.HTML).hrefs {
					if href != c.link {
						t.Errorf("%s: href = %q, want %q", k, href, c.link)
					}
				}
				if !strings.Contains(r.Text, "\n"+c.link+"\n") {
					t.Errorf("%s: text lacks the link on a line of its own", k)
				}
			}
		})
	}
}

// An unsafe URL that reached the HTML template, past the Set method's
// check, would still not be a working link: html/template replaces it.
func TestHTMLTemplateNeutralisesUnsafeURLs(t *testing.T) {
	s := mustNew(t)
	for _, lang := range s.Languages() {
		for _, k := range kindsWith("Link") {
			r, err := s.msgs[k].render(with(sampleView(k), "Link", "javascript:alert(1)"), func(over string) env { return s.env(lang, over) })
			if err != nil {
				t.Fatal(err)
			}
			hrefs := parseHTML(t, r.HTML).hrefs
			if len(hrefs) == 0 {
				t.Fatalf("%s %s: no links", lang, k)
			}
			for _, href := range hrefs {
				if href != "#ZgotmplZ" {
					t.Errorf("%s %s: href = %q, want #ZgotmplZ", lang, k, href)
				}
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	s := mustNew(t)
	const hostile = `<script>alert("x")</script>'&`
	for _, lang := range s.Languages() {
		for _, k := range Kinds() {
			r, err := renderView(s, lang, fill(sampleView(k), hostile, 5))
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<script", `"x"`, "'&"} {
				if strings.Contains(r.HTML, bad) {
					t.Errorf("%s %s HTML holds %q unescaped", lang, k, bad)
				}
			}
			if !strings.Contains(r.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&amp;") {
				t.Errorf("%s %s HTML lacks the escaped value", lang, k)
			}
			// Text is text/plain: the value is shown as it is, and
			// no client runs it.
			if !strings.Contains(r.Text, hostile) {
				t.Errorf("%s %s text lacks the value as it is", lang, k)
			}
			if !strings.Contains(r.Subject, hostile) {
				t.Errorf("%s %s subject lacks the value as it is", lang, k)
			}
			if scripts := parseHTML(t, r.HTML).scripts; scripts > 0 {
				t.Errorf("%s %s HTML has %d script elements", lang, k, scripts)
			}
		}
	}
}

func TestSizeBound(t *testing.T) {
	s := mustNew(t)
	big := strings.Repeat("a", MaxBodyLen)
	for _, lang := range s.Languages() {
		for _, k := range Kinds() {
			if _, err := renderView(s, lang, with(sampleView(k), "Brand", big)); !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s %s: err = %v, want ErrTooLarge", lang, k, err)
			}
		}
		lv := sampleLockout()
		lv.Until = big
		if _, err := s.Lockout(lang, lv); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s Lockout: err = %v, want ErrTooLarge", lang, err)
		}
	}
	// Just below the bound, everything fits, even with every value long.
	for _, k := range Kinds() {
		if _, err := renderView(s, "en", fill(sampleView(k), strings.Repeat("a", 1<<10), 10)); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
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
	for _, lang := range s.Languages() {
		for _, k := range Kinds() {
			r, err := renderView(s, lang, fill(sampleView(k), "203.0.113.7\n\nOr open https://evil.example/ instead", 5))
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(r.Text, "\n") {
				if strings.HasPrefix(line, "Or open https://evil") {
					t.Fatalf("%s %s: a value started a line of its own: %q", lang, k, line)
				}
			}
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
		{"ar", 3, "خلال \u20683\u2069 دقائق."},
		{"ar", 10, "خلال \u206810\u2069 دقائق."},
		{"ar", 11, "خلال \u206811\u2069 دقيقة."},
		{"ar", 99, "خلال \u206899\u2069 دقيقة."},
		{"ar", 100, "خلال \u2068100\u2069 دقيقة."},
		{"ar", 103, "خلال \u2068103\u2069 دقائق."},
	} {
		for _, k := range kindsWith("ExpiresMinutes") {
			r, err := renderView(s, c.lang, with(sampleView(k), "ExpiresMinutes", c.n))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Text, c.want) || !strings.Contains(r.HTML, c.want) {
				t.Errorf("%s %s, %d minutes: no %q in text and HTML", c.lang, k, c.n, c.want)
			}
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
			map[string]string{"en": "sign in again in 15 minutes.", "ar": "مجددًا بعد \u206815\u2069 دقيقة."}},
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
			for _, k := range Kinds() {
				if _, err := renderView(s, lang, sampleView(k)); err != nil {
					t.Error(err)
				}
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
		for _, k := range Kinds() {
			// Without any optional value, and then with only the
			// integers (which choose between sentences) set.
			for _, v := range []any{blank(sampleView(k)), fill(blank(sampleView(k)), "", 10)} {
				if hasField(v, "Code") {
					v = with(v, "Code", "123456")
				}
				r, err := renderView(s, lang, v)
				if err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(strings.TrimSuffix(r.Text, "\n"), "\n") {
					if strings.Contains(strings.TrimLeft(line, " "), "  ") || strings.Contains(line, "\u2068\u2069") || strings.HasSuffix(line, " ") {
						t.Errorf("%s %s text line %d: %q", lang, k, i+1, line)
					}
				}
				if strings.HasSuffix(r.Text, "\n\n") {
					t.Errorf("%s %s text ends with a blank line", lang, k)
				}
				for _, bad := range []string{"  ", "\u2068\u2069", `"></p>`, `"></h1>`, "></title>", "<p style=\"margin:0 0 16px;\"></p>"} {
					if strings.Contains(r.HTML, bad) || strings.Contains(r.Subject, bad) {
						t.Errorf("%s %s: %q in the subject %q or the HTML", lang, k, bad, r.Subject)
					}
				}
			}
		}
	}
}
