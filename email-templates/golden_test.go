package emailtemplates

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenCase is one message rendered into golden files, in every
// language: testdata/<name>.<lang>.{subject,txt,html}.golden.
type goldenCase struct {
	name   string
	kind   Kind
	render func(s *Set, lang string) (Rendered, error)
}

// goldenCases renders every kind, and every branch that changes a
// sentence: with and without the optional values (the engine sets no
// Brand yet), each way a lock ends. Each "-minimal" case leaves out every
// optional value.
func goldenCases() []goldenCase {
	pw := PasswordlessView{
		Brand: "Acme", App: "Acme Shop", Code: "123456",
		Link:           "https://login.acme.example/magic/confirm?flow=f_01J9Z3&t=q2Xv-9_kLm~A%2Fz",
		ExpiresMinutes: 10, RequestedAt: "14 March 2026, 09:26 UTC", IP: "203.0.113.7",
	}
	lock := LockoutView{Brand: "Acme", App: "Acme Shop", Until: "14 March 2026, 09:56 UTC", Minutes: 30, Attempts: 5}
	act := ActivationView{
		Brand: "Acme", App: "Acme Shop",
		Link:         "https://login.acme.example/activate/confirm?flow=f_01J9Z4&t=Hk3p-7_wQz~B%2Fy",
		ExpiresHours: 72, Name: "Layla Haddad",
	}
	ve := VerifyEmailView{
		Brand: "Acme", App: "Acme Shop", Code: "482913",
		Link:           "https://login.acme.example/verify/confirm?flow=f_01J9Z5&t=Zr8m-2_pLx~C%2Fw",
		ExpiresMinutes: 15,
	}
	rec := RecoveryView{
		Brand: "Acme", App: "Acme Shop", Code: "705162",
		Link:           "https://login.acme.example/recover/confirm?flow=f_01J9Z6&t=Wd4n-5_sKv~D%2Fu",
		ExpiresMinutes: 10, RequestedAt: "14 March 2026, 09:26 UTC", IP: "203.0.113.7",
	}
	recd := RecoveredView{Brand: "Acme", At: "14 March 2026, 09:31 UTC", IP: "203.0.113.7"}
	ec := EmailChangeView{
		Brand: "Acme", App: "Acme Shop", Code: "319548",
		Link:           "https://login.acme.example/email/confirm?flow=f_01J9Z7&t=Pf6q-1_tJr~E%2Ft",
		ExpiresMinutes: 30,
	}
	ecd := EmailChangedView{Brand: "Acme", NewAddress: "j•••@example.com", At: "14 March 2026, 09:40 UTC"}
	wel := WelcomeView{Brand: "Acme", App: "Acme Shop", Name: "Layla Haddad", Login: "layla@example.com", Link: "https://shop.acme.example/start"}
	pc := PasswordChangedView{Brand: "Acme", App: "Acme Shop", ChangedAt: "14 March 2026, 09:26 UTC", IP: "203.0.113.7", Device: "Firefox on Linux"}
	fe := FactorEnrolledView{Brand: "Acme", App: "Acme Shop", Factor: "passkey", Label: "My laptop", EnrolledAt: "14 March 2026, 09:26 UTC",
		IP: "203.0.113.7", Device: "Safari on macOS"}
	nd := NewDeviceView{Brand: "Acme", App: "Acme Shop", At: "14 March 2026, 09:26 UTC", IP: "203.0.113.7", Device: "Chrome on Android",
		Location: "Berlin, Germany", Link: "https://login.acme.example/account/security"}
	return []goldenCase{
		{"passwordless", Passwordless, func(s *Set, lang string) (Rendered, error) { return s.Passwordless(lang, pw) }},
		{"passwordless-no-brand", Passwordless, func(s *Set, lang string) (Rendered, error) {
			v := pw
			v.Brand = ""
			return s.Passwordless(lang, v)
		}},
		{"passwordless-minimal", Passwordless, func(s *Set, lang string) (Rendered, error) {
			v := pw
			v.App, v.RequestedAt, v.IP, v.ExpiresMinutes = "", "", "", 1
			return s.Passwordless(lang, v)
		}},
		{"lockout", Lockout, func(s *Set, lang string) (Rendered, error) { return s.Lockout(lang, lock) }},
		{"lockout-minutes", Lockout, func(s *Set, lang string) (Rendered, error) {
			v := lock
			v.Brand, v.Until, v.Minutes, v.Attempts = "", "", 2, 1
			return s.Lockout(lang, v)
		}},
		{"lockout-indefinite", Lockout, func(s *Set, lang string) (Rendered, error) {
			v := lock
			v.App, v.Until, v.Minutes, v.Attempts = "", "", 0, 0
			return s.Lockout(lang, v)
		}},
		{"activation", Activation, func(s *Set, lang string) (Rendered, error) { return s.Activation(lang, act) }},
		{"activation-minimal", Activation, func(s *Set, lang string) (Rendered, error) {
			v := act
			v.Brand, v.App, v.Name, v.ExpiresHours = "", "", "", 1
			return s.Activation(lang, v)
		}},
		{"verify-email", VerifyEmail, func(s *Set, lang string) (Rendered, error) { return s.VerifyEmail(lang, ve) }},
		{"verify-email-minimal", VerifyEmail, func(s *Set, lang string) (Rendered, error) {
			v := ve
			v.Brand, v.App, v.ExpiresMinutes = "", "", 2
			return s.VerifyEmail(lang, v)
		}},
		// Link only, as sent after a registration with verification
		// "after": no code, the link's life in hours.
		{"verify-email-link", VerifyEmail, func(s *Set, lang string) (Rendered, error) {
			v := ve
			v.Code, v.ExpiresMinutes, v.ExpiresHours = "", 0, 24
			v.Link = "https://login.acme.example/verify-email/lver_Qm9-xT2_pLx8cVw3nK0aZr5sYd1eUg7hJ4iO6bF9tE"
			return s.VerifyEmail(lang, v)
		}},
		{"verify-email-link-minimal", VerifyEmail, func(s *Set, lang string) (Rendered, error) {
			v := ve
			v.Brand, v.App, v.Code, v.ExpiresMinutes, v.ExpiresHours = "", "", "", 0, 1
			v.Link = "https://login.acme.example/verify-email/lver_Qm9-xT2_pLx8cVw3nK0aZr5sYd1eUg7hJ4iO6bF9tE"
			return s.VerifyEmail(lang, v)
		}},
		{"recovery", Recovery, func(s *Set, lang string) (Rendered, error) { return s.Recovery(lang, rec) }},
		{"recovery-minimal", Recovery, func(s *Set, lang string) (Rendered, error) {
			v := rec
			v.Brand, v.App, v.RequestedAt, v.IP, v.ExpiresMinutes = "", "", "", "", 1
			return s.Recovery(lang, v)
		}},
		{"recovered", Recovered, func(s *Set, lang string) (Rendered, error) { return s.Recovered(lang, recd) }},
		{"recovered-minimal", Recovered, func(s *Set, lang string) (Rendered, error) { return s.Recovered(lang, RecoveredView{}) }},
		{"email-change", EmailChange, func(s *Set, lang string) (Rendered, error) { return s.EmailChange(lang, ec) }},
		{"email-change-minimal", EmailChange, func(s *Set, lang string) (Rendered, error) {
			v := ec
			v.Brand, v.App, v.ExpiresMinutes = "", "", 1
			return s.EmailChange(lang, v)
		}},
		{"email-changed", EmailChanged, func(s *Set, lang string) (Rendered, error) { return s.EmailChanged(lang, ecd) }},
		{"email-changed-minimal", EmailChanged, func(s *Set, lang string) (Rendered, error) { return s.EmailChanged(lang, EmailChangedView{}) }},
		{"welcome", Welcome, func(s *Set, lang string) (Rendered, error) { return s.Welcome(lang, wel) }},
		{"welcome-minimal", Welcome, func(s *Set, lang string) (Rendered, error) { return s.Welcome(lang, WelcomeView{}) }},
		{"password-changed", PasswordChanged, func(s *Set, lang string) (Rendered, error) { return s.PasswordChanged(lang, pc) }},
		{"password-changed-minimal", PasswordChanged, func(s *Set, lang string) (Rendered, error) {
			return s.PasswordChanged(lang, PasswordChangedView{})
		}},
		{"factor-enrolled", FactorEnrolled, func(s *Set, lang string) (Rendered, error) { return s.FactorEnrolled(lang, fe) }},
		{"factor-enrolled-minimal", FactorEnrolled, func(s *Set, lang string) (Rendered, error) {
			return s.FactorEnrolled(lang, FactorEnrolledView{Factor: "totp"})
		}},
		{"new-device", NewDevice, func(s *Set, lang string) (Rendered, error) { return s.NewDevice(lang, nd) }},
		{"new-device-minimal", NewDevice, func(s *Set, lang string) (Rendered, error) { return s.NewDevice(lang, NewDeviceView{}) }},
	}
}

