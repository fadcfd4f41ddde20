package directory

import (
	"reflect"
	"testing"
)

func TestUserInputAssign(t *testing.T) {
	in := UserInput{Login: "kept@example.com"}
	in.Assign(map[string]any{"email": "a@example.com", "given_name": "Ada", "family_name": "Lovelace", "name": "Ada Lovelace",
		"locale": "en-GB", "phone": "+441234567890", "shoe_size": float64(38), "nickname": 7})
	want := UserInput{Login: "kept@example.com", Email: "a@example.com", GivenName: "Ada", FamilyName: "Lovelace", Name: "Ada Lovelace",
		Locale: "en-GB", Phone: "+441234567890", Profile: map[string]any{"shoe_size": float64(38), "nickname": 7}}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("Assign:\n got %+v\nwant %+v", in, want)
	}
	var odd UserInput
	odd.Assign(map[string]any{"given_name": 42})
	if odd.GivenName != "" || len(odd.Profile) != 0 {
		t.Errorf("a base attribute that is not a string: %+v", odd)
	}
}
