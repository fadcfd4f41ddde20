// Package engine is Lintel's identity engine: it runs sign-in flows whose
// state lives on the server, decides each next step, and ends a flow by
// issuing an authorization code through the OpenID provider.
//
// One protocol serves the hosted pages and the widget: a flow answers with
// a wire.Flow view (step, fields, actions, message IDs) and moves on only
// through Continue with an action and values. A flow is bound to its
// client, its PKCE challenge, the origin of the page that started it and a
// per-flow secret that page holds; the client never decides the next step.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/factor/recoverycode"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/terms"
)

// Sentinel errors callers branch on. The edge answers each with a branded,
// localized page or a JSON problem; none says more than that.
var (
	// ErrFlowNotFound: no such flow, or its secret or origin is wrong.
	// The three are not told apart, so a handle alone is worth nothing.
	ErrFlowNotFound = errors.New("engine: flow not found")
	// ErrFlowExpired: the flow outlived its time limit.
	ErrFlowExpired = errors.New("engine: flow expired")
	// ErrFlowDone: the flow has already ended.
	ErrFlowDone = errors.New("engine: flow already ended")
	// ErrUnknownAction: the action is not offered by the current step.
	ErrUnknownAction = errors.New("engine: action not offered at this step")
	// ErrLinkInvalid: a sign-in link that does not exist, was used, was
	// replaced by a newer one or expired. None of these is told apart.
	ErrLinkInvalid = errors.New("engine: sign-in link invalid")
)

// Defaults.
const (
	DefaultFlowTTL = 15 * time.Minute
	// maxAttempts bounds wrong passwords within one flow; the password
	// policy's lockout counts across flows.
	maxAttempts = 5
)

// Mailer puts a message in the outbox in the caller's transaction, so the
// message leaves only if the change that caused it commits.
// *mail.Outbox implements it.
type Mailer interface {
	Enqueue(ctx context.Context, tx store.Tx, m mail.Message) (string, error)
}

// Senders tells the address a tenant's mail comes from: a brand's own
// sender when brandID ("" for none) has one, else the tenant's. An error
// wrapping mail.ErrNotConfigured means the tenant cannot send mail.
// *mail.Settings implements it.
type Senders interface {
	FromBrand(ctx context.Context, tx store.Tx, tenantID, brandID string) (string, error)
}

// Branding gives the emails of a flow: those of the brand of the site it
// runs on (base, the site's base URL) and of its app (appID, the client
// ID), in language lang, reading in the flow's transaction tx. It never
// fails: a look that cannot be read is logged and the built-in set
// returned, for a theme must never stop a sign-in email. It is safe for
// concurrent use.
//
// Brand returns the ID of the brand whose site base is ("" for none), for
// the brand's own sender address; like Emails it never fails.
type Branding interface {
	Emails(ctx context.Context, tx store.Tx, tenantID, base, appID, lang string) *emailtemplates.Set
	Brand(ctx context.Context, tx store.Tx, tenantID, base string) string
}

// Limit allows Rate events per Per for one key.
type Limit struct {
	Rate int
	Per  time.Duration
}

// Limiter counts events per key: ok is false when key is over its limit,
// with how long until the next event is allowed. The in-process and Redis
// limiters of edge/ratelimit implement it through a small adapter.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (ok bool, retryAfter time.Duration, err error)
}

// Deps are the engine's dependencies, all required but Text.
type Deps struct {
	Store     store.Store
	Secrets   *secrets.Service
	OIDC      *oidc.Provider
	Directory *directory.Directory
	Passwords *factor.Passwords
	Sessions  *session.Sessions
	Events    *events.Log
	// Policies decide sign-on (authenticators, factors, re-authentication)
	// and hold password lockout state.
	Policies *policy.Service
	// Terms holds the terms and privacy documents people accept at
	// registration and again when a new version is published.
	Terms *terms.Service
	// Mail, Senders and Templates send the sign-in and lockout emails.
	Mail      Mailer
	Senders   Senders
	Templates *emailtemplates.Set
	// Branding, when set, gives each flow's emails the look, texts and
	// templates of the flow's brand and app; nil sends Templates as
	// they are.
	Branding Branding
	// Limits bounds identify, password and code attempts and email sends
	// per client IP and per login.
	Limits Limiter
	// Passkeys, TOTP and Codes run passkey ceremonies, authenticator-app
	// codes and recovery codes; Sites tells the passkeys' relying party.
	Passkeys *passkey.Service
	TOTP     *totp.Service
	Codes    *recoverycode.Codes
	Sites    Sites
	// Phones sends SMS and voice codes through the outbox.
	Phones Phones
	// Text localizes a message ID with its parameters (name, value
	// pairs): texts and calls with codes, and the security question a
	// person's answer is stored under. Nil keeps IDs.
	Text func(locale, id string, params ...string) string
	// MatchLocale returns the catalog language (and its writing
	// direction) that serves a profile locale, ok false when none does.
	// Nil leaves flows in the language they started in.
	MatchLocale func(profile string) (lang, dir string, ok bool)
	// Federation, when set, signs people in through the tenant's
	// identity providers (buttons, routing rules, callbacks); nil offers
	// none.
	Federation *federation.Service
	// SAML, when set, ends flows that SAML apps started with a signed
	// Response (see StartSAML); nil refuses them.
	SAML   *samlidp.Service
	Clock  clock.Clock
	Logger *slog.Logger
	// FlowTTL is how long a flow lives; zero means DefaultFlowTTL.
	FlowTTL time.Duration
}

// Engine runs sign-in flows. It is safe for concurrent use.
type Engine struct{ Deps }

// New returns an engine.
func New(d Deps) (*Engine, error) {
	if d.Store == nil || d.Secrets == nil || d.OIDC == nil || d.Directory == nil || d.Passwords == nil || d.Sessions == nil || d.Events == nil || d.Policies == nil || d.Terms == nil || d.Mail == nil || d.Senders == nil || d.Templates == nil || d.Limits == nil || d.Passkeys == nil || d.TOTP == nil || d.Codes == nil || d.Sites == nil || d.Phones == nil || d.Clock == nil || d.Logger == nil {
		return nil, errors.New("engine: every dependency is required")
	}
	if d.FlowTTL <= 0 {
		d.FlowTTL = DefaultFlowTTL
	}
	return &Engine{Deps: d}, nil
}
