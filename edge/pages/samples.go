package pages

import "github.com/lintel-id/lintel/server/engine/wire"

// The sample flows are what the engine would send for each step, with
// made-up people and apps, so that a designer sees every step as it is
// (the same fields, actions and messages in the same order, as
// server/engine's view builds them). The step screens render them, and
// widget/core's conformance test renders them both ways.

// stepSample is a step screen's flow, named as its screen.
type stepSample struct {
	name string
	flow wire.Flow
}

// sampleUser is the person the samples sign in.
const sampleUser = "ada@example.com"

// sampleApp is the app the samples sign in to.
var sampleApp = wire.App{ID: "app_sample", Name: "Acme Shop"}

// act is a POST action of the sample flow id, as the engine writes it.
func act(id, name, label string, primary bool) wire.Action {
	return wire.Action{Name: name, Method: "POST", Href: "/api/v1/flows/" + id, Label: label, Primary: primary}
}

// info, warn and fail are messages about the form at each level.
func info(id string, params ...wire.Param) wire.Message {
	return wire.Message{ID: id, Level: wire.LevelInfo, Params: params}
}

func warn(id string, params ...wire.Param) wire.Message {
	return wire.Message{ID: id, Level: wire.LevelWarning, Params: params}
}

func fail(id string, params ...wire.Param) wire.Message {
	return wire.Message{ID: id, Level: wire.LevelError, Params: params}
}

// param is one message parameter.
func param(name, value string) wire.Param { return wire.Param{Name: name, Value: value} }

// signedIn is the context of a step once the person said who they are.
func signedIn() wire.Context { return wire.Context{App: sampleApp, UserHint: sampleUser} }

// loginField is the identify and recover steps' login.
func loginField(value, autocomplete string) wire.Field {
	return wire.Field{Name: "login", Type: wire.FieldText, Label: "field.login.label", Required: true, Value: value,
		Constraints: wire.Constraints{MaxLength: 254, Autocomplete: autocomplete}}
}

// codeField is a one-time code of six digits (email, text message).
func codeField() wire.Field {
	return wire.Field{Name: "code", Type: wire.FieldOTP, Label: "field.code.label", Required: true, Secret: true,
		Constraints: wire.Constraints{MinLength: 6, MaxLength: 6, Pattern: "[0-9]{6}", Autocomplete: "one-time-code", InputMode: "numeric"}}
}

// appCode is an authenticator app's code (six to nine digits).
func appCode() wire.Field {
	return wire.Field{Name: "code", Type: wire.FieldOTP, Label: "field.code.label", Required: true, Secret: true,
		Constraints: wire.Constraints{MinLength: 6, MaxLength: 9, Autocomplete: "one-time-code", InputMode: "numeric"}}
}

// passkeyOptions are WebAuthn request options, as passkey.js reads them.
const passkeyOptions = `{"challenge":"c2FtcGxlLWNoYWxsZW5nZQ","rpId":"login.acme.example","userVerification":"required"}`

// passkeyField carries the step's WebAuthn ceremony.
func passkeyField(options string) wire.Field {
	return wire.Field{Name: "passkey", Type: wire.FieldWebAuthn, Label: "action.use_passkey", Value: options}
}

