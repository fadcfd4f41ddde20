package engine

import (
	"context"
	"slices"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
)

// Message IDs the engine uses; every one exists in the locale catalogs
// (checked by a test).
const (
	MsgLoginLabel         = "field.login.label"
	MsgPasswordLabel      = "field.password.label"
	MsgActionNext         = "action.next"
	MsgActionSignIn       = "action.sign_in"
	MsgActionBack         = "action.back"
	MsgFieldRequired      = "error.field.required"
	MsgFieldTooLong       = "error.field.too_long"
	MsgCredentialsInvalid = "error.credentials.invalid"
	MsgAttemptsExceeded   = "error.attempts.exceeded"
	MsgAttemptsRemaining  = "attempts.remaining"
	MsgActionAllow        = "action.allow"
	MsgActionDeny         = "action.deny"
	// MsgConsentIntro says which app asks for access (parameter app).
	MsgConsentIntro       = "consent.intro"
	MsgConsentScopesLabel = "consent.scopes.label"
	// Email sign-in.
	MsgCodeLabel        = "field.code.label"
	MsgActionEmailCode  = "action.email_code"
	MsgActionEnterCode  = "action.enter_code"
	MsgActionResend     = "action.resend"
	MsgActionVerify     = "action.verify"
	MsgActionCheckAgain = "action.check_again"
	MsgActionApprove    = "action.approve"
	MsgActionCancel     = "action.cancel"
	// MsgEmailSent says an email is on its way (parameter login) if the
	// login has an account: it never says whether it has.
	MsgEmailSent = "email.sent"
	// MsgEmailSentRecovery is MsgEmailSent for a recovery email.
	MsgEmailSentRecovery = "email.sent_recovery"
	MsgEmailPoll         = "email.poll"
	MsgEmailUnavailable  = "error.email.unavailable"
	// MsgLinkApprove asks this browser to approve a link opened in another
	// (parameter time).
	MsgLinkApprove   = "email.link.approve"
	MsgLinkCancelled = "email.link.cancelled"
	MsgCodeInvalid   = "error.code.invalid"
	MsgCodeExpired   = "error.code.expired"
	MsgCodeAttempts  = "error.code.attempts"
	// MsgResendWait, MsgRateLimited: parameter count, in seconds.
	MsgResendWait        = "error.resend.wait"
	MsgResendLimit       = "error.resend.limit"
	MsgRateLimited       = "error.rate_limited"
	MsgAccessDenied      = "error.access.denied"
	MsgFactorUnavailable = "error.factor.unavailable"
	// Recovery.
	MsgActionRecover       = "action.recover"
	MsgActionSendRecovery  = "action.send_recovery"
	MsgActionSetPassword   = "action.set_password"
	MsgRecoverIntro        = "recover.intro"
	MsgRecoveryUnavailable = "error.recovery.unavailable"
	MsgRecoveryNeedsFactor = "error.recovery.needs_factor"
	// MsgAnswerLabel labels the answer to a security question (parameter
	// question).
	MsgAnswerLabel      = "field.answer.label"
	MsgAnswerInvalid    = "error.answer.invalid"
	MsgNewPasswordLabel = "field.new_password.label"
	MsgNewPasswordIntro = "new_password.intro"
	// Refusals of the password policy; too short, too long and reused
	// carry a count.
	MsgPasswordTooShort = "error.password.too_short"
	MsgPasswordTooLong  = "error.password.too_long"
	MsgPasswordCommon   = "error.password.common"
	MsgPasswordReused   = "error.password.reused"
	MsgPasswordRefused  = "error.password.refused"
	// Registration, terms and progressive profiling.
	MsgActionRegister = "action.register"
	MsgActionCreate   = "action.create_account"
	MsgRegisterIntro  = "register.intro"
	MsgEmailLabel     = "field.email.label"
	MsgEmailInvalid   = "error.email.invalid"
	MsgFieldInvalid   = "error.field.invalid"
	// MsgAcceptTermsLabel labels a terms checkbox (parameters title,
	// version and url).
	MsgAcceptTermsLabel  = "field.accept_terms.label"
	MsgTermsRequired     = "error.terms.required"
	MsgRegisterExists    = "error.register.exists"
	MsgEmailSentRegister = "email.sent_register"
	MsgTermsIntro        = "terms.intro"
	MsgActionAcceptTerms = "action.accept_terms"
	MsgActionDecline     = "action.decline"
	// MsgTermsDeclined has the parameter app.
	MsgTermsDeclined = "error.terms.declined"
	// MsgProfileIntro has the parameter app.
	MsgProfileIntro = "profile.intro"
	MsgActionSave   = "action.save"
	MsgActionSkip   = "action.skip"
	MsgValueTaken   = "error.value.taken"
	// Activation.
	MsgActivatedIntro     = "activate.password_intro"
	MsgActivatedIntroSkip = "activate.password_optional"
	MsgActionSkipPassword = "action.skip_password"
	// Email change.
	MsgChangeEmailIntro = "change_email.intro"
	MsgNewEmailLabel    = "field.new_email.label"
	MsgActionSendCode   = "action.send_code"
	MsgEmailSentChange  = "email.sent_change"
	MsgEmailSame        = "error.email.same"
	MsgEmailTaken       = "error.email.taken"
	// Factors: choosing, passkeys, codes, phones, setting them up.
	MsgSelectIntro         = "select.intro"
	MsgEnrollSelectIntro   = "select.enroll_intro"
	MsgAuthenticatorLabel  = "field.authenticator.label"
	MsgActionAnotherWay    = "action.another_way"
	MsgActionContinue      = "action.continue"
	MsgActionPasskey       = "action.sign_in_passkey"
	MsgActionUsePasskey    = "action.use_passkey"
	MsgActionCreatePasskey = "action.create_passkey"
	MsgPasskeyIntro        = "passkey.intro"
	MsgPasskeyFailed       = "error.passkey.failed"
	MsgEnrollPasskeyIntro  = "enroll_passkey.intro"
	MsgTOTPIntro           = "totp.intro"
	MsgEnrollTOTPIntro     = "enroll_totp.intro"
	MsgTOTPKeyLabel        = "field.totp_key.label"
	MsgRecoveryCodeIntro   = "recovery_code.intro"
	MsgRecoveryCodeLabel   = "field.recovery_code.label"
	MsgRecoveryCodesIntro  = "recovery_codes.intro"
	MsgRecoveryCodesLabel  = "field.recovery_codes.label"
	MsgCodeUsed            = "error.code.used"
	// MsgPhoneSent and MsgVoiceSent have the parameter number (masked).
	MsgPhoneSent         = "phone.sent"
	MsgVoiceSent         = "voice.sent"
	MsgEnrollPhoneIntro  = "enroll_phone.intro"
	MsgPhoneLabel        = "field.phone_number.label"
	MsgPhoneInvalid      = "error.phone.invalid"
	MsgPhoneCountry      = "error.phone.country"
	MsgPhoneUnavailable  = "error.phone.unavailable"
	MsgEnrollAnswerIntro = "enroll_answer.intro"
	MsgQuestionLabel     = "field.question.label"
	MsgAnswerTooShort    = "error.answer.too_short"
	MsgNewAnswerLabel    = "field.new_answer.label"
	// MsgEnrollOptional says setting up may wait (parameter factor).
	MsgEnrollOptional = "enroll.optional"
)

