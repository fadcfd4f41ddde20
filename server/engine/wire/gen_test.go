package wire

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// sampleFlow is one representative flow: every field type, options,
// constraints, a secret, message parameters, an RTL context and text that
// needs escaping. It is the golden file's value.
func sampleFlow() Flow {
	return Flow{
		ID:        "flw_01JQ8ZK3V8W2M4E6T9YB5C7D0F",
		ExpiresAt: time.Date(2026, 3, 1, 12, 30, 5, 0, time.UTC).Unix(),
		Step:      StepProfile,
		Fields: []Field{
			{Name: "given_name", Type: FieldText, Label: "profile.given_name", Required: true, Value: "ليلى", Constraints: Constraints{MaxLength: 64, Autocomplete: "given-name"}},
			{Name: "email", Type: FieldEmail, Label: "profile.email", Required: true, Value: "layla@example.com", Constraints: Constraints{Autocomplete: "email", InputMode: "email"}},
			{Name: "password", Type: FieldPassword, Label: "profile.password", Required: true, Secret: true, Constraints: Constraints{MinLength: 12, MaxLength: 128, Autocomplete: "new-password"}},
			{Name: "return_ref", Type: FieldHidden, Value: "a<b>&c\u2028d"},
			{Name: "terms", Type: FieldCheckbox, Label: "profile.terms", LabelParams: []Param{{"title", "Terms & <Conditions>"}, {"version", "2026-12"}}, Required: true},
			{Name: "country", Type: FieldSelect, Label: "profile.country", Value: "ma", Options: []Option{
				{Value: "", Label: "profile.country.none"}, {Value: "ma", Label: "country.ma"}, {Value: "tn", Label: "country.tn"},
			}},
			{Name: "phone", Type: FieldTel, Label: "profile.phone", Constraints: Constraints{Pattern: `^\+[0-9]{6,15}$`, Autocomplete: "tel", InputMode: "tel"}},
			{Name: "birth_year", Type: FieldNumber, Label: "profile.birth_year", Constraints: Constraints{MinLength: 4, MaxLength: 4, InputMode: "numeric"}},
			{Name: "code", Type: FieldOTP, Label: "challenge.email.code", Secret: true, Constraints: Constraints{MinLength: 6, MaxLength: 6, Autocomplete: "one-time-code", InputMode: "numeric"}},
			{Name: "scope", Type: FieldList, Label: "consent.scopes", Options: []Option{
				{Value: "openid", Label: "consent.scope.openid"}, {Value: "email", Label: "consent.scope.email"},
			}},
		},
		Actions: []Action{
			{Name: "submit", Method: "POST", Href: "/api/v1/flows/flw_01JQ8ZK3V8W2M4E6T9YB5C7D0F", Label: "action.continue", Primary: true},
			{Name: "cancel", Method: "POST", Label: "action.cancel"},
			{Name: "idp:idp_acme", Method: "POST", Label: "federation.continue_with", LabelParams: []Param{{"name", "Acme \"SSO\" & <Co>"}, {"kind", "oidc"}}},
			{Name: "help", Method: "GET", Href: "https://help.example.com/?a=1&b=<2>", Label: "action.help"},
		},
		Messages: []Message{
			{ID: "profile.password.too_short", Params: []Param{{"min", "12"}, {"actual", "7"}}, Level: LevelError, Field: "password"},
			{ID: "profile.welcome", Params: []Param{{"app", "Acme \"Shop\" & Co"}}, Level: LevelInfo},
			{ID: "session.expiring", Level: LevelWarning},
		},
		Context: Context{
			App:      App{ID: "app_7Hq2", Name: "متجر أكمي"},
			Brand:    "brand_acme",
			UserHint: "l***@example.com",
			Locale:   "ar-MA",
			Dir:      DirRTL,
		},
	}
}

// gen makes random protocol values for the round-trip and cross-checks.
// Its values are canonical: what decoding their encoding gives back
// (nil rather than empty slices, unique names, no value on secrets, UTC
// times in whole seconds).
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, 0x11e7e1))} }

