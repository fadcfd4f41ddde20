package wire

import "strings"

// StepKind names a flow step. A client that does not know a kind renders
// the step's fields generically.
type StepKind string

// The step kinds. Enrolment steps are named "enroll-" followed by the
// factor (see EnrollStep).
const (
	StepIdentify            StepKind = "identify"
	StepChallengePassword   StepKind = "challenge-password"
	StepChallengeEmail      StepKind = "challenge-email"
	StepChallengePasskey    StepKind = "challenge-passkey"
	StepProfile             StepKind = "profile"
	StepSelectAuthenticator StepKind = "select-authenticator"
	StepRedirectIdP         StepKind = "redirect-idp"
	StepConsent             StepKind = "consent"
	StepRecover             StepKind = "recover"
	// StepChallengeSecurityAnswer asks for the answer to a security
	// question (a recovery factor).
	StepChallengeSecurityAnswer StepKind = "challenge-security-answer"
	// StepRegister is the registration form; StepTerms asks to accept
	// terms; StepChangeEmail asks a signed-in person for a new address.
	StepRegister StepKind = "register"
	// StepChallengeTOTP asks for an authenticator app's code;
	// StepChallengeRecoveryCode for one of the person's recovery codes;
	// StepChallengeSMS and StepChallengeVoice for a code sent to their
	// phone by text message or call.
	StepChallengeTOTP         StepKind = "challenge-totp"
	StepChallengeRecoveryCode StepKind = "challenge-recovery-code"
	StepChallengeSMS          StepKind = "challenge-sms"
	StepChallengeVoice        StepKind = "challenge-voice"
	StepTerms                 StepKind = "terms"
	StepChangeEmail           StepKind = "change-email"
	StepPoll                  StepKind = "poll"
	StepDone                  StepKind = "done"
	StepError                 StepKind = "error"
)

const enrollPrefix = "enroll-"

// EnrollStep returns the kind of the step that enrolls factor, for
// example EnrollStep("totp") is "enroll-totp".
func EnrollStep(factor string) StepKind { return StepKind(enrollPrefix + factor) }

// IsEnroll reports whether k is an enrolment step ("enroll-" and a factor).
func (k StepKind) IsEnroll() bool {
	return len(k) > len(enrollPrefix) && strings.HasPrefix(string(k), enrollPrefix)
}

// Factor returns the factor of an enrolment step ("totp" for
// "enroll-totp"), or "" when k is not an enrolment step.
func (k StepKind) Factor() string {
	if !k.IsEnroll() {
		return ""
	}
	return string(k[len(enrollPrefix):])
}

// FieldType is the kind of input a field asks for. A client renders a type
// it does not know as FieldText.
type FieldType string

// The field types.
const (
	FieldText     FieldType = "text"
	FieldEmail    FieldType = "email"
	FieldPassword FieldType = "password"
	FieldHidden   FieldType = "hidden"
	FieldCheckbox FieldType = "checkbox"
	FieldSelect   FieldType = "select"
	FieldTel      FieldType = "tel"
	FieldNumber   FieldType = "number"
	FieldOTP      FieldType = "otp"
	// FieldList is read-only: it shows the labels of its Options as a
	// list (the scopes a consent step asks for) and submits nothing.
	FieldList FieldType = "list"
	// FieldWebAuthn carries a WebAuthn ceremony: Value is the options
	// (PublicKeyCredentialCreationOptions or …RequestOptions in their JSON
	// form) and the client submits, under the field's name, the
	// credential's JSON form (PublicKeyCredential.toJSON()). A client
	// without WebAuthn leaves it out and offers the step's other actions.
	FieldWebAuthn FieldType = "webauthn"
	// FieldQR is read-only: a URI to show as a QR code (an authenticator
	// app's otpauth:// key), with its secret for typing by hand.
	FieldQR FieldType = "qr"
	// FieldCodes is read-only: Value is codes separated by spaces, shown
	// once as a list to write down (recovery codes).
	FieldCodes FieldType = "codes"
)