// otpauth is the sample authenticator app key's URI.
const otpauth = "otpauth://totp/Acme%20Shop:ada%40example.com?algorithm=SHA1&digits=6&issuer=Acme%20Shop&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// signInSamples are the steps of signing in: saying who one is, then
// proving it with one factor or another.
func signInSamples() []stepSample {
	return []stepSample{
		{"identify", wire.Flow{ID: "flw_identify", Step: wire.StepIdentify, Context: wire.Context{App: sampleApp},
			Fields: []wire.Field{loginField("", "username")},
			Actions: []wire.Action{act("flw_identify", "next", "action.next", true),
				act("flw_identify", "recover", "action.recover", false), act("flw_identify", "register", "action.register", false)}}},
		{"identify-passkey", wire.Flow{ID: "flw_identify_passkey", Step: wire.StepIdentify, Context: wire.Context{App: sampleApp},
			Fields: []wire.Field{loginField("", "username webauthn"), passkeyField(passkeyOptions)},
			Actions: []wire.Action{act("flw_identify_passkey", "next", "action.next", true),
				act("flw_identify_passkey", "passkey", "action.sign_in_passkey", false),
				act("flw_identify_passkey", "recover", "action.recover", false)}}},
		{"challenge-password", wire.Flow{ID: "flw_password", Step: wire.StepChallengePassword, Context: signedIn(),
			Fields: []wire.Field{{Name: "password", Type: wire.FieldPassword, Label: "field.password.label", Required: true, Secret: true,
				Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "current-password"}}},
			Actions: []wire.Action{act("flw_password", "sign-in", "action.sign_in", true), act("flw_password", "email-code", "action.email_code", false),
				act("flw_password", "recover", "action.recover", false), act("flw_password", "back", "action.back", false)},
			Messages: []wire.Message{fail("error.credentials.invalid"), warn("attempts.remaining", param("count", "2"))}}},
		{"challenge-email", wire.Flow{ID: "flw_email", Step: wire.StepChallengeEmail, Context: signedIn(),
			Fields: []wire.Field{codeField()},
			Actions: []wire.Action{act("flw_email", "verify", "action.verify", true), act("flw_email", "resend", "action.resend", false),
				act("flw_email", "back", "action.back", false)},
			Messages: []wire.Message{info("email.sent", param("login", sampleUser))}}},
		{"challenge-passkey", wire.Flow{ID: "flw_passkey", Step: wire.StepChallengePasskey, Context: signedIn(),
			Fields: []wire.Field{passkeyField(passkeyOptions)},
			Actions: []wire.Action{act("flw_passkey", "verify", "action.use_passkey", true), act("flw_passkey", "another-way", "action.another_way", false),
				act("flw_passkey", "back", "action.back", false)},
			Messages: []wire.Message{info("passkey.intro")}}},
		{"challenge-totp", wire.Flow{ID: "flw_totp", Step: wire.StepChallengeTOTP, Context: signedIn(),
			Fields: []wire.Field{appCode()},
			Actions: []wire.Action{act("flw_totp", "verify", "action.verify", true), act("flw_totp", "another-way", "action.another_way", false),
				act("flw_totp", "back", "action.back", false)},
			Messages: []wire.Message{info("totp.intro")}}},
		{"challenge-sms", phoneChallenge("flw_sms", wire.StepChallengeSMS, "phone.sent")},
		{"challenge-voice", phoneChallenge("flw_voice", wire.StepChallengeVoice, "voice.sent")},
		{"challenge-recovery-code", wire.Flow{ID: "flw_recovery_code", Step: wire.StepChallengeRecoveryCode, Context: signedIn(),
			Fields: []wire.Field{{Name: "code", Type: wire.FieldOTP, Label: "field.recovery_code.label", Required: true, Secret: true,
				Constraints: wire.Constraints{MinLength: 10, MaxLength: 32, Autocomplete: "off"}}},
			Actions: []wire.Action{act("flw_recovery_code", "verify", "action.verify", true),
				act("flw_recovery_code", "another-way", "action.another_way", false), act("flw_recovery_code", "back", "action.back", false)},
			Messages: []wire.Message{info("recovery_code.intro")}}},
		{"challenge-security-answer", wire.Flow{ID: "flw_answer", Step: wire.StepChallengeSecurityAnswer, Context: signedIn(),
			Fields: []wire.Field{{Name: "answer", Type: wire.FieldText, Label: "field.answer.label", Required: true, Secret: true,
				LabelParams: []wire.Param{param("question", "What was the name of your first pet?")},
				Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "off"}}},
			Actions:  []wire.Action{act("flw_answer", "verify", "action.verify", true), act("flw_answer", "back", "action.back", false)},
			Messages: []wire.Message{{ID: "error.answer.invalid", Level: wire.LevelError, Field: "answer"}}}},
		{"select-authenticator", wire.Flow{ID: "flw_select", Step: wire.StepSelectAuthenticator, Context: signedIn(),
			Fields: []wire.Field{{Name: "authenticator", Type: wire.FieldSelect, Label: "field.authenticator.label", Required: true,
				Options: []wire.Option{{Value: "passkey", Label: "authenticator.passkey"}, {Value: "totp", Label: "authenticator.totp"},
					{Value: "sms", Label: "authenticator.sms"}, {Value: "email", Label: "authenticator.email"}}}},
			Actions:  []wire.Action{act("flw_select", "select", "action.next", true), act("flw_select", "back", "action.back", false)},
			Messages: []wire.Message{info("select.intro")}}},
	}
}

// phoneChallenge is a code sent to the person's phone by text message or
// call, the message saying where (masked) it went.
func phoneChallenge(id string, step wire.StepKind, sent string) wire.Flow {
	return wire.Flow{ID: id, Step: step, Context: signedIn(),
		Fields: []wire.Field{codeField()},
		Actions: []wire.Action{act(id, "verify", "action.verify", true), act(id, "resend", "action.resend", false),
			act(id, "another-way", "action.another_way", false), act(id, "back", "action.back", false)},
		Messages: []wire.Message{info(sent, param("number", "+44 ••• ••• ••23"))}}
}
