// Package directory holds Lintel's users and their credentials.
//
// A user is a profile (login, email, name, locale) with a lifecycle status;
// credentials are kept in their own table, one per user and type, and hold
// only what verifies them (for a password, the PHC string of its argon2id
// hash from server/factor), never the credential itself.
//
// Every method takes the caller's store.Tx and writes nothing outside it.
// Errors come in three kinds, compared with errors.Is:
//   - refused input holds one or more *invalid.Error naming the field
//     (joined with errors.Join so all problems show at once); nothing is
//     written;
//   - a duplicate login within a tenant wraps store.ErrConflict together
//     with an *invalid.Error naming "login";
//   - a user or credential that does not exist, or belongs to another
//     tenant, wraps store.ErrNotFound.
//
// A Directory is safe for concurrent use; it holds no state of its own.
package directory

import (
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Status is where a user is in its lifecycle.
type Status string

// The statuses of a user. Only active users sign in.
const (
	// StatusActive users may sign in.
	StatusActive Status = "active"
	// StatusSuspended users keep their profile and credentials but may not
	// sign in until reactivated.
	StatusSuspended Status = "suspended"
	// StatusStaged users were created (by an admin or an import) but not
	// activated yet.
	StatusStaged Status = "staged"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusSuspended, StatusStaged:
		return true
	}
	return false
}

// CanSignIn reports whether a user in this status may sign in.
func (s Status) CanSignIn() bool { return s == StatusActive }

// User is a person (or account) of a tenant.
type User struct {
	ID       string // "usr_…"
	TenantID string
	// Login is the normalized name the user signs in with, unique within
	// the tenant (see NormalizeLogin).
	Login string
	// Email is the user's address ("" if none), with its domain in
	// lowercase.
	Email         string
	EmailVerified bool
	Name          string
	// Locale is a canonical BCP 47 tag ("en-US"), "" if unknown.
	Locale    string
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastSignInAt is the last successful sign-in, nil if never.
	LastSignInAt *time.Time
}

// UserInput describes a new user.
type UserInput struct {
	// Login is required. When it contains "@" it must be an email address,
	// and Email defaults to it.
	Login string
	Email string
	Name  string
	// Locale is a BCP 47 tag; it is stored in canonical form.
	Locale        string
	EmailVerified bool
	// Status defaults to StatusActive.
	Status Status
}

// Directory stores users and credentials. Create it with New.
type Directory struct {
	clk clock.Clock
}

// New returns a Directory that reads the time from clk.
func New(clk clock.Clock) *Directory { return &Directory{clk: clk} }

// now is the current time as the store reads it back.
func (d *Directory) now() time.Time {
	return d.clk.Now().UTC().Truncate(time.Microsecond)
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(kind, id string) error {
	return fmt.Errorf("%w: %s %q", store.ErrNotFound, kind, id)
}

// conflict wraps store.ErrConflict with a field error.
func conflict(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field(field, format, args...))
}