// The message levels.
const (
	LevelError   = "error"
	LevelInfo    = "info"
	LevelWarning = "warning"
)

// The text directions of a Context.
const (
	DirLTR = "ltr"
	DirRTL = "rtl"
)

// Option is one choice of a select field.
type Option struct {
	Value string // submitted value; required on the wire
	Label string // message ID
}

// Constraints describe what a field accepts, for the client's own
// validation and input hints. The server validates regardless.
type Constraints struct {
	MinLength    int    // in characters; 0 for no minimum
	MaxLength    int    // in characters; 0 for no maximum
	Pattern      string // informational; the server validates
	Autocomplete string // HTML autocomplete token, e.g. "username"
	InputMode    string // HTML inputmode, e.g. "numeric"
}

// IsZero reports whether c constrains nothing.
func (c Constraints) IsZero() bool { return c == Constraints{} }

// Field is one input of a step.
type Field struct {
	Name  string    // submitted name; required, unique within a flow
	Type  FieldType // required
	Label string    // message ID
	// LabelParams are the label message's parameters (a security
	// question's text, a custom attribute's name); names unique.
	LabelParams []Param
	Required    bool
	Secret      bool   // a password, code or other credential
	Value       string // prefill; never set, sent or read for secret fields
	Options     []Option
	Constraints Constraints
}

// Action is something the person can do on a step: submit the form under
// Name, or follow Href with Method.
type Action struct {
	Name   string // required, unique within a flow
	Method string // e.g. "POST"
	Href   string
	Label  string // message ID
	// LabelParams are the label message's parameters (an identity
	// provider's display name, which is tenant data, not a message ID);
	// names unique.
	LabelParams []Param
	Primary     bool
}

// Param is a named string: a message parameter or a submitted value.
type Param struct {
	Name, Value string
}

// Message is something to tell the person, as a locale key and its
// parameters, never prose.
type Message struct {
	ID     string  // locale key; required
	Params []Param // names unique
	Level  string  // LevelError, LevelInfo or LevelWarning
	Field  string  // name of the field it is about, "" for the form
}

// App is the application a flow signs in to.
type App struct {
	ID, Name string
}

// Context tells the client whom and what a flow is for, to brand and
// localise its rendering.
type Context struct {
	App      App
	Brand    string // brand reference
	UserHint string // e.g. a masked email address once identified
	Locale   string // BCP 47 tag
	Dir      string // DirLTR or DirRTL
}

// Flow is the server's answer to every flow request: the step to show now.
type Flow struct {
	ID string // flow handle; required
	// ExpiresAt is when the flow expires, in Unix time (seconds since
	// 1970-01-01T00:00:00Z); 0 means absent, and it is not sent. It is
	// sent as an RFC 3339 string in UTC, whole seconds; instants outside
	// the years 0000–9999 are clamped to the first or last second
	// RFC 3339 can write.
	ExpiresAt int64
	Step      StepKind // required
	Fields    []Field
	Actions   []Action
	Messages  []Message
	Context   Context
	// Redirect is set on StepDone: where the client goes next (the app's
	// redirect URI with code, state and iss).
	Redirect string
}

// StartRequest is the body of POST /api/v1/flows, which starts a flow.
// Only ClientID is required on the wire; the OAuth rules on the other
// parameters (PKCE, exact redirect URIs) are checked by the server, which
// answers them with OAuth error codes.
type StartRequest struct {
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	LoginHint           string
	UILocales           string
	Prompt              string
	ACRValues           string
	// Server names the tenant's authorization server the flow ends at
	// ("authorization_server"); empty means "default".
	Server string
}

// ContinueRequest is the body of POST /api/v1/flows/{id}: an action and
// the values submitted with it.
type ContinueRequest struct {
	Action string  // required
	Values []Param // names unique; sent as a JSON object in this order
}

// Value returns the value submitted under name and whether there was one.
func (r ContinueRequest) Value(name string) (string, bool) {
	for _, p := range r.Values {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}
