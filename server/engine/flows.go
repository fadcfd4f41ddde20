package engine

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// secretPurpose separates flow-secret hashes from other keyed hashes.
const secretPurpose = "engine.flow-secret"

// Begin describes a flow to start.
type Begin struct {
	// Issuer is the authorization server the flow ends at.
	Issuer oidc.Issuer
	// Request is the validated authorization request (PKCE included).
	Request oidc.AuthRequest
	// App is the client the request is for.
	App tenant.App
	// Origin is the web origin of the page that starts the flow; every
	// continuation must come from the same origin.
	Origin string
	// Session is the SSO session cookie's value, "" when there is none.
	Session string
	// Locale is the language chosen for the person (BCP 47).
	Locale string
	// Dir is the writing direction of Locale ("ltr" or "rtl").
	Dir string
	// LocaleFixed tells that the ui_locales parameter chose Locale: the
	// person's profile locale does not replace it once they sign in.
	LocaleFixed bool
	// Base is the site's base URL ("https://login.acme.com"), from the
	// verified host the flow started on, never from request headers:
	// links in mail point there.
	Base string
	// Device is the browser's device ID (the edge's long-lived device
	// cookie), "" when it has none: a sign-in from a device the account
	// has not been used on is mailed to its holder. Only its keyed hash
	// is kept.
	Device string
}

// SessionCookie is a session cookie the caller must set.
type SessionCookie struct {
	Value   string
	Expires time.Time
}

// Result is a flow's view and what the caller must do besides showing it.
type Result struct {
	// Flow is the view: step, fields, actions, messages.
	Flow wire.Flow
	// Secret is the flow secret, returned by Start only: the page keeps it
	// and sends it with every continuation.
	Secret string
	// SetSession is a new session cookie to set, when sign-in made one.
	SetSession *SessionCookie
	// RedirectURI is the client's redirect URI, whose origin pages must
	// allow as a form target.
	RedirectURI string
}

