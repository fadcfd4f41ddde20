package emailtemplates

import (
	"fmt"
	"strings"
	"testing"
)

// What the account messages (activation, verify-email, recovery,
// recovered, email-change, email-changed) say; the tests in
// kinds_test.go and render_test.go check what every kind shares.

// wantIn asserts that both bodies of r hold every string of want.
func wantIn(t *testing.T, what string, r Rendered, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.Text, w) || !strings.Contains(r.HTML, w) {
			t.Errorf("%s: no %q in text and HTML", what, w)
		}
	}
}

// wantNotIn asserts that no part of r holds any string of bad.
func wantNotIn(t *testing.T, what string, r Rendered, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(r.Subject, b) || strings.Contains(r.Text, b) || strings.Contains(r.HTML, b) {
			t.Errorf("%s: %q in the message", what, b)
		}
	}
}

func TestActivationGreetsByName(t *testing.T) {
	s := mustNew(t)
	greeting := map[string]string{"en": "Hello Layla,", "ar": "مرحبًا \u2068Layla\u2069،"}
	for _, lang := range testLanguages(s) {
		r, err := s.Activation(lang, sampleActivation())
		if err != nil {
			t.Fatal(err)
		}
		wantIn(t, lang, r, greeting[lang])
		v := sampleActivation()
		v.Name = ""
		if r, err = s.Activation(lang, v); err != nil {
			t.Fatal(err)
		}
		wantNotIn(t, lang+" without a name", r, "Hello", "مرحبًا")
	}
}

// The activation email offers every way to sign in: a passkey, a
// password, or neither (codes by email).
func TestActivationOffersEveryWayToSignIn(t *testing.T) {
	s := mustNew(t)
	want := map[string][]string{
		"en": {"passkey", "password", "one-time code by email"},
		"ar": {"مفتاح مرور", "كلمة مرور", "رمز صالح لمرة واحدة عبر البريد الإلكتروني"},
	}
	for _, lang := range testLanguages(s) {
		r, err := s.Activation(lang, sampleActivation())
		if err != nil {
			t.Fatal(err)
		}
		wantIn(t, lang, r, want[lang]...)
	}
}

func TestActivationHours(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "expires in 1 hour;"},
		{"en", 2, "expires in 2 hours;"},
		{"en", 72, "expires in 72 hours;"},
		{"ar", 1, "خلال ساعة واحدة،"},
		{"ar", 2, "خلال ساعتين،"},
		{"ar", 3, "خلال \u20683\u2069 ساعات،"},
		{"ar", 10, "خلال \u206810\u2069 ساعات،"},
		{"ar", 11, "خلال \u206811\u2069 ساعة،"},
		{"ar", 72, "خلال \u206872\u2069 ساعة،"},
		{"ar", 100, "خلال \u2068100\u2069 ساعة،"},
		{"ar", 103, "خلال \u2068103\u2069 ساعات،"},
	} {
		v := sampleActivation()
		v.ExpiresHours = c.n
		r, err := s.Activation(c.lang, v)
		if err != nil {
			t.Fatal(err)
		}
		wantIn(t, fmt.Sprintf("%s, %d hours", c.lang, c.n), r, c.want)
	}
}

// Each message says what to do if the person did not ask for it, and
// what happened to their sessions.
func TestAccountMessagesSayWhatToDo(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct {
		name string
		v    any
		want map[string][]string
	}{
		{"recovery changes nothing if ignored", sampleRecovery(), map[string][]string{
			"en": {"If you did not ask for this, ignore this email: nothing changes"},
			"ar": {"إذا لم تطلب ذلك، فتجاهل هذه الرسالة: لن يتغير شيء"},
		}},
		{"recovered says every session ended", sampleRecovered(), map[string][]string{
			"en": {"its password was reset", "signed out everywhere", "apps connected to your account must sign in again", "contact Acme support"},
			"ar": {"وإعادة تعيين كلمة المرور", "تسجيل خروجك من جميع الأجهزة", "تسجيل الدخول من جديد", "فريق دعم \u2068Acme\u2069"},
		}},
		{"recovered without a brand", RecoveredView{}, map[string][]string{
			"en": {"contact support right away"},
			"ar": {"فتواصل فورًا مع فريق الدعم:"},
		}},
		{"email-change keeps the old address until confirmed", sampleEmailChange(), map[string][]string{
			"en": {"Until you confirm, your account keeps its current email address."},
			"ar": {"يحتفظ حسابك بعنوان بريده الإلكتروني الحالي"},
		}},
		{"email-changed names the new address", sampleEmailChanged(), map[string][]string{
			"en": {"was changed to ", "j•••@example.com", "contact Acme support"},
			"ar": {"إلى ", "\u2068j•••@example.com\u2069", "فريق دعم \u2068Acme\u2069"},
		}},
		{"activation stays inactive if ignored", sampleActivation(), map[string][]string{
			"en": {"the account stays inactive"},
			"ar": {"سيبقى الحساب غير مفعّل"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, lang := range testLanguages(s) {
				r, err := renderView(s, lang, c.v)
				if err != nil {
					t.Fatal(err)
				}
				wantIn(t, lang, r, c.want[lang]...)
			}
		})
	}
}