// authenticatorLabel is the message ID naming a factor in choices.
func authenticatorLabel(factor string) string { return "authenticator." + factor }

// baseLabels are the labels of the base attributes a registration or
// profile step asks for ("field.<name>.label").
var baseLabels = []string{"field.given_name.label", "field.family_name.label", "field.name.label", "field.phone.label", "field.locale.label"}

// MessageIDs lists every message ID the engine may put in a view.
var MessageIDs = []string{
	MsgLoginLabel, MsgPasswordLabel, MsgActionNext, MsgActionSignIn, MsgActionBack,
	MsgFieldRequired, MsgFieldTooLong, MsgCredentialsInvalid, MsgAttemptsExceeded, MsgAttemptsRemaining,
	MsgActionAllow, MsgActionDeny, MsgConsentIntro, MsgConsentScopesLabel,
	MsgCodeLabel, MsgActionEmailCode, MsgActionEnterCode, MsgActionResend, MsgActionVerify, MsgActionCheckAgain,
	MsgActionApprove, MsgActionCancel, MsgEmailSent, MsgEmailPoll, MsgEmailUnavailable, MsgLinkApprove, MsgLinkCancelled,
	MsgCodeInvalid, MsgCodeExpired, MsgCodeAttempts, MsgResendWait, MsgResendLimit, MsgRateLimited,
	MsgAccessDenied, MsgFactorUnavailable,
	MsgEmailSentRecovery, MsgActionRecover, MsgActionSendRecovery, MsgActionSetPassword, MsgRecoverIntro, MsgRecoveryUnavailable, MsgRecoveryNeedsFactor,
	MsgAnswerLabel, MsgAnswerInvalid, MsgNewPasswordLabel, MsgNewPasswordIntro,
	MsgPasswordTooShort, MsgPasswordTooLong, MsgPasswordCommon, MsgPasswordReused, MsgPasswordRefused,
	MsgActionRegister, MsgActionCreate, MsgRegisterIntro, MsgEmailLabel, MsgEmailInvalid, MsgFieldInvalid, MsgAcceptTermsLabel,
	MsgTermsRequired, MsgRegisterExists, MsgEmailSentRegister, MsgTermsIntro, MsgActionAcceptTerms, MsgActionDecline, MsgTermsDeclined,
	MsgProfileIntro, MsgActionSave, MsgActionSkip, MsgValueTaken, MsgActivatedIntro, MsgActivatedIntroSkip, MsgActionSkipPassword,
	MsgChangeEmailIntro, MsgNewEmailLabel, MsgActionSendCode, MsgEmailSentChange, MsgEmailSame, MsgEmailTaken,
	baseLabels[0], baseLabels[1], baseLabels[2], baseLabels[3], baseLabels[4],
	MsgSelectIntro, MsgEnrollSelectIntro, MsgAuthenticatorLabel, MsgActionAnotherWay, MsgActionContinue, MsgActionPasskey, MsgActionUsePasskey,
	MsgActionCreatePasskey, MsgPasskeyIntro, MsgPasskeyFailed, MsgEnrollPasskeyIntro, MsgTOTPIntro, MsgEnrollTOTPIntro, MsgTOTPKeyLabel,
	MsgRecoveryCodeIntro, MsgRecoveryCodeLabel, MsgRecoveryCodesIntro, MsgRecoveryCodesLabel, MsgCodeUsed, MsgPhoneSent, MsgVoiceSent,
	MsgEnrollPhoneIntro, MsgPhoneLabel, MsgPhoneInvalid, MsgPhoneCountry, MsgPhoneUnavailable, MsgEnrollAnswerIntro, MsgQuestionLabel,
	MsgAnswerTooShort, MsgNewAnswerLabel, MsgEnrollOptional, MsgCurrentPasswordLabel, MsgChangePasswordIntro,
	authenticatorLabel(factorPassword), authenticatorLabel(factorEmail), authenticatorLabel(factorPasskey), authenticatorLabel(factorTOTP),
	authenticatorLabel(factorSMS), authenticatorLabel(factorVoice), authenticatorLabel(factorRecoveryCode), authenticatorLabel(factorAnswer),
	Questions[0], Questions[1], Questions[2], Questions[3], Questions[4], Questions[5],
	scopeMessage(oidc.ScopeOpenID), scopeMessage(oidc.ScopeProfile), scopeMessage(oidc.ScopeEmail), scopeMessage(oidc.ScopeOfflineAccess),
}