// goldenLanguages are the languages of the golden files: English,
// Arabic (right to left, six plural forms) and German, once its
// catalog has the emails' messages.
func goldenLanguages() []string { return []string{"en", "ar", "de"} }

// hasLanguage reports whether s's catalog has lang itself, not a
// fallback.
func hasLanguage(s *Set, lang string) bool { return slices.Contains(s.Languages(), lang) }

// TestGolden renders every golden case in each golden language and compares
// subject, text and HTML with testdata, so that every change to a
// template shows in review. Regenerate with:
//
//	go test ./email-templates -run TestGolden -update
func TestGolden(t *testing.T) {
	s := mustNew(t)
	want := map[string]bool{}
	covered := map[string]map[Kind]bool{}
	for _, c := range goldenCases() {
		for _, lang := range goldenLanguages() {
			t.Run(c.name+"."+lang, func(t *testing.T) {
				if !hasLanguage(s, lang) {
					t.Fatalf("the catalog has no %s: the goldens need it", lang)
				}
				r, err := c.render(s, lang)
				if err != nil {
					t.Fatal(err)
				}
				for _, part := range []struct{ ext, got string }{
					{"subject", r.Subject + "\n"},
					{"txt", r.Text},
					{"html", r.HTML},
				} {
					file := fmt.Sprintf("%s.%s.%s.golden", c.name, lang, part.ext)
					want[file] = true
					checkGolden(t, file, part.got)
				}
			})
			if covered[lang] == nil {
				covered[lang] = map[Kind]bool{}
			}
			covered[lang][c.kind] = true
		}
	}
	for _, lang := range goldenLanguages() {
		for _, k := range Kinds() {
			if !covered[lang][k] {
				t.Errorf("no golden case renders %s in %s", k, lang)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := filepath.Base(f); !want[name] && !skipped(s, name) {
			if *update {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s belongs to no golden case (run with -update to remove it)", f)
		}
	}
}

// skipped reports whether golden file name is of a golden language the
// catalog lacks, whose cases were skipped.
func skipped(s *Set, name string) bool {
	parts := strings.Split(name, ".")
	return len(parts) >= 4 && !hasLanguage(s, parts[len(parts)-3])
}

// checkGolden compares got with testdata/file, or writes it with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./email-templates -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("rendering differs from %s (run go test ./email-templates -update and review the diff):\n%s", path, firstDiff(got, string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return ""
}
