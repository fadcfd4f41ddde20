package pages

import "github.com/lintel-id/lintel/server/engine/wire"

// enrollSamples are the steps that set up a factor or a password.
func enrollSamples() []stepSample {
	return []stepSample{
		{"enroll-passkey", wire.Flow{ID: "flw_enroll_passkey", Step: wire.EnrollStep("passkey"), Context: signedIn(),
			Fields: []wire.Field{passkeyField(`{"challenge":"c2FtcGxlLWNoYWxsZW5nZQ","rp":{"id":"login.acme.example","name":"Acme"},"user":{"id":"dXNyXzE","name":"ada@example.com","displayName":"Ada"}}`)},
			Actions: []wire.Action{act("flw_enroll_passkey", "enroll", "action.create_passkey", true),
				act("flw_enroll_passkey", "another-way", "action.another_way", false), act("flw_enroll_passkey", "skip", "action.skip", false)},
			Messages: []wire.Message{info("enroll_passkey.intro")}}},
		{"enroll-totp", wire.Flow{ID: "flw_enroll_totp", Step: wire.EnrollStep("totp"), Context: signedIn(),
			Fields: []wire.Field{{Name: "otpauth", Type: wire.FieldQR, Label: "field.totp_key.label", Value: otpauth}, appCode()},
			Actions: []wire.Action{act("flw_enroll_totp", "verify", "action.verify", true),
				act("flw_enroll_totp", "another-way", "action.another_way", false), act("flw_enroll_totp", "skip", "action.skip", false)},
			Messages: []wire.Message{info("enroll_totp.intro")}}},
		{"enroll-phone", wire.Flow{ID: "flw_enroll_phone", Step: wire.EnrollStep("sms"), Context: signedIn(),
			Fields: []wire.Field{{Name: "phone", Type: wire.FieldTel, Label: "field.phone_number.label", Required: true,
				Constraints: wire.Constraints{MaxLength: 32, Autocomplete: "tel", InputMode: "tel"}}},
			Actions: []wire.Action{act("flw_enroll_phone", "send", "action.send_code", true),
				act("flw_enroll_phone", "another-way", "action.another_way", false), act("flw_enroll_phone", "skip", "action.skip", false)},
			Messages: []wire.Message{info("enroll_phone.intro")}}},
		{"enroll-security-answer", wire.Flow{ID: "flw_enroll_answer", Step: wire.EnrollStep("security_answer"), Context: signedIn(),
			Fields: []wire.Field{{Name: "question", Type: wire.FieldSelect, Label: "field.question.label", Required: true, Options: questions()},
				{Name: "answer", Type: wire.FieldText, Label: "field.new_answer.label", Required: true, Secret: true,
					Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "off"}}},
			Actions:  []wire.Action{act("flw_enroll_answer", "save", "action.save", true), act("flw_enroll_answer", "back", "action.back", false)},
			Messages: []wire.Message{info("enroll_answer.intro")}}},
		{"enroll-password", wire.Flow{ID: "flw_new_password", Step: wire.EnrollStep("password"), Context: signedIn(),
			Fields: []wire.Field{{Name: "new_password", Type: wire.FieldPassword, Label: "field.new_password.label", Required: true, Secret: true,
				Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "new-password"}}},
			Actions: []wire.Action{act("flw_new_password", "set-password", "action.set_password", true)},
			Messages: []wire.Message{info("new_password.intro"),
				{ID: "error.password.too_short", Level: wire.LevelError, Field: "new_password", Params: []wire.Param{param("count", "12")}}}}},
		{"recovery-codes", wire.Flow{ID: "flw_recovery_codes", Step: wire.EnrollStep("recovery_code"), Context: signedIn(),
			Fields:   []wire.Field{{Name: "recovery_codes", Type: wire.FieldCodes, Label: "field.recovery_codes.label", Value: "7kq2-m9xp-4hd1 p3zt-8wne-v6ca r5jb-2fyu-k0ls x9gd-t4qe-1mwh"}},
			Actions:  []wire.Action{act("flw_recovery_codes", "continue", "action.continue", true)},
			Messages: []wire.Message{info("recovery_codes.intro")}}},
	}
}

// questions are the security questions to choose from (the engine's).
func questions() []wire.Option {
	var out []wire.Option
	for _, id := range []string{"question.first_school", "question.first_pet", "question.birth_city", "question.childhood_friend", "question.first_job", "question.parents_met"} {
		out = append(out, wire.Option{Value: id, Label: id})
	}
	return out
}