// state is what the server keeps about a flow, as JSON in flows.state.
type state struct {
	Issuer  oidc.Issuer      `json:"issuer"`
	Request oidc.AuthRequest `json:"request"`
	AppName string           `json:"app_name"`
	Locale  string           `json:"locale,omitempty"`
	Dir     string           `json:"dir,omitempty"`
	// LocaleFixed: ui_locales chose Locale (Begin.LocaleFixed).
	LocaleFixed bool `json:"locale_fixed,omitempty"`
	// LocaleUser is the account whose profile locale was last applied
	// to Locale, so that the profile is read once per account and flow.
	LocaleUser string         `json:"locale_user,omitempty"`
	Login      string         `json:"login,omitempty"`
	Messages   []wire.Message `json:"messages,omitempty"`
	Redirect   string         `json:"redirect,omitempty"`
	// ThirdParty is the app's ConsentRequired when the flow started.
	ThirdParty bool `json:"third_party,omitempty"`
	// Grant is the authenticated sign-in waiting at the consent step:
	// accepting issues the code from it without reading the session
	// cookie again. Nil at every other step.
	Grant *oidc.Grant `json:"grant,omitempty"`
	// Base is the site's base URL for links in mail.
	Base string `json:"base,omitempty"`
	// Authenticators are those the sign-on policy allowed before anyone
	// was authenticated, in order of preference.
	Authenticators []string `json:"authenticators,omitempty"`
	// UserID is the person proven by the first factor ("" before).
	UserID string `json:"user_id,omitempty"`
	// Proven lists the factors proven so far in this flow.
	Proven []string `json:"proven,omitempty"`
	// Carried and CarriedAMR are what the person's live session proved
	// before a step-up flow (see sessionProof); PasskeyUV and
	// PasskeySynced describe a passkey proven in this flow.
	Carried       int      `json:"carried,omitempty"`
	CarriedAMR    []string `json:"carried_amr,omitempty"`
	PasskeyUV     bool     `json:"passkey_uv,omitempty"`
	PasskeySynced bool     `json:"passkey_synced,omitempty"`
	// ACR is the class the request's acr_values ask for ("" for none).
	ACR string `json:"acr,omitempty"`
	// Offer are the factors the person may choose from for the factor
	// now asked (select-authenticator, "another way"); Enrolling says the
	// choice is of a factor to set up, and Optional that it may be
	// skipped (an enrollment prompt, or within the rule's grace).
	Offer     []string `json:"offer,omitempty"`
	Enrolling bool     `json:"enrolling,omitempty"`
	Optional  bool     `json:"optional,omitempty"`
	// Prompt are the factors the sign-on rule asks a person who has none
	// of them to set up once signed in (Rule.Enroll); Prompted says the
	// prompt was shown.
	Prompt   []string `json:"prompt,omitempty"`
	Prompted bool     `json:"prompted,omitempty"`
	// Factor is the ceremony in progress for the current step.
	Factor *factorState `json:"factor,omitempty"`
	// Email is the email challenge in progress, nil when none.
	Email *emailChallenge `json:"email,omitempty"`
	// Journey is what the flow does besides signing in: "" (nothing),
	// journeyRecover, journeyRegister.
	Journey string `json:"journey,omitempty"`
	// CanRegister says the app's enrollment policy offered registration
	// when the flow started.
	CanRegister bool `json:"can_register,omitempty"`
	// Ask are the fields of the register, terms or profile step.
	Ask []asked `json:"ask,omitempty"`
	// SAML is the SAML request the flow answers instead of an OAuth
	// client (see StartSAML); nil for an OAuth flow.
	SAML *samlFlow `json:"saml,omitempty"`
	// Pending is a registration waiting for its address to be proven.
	Pending *pendingRegistration `json:"pending,omitempty"`
	// SignIns counts the person's sign-ins before this one, for the
	// profile step that may follow the terms step.
	SignIns int `json:"sign_ins,omitempty"`
	// Return is where an activation ends: the app's initiate_login_uri
	// with iss and login_hint, or the page saying the account is ready.
	Return string `json:"return,omitempty"`
	// CanSkip says an activation may end without a password (the sign-on
	// policy allows email sign-in).
	CanSkip bool `json:"can_skip,omitempty"`
	// CanRecover says the tenant's recovery policy offered self-service
	// recovery when the flow started.
	CanRecover bool `json:"can_recover,omitempty"`
	// Question and AnswerID are the security question a recovery asks and
	// its credential.
	Question string `json:"question,omitempty"`
	AnswerID string `json:"answer_id,omitempty"`
	// Device is the keyed hash of the browser's device ID (see
	// Begin.Device and deviceMAC), "" when unknown.
	Device string `json:"device,omitempty"`
	// NewAccount says the flow made or activated the account: the
	// welcome covers what it sets up, so no factor-enrolled notice goes.
	NewAccount bool `json:"new_account,omitempty"`
	// AppLogin is the app's initiate_login_uri when the flow started,
	// the link of the welcome a registration sends.
	AppLogin string `json:"app_login,omitempty"`
	// AskCurrent says a password change asks for the current password
	// (see StartEnroll); KeepSession is the session it was started from,
	// which stays signed in when the others are signed out.
	AskCurrent  bool   `json:"ask_current,omitempty"`
	KeepSession string `json:"keep_session,omitempty"`
	// IdPs are the identity providers offered as buttons, RouteRule the
	// routing rule that chose them ("" for none), and Upstream the sign-in
	// at a provider in progress (federation.go).
	IdPs      []idpOffer `json:"idps,omitempty"`
	RouteRule string     `json:"route_rule,omitempty"`
	Upstream  *upstream  `json:"upstream,omitempty"`
}

// flow is one row of the flows table.
type flow struct {
	ID, TenantID, ClientID, Origin string
	SecretMAC                      []byte
	Step                           wire.StepKind
	State                          state
	Attempts                       int
	ExpiresAt                      time.Time
	Done                           bool
}

