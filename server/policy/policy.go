// Package policy holds the policies that decide how people sign in: the
// sign-on policy of each app (with an optional tenant default), whose
// rules are CEL conditions over the app, the network and the person and
// name the authenticators and number of factors a sign-in needs; the
// password policy of each tenant, with its checks of new passwords
// (length, a blocklist of common and breached passwords, history) and
// its account lockout after repeated failures; the profile-enrollment
// policy of each app (with an optional tenant default), which says
// whether people may register themselves, what registration asks and
// what later sign-ins ask while it is missing (progressive profiling);
// and the recovery policy of each tenant, which says how people recover
// their account by email and which enrolled factor they must prove too.
//
// Policy changes are recorded in the system log by the caller (the
// management API), which knows who made them.
//
// Every method takes the caller's store.Tx and writes nothing outside it,
// so the engine and the management API combine calls in one transaction.
// Errors follow three kinds, compared with errors.Is:
//   - refused input holds one or more *invalid.Error naming the field
//     (joined with errors.Join so all problems show at once); nothing is
//     written. A refused password also matches ErrPasswordRefused;
//   - a policy that does not exist wraps store.ErrNotFound;
//   - anything else is an internal error, wrapped with %w.
//
// tenantID arguments are trusted: the caller resolved the tenant (from the
// host or the admin's token). Records of other tenants are never read.
//
// A Service is safe for concurrent use. It caches the compiled conditions
// of sign-on policies by policy version, so a change committed on any node
// is seen by the next transaction (see cache.go).
package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrPasswordRefused is returned by CheckPassword for a password the
	// tenant's policy refuses. The error also holds one *invalid.Error per
	// reason (field "password") and the sentinel of each reason below.
	ErrPasswordRefused = errors.New("policy: password refused")
	// ErrPasswordTooShort: fewer characters than the policy's MinLength.
	ErrPasswordTooShort = errors.New("policy: password too short")
	// ErrPasswordTooLong: more characters than the policy's MaxLength, or
	// more bytes than factor.MaxPasswordLen.
	ErrPasswordTooLong = errors.New("policy: password too long")
	// ErrPasswordCommon: the password is on the blocklist of common and
	// breached passwords.
	ErrPasswordCommon = errors.New("policy: password common or breached")
	// ErrPasswordReused: the password is one of the user's last History
	// passwords.
	ErrPasswordReused = errors.New("policy: password used recently")
)

// ZoneMatcher names the network zones of a tenant that hold an address.
// *tenant.Service implements it.
type ZoneMatcher interface {
	// ZonesContaining returns the names of the tenant's network zones
	// that hold ip; none for the invalid zero netip.Addr.
	ZonesContaining(ctx context.Context, tx store.Tx, tenantID string, ip netip.Addr) ([]string, error)
}

// UserTypes lists the user types of a tenant. *directory.Directory
// implements it.
type UserTypes interface {
	// UserTypes returns every type of the tenant; it writes nothing.
	UserTypes(ctx context.Context, tx store.Tx, tenantID string) ([]directory.UserType, error)
}

// Deps are a Service's dependencies; all but Logger are required.
type Deps struct {
	// Store is the database whose transactions callers hand to the
	// Service's methods.
	Store store.Store
	// Clock is the source of time for lockouts and records.
	Clock clock.Clock
	// Passwords verifies new passwords against the user's history.
	Passwords *factor.Passwords
	// Zones names the network zones holding a client's address, for the
	// network.zones of conditions.
	Zones ZoneMatcher
	// Types lists the user types of a tenant, against which
	// PutEnrollmentPolicy checks the attributes a policy asks for.
	// *directory.Directory implements it.
	Types UserTypes
	// Logger receives evaluation errors of conditions (never inputs'
	// personal data); nil discards them.
	Logger *slog.Logger
}

// Service stores and applies the sign-on, password, profile-enrollment
// and recovery policies of every tenant. Create it with New.
type Service struct {
	d Deps
	// env is the CEL environment of conditions; it holds no tenant data.
	env *cel.Env
	// blocked is the blocklist of common and breached passwords, lowercase.
	blocked map[string]struct{}
	// cache holds compiled sign-on policies by ID and version.
	cache programCache
}

// New returns a Service over d, or an error when a required dependency is
// missing.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Clock == nil || d.Passwords == nil || d.Zones == nil || d.Types == nil {
		return nil, errors.New("policy: Store, Clock, Passwords, Zones and Types are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	env, err := newConditionEnv()
	if err != nil {
		return nil, fmt.Errorf("policy: condition environment: %w", err)
	}
	blocked, err := loadBlocklist()
	if err != nil {
		return nil, fmt.Errorf("policy: blocklist: %w", err)
	}
	return &Service{d: d, env: env, blocked: blocked}, nil
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time {
	return s.d.Clock.Now().UTC().Truncate(time.Microsecond)
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}
