package emailtemplates

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Helpers that let a test run over every kind, and tests that hold for
// every kind.

func sampleActivation() ActivationView {
	return ActivationView{
		Brand: "Acme", App: "Acme Shop",
		Link:         "https://login.acme.example/activate/confirm?flow=f_1&t=q2Xv-9_kLm~A%2Fz#x",
		ExpiresHours: 72, Name: "Layla",
	}
}

func sampleVerifyEmail() VerifyEmailView {
	return VerifyEmailView{
		Brand: "Acme", App: "Acme Shop", Code: "482913",
		Link:           "https://login.acme.example/verify/confirm?flow=f_2&t=q2Xv-9_kLm~A%2Fz#x",
		ExpiresMinutes: 15,
	}
}

func sampleRecovery() RecoveryView {
	return RecoveryView{
		Brand: "Acme", App: "Acme Shop", Code: "705162",
		Link:           "https://login.acme.example/recover/confirm?flow=f_3&t=q2Xv-9_kLm~A%2Fz#x",
		ExpiresMinutes: 10, RequestedAt: "14 March 2026, 09:26 UTC", IP: "203.0.113.7",
	}
}

func sampleRecovered() RecoveredView {
	return RecoveredView{Brand: "Acme", At: "14 March 2026, 09:31 UTC", IP: "203.0.113.7"}
}

func sampleEmailChange() EmailChangeView {
	return EmailChangeView{
		Brand: "Acme", App: "Acme Shop", Code: "319548",
		Link:           "https://login.acme.example/email/confirm?flow=f_4&t=q2Xv-9_kLm~A%2Fz#x",
		ExpiresMinutes: 30,
	}
}

func sampleEmailChanged() EmailChangedView {
	return EmailChangedView{Brand: "Acme", NewAddress: "j•••@example.com", At: "14 March 2026, 09:40 UTC"}
}

func sampleWelcome() WelcomeView {
	return WelcomeView{Brand: "Acme", App: "Acme Shop", Name: "Layla", Login: "layla@example.com",
		Link: "https://shop.acme.example/start?from=welcome&x=q2Xv-9_kLm~A%2Fz#x"}
}

func samplePasswordChanged() PasswordChangedView {
	return PasswordChangedView{Brand: "Acme", App: "Acme Shop", ChangedAt: "14 March 2026, 09:26 UTC", IP: "203.0.113.7", Device: "Firefox on Linux"}
}

func sampleFactorEnrolled() FactorEnrolledView {
	return FactorEnrolledView{Brand: "Acme", App: "Acme Shop", Factor: "passkey", Label: "My laptop", EnrolledAt: "14 March 2026, 09:26 UTC",
		IP: "203.0.113.7", Device: "Safari on macOS"}
}

func sampleNewDevice() NewDeviceView {
	return NewDeviceView{Brand: "Acme", App: "Acme Shop", At: "14 March 2026, 09:26 UTC", IP: "203.0.113.7", Device: "Chrome on Android",
		Location: "Berlin, Germany", Link: "https://login.acme.example/account/security?x=q2Xv-9_kLm~A%2Fz#x"}
}

// sampleView returns a view of kind k with every field set.
func sampleView(k Kind) any {
	switch k {
	case Passwordless:
		return samplePasswordless()
	case Lockout:
		return sampleLockout()
	case Activation:
		return sampleActivation()
	case VerifyEmail:
		return sampleVerifyEmail()
	case Recovery:
		return sampleRecovery()
	case Recovered:
		return sampleRecovered()
	case EmailChange:
		return sampleEmailChange()
	case EmailChanged:
		return sampleEmailChanged()
	case Welcome:
		return sampleWelcome()
	case PasswordChanged:
		return samplePasswordChanged()
	case FactorEnrolled:
		return sampleFactorEnrolled()
	case NewDevice:
		return sampleNewDevice()
	}
	panic("no sample view of kind " + string(k))
}

// renderView renders v, a view of any kind, with its Set method.
func renderView(s *Set, lang string, v any) (Rendered, error) {
	return s.send(lang, v)
}

// kindOf returns the kind whose templates receive v.
func kindOf(v any) Kind {
	for _, k := range Kinds() {
		if reflect.TypeOf(sampleView(k)) == reflect.TypeOf(v) {
			return k
		}
	}
	return ""
}

// hasField tells whether view v has the named field.
func hasField(v any, name string) bool {
	_, ok := reflect.TypeOf(v).FieldByName(name)
	return ok
}

// field returns the named string field of view v.
func field(v any, name string) string {
	return reflect.ValueOf(v).FieldByName(name).String()
}

// with returns a copy of view v with the named field set to val.
func with(v any, name string, val any) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	rv.FieldByName(name).Set(reflect.ValueOf(val))
	return rv.Interface()
}

// fill returns a copy of view v with every string field but Link set to
// s and every integer field set to n.
func fill(v any, s string, n int) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	for i := range rv.NumField() {
		switch f := rv.Field(i); {
		case rv.Type().Field(i).Name == "Link":
		case f.Kind() == reflect.String:
			f.SetString(s)
		case f.Kind() == reflect.Int:
			f.SetInt(int64(n))
		}
	}
	return rv.Interface()
}

