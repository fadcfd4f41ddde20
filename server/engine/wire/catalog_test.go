package wire

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// arCounts are the Arabic plural categories of 0…199, as the server
// precomputes them (CLDR: 0 zero, 1 one, 2 two, n%100 in 3…10 few, n%100
// in 11…99 many, else other).
func arCounts() []string {
	out := make([]string, 200)
	for n := range out {
		switch m := n % 100; {
		case n == 0:
			out[n] = "zero"
		case n == 1:
			out[n] = "one"
		case n == 2:
			out[n] = "two"
		case m >= 3 && m <= 10:
			out[n] = "few"
		case m >= 11:
			out[n] = "many"
		default:
			out[n] = "other"
		}
	}
	return out
}

var arabic = Catalog{
	Lang:    "ar",
	Dir:     DirRTL,
	Isolate: true,
	Messages: map[string]string{
		"password.help": "تسجيل الدخول باسم {user}.",
	},
	Plurals: map[string]map[string]string{
		"attempts": {"zero": "z", "one": "o", "two": "t", "few": "f {count}", "many": "m {count}", "other": "x {count}"},
		"partial":  {"one": "o", "other": "x"},
	},
	Counts: arCounts(),
}

var english = Catalog{
	Lang: "en",
	Dir:  DirLTR,
	Messages: map[string]string{
		"plain":   "Sign in",
		"hello":   "Hello {name}, {name}! {{literal} {missing} and }",
		"odd":     "{Bad} {unclosed",
		"sign_in": "Sign in to {app}",
	},
	Plurals: map[string]map[string]string{
		"attempts": {"one": "{count} attempt left", "other": "{count} attempts left"},
	},
	Counts: []string{"other", "one"},
}

func TestCatalogText(t *testing.T) {
	for _, c := range []struct {
		name string
		cat  Catalog
		id   string
		ps   []string
		want string
	}{
		{"an unknown ID renders as itself", english, "nope.title", nil, "nope.title"},
		{"a plain message", english, "plain", nil, "Sign in"},
		{"placeholders, the first pair winning, {{ and a missing param", english, "hello", []string{"name", "Ada", "name", "Bob"}, "Hello Ada, Ada! {literal} {missing} and }"},
		{"a brace that starts no placeholder is kept", english, "odd", nil, "{Bad} {unclosed"},
		{"an odd trailing name is ignored", english, "sign_in", []string{"app"}, "Sign in to {app}"},
		{"values are not templates", english, "sign_in", []string{"app", "{{x}} {app}"}, "Sign in to {{x}} {app}"},
		{"count one", english, "attempts", []string{"count", "1"}, "1 attempt left"},
		{"count other", english, "attempts", []string{"count", "3"}, "3 attempts left"},
		{"a negative integer counts its absolute value", english, "attempts", []string{"count", "-1"}, "-1 attempt left"},
		{"leading zeros", english, "attempts", []string{"count", "001"}, "001 attempt left"},
		{"a fraction is other", english, "attempts", []string{"count", "1.0"}, "1.0 attempts left"},
		{"a word is other", english, "attempts", []string{"count", "one"}, "one attempts left"},
		{"an empty count is other", english, "attempts", []string{"count", ""}, " attempts left"},
		{"a missing count is other", english, "attempts", nil, "{count} attempts left"},
		{"beyond Counts without 200 entries is other", english, "attempts", []string{"count", "501"}, "501 attempts left"},
		{"isolates around values", arabic, "password.help", []string{"user", "ada@example.com"}, "تسجيل الدخول باسم \u2068ada@example.com\u2069."},
		{"arabic zero", arabic, "attempts", []string{"count", "0"}, "z"},
		{"arabic two", arabic, "attempts", []string{"count", "2"}, "t"},
		{"arabic few", arabic, "attempts", []string{"count", "103"}, "f \u2068103\u2069"},
		{"arabic many beyond Counts", arabic, "attempts", []string{"count", "1011"}, "m \u20681011\u2069"},
		{"arabic few of a huge number", arabic, "attempts", []string{"count", "123456789012345678905"}, "f \u2068123456789012345678905\u2069"},
		{"arabic other beyond Counts", arabic, "attempts", []string{"count", "1000"}, "x \u20681000\u2069"},
		{"a category the message lacks is other", arabic, "partial", []string{"count", "3"}, "x"},
		{"a message with every category: other stays other", arabic, "attempts", []string{"count", "100"}, "x \u2068100\u2069"},
	} {
		if got := c.cat.Text(c.id, c.ps...); got != c.want {
			t.Errorf("%s: Text(%q, %q) = %q, want %q", c.name, c.id, c.ps, got, c.want)
		}
	}
	if got := (Catalog{}).Text("x.y", "a", "b"); got != "x.y" {
		t.Errorf("the zero Catalog renders IDs: %q", got)
	}
}

