// Package hooks runs a tenant's inline hooks: code the tenant owns,
// called at a hook point of a sign-in, a registration or an import, whose
// answer changes what happens there. A hook is an HTTPS endpoint (runtime
// "http") or a WebAssembly module the tenant uploaded (runtime "wasm",
// run by the WASMRuntime of Deps).
//
// # Hook points
//
// PointToken (claims of a token about to be issued), PointRegistration
// (self-registration, before the account is made), PointPostVerification
// (after the person verified an email or phone), PointPasswordImport (a
// password the directory cannot check yet), PointUserImport (each user of
// a bulk import), PointUnknownUser (a login no account has),
// PointTelephony (send an SMS or voice message through the tenant's
// provider) and PointRisk (a risk level the sign-on policy reads).
//
// # The exchange
//
// Lintel sends one JSON document, the same for both runtimes:
//
//	{"version":"1","id":"hinv_…","point":"token","tenant_id":"ten_…","subject":"usr_…","data":{…}}
//
// subject is the user the call is about ("" when there is none yet:
// registration, unknown-user); data is the point's input (Request.Data).
// The hook answers, in at most MaxResponseSize bytes:
//
//	{"commands":[{"type":"token.claims.set","value":{…}}]}
//	{"error":{"message_id":"registration.closed","params":{"k":"v"}}}
//
// An empty answer (HTTP 204, or {}) changes nothing. "error" denies at the
// points that allow deny and is a failure of the hook elsewhere; an
// answer carries commands or an error, never both.
//
// # Commands (vocabulary version 1)
//
// Every command of an answer is validated before any applies; one that is
// refused refuses the whole answer (ErrCommandRefused) and the hook's
// failure policy applies. A command is refused when its type is unknown
// or not allowed at the point, its value is malformed (unknown members
// included), or it (or its value) names a user_id or tenant_id other than
// the request's: a hook cannot act on another user or another tenant.
//
//	token              token.claims.set {"target":"access"|"id","claims":{name: value}}
//	                   token.claims.remove {"target":"access"|"id","names":[…]}
//	                   deny {"message_id"?, "params"?}
//	registration       profile.set {attribute: value}, field.error {"field","message_id","params"?}, deny
//	post-verification  profile.set, groups.add {"names":[…]}, deny
//	password-import    password.verdict {"verified": bool}
//	user-import        profile.set, skip {"reason"?}
//	unknown-user       user.create {"login","email"?,"profile"?}, deny
//	telephony          telephony.result {"status":"sent"|"failed","provider_message_id"?}
//	risk               risk.level {"level":"low"|"medium"|"high"}
//
// Claim names refused by token commands: the registered and protocol
// claims (iss sub aud exp iat nbf jti auth_time nonce acr amr azp sid
// scope client_id cnf at_hash c_hash) and any name starting with
// "lintel", in any case. profile.set refuses the attributes that are not
// the hook's to set (id, user_id, tenant_id, type_id, login, status,
// email_verified, phone_verified, created_at, updated_at); the caller
// checks the rest against the user type's schema. user.create's login
// must be the request's data.login (compared as the directory compares
// logins). Message IDs match ^[a-z0-9_.-]{1,100}$ and are looked up by
// the caller in the locale catalogs and the tenant's texts; params are at
// most MaxParams strings of at most MaxParamLen characters.
//
// # Running
//
// Invoke runs the enabled hooks of a point in order (priority, then ID),
// outside any transaction, and returns an Outcome the caller applies in
// its own transaction. The HTTP runtime POSTs the document signed with
// internal/hooksig through the egress client of Deps, follows no
// redirect, and treats a non-2xx status, a timeout or an answer that is
// not the response JSON as a failure. A failure then follows the hook's
// policy: FailDeny denies with the message error.hook.unavailable,
// FailContinue ignores the hook and goes on. A circuit breaker per hook
// and node stops calling a hook after BreakerThreshold consecutive
// failures for BreakerCooldown, then lets one trial call through.
//
// The package logs hook IDs, points, statuses and durations, never a
// secret, a request or response body, or a token.
package hooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on (errors.Is).
var (
	// ErrNotFound: no such hook in the tenant. It also wraps
	// store.ErrNotFound, which the management API maps to 404.
	ErrNotFound = errors.New("hooks: not found")
	// ErrHookFailed: a hook could not be called or did not answer as
	// the protocol says (unreachable, timeout, non-2xx, not the response
	// JSON, its circuit open, its answer refused). Invoke returns it
	// when a hook whose policy is FailDeny failed; it wraps the cause.
	ErrHookFailed = errors.New("hooks: the hook failed")
	// ErrCommandRefused: an answer holds a command that is unknown, not
	// allowed at the point, malformed or outside the hook's rights. The
	// whole answer is refused; wrapped with the reason.
	ErrCommandRefused = errors.New("hooks: command refused")
	// ErrBadResponse: an answer is not the response JSON (syntax, shape,
	// size).
	ErrBadResponse = errors.New("hooks: malformed response")
	// ErrCircuitOpen: the hook's circuit is open, so it was not called.
	ErrCircuitOpen = errors.New("hooks: circuit open")
)