// Action names a client sends to continue.
const (
	ActionNext   = "next"
	ActionSignIn = "sign-in"
	ActionBack   = "back"
	// ActionAccept and ActionDeny answer the consent step.
	ActionAccept = "accept"
	ActionDeny   = "deny"
	// ActionEmailCode leaves the password step for an emailed code.
	ActionEmailCode = "email-code"
	// ActionPoll (method GET) asks for the flow again: the poll step moves
	// on by itself once a link is confirmed in another browser.
	ActionPoll      = "poll"
	ActionEnterCode = "enter-code"
	ActionResend    = "resend"
	ActionVerify    = "verify"
	// ActionApprove and ActionCancel answer a link confirmed elsewhere.
	ActionApprove = "approve"
	ActionCancel  = "cancel"
	// ActionRecover starts recovery; ActionSend mails its code and link;
	// ActionSetPassword sets the new password.
	ActionRecover     = "recover"
	ActionSend        = "send"
	ActionSetPassword = "set-password"
	// ActionRegister opens the registration form; ActionCreate submits it.
	ActionRegister = "register"
	ActionCreate   = "create-account"
	// ActionSave and ActionSkip answer the profile step.
	ActionSave = "save"
	ActionSkip = "skip"
	// ActionPasskey signs in with a passkey at identify; ActionEnroll
	// submits a new passkey; ActionAnotherWay opens the choice of
	// factors, ActionSelect submits it; ActionContinue leaves the step
	// that showed recovery codes.
	ActionPasskey    = "passkey"
	ActionEnroll     = "enroll"
	ActionAnotherWay = "another-way"
	ActionSelect     = "select"
	ActionContinue   = "continue"
)