// newHandle returns a flow ID with 128 random bits; unlike record IDs it
// carries no time, since it travels in URLs.
func newHandle() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "flw_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (e *Engine) insert(ctx context.Context, tx store.Tx, f *flow) error {
	if err := e.profileLocale(ctx, tx, f); err != nil {
		return err
	}
	st, err := json.Marshal(f.State)
	if err != nil {
		return err
	}
	now := e.Clock.Now()
	_, err = tx.Exec(ctx, `INSERT INTO flows (id, tenant_id, client_id, origin, secret_mac, step, state, attempts, created_at, expires_at, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.TenantID, f.ClientID, f.Origin, f.SecretMAC, string(f.Step), st, f.Attempts, now, f.ExpiresAt, doneAt(f, now))
	return err
}

func (e *Engine) update(ctx context.Context, tx store.Tx, f *flow) error {
	if err := e.profileLocale(ctx, tx, f); err != nil {
		return err
	}
	st, err := json.Marshal(f.State)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE flows SET step = ?, state = ?, attempts = ?, done_at = ? WHERE id = ?`,
		string(f.Step), st, f.Attempts, doneAt(f, e.Clock.Now()), f.ID)
	return err
}

func doneAt(f *flow, now time.Time) any {
	if f.Done {
		return now
	}
	return nil
}

// load reads a flow and checks everything that binds it: tenant, secret,
// origin and expiry. A wrong secret or origin reads as not found.
func (e *Engine) load(ctx context.Context, tx store.Tx, iss oidc.Issuer, id, secret, origin string) (*flow, error) {
	f, err := e.loadRow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	mac := e.Secrets.MAC(secretPurpose, []byte(secret))
	if f.TenantID != iss.TenantID || !hmac.Equal(mac, f.SecretMAC) || f.Origin != origin {
		return nil, ErrFlowNotFound
	}
	if !f.Done && !e.Clock.Now().Before(f.ExpiresAt) {
		return f, ErrFlowExpired
	}
	return f, nil
}

// loadRow reads a flow by ID without checking what binds it.
func (e *Engine) loadRow(ctx context.Context, tx store.Tx, id string) (*flow, error) {
	f := &flow{ID: id}
	var st []byte
	var done sql.NullTime
	err := tx.QueryRow(ctx, `SELECT tenant_id, client_id, origin, secret_mac, step, state, attempts, expires_at, done_at FROM flows WHERE id = ?`, id).
		Scan(&f.TenantID, &f.ClientID, &f.Origin, &f.SecretMAC, (*string)(&f.Step), &st, &f.Attempts, &f.ExpiresAt, &done)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrFlowNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("engine: load flow: %w", err)
	}
	if err := json.Unmarshal(st, &f.State); err != nil {
		return nil, fmt.Errorf("engine: flow state: %w", err)
	}
	f.Done = done.Valid
	return f, nil
}

// loadView is load in a read-only transaction of its own.
func (e *Engine) loadView(ctx context.Context, iss oidc.Issuer, id, secret, origin string) (*flow, error) {
	var f *flow
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		f, err = e.load(ctx, tx, iss, id, secret, origin)
		return err
	})
	return f, err
}

// profileLocale switches the flow to the language of its account's
// profile once the account is known (State.UserID: proven, or the
// account a link or a session names), unless ui_locales chose the
// language. Before that the profile is not read: a page whose language
// followed a typed login would tell that the account exists. Every
// path that sets UserID saves the flow, so insert and update call it.
func (e *Engine) profileLocale(ctx context.Context, tx store.Tx, f *flow) error {
	if e.MatchLocale == nil || f.State.LocaleFixed || f.State.UserID == "" || f.State.LocaleUser == f.State.UserID {
		return nil
	}
	u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: read the profile locale: %w", err)
	}
	f.State.LocaleUser = u.ID
	if lang, dir, ok := e.MatchLocale(u.Locale); ok {
		f.State.Locale, f.State.Dir = lang, dir
	}
	return nil
}

// recipientLocale is the language of mail to u about flow f: u's profile
// locale, else the flow's. The recipient is the account holder, who may
// not be the person who asked (anyone can type a login), so the account's
// own language comes before the request's.
func recipientLocale(f *flow, u directory.User) string {
	if u.Locale != "" {
		return u.Locale
	}
	return f.State.Locale
}
