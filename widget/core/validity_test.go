package core_test

import (
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/widget/core"
)

func TestProblemUsesTheServersMessages(t *testing.T) {
	text := wire.Field{Name: "login", Type: wire.FieldText, Constraints: wire.Constraints{MaxLength: 256, MinLength: 2}}
	email := wire.Field{Name: "email", Type: wire.FieldEmail}
	pw := wire.Field{Name: "new_password", Type: wire.FieldPassword, Constraints: wire.Constraints{MinLength: 12}}
	answer := wire.Field{Name: "answer", Type: wire.FieldPassword, Label: "field.answer.label", Constraints: wire.Constraints{MinLength: 3}}
	terms := wire.Field{Name: "terms_tos", Type: wire.FieldCheckbox}
	tel := wire.Field{Name: "phone", Type: wire.FieldTel}
	for _, c := range []struct {
		name string
		x    wire.Field
		v    core.Validity
		want string // id and params
	}{
		{"valid", text, core.Validity{}, ""},
		{"missing", text, core.Validity{ValueMissing: true, TooShort: true}, "error.field.required"},
		{"a terms box not ticked", terms, core.Validity{ValueMissing: true}, "error.terms.required"},
		{"too long", text, core.Validity{TooLong: true}, "error.field.too_long max=256"},
		{"a short new password", pw, core.Validity{TooShort: true}, "error.password.too_short count=12"},
		{"a short answer", answer, core.Validity{TooShort: true}, "error.answer.too_short"},
		{"a short text", text, core.Validity{TooShort: true}, "error.field.invalid"},
		{"not an email address", email, core.Validity{TypeMismatch: true}, "error.email.invalid"},
		{"not a phone number", tel, core.Validity{PatternMismatch: true}, "error.phone.invalid"},
		{"not a number", text, core.Validity{BadInput: true}, "error.field.invalid"},
	} {
		m, ok := core.Problem(c.x, c.v)
		got := m.ID
		for _, p := range m.Params {
			got += " " + p.Name + "=" + p.Value
		}
		if got != c.want || ok != (c.want != "") || ok && (m.Field != c.x.Name || m.Level != wire.LevelError) {
			t.Errorf("%s: %q (%v, %+v), want %q", c.name, got, ok, m, c.want)
		}
	}
}

func TestCheckAddsTheFlowsConstraints(t *testing.T) {
	code := wire.Field{Name: "code", Type: wire.FieldOTP, Constraints: wire.Constraints{MinLength: 6, MaxLength: 6, Pattern: "[0-9]{6}"}}
	digits := func(p, v string) bool { return strings.Trim(v, "0123456789") == "" }
	if v := core.Check(code, "", core.Validity{ValueMissing: true}, digits); v != (core.Validity{ValueMissing: true}) {
		t.Errorf("empty values are left to required: %+v", v)
	}
	if v := core.Check(code, "12345", core.Validity{}, digits); !v.TooShort || v.PatternMismatch {
		t.Errorf("five digits: %+v", v)
	}
	if v := core.Check(code, "12345x", core.Validity{}, digits); !v.PatternMismatch || v.TooShort {
		t.Errorf("a letter: %+v", v)
	}
	if v := core.Check(code, "１２３４５６７", core.Validity{}, nil); !v.TooLong || v.PatternMismatch {
		t.Errorf("seven characters, patterns skipped: %+v", v)
	}
	if v := core.Check(code, "123456", core.Validity{}, digits); !v.Valid() {
		t.Errorf("six digits: %+v", v)
	}
}

func TestWithProblemsReplacesFieldMessages(t *testing.T) {
	f := wire.Flow{Messages: []wire.Message{
		{ID: "form", Level: wire.LevelError},
		{ID: "old", Level: wire.LevelError, Field: "a"},
		{ID: "keep", Level: wire.LevelInfo, Field: "b"},
	}}
	got := core.WithProblems(f, []wire.Message{{ID: "new", Level: wire.LevelError, Field: "a"}})
	var ids []string
	for _, m := range got.Messages {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, " ") != "form keep new" || len(f.Messages) != 3 {
		t.Errorf("messages %v", ids)
	}
}

func TestValuesAreWhatAFormPosts(t *testing.T) {
	f := wire.Flow{Fields: []wire.Field{
		{Name: "login", Type: wire.FieldText}, {Name: "news", Type: wire.FieldCheckbox}, {Name: "terms", Type: wire.FieldCheckbox},
		{Name: "scopes", Type: wire.FieldList}, {Name: "qr", Type: wire.FieldQR}, {Name: "codes", Type: wire.FieldCodes},
		{Name: "pk", Type: wire.FieldWebAuthn}, {Name: "ref", Type: wire.FieldHidden},
	}}
	form := map[string]string{"login": "", "news": "on", "terms": "", "pk": "", "ref": "x"}
	got := core.Values(f, func(name string) (string, bool) { return form[name], form[name] == "on" })
	var pairs []string
	for _, p := range got {
		pairs = append(pairs, p.Name+"="+p.Value)
	}
	if strings.Join(pairs, "&") != "login=&news=true&pk=&ref=x" {
		t.Errorf("values %v", pairs)
	}
}
