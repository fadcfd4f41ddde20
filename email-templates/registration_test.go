package emailtemplates

import (
	"slices"
	"strings"
	"testing"
)

// The verify-email message without a code (verification after
// registration) holds only the link: no code box, no request to enter a
// code, and an expiry told of the link alone, in hours when given.
func TestVerifyEmailWithoutCode(t *testing.T) {
	s := mustNew(t)
	const link = "https://login.acme.example/verify-email/lver_q2Xv-9_kLm"
	// codeWords are what asks for a code, or speaks of one, per language.
	codeWords := map[string][]string{"en": {"code", "Code"}, "ar": {"رمز", "الرمز"}}
	for _, tc := range []struct {
		name   string
		view   VerifyEmailView
		expiry map[string]string
	}{
		{"in hours", VerifyEmailView{Brand: "Acme", App: "Acme Shop", Link: link, ExpiresHours: 24, ExpiresMinutes: 15},
			map[string]string{"en": "The link expires in 24 hours.", "ar": "تنتهي صلاحية الرابط خلال \u206824\u2069 ساعة."}},
		{"in one hour, without names", VerifyEmailView{Link: link, ExpiresHours: 1},
			map[string]string{"en": "The link expires in 1 hour.", "ar": "تنتهي صلاحية الرابط خلال ساعة واحدة."}},
		{"in minutes", VerifyEmailView{Link: link, ExpiresMinutes: 10},
			map[string]string{"en": "The link expires in 10 minutes.", "ar": "تنتهي صلاحية الرابط خلال \u206810\u2069 دقائق."}},
		{"a code that cleans to nothing is no code", VerifyEmailView{Code: "\u202e", Link: link, ExpiresHours: 2},
			map[string]string{"en": "The link expires in 2 hours.", "ar": "تنتهي صلاحية الرابط خلال ساعتين."}},
	} {
		for _, lang := range testLanguages(s) {
			t.Run(tc.name+"."+lang, func(t *testing.T) {
				r, err := s.VerifyEmail(lang, tc.view)
				if err != nil {
					t.Fatal(err)
				}
				doc := parseHTML(t, r.HTML)
				if len(doc.problems) > 0 {
					t.Fatalf("HTML problems: %v", doc.problems)
				}
				for where, body := range map[string]string{"text": r.Text, "HTML": strings.Join(doc.texts, "\n"), "preheader": doc.preheader} {
					for _, w := range codeWords[lang] {
						if strings.Contains(body, w) {
							t.Errorf("the %s speaks of a code (%q):\n%s", where, w, body)
						}
					}
				}
				if strings.Contains(r.Text, "\n    ") || strings.Contains(r.HTML, "letter-spacing") {
					t.Errorf("a code box without a code")
				}
				want := tc.expiry[lang]
				if !strings.Contains(r.Text, want) || !slices.ContainsFunc(doc.texts, func(s string) bool { return strings.Contains(s, want) }) {
					t.Errorf("the bodies lack %q:\n%s", want, r.Text)
				}
				if !slices.Contains(strings.Split(r.Text, "\n"), link) || !slices.Contains(doc.texts, link) {
					t.Errorf("a body lacks the link on its own")
				}
				for _, href := range doc.hrefs {
					if href != link {
						t.Errorf("HTML links to %q", href)
					}
				}
				if strings.Contains(r.Subject, "http") || strings.Contains(doc.preheader, "http") || doc.preheader == "" {
					t.Errorf("subject %q, preheader %q", r.Subject, doc.preheader)
				}
				for i, line := range strings.Split(r.Text, "\n") {
					if strings.Contains(line, "  ") || strings.HasSuffix(line, " ") || strings.Contains(line, "\u2068\u2069") {
						t.Errorf("text line %d: %q", i+1, line)
					}
				}
				if strings.Contains(r.Text, "\n\n\n") || strings.Contains(r.HTML, "  ") || strings.Contains(r.HTML, `"></p>`) {
					t.Errorf("blank lines or empty elements:\n%s", r.Text)
				}
			})
		}
	}
}