// Field names.
const (
	FieldLogin    = "login"
	FieldPassword = "password"
	// FieldScope is the consent step's read-only list of scopes.
	FieldScope = "scope"
	// FieldCode is the emailed one-time code.
	FieldCode = "code"
	// FieldAnswer is the answer to a security question.
	FieldAnswer = "answer"
	// FieldNewPassword is a password being chosen.
	FieldNewPassword = "new_password"
	// FieldEmail is a new account's email address.
	FieldEmail = "email"
	// FieldPasskey carries a WebAuthn ceremony (wire.FieldWebAuthn).
	FieldPasskey = "passkey"
	// FieldAuthenticator is the factor chosen at select-authenticator.
	FieldAuthenticator = "authenticator"
	// FieldKey is an authenticator app's key URI, shown as a QR code.
	FieldKey = "otpauth"
	// FieldCodes are recovery codes shown once.
	FieldCodes = "recovery_codes"
	// FieldPhone is a phone number being set up.
	FieldPhone = "phone"
	// FieldQuestion is the security question chosen.
	FieldQuestion = "question"
)

const maxLoginLen = 254

// view renders a flow's state as the wire view model.
func (e *Engine) view(ctx context.Context, f *flow) wire.Flow {
	href := "/api/v1/flows/" + f.ID
	v := wire.Flow{
		ID: f.ID, ExpiresAt: f.ExpiresAt.Unix(), Step: f.Step,
		Fields: []wire.Field{}, Actions: []wire.Action{}, Messages: append([]wire.Message{}, f.State.Messages...),
		Context: wire.Context{App: wire.App{ID: f.ClientID, Name: f.State.AppName}, Locale: f.State.Locale, Dir: f.State.Dir},
	}
	switch f.Step {
	case wire.StepIdentify:
		login := wire.Field{
			Name: FieldLogin, Type: "text", Label: MsgLoginLabel, Required: true, Value: f.State.Login,
			Constraints: wire.Constraints{MaxLength: maxLoginLen, Autocomplete: "username"},
		}
		if f.offersPasskey() {
			// Autofill offers the browser's passkeys for this site.
			login.Constraints.Autocomplete = "username webauthn"
		}
		v.Fields = append(v.Fields, login)
		v.Actions = append(v.Actions, wire.Action{Name: ActionNext, Method: "POST", Href: href, Label: MsgActionNext, Primary: true})
		if f.offersPasskey() {
			v.Fields = append(v.Fields, passkeyField(f))
			v.Actions = append(v.Actions, wire.Action{Name: ActionPasskey, Method: "POST", Href: href, Label: MsgActionPasskey})
		}
		if f.State.CanRecover {
			v.Actions = append(v.Actions, wire.Action{Name: ActionRecover, Method: "POST", Href: href, Label: MsgActionRecover})
		}
		if f.State.CanRegister {
			v.Actions = append(v.Actions, wire.Action{Name: ActionRegister, Method: "POST", Href: href, Label: MsgActionRegister})
		}
		v.Actions = append(v.Actions, idpActions(f, href)...)
	case wire.StepRedirectIdP:
		if up := f.State.Upstream; up != nil && !up.Returned {
			v.Actions = append(v.Actions, wire.Action{Name: ActionRedirect, Method: "POST", Href: f.State.Base + HandoverPath(f.ID),
				Label: MsgIdPContinueWith, LabelParams: []wire.Param{{Name: "name", Value: up.IdP.Name}, {Name: "kind", Value: string(up.IdP.Kind)}}, Primary: true})
		} else {
			v.Messages = append(v.Messages, wire.Message{ID: MsgIdPChoose, Level: wire.LevelInfo})
			v.Actions = append(v.Actions, idpActions(f, href)...)
		}
		if f.canGoBack() {
			v.Actions = append(v.Actions, wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack})
		}
	case StepChangeEmail:
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgChangeEmailIntro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields, wire.Field{Name: FieldEmail, Type: wire.FieldEmail, Label: MsgNewEmailLabel, Required: true,
			Constraints: wire.Constraints{MaxLength: maxLoginLen, Autocomplete: "email", InputMode: "email"}})
		v.Actions = append(v.Actions, wire.Action{Name: ActionSend, Method: "POST", Href: href, Label: MsgActionSendCode, Primary: true})
	case StepRegister:
		v.Messages = append(v.Messages, wire.Message{ID: MsgRegisterIntro, Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: f.State.AppName}}})
		v.Fields = askedFields(f)
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionCreate, Method: "POST", Href: href, Label: MsgActionCreate, Primary: true},
			wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack},
		)
	case StepTerms:
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgTermsIntro, Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: f.State.AppName}}})
		v.Fields = askedFields(f)
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionAccept, Method: "POST", Href: href, Label: MsgActionAcceptTerms, Primary: true},
			wire.Action{Name: ActionDeny, Method: "POST", Href: href, Label: MsgActionDecline},
		)
	case wire.StepProfile:
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgProfileIntro, Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: f.State.AppName}}})
		v.Fields = askedFields(f)
		v.Actions = append(v.Actions, wire.Action{Name: ActionSave, Method: "POST", Href: href, Label: MsgActionSave, Primary: true})
		if f.optional() {
			v.Actions = append(v.Actions, wire.Action{Name: ActionSkip, Method: "POST", Href: href, Label: MsgActionSkip})
		}
	case wire.StepRecover:
		v.Messages = append(v.Messages, wire.Message{ID: MsgRecoverIntro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldLogin, Type: "text", Label: MsgLoginLabel, Required: true, Value: f.State.Login,
			Constraints: wire.Constraints{MaxLength: maxLoginLen, Autocomplete: "username"},
		})
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionSend, Method: "POST", Href: href, Label: MsgActionSendRecovery, Primary: true},
			wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack},
		)
	case StepChallengeAnswer:
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldAnswer, Type: wire.FieldText, Label: MsgAnswerLabel, LabelParams: []wire.Param{{Name: "question", Value: f.State.Question}},
			Required: true, Secret: true, Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "off"},
		})
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionVerify, Method: "POST", Href: href, Label: MsgActionVerify, Primary: true},
			wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack},
		)
	case StepEnrollPassword:
		v.Context.UserHint = f.State.Login
		intro := MsgNewPasswordIntro
		switch f.State.Journey {
		case journeyActivate:
			intro = MsgActivatedIntro
			if f.State.CanSkip {
				intro = MsgActivatedIntroSkip
			}
		case journeyEnroll:
			intro = MsgChangePasswordIntro
		}
		v.Messages = append(v.Messages, wire.Message{ID: intro, Level: wire.LevelInfo})
		if f.State.Journey == journeyEnroll && f.State.AskCurrent {
			v.Fields = append(v.Fields, wire.Field{
				Name: FieldPassword, Type: wire.FieldPassword, Label: MsgCurrentPasswordLabel, Required: true, Secret: true,
				Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "current-password"},
			})
		}
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldNewPassword, Type: wire.FieldPassword, Label: MsgNewPasswordLabel, Required: true, Secret: true,
			Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "new-password"},
		})
		v.Actions = append(v.Actions, wire.Action{Name: ActionSetPassword, Method: "POST", Href: href, Label: MsgActionSetPassword, Primary: true})
		if f.State.Journey == journeyActivate && f.State.CanSkip {
			v.Actions = append(v.Actions, wire.Action{Name: ActionSkip, Method: "POST", Href: href, Label: MsgActionSkipPassword})
		}
		if f.State.Journey == journeyEnroll {
			v.Actions = append(v.Actions, wire.Action{Name: ActionCancel, Method: "POST", Href: href, Label: MsgActionCancel})
		}
	case wire.StepChallengePassword:
		v.Context.UserHint = f.State.Login
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldPassword, Type: "password", Label: MsgPasswordLabel, Required: true, Secret: true,
			Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "current-password"},
		})
		v.Actions = append(v.Actions, wire.Action{Name: ActionSignIn, Method: "POST", Href: href, Label: MsgActionSignIn, Primary: true})
		if f.offersEmail() {
			v.Actions = append(v.Actions, wire.Action{Name: ActionEmailCode, Method: "POST", Href: href, Label: MsgActionEmailCode})
		}
		if f.State.CanRecover && len(f.State.Proven) == 0 {
			v.Actions = append(v.Actions, wire.Action{Name: ActionRecover, Method: "POST", Href: href, Label: MsgActionRecover})
		}
		v.Actions = append(v.Actions, wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack})
	case wire.StepPoll:
		v.Context.UserHint = f.State.Login
		if f.pendingApproval() {
			v.Messages = append(v.Messages, wire.Message{ID: MsgLinkApprove, Level: wire.LevelWarning,
				Params: []wire.Param{{Name: "time", Value: f.State.Email.ConfirmedAt.UTC().Format("15:04 UTC")}}})
			v.Actions = append(v.Actions,
				wire.Action{Name: ActionApprove, Method: "POST", Href: href, Label: MsgActionApprove, Primary: true},
				wire.Action{Name: ActionCancel, Method: "POST", Href: href, Label: MsgActionCancel},
			)
			break
		}
		v.Messages = append(v.Messages, wire.Message{ID: MsgEmailPoll, Level: wire.LevelInfo})
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionPoll, Method: "GET", Href: href, Label: MsgActionCheckAgain},
			wire.Action{Name: ActionEnterCode, Method: "POST", Href: href, Label: MsgActionEnterCode, Primary: true},
			wire.Action{Name: ActionResend, Method: "POST", Href: href, Label: MsgActionResend},
			wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack},
		)
	case wire.StepChallengeEmail:
		v.Context.UserHint = f.State.Login
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldCode, Type: wire.FieldOTP, Label: MsgCodeLabel, Required: true, Secret: true,
			Constraints: wire.Constraints{MinLength: codeDigits, MaxLength: codeDigits, Pattern: "[0-9]{6}", Autocomplete: "one-time-code", InputMode: "numeric"},
		})
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionVerify, Method: "POST", Href: href, Label: MsgActionVerify, Primary: true},
			wire.Action{Name: ActionResend, Method: "POST", Href: href, Label: MsgActionResend},
			wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack},
		)
	case wire.StepConsent:
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgConsentIntro, Level: wire.LevelInfo, Params: []wire.Param{{Name: "app", Value: f.State.AppName}}})
		v.Fields = consentFields(f.State.Request.Scope)
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionAccept, Method: "POST", Href: href, Label: MsgActionAllow, Primary: true},
			wire.Action{Name: ActionDeny, Method: "POST", Href: href, Label: MsgActionDeny},
		)
	case wire.StepSelectAuthenticator:
		v.Context.UserHint = f.State.Login
		intro := MsgSelectIntro
		if f.State.Enrolling {
			intro = MsgEnrollSelectIntro
		}
		v.Messages = append(v.Messages, wire.Message{ID: intro, Level: wire.LevelInfo})
		choice := wire.Field{Name: FieldAuthenticator, Type: wire.FieldSelect, Label: MsgAuthenticatorLabel, Required: true}
		for _, a := range f.State.Offer {
			choice.Options = append(choice.Options, wire.Option{Value: a, Label: authenticatorLabel(a)})
		}
		v.Fields = append(v.Fields, choice)
		v.Actions = append(v.Actions, wire.Action{Name: ActionSelect, Method: "POST", Href: href, Label: MsgActionNext, Primary: true})
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.StepChallengePasskey:
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgPasskeyIntro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields, passkeyField(f))
		v.Actions = append(v.Actions, wire.Action{Name: ActionVerify, Method: "POST", Href: href, Label: MsgActionUsePasskey, Primary: true})
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.StepChallengeTOTP, wire.StepChallengeRecoveryCode:
		v.Context.UserHint = f.State.Login
		intro, label, c := MsgTOTPIntro, MsgCodeLabel, wire.Constraints{MinLength: 6, MaxLength: 9, Autocomplete: "one-time-code", InputMode: "numeric"}
		if f.Step == wire.StepChallengeRecoveryCode {
			intro, label, c = MsgRecoveryCodeIntro, MsgRecoveryCodeLabel, wire.Constraints{MinLength: 10, MaxLength: maxCodeLen, Autocomplete: "off"}
		}
		v.Messages = append(v.Messages, wire.Message{ID: intro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields, wire.Field{Name: FieldCode, Type: wire.FieldOTP, Label: label, Required: true, Secret: true, Constraints: c})
		v.Actions = append(v.Actions, wire.Action{Name: ActionVerify, Method: "POST", Href: href, Label: MsgActionVerify, Primary: true})
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.StepChallengeSMS, wire.StepChallengeVoice, wire.EnrollStep(factorSMS), wire.EnrollStep(factorVoice):
		v.Context.UserHint = f.State.Login
		v.Fields, v.Actions, v.Messages = e.phoneView(f, href, v.Messages)
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.EnrollStep(factorPasskey):
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgEnrollPasskeyIntro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields, passkeyField(f))
		v.Actions = append(v.Actions, wire.Action{Name: ActionEnroll, Method: "POST", Href: href, Label: MsgActionCreatePasskey, Primary: true})
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.EnrollStep(factorTOTP):
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgEnrollTOTPIntro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields,
			wire.Field{Name: FieldKey, Type: wire.FieldQR, Label: MsgTOTPKeyLabel, Value: e.shown(ctx, f)},
			wire.Field{Name: FieldCode, Type: wire.FieldOTP, Label: MsgCodeLabel, Required: true, Secret: true,
				Constraints: wire.Constraints{MinLength: 6, MaxLength: 9, Autocomplete: "one-time-code", InputMode: "numeric"}})
		v.Actions = append(v.Actions, wire.Action{Name: ActionVerify, Method: "POST", Href: href, Label: MsgActionVerify, Primary: true})
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.EnrollStep(factorAnswer):
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgEnrollAnswerIntro, Level: wire.LevelInfo})
		q := wire.Field{Name: FieldQuestion, Type: wire.FieldSelect, Label: MsgQuestionLabel, Required: true}
		for _, id := range Questions {
			q.Options = append(q.Options, wire.Option{Value: id, Label: id})
		}
		v.Fields = append(v.Fields, q, wire.Field{Name: FieldAnswer, Type: wire.FieldText, Label: MsgNewAnswerLabel, Required: true, Secret: true,
			Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "off"}})
		v.Actions = append(v.Actions, wire.Action{Name: ActionSave, Method: "POST", Href: href, Label: MsgActionSave, Primary: true})
		v.Actions = append(v.Actions, e.factorActions(f, href)...)
	case wire.EnrollStep(factorRecoveryCode):
		v.Context.UserHint = f.State.Login
		v.Messages = append(v.Messages, wire.Message{ID: MsgRecoveryCodesIntro, Level: wire.LevelInfo})
		v.Fields = append(v.Fields, wire.Field{Name: FieldCodes, Type: wire.FieldCodes, Label: MsgRecoveryCodesLabel, Value: e.shown(ctx, f)})
		v.Actions = append(v.Actions, wire.Action{Name: ActionContinue, Method: "POST", Href: href, Label: MsgActionContinue, Primary: true})
	case wire.StepDone:
		v.Redirect = f.State.Redirect
	}
	if !f.canGoBack() {
		// A step shared with a journey that cannot start over (an email
		// change) offers no way back.
		v.Actions = slices.DeleteFunc(v.Actions, func(a wire.Action) bool { return a.Name == ActionBack })
	}
	return v
}