// accountSamples are the steps around the factors: registering, the
// profile and terms, consent, recovery, a new email, waiting for a link,
// and the flow's end.
func accountSamples() []stepSample {
	return []stepSample{
		{"register", wire.Flow{ID: "flw_register", Step: wire.StepRegister, Context: wire.Context{App: sampleApp},
			Fields: registerFields(),
			Actions: []wire.Action{act("flw_register", "create-account", "action.create_account", true),
				act("flw_register", "back", "action.back", false)},
			Messages: []wire.Message{info("register.intro", param("app", sampleApp.Name)),
				{ID: "error.email.invalid", Level: wire.LevelError, Field: "email"},
				{ID: "error.terms.required", Level: wire.LevelError, Field: "terms_tos"}}}},
		{"profile", wire.Flow{ID: "flw_profile", Step: wire.StepProfile, Context: signedIn(),
			Fields: []wire.Field{{Name: "given_name", Type: wire.FieldText, Label: "field.given_name.label", Required: true, Value: "Ada",
				Constraints: wire.Constraints{MaxLength: 100, Autocomplete: "given-name"}},
				{Name: "family_name", Type: wire.FieldText, Label: "field.family_name.label", Required: true,
					Constraints: wire.Constraints{MaxLength: 100, Autocomplete: "family-name"}}},
			Actions: []wire.Action{act("flw_profile", "save", "action.save", true), act("flw_profile", "skip", "action.skip", false)},
			Messages: []wire.Message{info("profile.intro", param("app", sampleApp.Name)),
				{ID: "error.field.required", Level: wire.LevelError, Field: "family_name"}}}},
		{"terms", wire.Flow{ID: "flw_terms", Step: wire.StepTerms, Context: signedIn(),
			Fields: []wire.Field{termsField("terms_tos", "Terms of Service", "4", "https://acme.example/terms"),
				termsField("terms_privacy", "Privacy Policy", "2", "https://acme.example/privacy")},
			Actions:  []wire.Action{act("flw_terms", "accept", "action.accept_terms", true), act("flw_terms", "deny", "action.decline", false)},
			Messages: []wire.Message{info("terms.intro", param("app", sampleApp.Name))}}},
		{"consent", wire.Flow{ID: "flw_consent", Step: wire.StepConsent, Context: signedIn(),
			Fields: []wire.Field{{Name: "scope", Type: wire.FieldList, Label: "consent.scopes.label",
				Options: []wire.Option{{Value: "openid", Label: "consent.scope.openid"}, {Value: "profile", Label: "consent.scope.profile"},
					{Value: "email", Label: "consent.scope.email"}, {Value: "offline_access", Label: "consent.scope.offline_access"}}}},
			Actions:  []wire.Action{act("flw_consent", "accept", "action.allow", true), act("flw_consent", "deny", "action.deny", false)},
			Messages: []wire.Message{info("consent.intro", param("app", sampleApp.Name))}}},
		{"recover", wire.Flow{ID: "flw_recover", Step: wire.StepRecover, Context: wire.Context{App: sampleApp},
			Fields:   []wire.Field{loginField(sampleUser, "username")},
			Actions:  []wire.Action{act("flw_recover", "send", "action.send_recovery", true), act("flw_recover", "back", "action.back", false)},
			Messages: []wire.Message{info("recover.intro")}}},
		{"change-email", wire.Flow{ID: "flw_change_email", Step: wire.StepChangeEmail, Context: signedIn(),
			Fields: []wire.Field{{Name: "email", Type: wire.FieldEmail, Label: "field.new_email.label", Required: true,
				Constraints: wire.Constraints{MaxLength: 254, Autocomplete: "email", InputMode: "email"}}},
			Actions:  []wire.Action{act("flw_change_email", "send", "action.send_code", true)},
			Messages: []wire.Message{info("change_email.intro")}}},
		{"poll", wire.Flow{ID: "flw_poll", Step: wire.StepPoll, Context: signedIn(),
			Actions: []wire.Action{{Name: "poll", Method: "GET", Href: "/api/v1/flows/flw_poll", Label: "action.check_again"},
				act("flw_poll", "enter-code", "action.enter_code", true), act("flw_poll", "resend", "action.resend", false),
				act("flw_poll", "back", "action.back", false)},
			Messages: []wire.Message{info("email.sent", param("login", sampleUser)), info("email.poll")}}},
		{"poll-approve", wire.Flow{ID: "flw_approve", Step: wire.StepPoll, Context: signedIn(),
			Actions:  []wire.Action{act("flw_approve", "approve", "action.approve", true), act("flw_approve", "cancel", "action.cancel", false)},
			Messages: []wire.Message{warn("email.link.approve", param("time", "09:41 UTC"))}}},
		{"done", wire.Flow{ID: "flw_done", Step: wire.StepDone, Context: signedIn(), Redirect: "https://shop.acme.example/callback?code=sample&state=s&iss=https%3A%2F%2Flogin.acme.example"}},
		{"error", wire.Flow{ID: "flw_error", Step: wire.StepError, Context: wire.Context{App: sampleApp},
			Messages: []wire.Message{fail("error.access.denied")}}},
	}
}

// termsField is a checkbox accepting one document.
func termsField(name, title, version, url string) wire.Field {
	return wire.Field{Name: name, Type: wire.FieldCheckbox, Label: "field.accept_terms.label", Required: true,
		LabelParams: []wire.Param{param("title", title), param("version", version), param("url", url)}}
}

// registerFields ask for every field type a registration form can hold:
// the base attributes, custom ones (whose label is their name), terms and
// a hidden value.
func registerFields() []wire.Field {
	return []wire.Field{
		{Name: "email", Type: wire.FieldEmail, Label: "field.email.label", Required: true, Value: "ada@",
			Constraints: wire.Constraints{MaxLength: 254, Autocomplete: "email"}},
		{Name: "new_password", Type: wire.FieldPassword, Label: "field.new_password.label", Required: true, Secret: true,
			Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "new-password"}},
		{Name: "given_name", Type: wire.FieldText, Label: "field.given_name.label", Value: "Ada",
			Constraints: wire.Constraints{MaxLength: 100, Autocomplete: "given-name"}},
		{Name: "phone", Type: wire.FieldTel, Label: "field.phone.label", Constraints: wire.Constraints{MaxLength: 32, Autocomplete: "tel", InputMode: "tel"}},
		{Name: "employees", Type: wire.FieldNumber, Label: "employees", Constraints: wire.Constraints{InputMode: "decimal"}},
		{Name: "plan", Type: wire.FieldSelect, Label: "plan", Required: true, Value: "team",
			Options: []wire.Option{{Value: "personal"}, {Value: "team"}, {Value: "enterprise"}}},
		{Name: "newsletter", Type: wire.FieldCheckbox, Label: "newsletter", Value: "true"},
		termsField("terms_tos", "Terms of Service", "4", "https://acme.example/terms"),
		{Name: "invite", Type: wire.FieldHidden, Value: "inv_sample"},
	}
}