// blank returns a copy of view v with every optional value left out:
// strings empty but for the code and the link, integers 0.
func blank(v any) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	for i := range rv.NumField() {
		if name := rv.Type().Field(i).Name; name != "Code" && name != "Link" {
			rv.Field(i).SetZero()
		}
	}
	return rv.Interface()
}

// everySample reports whether the costly tests that render every
// sample view in every theme do so in lang: English and Arabic (left to
// right and right to left, two and six plural forms); the other
// languages of the catalog render the first sample view, their texts
// being the only difference (package locales checks those).
func everySample(lang string) bool { return lang == "en" || lang == "ar" }

// optionalLink reports whether kind k's link may be "" (none).
func optionalLink(k Kind) bool { return k == Welcome || k == NewDevice }

// kindsWith returns the kinds whose view has the named field.
func kindsWith(name string) []Kind {
	var ks []Kind
	for _, k := range Kinds() {
		if hasField(sampleView(k), name) {
			ks = append(ks, k)
		}
	}
	return ks
}

// The helpers know every kind, and every kind's samples are its views.
func TestHelpersCoverEveryKind(t *testing.T) {
	s := mustNew(t)
	for _, k := range Kinds() {
		if got := kindOf(sampleView(k)); got != k {
			t.Errorf("kindOf(sampleView(%s)) = %q", k, got)
		}
		if _, err := renderView(s, "en", sampleView(k)); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		for i, v := range samples(k) {
			if got := kindOf(v); got != k {
				t.Errorf("samples(%s)[%d] is a view of %q", k, i, got)
			}
		}
	}
	if got, want := kindsWith("Link"), []Kind{Passwordless, Activation, VerifyEmail, Recovery, EmailChange, Welcome, NewDevice}; !slices.Equal(got, want) {
		t.Errorf("kinds with a link: %q, want %q", got, want)
	}
	if got, want := kindsWith("Code"), []Kind{Passwordless, VerifyEmail, Recovery, EmailChange}; !slices.Equal(got, want) {
		t.Errorf("kinds with a code: %q, want %q", got, want)
	}
}

// Templates get only flat view structs: strings and integers, and the
// embedded Audience (a string and a map of strings).
func TestViewsAreFlat(t *testing.T) {
	for _, k := range Kinds() {
		typ := reflect.TypeOf(sampleView(k))
		if f := typ.Field(0); !f.Anonymous || f.Type != reflect.TypeFor[Audience]() {
			t.Errorf("%s does not embed Audience first", typ.Name())
		}
		for i := 1; i < typ.NumField(); i++ {
			if f := typ.Field(i); f.Type.Kind() != reflect.String && f.Type.Kind() != reflect.Int {
				t.Errorf("%s.%s is a %s", typ.Name(), f.Name, f.Type)
			}
		}
	}
	if typ := reflect.TypeFor[Audience](); typ.NumField() != 2 || typ.Field(0).Type.Kind() != reflect.String || typ.Field(1).Type != reflect.TypeFor[map[string]string]() {
		t.Errorf("Audience is not an app ID and a map of strings")
	}
}

// The code, the link and the new address are never in the subject, the
// title or the preheader, which show on lock screens and in inbox lists.
func TestSecretsStayInTheBodies(t *testing.T) {
	s := mustNew(t)
	for _, lang := range testLanguages(s) {
		for _, k := range Kinds() {
			v := sampleView(k)
			r, err := renderView(s, lang, v)
			if err != nil {
				t.Fatal(err)
			}
			d := parseHTML(t, r.HTML)
			for _, name := range []string{"Code", "Link", "NewAddress"} {
				if !hasField(v, name) {
					continue
				}
				secret := field(v, name)
				for where, got := range map[string]string{"subject": r.Subject, "title": d.title, "preheader": d.preheader} {
					if strings.Contains(got, secret) {
						t.Errorf("%s %s: the %s shows the %s: %q", lang, k, where, name, got)
					}
				}
				if !strings.Contains(r.Text, secret) || !strings.Contains(strings.Join(d.texts, "\n"), secret) {
					t.Errorf("%s %s: a body lacks the %s", lang, k, name)
				}
			}
			if strings.Contains(r.Subject, "http") || strings.Contains(d.preheader, "http") {
				t.Errorf("%s %s: a link in the subject or preheader", lang, k)
			}
		}
	}
}

// Messages without a link (notices) hold none, in either body, so that
// they cannot be mistaken for phishing.
func TestNoticesHaveNoLinks(t *testing.T) {
	s := mustNew(t)
	for _, lang := range testLanguages(s) {
		for _, k := range Kinds() {
			if hasField(sampleView(k), "Link") {
				continue
			}
			for i, v := range append(samples(k), sampleView(k)) {
				r, err := renderView(s, lang, v)
				if err != nil {
					t.Fatal(err)
				}
				if d := parseHTML(t, r.HTML); len(d.hrefs) > 0 {
					t.Errorf("%s %s view %d: the HTML has links: %q", lang, k, i, d.hrefs)
				}
				if strings.Contains(r.Text, "http") || strings.Contains(r.HTML, "http") {
					t.Errorf("%s %s view %d: a body has a link", lang, k, i)
				}
			}
		}
	}
}