// askedFields are the wire fields of the step's asked fields.
func askedFields(f *flow) []wire.Field {
	out := make([]wire.Field, 0, len(f.State.Ask))
	for _, a := range f.State.Ask {
		out = append(out, a.Field)
	}
	return out
}

// passkeyField is the WebAuthn ceremony of the current step.
func passkeyField(f *flow) wire.Field {
	opts := ""
	if f.State.Factor != nil {
		opts = f.State.Factor.Options
	}
	return wire.Field{Name: FieldPasskey, Type: wire.FieldWebAuthn, Label: MsgActionUsePasskey, Value: opts}
}

// factorActions are what a factor step offers besides its own action:
// another way when there is a choice, skipping an optional enrollment,
// and starting over.
func (e *Engine) factorActions(f *flow, href string) []wire.Action {
	var out []wire.Action
	if len(f.State.Offer) > 1 && f.Step != wire.StepSelectAuthenticator {
		out = append(out, wire.Action{Name: ActionAnotherWay, Method: "POST", Href: href, Label: MsgActionAnotherWay})
	}
	if f.State.Optional && (f.Step.IsEnroll() || f.State.Enrolling) {
		out = append(out, wire.Action{Name: ActionSkip, Method: "POST", Href: href, Label: MsgActionSkip})
	}
	if f.State.Journey == journeyEnroll {
		out = append(out, wire.Action{Name: ActionCancel, Method: "POST", Href: href, Label: MsgActionCancel})
	}
	if f.canGoBack() {
		out = append(out, wire.Action{Name: ActionBack, Method: "POST", Href: href, Label: MsgActionBack})
	}
	return out
}