var tricky = []string{
	"", "a", "hello", "<script>alert(1)</script>", "&amp;", "\u2028", "\u2029", "\x00", "\x1f\x7f", "\t\n\r\b\f",
	`"quoted"`, `back\slash`, "/", "é", "ليلى", "😀", "\ufffd", "\uffff", "\U0010ffff", "a\u0000b",
}

func (g gen) str() string {
	switch g.r.IntN(3) {
	case 0:
		return tricky[g.r.IntN(len(tricky))]
	case 1:
		return "name_" + strconv.Itoa(g.r.IntN(1000))
	}
	rs := make([]rune, g.r.IntN(12))
	for i := range rs {
		switch g.r.IntN(4) {
		case 0:
			rs[i] = rune(g.r.IntN(0x80))
		case 1:
			rs[i] = rune(g.r.IntN(0x800))
		default:
			r := rune(g.r.IntN(0x110000))
			if 0xD800 <= r && r <= 0xDFFF {
				r = 'x' // a surrogate is not a character
			}
			rs[i] = r
		}
	}
	return string(rs)
}

func (g gen) maybe(s string) string {
	if g.r.IntN(3) == 0 {
		return ""
	}
	return s
}

func (g gen) count() int { return []int{0, 0, 1, 2, 3, 5}[g.r.IntN(6)] }

// params returns params with unique names.
func (g gen) params() []Param {
	var ps []Param
	for i := range g.count() {
		ps = append(ps, Param{Name: g.str() + "#" + strconv.Itoa(i), Value: g.str()})
	}
	return ps
}

func (g gen) flow() Flow {
	f := Flow{ID: g.str(), Step: StepKind(g.str()), Redirect: g.maybe(g.str())}
	if g.r.IntN(4) > 0 {
		f.ExpiresAt = minUnix + g.r.Int64N(maxUnix-minUnix+1) // 0000-01-01 to 9999-12-31
	}
	for i := range g.count() {
		x := Field{Name: g.str() + "#" + strconv.Itoa(i), Type: FieldType(g.str()), Label: g.maybe(g.str()),
			LabelParams: g.params(), Required: g.r.IntN(2) == 0, Secret: g.r.IntN(3) == 0}
		if !x.Secret {
			x.Value = g.maybe(g.str())
		}
		for range g.count() {
			x.Options = append(x.Options, Option{Value: g.str(), Label: g.maybe(g.str())})
		}
		if g.r.IntN(2) == 0 {
			x.Constraints = Constraints{MinLength: g.r.IntN(3) * g.r.IntN(1<<20), MaxLength: -g.r.IntN(2) * g.r.IntN(1000),
				Pattern: g.maybe(g.str()), Autocomplete: g.maybe(g.str()), InputMode: g.maybe(g.str())}
		}
		f.Fields = append(f.Fields, x)
	}
	for range g.count() {
		f.Actions = append(f.Actions, Action{Name: g.str(), Method: g.maybe("POST"), Href: g.maybe(g.str()),
			Label: g.maybe(g.str()), LabelParams: g.params(), Primary: g.r.IntN(2) == 0})
	}
	for range g.count() {
		f.Messages = append(f.Messages, Message{ID: g.str(), Params: g.params(), Level: g.maybe(g.str()), Field: g.maybe(g.str())})
	}
	if g.r.IntN(3) > 0 {
		f.Context = Context{App: App{ID: g.maybe(g.str()), Name: g.maybe(g.str())}, Brand: g.maybe(g.str()),
			UserHint: g.maybe(g.str()), Locale: g.maybe(g.str()), Dir: g.maybe(DirRTL)}
	}
	return f
}

func (g gen) start() StartRequest {
	return StartRequest{ClientID: g.str(), RedirectURI: g.maybe(g.str()), Scope: g.maybe(g.str()), State: g.maybe(g.str()),
		Nonce: g.maybe(g.str()), CodeChallenge: g.maybe(g.str()), CodeChallengeMethod: g.maybe("S256"),
		LoginHint: g.maybe(g.str()), UILocales: g.maybe(g.str()), Prompt: g.maybe(g.str()), ACRValues: g.maybe(g.str())}
}

func (g gen) continueRequest() ContinueRequest {
	return ContinueRequest{Action: g.str(), Values: g.params()}
}