func TestCatalogRoundTrip(t *testing.T) {
	for _, c := range []Catalog{english, arabic, {Lang: "fr"}, {Lang: "x", Plurals: map[string]map[string]string{"empty": nil}}} {
		b := c.AppendJSON(nil)
		got, err := ParseCatalog(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Lang, err, b)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("%s: %s parses to %#v", c.Lang, b, got)
		}
		if b2 := got.AppendJSON(nil); string(b2) != string(b) {
			t.Errorf("%s: encoding not stable:\n%s\n%s", c.Lang, b, b2)
		}
	}
}

func TestCatalogEncoding(t *testing.T) {
	c := Catalog{Lang: "en", Dir: "ltr", Messages: map[string]string{"b": "<B>", "a": "A"},
		Plurals: map[string]map[string]string{"p": {"other": "o", "one": "1"}}, Counts: []string{"other", "one"}}
	want := `{"lang":"en","dir":"ltr","messages":{"a":"A","b":"\u003cB\u003e"},"plurals":{"p":{"one":"1","other":"o"}},"counts":["other","one"]}`
	if got := string(c.AppendJSON([]byte("x"))); got != "x"+want {
		t.Errorf("got  %s\nwant x%s", got, want)
	}
	if got := string((Catalog{}).AppendJSON(nil)); got != `{"lang":""}` {
		t.Errorf("zero Catalog: %s", got)
	}
}

func TestParseCatalogRefuses(t *testing.T) {
	for doc, want := range map[string]error{
		`{}`:                        ErrMissing,
		`{"lang":null}`:             ErrMissing,
		`{"lang":"en","lang":"fr"}`: ErrDuplicateKey,
		`{"lang":"en","messages":{"a":"x","a":"y"}}`: ErrDuplicateKey,
		`{"lang":"en","messages":{"a":1}}`:           ErrType,
		`{"lang":"en","messages":["a"]}`:             ErrType,
		`{"lang":"en","plurals":{"p":"x"}}`:          ErrType,
		`{"lang":"en","plurals":{"p":{"one":true}}}`: ErrType,
		`{"lang":"en","counts":[1]}`:                 ErrType,
		`{"lang":"en","isolate":"yes"}`:              ErrType,
		`{"lang":"en"} x`:                            ErrSyntax,
		`{"lang":"en","messages":{"a":"\ud800"}}`:    ErrSyntax,
		`{"lang":"en",}`:                             ErrSyntax,
		`{"lang":"en","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`: ErrTooDeep,
	} {
		if _, err := ParseCatalog([]byte(doc)); !errors.Is(err, want) {
			t.Errorf("ParseCatalog(%s): %v, want %v", doc, err, want)
		}
	}
	c, err := ParseCatalog([]byte(`{"lang":"en","future":{"x":[1,2]},"dir":null,"messages":{"a":null,"b":"B"}}`))
	if err != nil || c.Dir != "" || len(c.Messages) != 1 || c.Messages["b"] != "B" {
		t.Errorf("unknown members and nulls: %#v, %v", c, err)
	}
}

func FuzzParseCatalog(f *testing.F) {
	for _, c := range []Catalog{english, arabic} {
		f.Add(c.AppendJSON(nil))
	}
	for _, s := range []string{`{"lang":"en"}`, `{"lang":"e","plurals":{"p":{}},"counts":[]}`, `{"lang":"\u00e9","messages":{"\ud83d\ude00":"{{x}"}}`, "{\"lang\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, ParseCatalog, func(c Catalog) []byte {
			for id := range c.Messages {
				_ = c.Text(id, "count", "1", "name")
			}
			for id := range c.Plurals {
				_ = c.Text(id, "count", "12")
			}
			return c.AppendJSON(nil)
		})
	})
}

func TestAPIError(t *testing.T) {
	e, err := ParseAPIError([]byte(`{"error":"flow_expired","message":"error.flow.expired","error_description":"x"}`))
	if err != nil || e.Code != "flow_expired" || e.Message != "error.flow.expired" {
		t.Fatalf("got %#v, %v", e, err)
	}
	if got := string(e.AppendJSON(nil)); got != `{"error":"flow_expired","message":"error.flow.expired"}` {
		t.Errorf("AppendJSON: %s", got)
	}
	for doc, want := range map[string]error{`{"message":"m"}`: ErrMissing, `{"error":1}`: ErrType, `<html>`: ErrSyntax} {
		if _, err := ParseAPIError([]byte(doc)); !errors.Is(err, want) {
			t.Errorf("ParseAPIError(%s): %v, want %v", doc, err, want)
		}
	}
}

func FuzzParseAPIError(f *testing.F) {
	f.Add([]byte(`{"error":"e","message":"m"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, ParseAPIError, func(e APIError) []byte { return e.AppendJSON(nil) })
	})
}
