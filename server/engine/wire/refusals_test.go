package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestRefusals(t *testing.T) {
	deep := func(n int) string {
		return `{"id":"f","step":"s","x":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}"
	}
	padded := func(size int) string { // a flow of exactly size bytes
		head := `{"id":"f","step":"s","pad":"`
		return head + strings.Repeat("a", size-len(head)-2) + `"}`
	}
	parsers := map[string]func([]byte) error{
		"flow":     func(b []byte) error { _, err := ParseFlow(b); return err },
		"start":    func(b []byte) error { _, err := ParseStartRequest(b); return err },
		"continue": func(b []byte) error { _, err := ParseContinueRequest(b); return err },
	}
	tests := []struct {
		name   string
		parser string
		json   string
		want   error // nil: accepted
	}{
		{"refuses an empty document", "flow", "", ErrSyntax},
		{"refuses trailing garbage", "flow", `{"id":"f","step":"s"}x`, ErrSyntax},
		{"refuses a second value", "flow", `{"id":"f","step":"s"} {}`, ErrSyntax},
		{"refuses a trailing comma", "flow", `{"id":"f","step":"s",}`, ErrSyntax},
		{"refuses a trailing comma in an array", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t"},]}`, ErrSyntax},
		{"refuses an unterminated object", "flow", `{"id":"f","step":"s"`, ErrSyntax},
		{"refuses single quotes", "flow", `{'id':"f","step":"s"}`, ErrSyntax},
		{"refuses a leading zero", "flow", `{"id":"f","step":"s","x":01}`, ErrSyntax},
		{"refuses a bare fraction point", "flow", `{"id":"f","step":"s","x":1.}`, ErrSyntax},
		{"refuses a misspelt literal", "flow", `{"id":"f","step":"s","x":nul}`, ErrSyntax},
		{"refuses a raw control character in a string", "flow", "{\"id\":\"a\tb\",\"step\":\"s\"}", ErrSyntax},
		{"refuses an unknown escape", "flow", `{"id":"\x","step":"s"}`, ErrSyntax},
		{"refuses a short \\u escape", "flow", `{"id":"\u12","step":"s"}`, ErrSyntax},
		{"refuses invalid UTF-8", "flow", "{\"id\":\"\xff\",\"step\":\"s\"}", ErrSyntax},
		{"refuses invalid UTF-8 in a skipped member", "flow", "{\"id\":\"f\",\"step\":\"s\",\"x\":\"\xc3\"}", ErrSyntax},
		{"refuses an overlong UTF-8 form", "flow", "{\"id\":\"\xc0\xaf\",\"step\":\"s\"}", ErrSyntax},
		{"refuses a UTF-8 encoded surrogate", "flow", "{\"id\":\"\xed\xa0\x80\",\"step\":\"s\"}", ErrSyntax},
		{"refuses UTF-8 beyond U+10FFFF", "flow", "{\"id\":\"\xf4\x90\x80\x80\",\"step\":\"s\"}", ErrSyntax},
		{"refuses a lone high surrogate escape", "flow", `{"id":"\ud83d","step":"s"}`, ErrSyntax},
		{"refuses a high surrogate escape before a character", "flow", `{"id":"\ud83dx","step":"s"}`, ErrSyntax},
		{"refuses two high surrogate escapes", "flow", `{"id":"\ud83d\ud83d","step":"s"}`, ErrSyntax},
		{"refuses a lone low surrogate escape", "continue", `{"action":"\ude00"}`, ErrSyntax},
		{"refuses a duplicate key", "flow", `{"id":"f","step":"s","id":"g"}`, ErrDuplicateKey},
		{"refuses a duplicate key spelt with an escape", "flow", `{"id":"f","step":"s","\u0069d":"g"}`, ErrDuplicateKey},
		{"refuses a duplicate key even with null", "flow", `{"id":"f","step":"s","redirect":null,"redirect":"x"}`, ErrDuplicateKey},
		{"refuses a duplicate key in a skipped member", "flow", `{"id":"f","step":"s","x":{"a":1,"a":2}}`, ErrDuplicateKey},
		{"refuses a duplicate value name", "continue", `{"action":"a","values":{"pw":"1","pw":"2"}}`, ErrDuplicateKey},
		{"refuses a duplicate message param", "flow", `{"id":"f","step":"s","messages":[{"id":"m","params":{"n":"1","n":"2"}}]}`, ErrDuplicateKey},
		{"accepts nesting 32 deep", "flow", deep(32), nil},
		{"refuses nesting 33 deep", "flow", deep(33), ErrTooDeep},
		{"refuses deep nesting of known members", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","x":` + strings.Repeat("[", 30) + strings.Repeat("]", 30) + `}]}`, ErrTooDeep},
		{"accepts a document of 1 MiB", "flow", padded(MaxSize), nil},
		{"refuses a document over 1 MiB", "flow", padded(MaxSize + 1), ErrTooLarge},
		{"refuses a flow without id", "flow", `{"step":"s"}`, ErrMissing},
		{"refuses a flow with a null id", "flow", `{"id":null,"step":"s"}`, ErrMissing},
		{"refuses a flow without step", "flow", `{"id":"f"}`, ErrMissing},
		{"refuses a field without name", "flow", `{"id":"f","step":"s","fields":[{"type":"t"}]}`, ErrMissing},
		{"refuses a field without type", "flow", `{"id":"f","step":"s","fields":[{"name":"n"}]}`, ErrMissing},
		{"refuses an option without value", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","options":[{"label":"l"}]}]}`, ErrMissing},
		{"refuses an action without name", "flow", `{"id":"f","step":"s","actions":[{"href":"/"}]}`, ErrMissing},
		{"refuses a message without id", "flow", `{"id":"f","step":"s","messages":[{"level":"info"}]}`, ErrMissing},
		{"refuses a continue request without action", "continue", `{"values":{"a":"b"}}`, ErrMissing},
		{"refuses a start request without client_id", "start", `{"redirect_uri":"https://a/"}`, ErrMissing},
		{"refuses an array for a flow", "flow", `[]`, ErrType},
		{"refuses null for a flow", "flow", `null`, ErrType},
		{"refuses a number for id", "flow", `{"id":1,"step":"s"}`, ErrType},
		{"refuses a string for fields", "flow", `{"id":"f","step":"s","fields":"x"}`, ErrType},
		{"refuses an object for fields", "flow", `{"id":"f","step":"s","fields":{}}`, ErrType},
		{"refuses null in a list", "flow", `{"id":"f","step":"s","actions":[null]}`, ErrType},
		{"refuses a string for a boolean", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","required":"true"}]}`, ErrType},
		{"refuses a fraction for an integer", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","constraints":{"min_length":1.5}}]}`, ErrType},
		{"refuses an exponent for an integer", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","constraints":{"min_length":1e2}}]}`, ErrType},
		{"refuses an integer out of range", "flow", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","constraints":{"max_length":99999999999999999999}}]}`, ErrType},
		{"refuses a time without zone", "flow", `{"id":"f","step":"s","expires_at":"2026-01-02T03:04:05"}`, ErrType},
		{"refuses a date without time", "flow", `{"id":"f","step":"s","expires_at":"2026-01-02"}`, ErrType},
		{"refuses February 30", "flow", `{"id":"f","step":"s","expires_at":"2026-02-30T00:00:00Z"}`, ErrType},
		{"refuses a leap second", "flow", `{"id":"f","step":"s","expires_at":"2026-12-31T23:59:60Z"}`, ErrType},
		{"refuses a time before year 0 in UTC", "flow", `{"id":"f","step":"s","expires_at":"0000-01-01T00:00:00+01:00"}`, ErrType},
		{"refuses a number for a time", "flow", `{"id":"f","step":"s","expires_at":1767225600}`, ErrType},
		{"refuses a number among values", "continue", `{"action":"a","values":{"remember":true}}`, ErrType},
		{"refuses an array for values", "continue", `{"action":"a","values":[["a","b"]]}`, ErrType},
		{"refuses a number for client_id", "start", `{"client_id":7}`, ErrType},
		{"reports broken JSON in a mistyped value as syntax", "flow", `{"id":[1,,2],"step":"s"}`, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parsers[tt.parser]([]byte(tt.json))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string
	}{
		{"names the path of a missing member", `{"id":"f","step":"s","fields":[{"name":"a","type":"t"},{"type":"t"}]}`,
			"wire: missing required value at fields[1].name"},
		{"names the path and offset of a wrong type", `{"id":"f","step":"s","context":{"app":{"id":5}}}`,
			"wire: wrong type at context.app.id (offset 44): want string, found number"},
		{"names the offset of a syntax error", `{"id":"f","step":"s",]`, `wire: invalid JSON (offset 21): unexpected ']'`},
		{"quotes a key that is not a plain name", `{"id":"f","step":"s","messages":[{"id":"m","params":{"a\nb":1}}]}`,
			`wire: wrong type at messages[0].params."a\nb" (offset 60): want string, found number`},
	}
	for _, tt := range tests {
		_, err := ParseFlow([]byte(tt.json))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v\nwant %s", tt.name, err, tt.want)
		}
	}
}
