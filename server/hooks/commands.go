package hooks

import (
	"encoding/json"
	"slices"
)

// CommandType names a command of the vocabulary.
type CommandType string

// The commands of vocabulary version 1. The value type each carries in
// Command.Value is named beside it.
const (
	CmdClaimsSet       CommandType = "token.claims.set"    // ClaimsSet
	CmdClaimsRemove    CommandType = "token.claims.remove" // ClaimsRemove
	CmdDeny            CommandType = "deny"                // Denial, in Outcome.Denied (never in Commands)
	CmdProfileSet      CommandType = "profile.set"         // ProfileSet
	CmdFieldError      CommandType = "field.error"         // FieldError
	CmdGroupsAdd       CommandType = "groups.add"          // GroupsAdd
	CmdPasswordVerdict CommandType = "password.verdict"    // PasswordVerdict
	CmdSkip            CommandType = "skip"                // Skip
	CmdUserCreate      CommandType = "user.create"         // UserCreate
	CmdTelephonyResult CommandType = "telephony.result"    // TelephonyResult
	CmdRiskLevel       CommandType = "risk.level"          // RiskLevel
)

// allowed lists the commands each point accepts.
var allowed = map[Point][]CommandType{
	PointToken:            {CmdClaimsSet, CmdClaimsRemove, CmdDeny},
	PointRegistration:     {CmdProfileSet, CmdFieldError, CmdDeny},
	PointPostVerification: {CmdProfileSet, CmdGroupsAdd, CmdDeny},
	PointPasswordImport:   {CmdPasswordVerdict},
	PointUserImport:       {CmdProfileSet, CmdSkip},
	PointUnknownUser:      {CmdUserCreate, CmdDeny},
	PointTelephony:        {CmdTelephonyResult},
	PointRisk:             {CmdRiskLevel},
}

// Allowed reports whether command type t may be answered at point p.
func Allowed(p Point, t CommandType) bool { return slices.Contains(allowed[p], t) }

// Command is one validated command of an answer. Switch on Type (or on
// Value's type); Value is the value type named beside Type's constant.
type Command struct {
	Type CommandType
	// HookID is the hook that answered it.
	HookID string
	Value  any
}

// Token targets of claims commands.
const (
	TargetAccess = "access"
	TargetID     = "id"
)

// ClaimsSet adds claims to a token, or replaces claims an earlier step
// (or hook) set. The refused names are never among Claims.
type ClaimsSet struct {
	// Target is TargetAccess or TargetID.
	Target string
	// Claims are JSON values (never null), compacted; embed them as they
	// are (json.RawMessage marshals verbatim).
	Claims map[string]json.RawMessage
}

// ClaimsRemove removes claims from a token. The refused names are never
// among Names.
type ClaimsRemove struct {
	Target string
	Names  []string
}

// Denial refuses what the point was about; the caller shows MessageID
// (a locale message or the tenant's text) with Params.
type Denial struct {
	MessageID string
	Params    map[string]string
}

// ProfileSet sets profile attributes: JSON values, null removing the
// attribute. The caller checks names and values against the user type's
// schema; attributes that are not a hook's to set are refused here.
type ProfileSet struct {
	Attributes map[string]json.RawMessage
}

// FieldError refuses a registration form field with a message.
type FieldError struct {
	Field     string
	MessageID string
	Params    map[string]string
}

// GroupsAdd adds the user to groups of its tenant, by name.
type GroupsAdd struct {
	Names []string
}

// PasswordVerdict tells whether an imported password is right.
type PasswordVerdict struct {
	Verified bool
}

// Skip leaves a user out of an import.
type Skip struct {
	// Reason is the hook's text for the import report ("" none).
	Reason string
}

// UserCreate creates the user an unknown-user request named, in the
// request's tenant. Login is the request's login.
type UserCreate struct {
	Login string
	// Email is "" when the hook gives none; the caller validates it.
	Email   string
	Profile map[string]json.RawMessage
}

// Telephony statuses.
const (
	TelephonySent   = "sent"
	TelephonyFailed = "failed"
)

// TelephonyResult tells whether the tenant's provider took the message.
type TelephonyResult struct {
	// Status is TelephonySent or TelephonyFailed.
	Status string
	// ProviderMessageID is the provider's ID of the message ("" none).
	ProviderMessageID string
}

// Risk levels.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// RiskLevel is the risk the hook sees in the sign-in.
type RiskLevel struct {
	// Level is RiskLow, RiskMedium or RiskHigh.
	Level string
}

// refusedClaims are the registered and protocol claims a hook may neither
// set nor remove (compared in lowercase), beside every name starting
// with "lintel".
var refusedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true,
	"auth_time": true, "nonce": true, "acr": true, "amr": true, "azp": true, "sid": true,
	"scope": true, "client_id": true, "cnf": true, "at_hash": true, "c_hash": true,
}

// refusedAttributes are the user fields profile.set and user.create's
// profile may not name (compared in lowercase): identity, lifecycle and
// verification are the directory's, never a hook's.
var refusedAttributes = map[string]bool{
	"id": true, "user_id": true, "tenant_id": true, "type_id": true, "login": true, "status": true,
	"email_verified": true, "phone_verified": true, "created_at": true, "updated_at": true,
}
