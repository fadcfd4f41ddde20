package themes

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

// FuzzDocument feeds a level of the cascade as the management API
// receives it: Validate never panics, refusals are all named fields,
// and what it accepts resolves to tokens that render as one CSS rule.
func FuzzDocument(f *testing.F) {
	f.Add(`{"base":"dark","tokens":{"color-primary":"#ABC","font-family":"Inter, sans-serif"}}`)
	f.Add(`{"locales":{"pt-BR":{"radius":"2px"},"pt":{"space":"1rem"}},"texts":{"en":{"a":"b"}}}`)
	f.Add(`{"style_origins":["https://a.com:8443"],"page_template":"<x>"}`)
	f.Add(`{"emails":{"en":{"welcome":{"subject":"s","html":"<p>"}}}}`)
	f.Add(`{"emails":{"*":{"welcome":{"subject":"s"}},"de":{"welcome":{"text":"t"}}},"texts":{"*":{"a":"b"}}}`)
	f.Fuzz(func(t *testing.T, src string) {
		var d Document
		if json.Unmarshal([]byte(src), &d) != nil {
			return
		}
		err := d.Validate(Checks{})
		if err != nil {
			if len(invalid.All(err)) == 0 || !errors.Is(err, ErrValue) && !errors.Is(err, ErrUnknownToken) {
				t.Fatalf("refusal without a field or sentinel: %v", err)
			}
			return
		}
		for _, locale := range []string{"", "pt-BR", "ar"} {
			r := Resolve(locale, d)
			css, err := CSS(r.Tokens, func(id string) string { return "/a/" + id })
			if err != nil {
				t.Fatalf("resolved tokens refused: %v", err)
			}
			if why := oneRule(css); why != "" {
				t.Fatalf("%s:\n%s", why, css)
			}
		}
	})
}
