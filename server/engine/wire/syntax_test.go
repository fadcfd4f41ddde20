package wire

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// validate checks data with the syntax layer alone: any one JSON value.
func validate(data []byte) error { return decode(data, (*decoder).skip) }

// surrogateEscape matches a \u escape of a surrogate, which encoding/json
// accepts alone and this package only in a pair.
var surrogateEscape = regexp.MustCompile(`(?i)\\ud[89a-f]`)

// checkSyntaxAgreement checks the syntax layer against json.Valid: what it
// accepts is JSON, and what it refuses that is JSON breaks one of its
// documented extra rules.
func checkSyntaxAgreement(t *testing.T, data []byte) {
	t.Helper()
	err := validate(data)
	valid := json.Valid(data)
	switch {
	case err == nil && !valid:
		t.Fatalf("accepted %q, which is not JSON", data)
	case err == nil || !valid:
	case errors.Is(err, ErrDuplicateKey), errors.Is(err, ErrTooDeep), errors.Is(err, ErrTooLarge):
	case errors.Is(err, ErrSyntax) && (!utf8.Valid(data) || surrogateEscape.Match(data)):
	default:
		t.Fatalf("refused JSON %q: %v", data, err)
	}
}

func TestSyntaxAgreesWithEncodingJSON(t *testing.T) {
	docs := []string{
		``, ` `, `0`, `-0`, `-`, `01`, `1.`, `.5`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.0e0`, `+1`, `0x1`,
		`1 2`, `true`, `tru`, `truex`, `false`, `null`, `nULL`, `""`, `"`, `"\"`, `"\\"`, `"\/"`, `"\a"`, `"\u00e9"`,
		`"\u00E9"`, `"\u00g9"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, "\"\x7f\"", "\"\x1f\"", "\"\xff\"",
		`[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[[]]`, `[`, `]`, `{}`, `{ }`, `{"a":1}`, `{"a" 1}`, `{"a":}`, `{a:1}`,
		`{"a":1,}`, `{,}`, `{"a":1,"a":2}`, `{"a":{"b":[1,{"c":null}]}}`, `{"a":1}}`, `[1]]`, "\ufeff{}", "{}\x00",
		` {"a" : [ true , false , null ] } `, "\t\n\r[\t\n\r]\t\n\r", "\v[]", strings.Repeat("[", 32) + strings.Repeat("]", 32),
		strings.Repeat("[", 33) + strings.Repeat("]", 33), strings.Repeat("[", 100),
	}
	for _, d := range docs {
		checkSyntaxAgreement(t, []byte(d))
	}
}
