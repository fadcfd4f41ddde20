package engine

import (
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
)

// MessageIDs lists every message ID the engine may put in a view.
var MessageIDs = []string{
	MsgLoginLabel, MsgPasswordLabel, MsgActionNext, MsgActionSignIn, MsgActionBack,
	MsgFieldRequired, MsgFieldTooLong, MsgCredentialsInvalid, MsgAttemptsExceeded, MsgAttemptsRemaining,
	MsgActionAllow, MsgActionDeny, MsgConsentIntro, MsgConsentScopesLabel,
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
)

// Field names.
const (
	FieldLogin    = "login"
	FieldPassword = "password"
	// FieldScope is the consent step's read-only list of scopes.
	FieldScope = "scope"
)

const maxLoginLen = 254

// view renders a flow's state as the wire view model.
func (e *Engine) view(f *flow) wire.Flow {
	href := "/api/v1/flows/" + f.ID
	v := wire.Flow{
		ID: f.ID, ExpiresAt: f.ExpiresAt.UTC(), Step: f.Step,
		Fields: []wire.Field{}, Actions: []wire.Action{}, Messages: append([]wire.Message{}, f.State.Messages...),
		Context: wire.Context{App: wire.App{ID: f.ClientID, Name: f.State.AppName}, Locale: f.State.Locale, Dir: f.State.Dir},
	}
	switch f.Step {
	case wire.StepIdentify:
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldLogin, Type: "text", Label: MsgLoginLabel, Required: true, Value: f.State.Login,
			Constraints: wire.Constraints{MaxLength: maxLoginLen, Autocomplete: "username"},
		})
		v.Actions = append(v.Actions, wire.Action{Name: ActionNext, Method: "POST", Href: href, Label: MsgActionNext, Primary: true})
	case wire.StepChallengePassword:
		v.Context.UserHint = f.State.Login
		v.Fields = append(v.Fields, wire.Field{
			Name: FieldPassword, Type: "password", Label: MsgPasswordLabel, Required: true, Secret: true,
			Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "current-password"},
		})
		v.Actions = append(v.Actions,
			wire.Action{Name: ActionSignIn, Method: "POST", Href: href, Label: MsgActionSignIn, Primary: true},
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
	case wire.StepDone:
		v.Redirect = f.State.Redirect
	}
	return v
}
