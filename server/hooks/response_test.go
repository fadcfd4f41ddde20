package hooks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// parseReq is the request ParseResponse tests answer: user usr_1 of
// tenant ten_1, with a login for unknown-user.
var parseReq = Request{Subject: "usr_1", Data: map[string]any{"login": "Alice@Example.com"}}

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		point Point
		body  string
		// want is the value of the only command, or nil when the answer
		// has none.
		want   any
		denied *Denial
		err    error
	}{
		{name: "accepts an empty body", point: PointToken, body: " \n"},
		{name: "accepts an empty object", point: PointToken, body: `{}`},
		{name: "accepts no commands", point: PointToken, body: `{"commands":[]}`},
		{name: "sets claims", point: PointToken,
			body: `{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"roles":[ "a", "b" ]}}}]}`,
			want: ClaimsSet{Target: "access", Claims: map[string]json.RawMessage{"roles": json.RawMessage(`["a","b"]`)}}},
		{name: "removes claims", point: PointToken,
			body: `{"commands":[{"type":"token.claims.remove","value":{"target":"id","names":["nickname"]}}]}`,
			want: ClaimsRemove{Target: "id", Names: []string{"nickname"}}},
		{name: "sets profile attributes", point: PointUserImport,
			body: `{"commands":[{"type":"profile.set","value":{"plan":"gold","legacy_id":null}}]}`,
			want: ProfileSet{Attributes: map[string]json.RawMessage{"plan": json.RawMessage(`"gold"`), "legacy_id": json.RawMessage(`null`)}}},
		{name: "refuses a field", point: PointRegistration,
			body: `{"commands":[{"type":"field.error","value":{"field":"account_number","message_id":"registration.account.unknown"}}]}`,
			want: FieldError{Field: "account_number", MessageID: "registration.account.unknown"}},
		{name: "adds groups", point: PointPostVerification,
			body: `{"commands":[{"type":"groups.add","value":{"names":["customers"]}}]}`,
			want: GroupsAdd{Names: []string{"customers"}}},
		{name: "gives a password verdict", point: PointPasswordImport,
			body: `{"commands":[{"type":"password.verdict","value":{"verified":false}}]}`,
			want: PasswordVerdict{Verified: false}},
		{name: "skips a user", point: PointUserImport,
			body: `{"commands":[{"type":"skip","value":{"reason":"test account"}}]}`,
			want: Skip{Reason: "test account"}},
		{name: "skips without a reason", point: PointUserImport, body: `{"commands":[{"type":"skip"}]}`, want: Skip{}},
		{name: "creates the unknown user", point: PointUnknownUser,
			body: `{"commands":[{"type":"user.create","value":{"login":"alice@example.com","email":"alice@example.com","profile":{"plan":"gold"}}}]}`,
			want: UserCreate{Login: "alice@example.com", Email: "alice@example.com", Profile: map[string]json.RawMessage{"plan": json.RawMessage(`"gold"`)}}},
		{name: "reports an SMS sent", point: PointTelephony,
			body: `{"commands":[{"type":"telephony.result","value":{"status":"sent","provider_message_id":"SM123"}}]}`,
			want: TelephonyResult{Status: "sent", ProviderMessageID: "SM123"}},
		{name: "gives a risk level", point: PointRisk,
			body: `{"commands":[{"type":"risk.level","value":{"level":"medium"}}]}`,
			want: RiskLevel{Level: "medium"}},
		{name: "accepts the request's own user and tenant", point: PointRisk,
			body: `{"commands":[{"type":"risk.level","user_id":"usr_1","tenant_id":"ten_1","value":{"level":"low","user_id":"usr_1"}}]}`,
			want: RiskLevel{Level: "low"}},
		{name: "denies with params", point: PointUnknownUser,
			body:   `{"commands":[{"type":"deny","value":{"message_id":"login.unknown","params":{"login":"alice"}}}]}`,
			denied: &Denial{MessageID: "login.unknown", Params: map[string]string{"login": "alice"}}},
		{name: "denies through error", point: PointToken, body: `{"error":{"params":{"reason":"x"}}}`,
			denied: &Denial{MessageID: DeniedMessage, Params: map[string]string{"reason": "x"}}},

		{name: "refuses an array", point: PointToken, body: `[]`, err: ErrBadResponse},
		{name: "refuses a syntax error", point: PointToken, body: `{"commands":[`, err: ErrBadResponse},
		{name: "refuses data after the answer", point: PointToken, body: `{} {}`, err: ErrBadResponse},
		{name: "refuses an unknown member", point: PointToken, body: `{"comands":[]}`, err: ErrBadResponse},
		{name: "refuses an unknown command member", point: PointToken, body: `{"commands":[{"type":"deny","valu":{}}]}`, err: ErrBadResponse},
		{name: "refuses an answer over the limit", point: PointToken, body: strings.Repeat(" ", MaxResponseSize+1), err: ErrBadResponse},
		{name: "refuses too many commands", point: PointRisk,
			body: `{"commands":[` + strings.Repeat(`{"type":"risk.level","value":{"level":"low"}},`, MaxCommands) + `{"type":"risk.level","value":{"level":"low"}}]}`,
			err:  ErrCommandRefused},
		{name: "refuses commands beside an error", point: PointToken,
			body: `{"commands":[{"type":"deny"}],"error":{"message_id":"x"}}`, err: ErrCommandRefused},
		{name: "refuses an error where deny is not allowed", point: PointTelephony, body: `{"error":{"message_id":"sms.failed"}}`, err: ErrCommandRefused},
		{name: "refuses an unknown type", point: PointToken, body: `{"commands":[{"type":"token.sign","value":{}}]}`, err: ErrCommandRefused},
		{name: "refuses a type not allowed at the point", point: PointRisk,
			body: `{"commands":[{"type":"password.verdict","value":{"verified":true}}]}`, err: ErrCommandRefused},
		{name: "refuses another user", point: PointRisk,
			body: `{"commands":[{"type":"risk.level","user_id":"usr_2","value":{"level":"low"}}]}`, err: ErrCommandRefused},
		{name: "refuses another user in the value", point: PointPostVerification,
			body: `{"commands":[{"type":"groups.add","value":{"USER_ID":"usr_2","names":["admins"]}}]}`, err: ErrCommandRefused},
		{name: "refuses another tenant", point: PointUnknownUser,
			body: `{"commands":[{"type":"user.create","value":{"login":"alice@example.com","tenant_id":"ten_2"}}]}`, err: ErrCommandRefused},
		{name: "refuses a login other than the request's", point: PointUnknownUser,
			body: `{"commands":[{"type":"user.create","value":{"login":"mallory@example.com"}}]}`, err: ErrCommandRefused},
		{name: "refuses a registered claim in any case", point: PointToken,
			body: `{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"Scope":"admin"}}}]}`, err: ErrCommandRefused},
		{name: "refuses a claim starting with lintel", point: PointToken,
			body: `{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"LintelRole":"admin"}}}]}`, err: ErrCommandRefused},
		{name: "refuses a null claim", point: PointToken,
			body: `{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"plan":null}}}]}`, err: ErrCommandRefused},
		{name: "refuses an unknown target", point: PointToken,
			body: `{"commands":[{"type":"token.claims.set","value":{"target":"refresh","claims":{"plan":"x"}}}]}`, err: ErrCommandRefused},
		{name: "refuses a verification flag", point: PointPostVerification,
			body: `{"commands":[{"type":"profile.set","value":{"email_verified":true}}]}`, err: ErrCommandRefused},
		{name: "refuses a malformed value", point: PointRisk, body: `{"commands":[{"type":"risk.level","value":"high"}]}`, err: ErrCommandRefused},
		{name: "refuses an unknown level", point: PointRisk, body: `{"commands":[{"type":"risk.level","value":{"level":"severe"}}]}`, err: ErrCommandRefused},
		{name: "refuses a missing verdict", point: PointPasswordImport, body: `{"commands":[{"type":"password.verdict","value":{}}]}`, err: ErrCommandRefused},
		{name: "refuses an unknown member of a value", point: PointTelephony,
			body: `{"commands":[{"type":"telephony.result","value":{"status":"sent","cost":1}}]}`, err: ErrCommandRefused},
		{name: "refuses a message ID outside the pattern", point: PointToken,
			body: `{"commands":[{"type":"deny","value":{"message_id":"Access Denied"}}]}`, err: ErrCommandRefused},
		{name: "refuses a long param", point: PointToken,
			body: `{"commands":[{"type":"deny","value":{"message_id":"x","params":{"p":"` + strings.Repeat("a", MaxParamLen+1) + `"}}}]}`, err: ErrCommandRefused},
		{name: "refuses too many params", point: PointToken,
			body: `{"error":{"params":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":""}}}`, err: ErrCommandRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.point, "ten_1", parseReq, []byte(tc.body))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if !sameDenial(r.Denied, tc.denied) {
				t.Fatalf("denied %+v, want %+v", r.Denied, tc.denied)
			}
			switch {
			case tc.want == nil && len(r.Commands) != 0:
				t.Fatalf("commands %+v", r.Commands)
			case tc.want != nil && (len(r.Commands) != 1 || !sameCommand(r.Commands[0], Command{Type: r.Commands[0].Type, Value: tc.want})):
				t.Fatalf("commands %+v, want %+v", r.Commands, tc.want)
			}
		})
	}
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"commands":null}`,
		`{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"plan":"gold"}}}]}`,
		`{"commands":[{"type":"token.claims.remove","value":{"target":"id","names":["x"]}}]}`,
		`{"commands":[{"type":"profile.set","value":{"plan":"gold","user_id":"usr_1"}}]}`,
		`{"commands":[{"type":"user.create","value":{"login":"alice@example.com","profile":{}}}]}`,
		`{"commands":[{"type":"deny","value":{"message_id":"a.b","params":{"k":"v"}}}]}`,
		`{"error":{"message_id":"x"}}`,
		`{"commands":[{"type":"risk.level","user_id":"usr_2","value":{"level":"low"}}]}`,
		`{"commands":[{"type":"telephony.result","value":{"status":"sent"}}],"error":null}`,
	} {
		for _, p := range Points {
			f.Add(string(p), s)
		}
	}
	f.Fuzz(func(t *testing.T, point, body string) {
		r, err := ParseResponse(Point(point), "ten_1", parseReq, []byte(body))
		if err != nil {
			if len(r.Commands) != 0 || r.Denied != nil {
				t.Fatalf("a refused answer returned %+v", r)
			}
			return
		}
		if strings.TrimSpace(body) != "" && !json.Valid([]byte(body)) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if len(r.Commands) > MaxCommands {
			t.Fatalf("%d commands", len(r.Commands))
		}
		for _, c := range r.Commands {
			if !Allowed(Point(point), c.Type) || c.Type == CmdDeny {
				t.Fatalf("accepted %s at %q", c.Type, point)
			}
			checkAccepted(t, c)
		}
		if d := r.Denied; d != nil {
			if !Allowed(Point(point), CmdDeny) || !validMessageID(d.MessageID) || checkParams(d.Params) != nil {
				t.Fatalf("accepted denial %+v at %q", d, point)
			}
		}
	})
}

// checkAccepted re-checks the rights of an accepted command's value.
func checkAccepted(t *testing.T, c Command) {
	t.Helper()
	claim := func(name string) {
		l := strings.ToLower(name)
		if refusedClaims[l] || strings.HasPrefix(l, "lintel") {
			t.Fatalf("accepted the claim %q", name)
		}
	}
	attrs := func(m map[string]json.RawMessage) {
		for name, v := range m {
			if refusedAttributes[strings.ToLower(name)] || !json.Valid(v) {
				t.Fatalf("accepted the attribute %q = %s", name, v)
			}
		}
	}
	switch v := c.Value.(type) {
	case ClaimsSet:
		for name, val := range v.Claims {
			claim(name)
			if !json.Valid(val) || string(val) == "null" {
				t.Fatalf("accepted the claim value %s", val)
			}
		}
	case ClaimsRemove:
		for _, name := range v.Names {
			claim(name)
		}
	case ProfileSet:
		attrs(v.Attributes)
	case UserCreate:
		if !loginMatches(v.Login, "Alice@Example.com") {
			t.Fatalf("accepted the login %q", v.Login)
		}
		attrs(v.Profile)
	case FieldError:
		if !validMessageID(v.MessageID) {
			t.Fatalf("accepted the message %q", v.MessageID)
		}
	case RiskLevel, TelephonyResult, PasswordVerdict, Skip, GroupsAdd:
	default:
		t.Fatalf("an unexpected value %T", c.Value)
	}
}