// Point is a hook point: where in Lintel a hook runs.
type Point string

// The hook points.
const (
	PointToken            Point = "token"
	PointRegistration     Point = "registration"
	PointPostVerification Point = "post-verification"
	PointPasswordImport   Point = "password-import"
	PointUserImport       Point = "user-import"
	PointUnknownUser      Point = "unknown-user"
	PointTelephony        Point = "telephony"
	PointRisk             Point = "risk"
)

// Points lists every Point.
var Points = []Point{PointToken, PointRegistration, PointPostVerification, PointPasswordImport,
	PointUserImport, PointUnknownUser, PointTelephony, PointRisk}

// Runtime is how a hook runs.
type Runtime string

// The runtimes.
const (
	// RuntimeHTTP POSTs the request to the hook's HTTPS URL.
	RuntimeHTTP Runtime = "http"
	// RuntimeWASM runs the hook's module in Deps.WASM.
	RuntimeWASM Runtime = "wasm"
)

// FailurePolicy is what a failure of a hook means for the invocation.
type FailurePolicy string

// The failure policies.
const (
	// FailDeny denies (message error.hook.unavailable): the safe choice
	// for hooks that guard access. The default.
	FailDeny FailurePolicy = "deny"
	// FailContinue ignores the failed hook and goes on with the next.
	FailContinue FailurePolicy = "continue"
)

// Limits and defaults.
const (
	// DefaultTimeout bounds a call when the hook sets none; MaxTimeout is
	// the most a hook may set.
	DefaultTimeout = 3 * time.Second
	MaxTimeout     = 10 * time.Second
	// MaxResponseSize is the most bytes of an answer read.
	MaxResponseSize = 256 << 10
	// MaxModuleSize is the largest WASM module accepted.
	MaxModuleSize = 16 << 20
	// MaxHooksPerPoint is how many hooks a tenant may have at one point
	// (each adds its latency to the step it guards).
	MaxHooksPerPoint = 10
	// BreakerThreshold consecutive failures open a hook's circuit for
	// BreakerCooldown.
	BreakerThreshold = 5
	BreakerCooldown  = 30 * time.Second
	// DefaultSecretOverlap is how long a rotated-out signing secret
	// still signs when RotateSecret is given no overlap; MaxSecretOverlap
	// the longest it may.
	DefaultSecretOverlap = 24 * time.Hour
	MaxSecretOverlap     = 7 * 24 * time.Hour
	// UnavailableMessage is the message of the denial a failed FailDeny
	// hook causes.
	UnavailableMessage = "error.hook.unavailable"
	// DeniedMessage is the message of a deny that names none.
	DeniedMessage = "error.access.denied"
	// SecretPrefix starts every signing secret.
	SecretPrefix = "lhk_"
	// ProtocolVersion is the "version" of the request document.
	ProtocolVersion = "1"
)

// WASMRuntime runs WebAssembly hook modules (server/hooks/wasm implements
// it). Implementations are safe for concurrent use.
type WASMRuntime interface {
	// Validate checks that module can run as a hook (it compiles, imports
	// only what the runtime allows, exports the hook ABI). It is called
	// when a hook is created or its module replaced; an error refuses the
	// module and its text is shown to the tenant's admin.
	Validate(ctx context.Context, module []byte) error
	// Call runs module's handler with input (the request JSON) and
	// returns its output (the response JSON). key is the lowercase hex
	// SHA-256 of module, under which the runtime may cache the compiled
	// module. The call is stopped after timeout or when ctx is done,
	// and then returns an error.
	Call(ctx context.Context, key string, module []byte, input []byte, timeout time.Duration) ([]byte, error)
}

// Deps are the Service's dependencies.
type Deps struct {
	// Store, Secrets, Clock, Logger and HTTP are required.
	Store   store.Store
	Secrets *secrets.Service
	Clock   clock.Clock
	Logger  *slog.Logger
	// HTTP calls HTTP hooks; build it on the egress dialer
	// (egress.Dialer.Client) so private addresses are refused. Its
	// redirect policy is replaced: hooks' redirects are never followed.
	HTTP *http.Client
	// WASM runs WASM hooks; nil refuses them (at create, and as a
	// failure at invocation).
	WASM WASMRuntime
	// AllowInsecureLoopback accepts http:// URLs whose host is a
	// loopback address or localhost (tests). Everything else must be
	// https.
	AllowInsecureLoopback bool
}

// Service holds inline hooks and invokes them. It is safe for concurrent
// use.
type Service struct {
	d       Deps
	http    *http.Client
	modules moduleCache
	breaker breakers
}

// New returns a Service, or an error when a required dependency is
// missing.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Secrets == nil || d.Clock == nil || d.Logger == nil || d.HTTP == nil {
		return nil, errors.New("hooks: Store, Secrets, Clock, Logger and HTTP are required")
	}
	c := *d.HTTP
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Service{d: d, http: &c, breaker: breakers{m: map[string]*breaker{}}}, nil
}
