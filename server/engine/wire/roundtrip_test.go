package wire

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFlowRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		flow Flow
	}{
		{"keeps the least flow", Flow{ID: "f", Step: StepIdentify}},
		{"keeps an empty id and step", Flow{}},
		{"keeps a representative flow", sampleFlow()},
		{"keeps a done flow's redirect", Flow{ID: "f", Step: StepDone, Redirect: "https://app.example.com/cb?code=c&state=s&iss=https%3A%2F%2Flogin"}},
		{"keeps an enroll step", Flow{ID: "f", Step: EnrollStep("totp"), Fields: []Field{{Name: "code", Type: FieldOTP, Secret: true}}}},
		{"keeps an unknown step kind", Flow{ID: "f", Step: "launch-rocket", Fields: []Field{{Name: "x", Type: "hologram"}}}},
		{"keeps the earliest time", Flow{ID: "f", Step: StepPoll, ExpiresAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()}},
		{"keeps the latest time", Flow{ID: "f", Step: StepPoll, ExpiresAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()}},
		{"keeps a leap day", Flow{ID: "f", Step: StepPoll, ExpiresAt: time.Date(2028, 2, 29, 1, 2, 3, 0, time.UTC).Unix()}},
		{"keeps negative constraints", Flow{ID: "f", Step: "s", Fields: []Field{{Name: "n", Type: FieldNumber, Constraints: Constraints{MinLength: -1, MaxLength: -90000}}}}},
		{"keeps an app without a name", Flow{ID: "f", Step: "s", Context: Context{App: App{ID: "app"}}}},
		{"keeps every kind of character", Flow{ID: strings.Join(tricky, ""), Step: "s", Messages: []Message{{ID: "m", Params: []Param{{"\u2028", "\x00"}, {"", ""}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.flow.AppendJSON(nil)
			got, err := ParseFlow(b)
			if err != nil {
				t.Fatalf("ParseFlow(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, tt.flow) {
				t.Fatalf("round trip of %s:\n got %#v\nwant %#v", b, got, tt.flow)
			}
		})
	}
}

func TestFlowEncoding(t *testing.T) {
	tests := []struct {
		name string
		flow Flow
		want string
	}{
		{"always writes id, step and the lists", Flow{}, `{"id":"","step":"","fields":[],"actions":[],"messages":[]}`},
		{"writes the time in UTC, in whole seconds",
			Flow{ID: "f", Step: "s", ExpiresAt: time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.FixedZone("", -90*60)).Unix()},
			`{"id":"f","expires_at":"2026-01-02T04:34:05Z","step":"s","fields":[],"actions":[],"messages":[]}`},
		{"writes a time before 1970", Flow{ID: "f", Step: "s", ExpiresAt: -1},
			`{"id":"f","expires_at":"1969-12-31T23:59:59Z","step":"s","fields":[],"actions":[],"messages":[]}`},
		{"clamps years RFC 3339 cannot write", Flow{ID: "f", Step: "s", ExpiresAt: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()},
			`{"id":"f","expires_at":"9999-12-31T23:59:59Z","step":"s","fields":[],"actions":[],"messages":[]}`},
		{"clamps years before 0000", Flow{ID: "f", Step: "s", ExpiresAt: math.MinInt64},
			`{"id":"f","expires_at":"0000-01-01T00:00:00Z","step":"s","fields":[],"actions":[],"messages":[]}`},
		{"never writes a secret field's value", Flow{ID: "f", Step: "s", Fields: []Field{{Name: "p", Type: FieldPassword, Secret: true, Value: "hunter2"}}},
			`{"id":"f","step":"s","fields":[{"name":"p","type":"password","secret":true}],"actions":[],"messages":[]}`},
		{"writes required option values and leaves out empty members",
			Flow{ID: "f", Step: "s", Fields: []Field{{Name: "c", Type: FieldSelect, Options: []Option{{}}}}, Actions: []Action{{Name: "a"}}, Messages: []Message{{ID: "m"}}},
			`{"id":"f","step":"s","fields":[{"name":"c","type":"select","options":[{"value":""}]}],"actions":[{"name":"a"}],"messages":[{"id":"m"}]}`},
		{"writes params as an object in order, first of a name only",
			Flow{ID: "f", Step: "s", Messages: []Message{{ID: "m", Params: []Param{{"z", "1"}, {"a", "2"}, {"z", "3"}}}}},
			`{"id":"f","step":"s","fields":[],"actions":[],"messages":[{"id":"m","params":{"z":"1","a":"2"}}]}`},
		{"scrubs param names before leaving out repeats",
			Flow{ID: "f", Step: "s", Messages: []Message{{ID: "m", Params: []Param{{"\xff", "1"}, {"\xfe", "2"}, {"\ufffd", "3"}, {"\xff\xff", "4"}}}}},
			`{"id":"f","step":"s","fields":[],"actions":[],"messages":[{"id":"m","params":{"` + "\ufffd" + `":"1","` + "\ufffd\ufffd" + `":"4"}}]}`},
		{"writes an action's label params as an object, before primary",
			Flow{ID: "f", Step: "s", Actions: []Action{{Name: "idp:x", Method: "POST", Label: "federation.continue_with", LabelParams: []Param{{"name", "Acme"}, {"kind", "oidc"}}, Primary: true}}},
			`{"id":"f","step":"s","fields":[],"actions":[{"name":"idp:x","method":"POST","label":"federation.continue_with","label_params":{"name":"Acme","kind":"oidc"},"primary":true}],"messages":[]}`},
		{"escapes for HTML", Flow{ID: "</script><!--&\u2028\u2029", Step: "\x00\x1f\"\\\n\x7f"},
			`{"id":"\u003c/script\u003e\u003c!--\u0026\u2028\u2029","step":"\u0000\u001f\"\\\n` + "\x7f" + `","fields":[],"actions":[],"messages":[]}`},
		{"replaces bytes that are not UTF-8", Flow{ID: "a\xffb\xe2\x80", Step: "\ufffd"},
			`{"id":"a\ufffdb\ufffd\ufffd","step":"` + "\ufffd" + `","fields":[],"actions":[],"messages":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.flow.AppendJSON(nil)); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAppendJSONAppends(t *testing.T) {
	b := Flow{ID: "f", Step: "s"}.AppendJSON([]byte("prefix "))
	if !strings.HasPrefix(string(b), `prefix {"id":"f"`) {
		t.Fatalf("got %s", b)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	starts := []StartRequest{
		{ClientID: "app"},
		{},
		{ClientID: "app_1", RedirectURI: "https://app.example.com/cb", Scope: "openid email", State: "s<>&", Nonce: "n",
			CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256", LoginHint: "ليلى@example.com",
			UILocales: "ar-MA fr", Prompt: "login consent", ACRValues: "urn:lintel:mfa"},
	}
	for _, r := range starts {
		b := r.AppendJSON(nil)
		got, err := ParseStartRequest(b)
		if err != nil || got != r {
			t.Errorf("round trip of %s: got %#v, %v", b, got, err)
		}
	}
	continues := []ContinueRequest{
		{Action: "submit"},
		{},
		{Action: "submit", Values: []Param{{"identifier", "layla@example.com"}, {"remember", "true"}, {"", ""}, {"a\u2028", "<"}}},
	}
	for _, r := range continues {
		b := r.AppendJSON(nil)
		got, err := ParseContinueRequest(b)
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %s: got %#v, %v", b, got, err)
		}
	}
}

func TestRequestEncoding(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"start: always writes client_id", StartRequest{}.AppendJSON(nil), `{"client_id":""}`},
		{"start: writes OAuth names", StartRequest{ClientID: "c", CodeChallenge: "x", CodeChallengeMethod: "S256", ACRValues: "a"}.AppendJSON(nil),
			`{"client_id":"c","code_challenge":"x","code_challenge_method":"S256","acr_values":"a"}`},
		{"continue: always writes action", ContinueRequest{}.AppendJSON(nil), `{"action":""}`},
		{"continue: keeps the order of values, first of a name only",
			ContinueRequest{Action: "go", Values: []Param{{"b", "1"}, {"a", "2"}, {"b", "3"}}}.AppendJSON(nil),
			`{"action":"go","values":{"b":"1","a":"2"}}`},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestContinueRequestValue(t *testing.T) {
	r := ContinueRequest{Action: "submit", Values: []Param{{"a", "1"}, {"empty", ""}, {"a", "2"}}}
	tests := []struct {
		name  string
		key   string
		want  string
		found bool
	}{
		{"finds a value", "a", "1", true},
		{"finds an empty value", "empty", "", true},
		{"misses an absent name", "b", "", false},
	}
	for _, tt := range tests {
		if got, found := r.Value(tt.key); got != tt.want || found != tt.found {
			t.Errorf("%s: Value(%q) = %q, %v", tt.name, tt.key, got, found)
		}
	}
}

func TestDecodingLeniency(t *testing.T) {
	tests := []struct {
		name string
		json string
		want Flow
	}{
		{"ignores unknown members", `{"id":"f","step":"s","future":{"a":[1,2,{"b":null}]},"fields":[{"name":"n","type":"t","x":1}]}`,
			Flow{ID: "f", Step: "s", Fields: []Field{{Name: "n", Type: "t"}}}},
		{"treats null as absent", `{"id":"f","step":"s","fields":null,"context":null,"expires_at":null,"redirect":null}`, Flow{ID: "f", Step: "s"}},
		{"accepts whitespace everywhere", " \t\r\n{ \"id\" : \"f\" ,\n\"step\":\"s\" , \"fields\" : [ ] } \n", Flow{ID: "f", Step: "s"}},
		{"decodes escapes", `{"id":"\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00","step":"s"}`, Flow{ID: "\"\\/\b\f\n\r\t\u00e9€😀", Step: "s"}},
		{"drops the value of a secret field", `{"id":"f","step":"s","fields":[{"value":"pw","name":"p","type":"password","secret":true}]}`,
			Flow{ID: "f", Step: "s", Fields: []Field{{Name: "p", Type: FieldPassword, Secret: true}}}},
		{"reads fractions and offsets into UTC seconds", `{"id":"f","step":"s","expires_at":"2026-01-02T03:04:05.999+05:30"}`,
			Flow{ID: "f", Step: "s", ExpiresAt: time.Date(2026, 1, 1, 21, 34, 5, 0, time.UTC).Unix()}},
		{"reads the Unix epoch as absent, which 0 means", `{"id":"f","step":"s","expires_at":"1970-01-01T01:00:00+01:00"}`, Flow{ID: "f", Step: "s"}},
		{"reads integers exactly, not through float64", `{"id":"f","step":"s","fields":[{"name":"n","type":"t","constraints":{"min_length":-0,"max_length":` + strconv.Itoa(math.MaxInt) + `}}]}`,
			Flow{ID: "f", Step: "s", Fields: []Field{{Name: "n", Type: "t", Constraints: Constraints{MaxLength: math.MaxInt}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFlow([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestStepKind(t *testing.T) {
	tests := []struct {
		kind   StepKind
		enroll bool
		factor string
	}{
		{EnrollStep("totp"), true, "totp"},
		{"enroll-webauthn", true, "webauthn"},
		{"enroll-", false, ""},
		{StepIdentify, false, ""},
		{"re-enroll-totp", false, ""},
	}
	for _, tt := range tests {
		if tt.kind.IsEnroll() != tt.enroll || tt.kind.Factor() != tt.factor {
			t.Errorf("%q: IsEnroll %v, Factor %q", tt.kind, tt.kind.IsEnroll(), tt.kind.Factor())
		}
	}
}
