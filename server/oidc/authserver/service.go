package authserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is. Each comes together
// with an *invalid.Error naming the field and saying why.
var (
	// ErrInUse is returned when deleting or renaming a scope that another
	// scope implies or a rule allows.
	ErrInUse = errors.New("authserver: still in use")
	// ErrBuiltIn is returned when deleting the default server or a system
	// scope, renaming a system scope, or deactivating the default server.
	ErrBuiltIn = errors.New("authserver: built in")
)

// Hosts tells whether a host is one the tenant may use as a fixed issuer:
// the instance's public host or one of the tenant's verified custom
// domains. The tenant package implements it.
type Hosts interface {
	TenantHasHost(ctx context.Context, tx store.Tx, tenantID, host string) (bool, error)
}

// Zones tells whether a network zone of the tenant exists. The tenant
// package implements it.
type Zones interface {
	ZoneExists(ctx context.Context, tx store.Tx, tenantID, id string) (bool, error)
}

// Service stores and checks the authorization servers of every tenant.
// Create it with New; set the optional fields before its first use. It is
// safe for concurrent use. It caches what token requests read of each
// server's configuration, checked against the server's config version in
// every request's transaction, so a change committed through any Service
// on any node is seen by the next transaction (see snapshot.go).
//
// tenantID arguments are trusted: the caller has resolved the tenant
// (from the issuer's host or the admin's token). Every record of another
// tenant is reported as store.ErrNotFound.
type Service struct {
	clk clock.Clock
	// Hosts, when set, checks that a fixed issuer's host belongs to the
	// tenant. When nil only the host's syntax is checked.
	Hosts Hosts
	// Zones, when set, checks that the network zones a rule names exist.
	// When nil only the IDs' syntax is checked.
	Zones Zones
	// attrs tells claims about custom attributes (see WithAttributes).
	attrs Attributes
	// snaps caches what token requests read of each server's
	// configuration (see snapshot.go).
	snaps snapshots
}

// New returns a Service that reads the time from clk.
func New(clk clock.Clock) *Service {
	return &Service{clk: clk}
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time {
	return s.clk.Now().UTC().Truncate(time.Microsecond)
}

// scanner is a store.Row or store.Rows.
type scanner = store.Scanner

// seconds converts a duration stored as whole seconds.
func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(kind, id string) error {
	return fmt.Errorf("%w: %s %q", store.ErrNotFound, kind, id)
}

// conflict wraps store.ErrConflict with a field error.
func conflict(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field(field, format, args...))
}

// nameConflict turns a unique violation on a name into a field error.
func nameConflict(err error, what, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", conflict("name", "%s named %q already exists", what, name), err)
	}
	return err
}

// refused joins a sentinel with a field error.
func refused(sentinel error, field, format string, args ...any) error {
	return errors.Join(sentinel, invalid.Field(field, format, args...))
}

// set copies *p into *dst when p is not nil.
func set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// exists runs a COUNT query and reports whether it counted a row.
func exists(ctx context.Context, tx store.Tx, q string, args ...any) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}
