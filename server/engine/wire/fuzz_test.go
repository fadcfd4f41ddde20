package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// seed adds the golden flow, generated values and the refusal cases.
func seed(f *testing.F, encode func(g gen) []byte) {
	if b, err := os.ReadFile("testdata/flow.golden"); err == nil {
		f.Add(b)
	}
	g := newGen(3)
	for range 20 {
		f.Add(encode(g))
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"id":"f","step":"s","id":"g"}`, `{"action":"a","values":{"a":null,"b":"c"}}`,
		`{"client_id":"c","x":[{"y":1e5}]}`, `{"id":"\ud83d\ude00","step":"s","expires_at":"2026-01-02T03:04:05.5-01:00"}`,
		"{\"id\":\"\xff\",\"step\":\"s\"}", `{"id":"\ud83d","step":"s"}`,
	} {
		f.Add([]byte(s))
	}
}

// fuzzParse checks one parser: it never panics; what the document
// accepts is JSON; and anything accepted encodes to JSON that parses back
// to the same value and encodes to the same bytes.
func fuzzParse[T any](t *testing.T, data []byte, parse func([]byte) (T, error), encode func(T) []byte) {
	checkSyntaxAgreement(t, data)
	v, err := parse(data)
	if err != nil {
		return
	}
	if !json.Valid(data) {
		t.Fatalf("accepted %q, which is not JSON", data)
	}
	b := encode(v)
	if !json.Valid(b) {
		t.Fatalf("%q encodes to %q, which is not JSON", data, b)
	}
	again, err := parse(b)
	if err != nil {
		t.Fatalf("%q encodes to %q, which does not parse: %v", data, b, err)
	}
	if !reflect.DeepEqual(again, v) {
		t.Fatalf("%q parses to\n%#v\nthen, through %q, to\n%#v", data, v, b, again)
	}
	if b2 := encode(again); !bytes.Equal(b, b2) {
		t.Fatalf("encoding is not stable: %q then %q", b, b2)
	}
}

func FuzzParseFlow(f *testing.F) {
	seed(f, func(g gen) []byte { return g.flow().AppendJSON(nil) })
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, ParseFlow, func(v Flow) []byte {
			_ = v.Validate() // must not panic, whatever it finds
			return v.AppendJSON(nil)
		})
	})
}

func FuzzParseContinueRequest(f *testing.F) {
	seed(f, func(g gen) []byte { return g.continueRequest().AppendJSON(nil) })
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, ParseContinueRequest, func(v ContinueRequest) []byte { return v.AppendJSON(nil) })
	})
}

func FuzzParseStartRequest(f *testing.F) {
	seed(f, func(g gen) []byte { return g.start().AppendJSON(nil) })
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, ParseStartRequest, func(v StartRequest) []byte { return v.AppendJSON(nil) })
	})
}
