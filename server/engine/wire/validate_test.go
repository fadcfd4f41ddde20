package wire

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := func() Flow {
		return Flow{ID: "f", Step: StepChallengePassword,
			Fields:   []Field{{Name: "password", Type: FieldPassword, Secret: true}, {Name: "remember", Type: FieldCheckbox}},
			Actions:  []Action{{Name: "submit"}, {Name: "cancel"}},
			Messages: []Message{{ID: "m", Level: LevelError, Field: "password", Params: []Param{{"a", "1"}, {"b", "2"}}}}}
	}
	tests := []struct {
		name   string
		change func(f *Flow)
		want   error // nil: valid
	}{
		{"accepts a well-formed flow", func(f *Flow) {}, nil},
		{"accepts the golden flow", func(f *Flow) { *f = sampleFlow() }, nil},
		{"accepts an unknown step kind and field type", func(f *Flow) { f.Step = "future"; f.Fields[1].Type = "hologram" }, nil},
		{"accepts a done flow with its redirect", func(f *Flow) { f.Step = StepDone; f.Redirect = "https://app/cb?code=c" }, nil},
		{"accepts a minimum without maximum", func(f *Flow) { f.Fields[0].Constraints.MinLength = 8 }, nil},
		{"accepts both directions", func(f *Flow) { f.Context.Dir = DirLTR }, nil},
		{"refuses a flow without id", func(f *Flow) { f.ID = "" }, ErrMissing},
		{"refuses a flow without step", func(f *Flow) { f.Step = "" }, ErrMissing},
		{"refuses a done flow without redirect", func(f *Flow) { f.Step = StepDone }, ErrMissing},
		{"refuses a field without name", func(f *Flow) { f.Fields[1].Name = "" }, ErrMissing},
		{"refuses a field without type", func(f *Flow) { f.Fields[1].Type = "" }, ErrMissing},
		{"refuses repeated field names", func(f *Flow) { f.Fields[1].Name = "password" }, ErrDuplicateKey},
		{"refuses a value on a secret field", func(f *Flow) { f.Fields[0].Value = "hunter2" }, ErrInvalid},
		{"refuses a negative minimum", func(f *Flow) { f.Fields[0].Constraints.MinLength = -1 }, ErrInvalid},
		{"refuses a negative maximum", func(f *Flow) { f.Fields[0].Constraints.MaxLength = -1 }, ErrInvalid},
		{"refuses a minimum above the maximum", func(f *Flow) { f.Fields[0].Constraints = Constraints{MinLength: 9, MaxLength: 8} }, ErrInvalid},
		{"refuses repeated option values", func(f *Flow) { f.Fields[1].Options = []Option{{Value: "a"}, {Value: "b"}, {Value: "a"}} }, ErrDuplicateKey},
		{"refuses an action without name", func(f *Flow) { f.Actions[0].Name = "" }, ErrMissing},
		{"refuses repeated action names", func(f *Flow) { f.Actions[1].Name = "submit" }, ErrDuplicateKey},
		{"accepts an action's label params", func(f *Flow) { f.Actions[1].LabelParams = []Param{{"name", "Acme"}, {"kind", "oidc"}} }, nil},
		{"refuses repeated label params of an action", func(f *Flow) { f.Actions[1].LabelParams = []Param{{"name", "Acme"}, {"name", "Other"}} }, ErrDuplicateKey},
		{"refuses a message without id", func(f *Flow) { f.Messages[0].ID = "" }, ErrMissing},
		{"refuses a message without level", func(f *Flow) { f.Messages[0].Level = "" }, ErrMissing},
		{"refuses an unknown level", func(f *Flow) { f.Messages[0].Level = "fatal" }, ErrInvalid},
		{"refuses a message about a field the flow lacks", func(f *Flow) { f.Messages[0].Field = "username" }, ErrInvalid},
		{"refuses repeated message params", func(f *Flow) { f.Messages[0].Params[1].Name = "a" }, ErrDuplicateKey},
		{"refuses an unknown direction", func(f *Flow) { f.Context.Dir = "ttb" }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok()
			tt.change(&f)
			err := f.Validate()
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestValidateSaysWhere(t *testing.T) {
	f := Flow{ID: "f", Step: "s", Fields: []Field{{Name: "a", Type: "t"}, {Name: "b", Type: "t", Constraints: Constraints{MinLength: -1}}}}
	const want = "wire: invalid value at fields[1].constraints.min_length: negative"
	if err := f.Validate(); err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
