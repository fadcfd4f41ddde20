package pages

import "github.com/lintel-id/lintel/server/engine/wire"

// edgeOTPAuth is an authenticator app's key URI with an escaped "@".
const edgeOTPAuth = "otpauth://totp/Acme:ada%40example.com?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// edgeCases are flows no screen shows, for the renderers' tests: every
// field type and message placement again, with hostile names and
// parameters ("<", "&", quotes, a javascript: URL), a step kind and a
// field type no renderer knows, an action without a method, a GET link,
// and a key URI long enough for a version 11 QR code.
func edgeCases() []wire.Flow {
	return []wire.Flow{
		{
			ID: "f1", Step: wire.StepIdentify, Context: wire.Context{App: wire.App{ID: "a", Name: "Acme Shop"}},
			Fields: []wire.Field{
				{Name: "login", Type: wire.FieldText, Label: "field.login.label", Required: true, Value: "ada@example.com",
					Constraints: wire.Constraints{MaxLength: 256, Autocomplete: "username webauthn"}},
				{Name: "passkey", Type: wire.FieldWebAuthn, Value: `{"challenge":"abc","rpId":"acme-test.com"}`},
			},
			Actions: []wire.Action{
				{Name: "next", Method: "POST", Label: "action.next", Primary: true},
				{Name: "passkey", Method: "POST", Label: "action.sign_in_passkey"},
				{Name: "register", Method: "POST", Label: "action.register"},
				{Name: "recover", Method: "GET", Href: "/recover", Label: "action.recover"},
			},
		},
		{
			ID: "f2", Step: wire.StepChallengePassword, Context: wire.Context{UserHint: "a••@example.com"},
			Fields: []wire.Field{{Name: "password", Type: wire.FieldPassword, Label: "field.password.label", Required: true, Secret: true,
				Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "current-password"}}},
			Actions: []wire.Action{{Name: "sign_in", Method: "POST", Label: "action.sign_in", Primary: true}, {Name: "back", Method: "POST", Label: "action.back"}},
			Messages: []wire.Message{
				{ID: "error.credentials.invalid", Level: wire.LevelError},
				{ID: "attempts.remaining", Level: wire.LevelWarning, Params: []wire.Param{{Name: "count", Value: "2"}}},
				{ID: "error.field.too_long", Level: wire.LevelError, Field: "password", Params: []wire.Param{{Name: "max", Value: "1024"}}},
			},
		},
		{
			ID: "f3", Step: wire.StepChallengeEmail,
			Fields: []wire.Field{{Name: "code", Type: wire.FieldOTP, Label: "field.code.label", Required: true, Secret: true,
				Constraints: wire.Constraints{MaxLength: 8, Autocomplete: "one-time-code", InputMode: "numeric", Pattern: "[0-9]*"}}},
			Actions: []wire.Action{{Name: "verify", Method: "POST", Label: "action.verify", Primary: true}, {Name: "resend", Method: "POST", Label: "action.resend"}},
			Messages: []wire.Message{
				{ID: "email.sent", Level: wire.LevelInfo, Params: []wire.Param{{Name: "login", Value: "ada@example.com"}}},
				{ID: "error.resend.wait", Level: wire.LevelError, Params: []wire.Param{{Name: "count", Value: "1"}}},
			},
		},
		{
			ID: "f4", Step: wire.StepRegister, Context: wire.Context{App: wire.App{Name: "Acme <Shop> & \"Co\""}},
			Fields: []wire.Field{
				{Name: "email", Type: wire.FieldEmail, Label: "field.email.label", Required: true, Value: "bad@", Constraints: wire.Constraints{Autocomplete: "email"}},
				{Name: "new_password", Type: wire.FieldPassword, Label: "field.new_password.label", Required: true, Secret: true},
				{Name: "given_name", Type: wire.FieldText, Label: "field.given_name.label"},
				{Name: "phone", Type: wire.FieldTel, Label: "field.phone_number.label", Constraints: wire.Constraints{Autocomplete: "tel"}},
				{Name: "age", Type: wire.FieldNumber, Label: "custom.age"},
				{Name: "colour", Type: wire.FieldSelect, Label: "custom.colour", Value: "blue",
					Options: []wire.Option{{Value: "red"}, {Value: "blue"}, {Value: "en", Label: "language.en"}}},
				{Name: "size", Type: wire.FieldSelect, Label: "custom.size", Required: true, Options: []wire.Option{{Value: "s"}, {Value: "m"}}},
				{Name: "news", Type: wire.FieldCheckbox, Label: "custom.news", Value: "true"},
				{Name: "terms_tos", Type: wire.FieldCheckbox, Label: "field.accept_terms.label", Required: true,
					LabelParams: []wire.Param{{Name: "title", Value: "Terms of Service"}, {Name: "version", Value: "3"}, {Name: "url", Value: "https://acme.example/terms?v=3"}}},
				{Name: "terms_bad", Type: wire.FieldCheckbox, Label: "field.accept_terms.label",
					LabelParams: []wire.Param{{Name: "title", Value: "Privacy"}, {Name: "version", Value: "1"}, {Name: "url", Value: "javascript:alert(1)"}}},
				{Name: "ref", Type: wire.FieldHidden, Value: "x1"},
				{Name: "nickname", Type: "colour-picker", Label: "custom.nick", Value: "<b>"},
			},
			Actions: []wire.Action{{Name: "create", Method: "POST", Label: "action.create_account", Primary: true}, {Name: "back", Method: "POST", Label: "action.back"}},
			Messages: []wire.Message{
				{ID: "register.intro", Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: "Acme"}}},
				{ID: "error.email.invalid", Level: wire.LevelError, Field: "email"},
				{ID: "error.terms.required", Level: wire.LevelError, Field: "terms_tos"},
				{ID: "error.value.taken", Level: wire.LevelWarning, Field: "email"},
			},
		},
		{
			ID: "f5", Step: wire.StepProfile,
			Fields:   []wire.Field{{Name: "family_name", Type: wire.FieldText, Label: "field.family_name.label", Required: true, Value: "Lovelace"}},
			Actions:  []wire.Action{{Name: "save", Method: "POST", Label: "action.save", Primary: true}, {Name: "skip", Method: "POST", Label: "action.skip"}},
			Messages: []wire.Message{{ID: "profile.intro", Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: "Acme"}}}},
		},
		{
			ID: "f6", Step: wire.StepConsent, Context: wire.Context{App: wire.App{Name: "Acme"}},
			Fields: []wire.Field{{Name: "scopes", Type: wire.FieldList, Label: "consent.scopes.label",
				Options: []wire.Option{{Value: "openid", Label: "consent.scope.openid"}, {Value: "email", Label: "consent.scope.email"}}}},
			Actions:  []wire.Action{{Name: "allow", Method: "POST", Label: "action.allow", Primary: true}, {Name: "deny", Method: "POST", Label: "action.deny"}},
			Messages: []wire.Message{{ID: "consent.intro", Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: "Acme"}}}},
		},
		{
			ID: "f7", Step: wire.StepSelectAuthenticator,
			Fields: []wire.Field{{Name: "authenticator", Type: wire.FieldSelect, Label: "field.authenticator.label", Required: true,
				Options: []wire.Option{{Value: "totp", Label: "authenticator.totp"}, {Value: "passkey", Label: "authenticator.passkey"}}}},
			Actions:  []wire.Action{{Name: "continue", Method: "POST", Label: "action.continue", Primary: true}},
			Messages: []wire.Message{{ID: "error.field.required", Level: wire.LevelError, Field: "authenticator"}},
		},
		{
			ID: "f8", Step: wire.EnrollStep("totp"),
			Fields: []wire.Field{
				{Name: "totp_uri", Type: wire.FieldQR, Label: "field.totp_key.label", Value: edgeOTPAuth},
				{Name: "code", Type: wire.FieldOTP, Label: "field.code.label", Required: true, Secret: true, Constraints: wire.Constraints{InputMode: "numeric"}},
			},
			Actions:  []wire.Action{{Name: "verify", Method: "POST", Label: "action.verify", Primary: true}},
			Messages: []wire.Message{{ID: "enroll_totp.intro", Level: wire.LevelInfo}},
		},
		{
			ID: "f9", Step: wire.EnrollStep("recovery_code"),
			Fields:   []wire.Field{{Name: "codes", Type: wire.FieldCodes, Label: "field.recovery_codes.label", Value: "abcd-efgh ijkl-mnop qrst-uvwx"}},
			Actions:  []wire.Action{{Name: "continue", Method: "POST", Label: "action.continue", Primary: true}},
			Messages: []wire.Message{{ID: "recovery_codes.intro", Level: wire.LevelWarning}},
		},
		{
			ID: "f10", Step: wire.EnrollStep("passkey"),
			Fields:  []wire.Field{{Name: "credential", Type: wire.FieldWebAuthn, Value: `{"challenge":"x","user":{"id":"u"}}`}},
			Actions: []wire.Action{{Name: "create", Method: "POST", Label: "action.create_passkey", Primary: true}, {Name: "skip", Method: "POST", Label: "action.skip"}},
			Messages: []wire.Message{
				{ID: "enroll_passkey.intro", Level: wire.LevelInfo},
				{ID: "error.passkey.failed", Level: wire.LevelError, Field: "credential"},
			},
		},
		{
			ID: "f11", Step: wire.StepChallengeSecurityAnswer,
			Fields:  []wire.Field{{Name: "answer", Type: wire.FieldPassword, Label: "field.answer.label", LabelParams: []wire.Param{{Name: "question", Value: "Your first <pet>?"}}, Required: true, Secret: true}},
			Actions: []wire.Action{{Name: "verify", Method: "POST", Label: "action.verify", Primary: true}, {Name: "another", Method: "POST", Label: "action.another_way"}},
			Messages: []wire.Message{
				{ID: "error.answer.invalid", Level: wire.LevelError, Field: "answer"},
				{ID: "error.field.required", Level: wire.LevelError, Field: "answer"},
			},
		},
		{ID: "f12", Step: wire.StepPoll, Messages: []wire.Message{{ID: "email.poll", Level: wire.LevelInfo}},
			Actions: []wire.Action{{Name: "check", Method: "POST", Label: "action.check_again", Primary: true}}},
		{ID: "f13", Step: wire.StepDone, Redirect: "https://shop.example/cb?code=x"},
		{ID: "f14", Step: wire.StepError, Messages: []wire.Message{{ID: "error.access.denied", Level: wire.LevelError}}},
		{
			// A longer key URI: a version 11 QR code, with version information.
			ID: "f16", Step: wire.EnrollStep("totp"),
			Fields: []wire.Field{
				{Name: "totp_uri", Type: wire.FieldQR, Label: "field.totp_key.label",
					Value: "otpauth://totp/Example%20Corporation%20Identity:firstname.lastname%2Bsignin@subsidiary.example.co.uk?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corporation%20Identity&algorithm=SHA512&digits=8&period=30"},
				{Name: "code", Type: wire.FieldOTP, Label: "field.code.label", Required: true, Secret: true, Constraints: wire.Constraints{InputMode: "numeric"}},
			},
			Actions: []wire.Action{{Name: "verify", Method: "POST", Label: "action.verify", Primary: true}},
		},
		{ID: "f15", Step: "future-step", Fields: []wire.Field{{Name: "x", Type: wire.FieldText, Label: "no.such.label"}},
			Actions: []wire.Action{{Name: "go", Label: "action.continue", Primary: true}}},
	}
}
