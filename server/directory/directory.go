// Package directory holds Lintel's users: their profiles, user types with
// profile schemas, lifecycle statuses, credentials, linked identities at
// identity providers, search, and export and erasure of a person's data.
//
// A user is a profile (login, email, names, phone, locale, and custom
// attributes checked against the JSON Schema of the user's type) with a
// lifecycle status (see Status and Transition). Credentials are kept in
// their own table and hold only what verifies them (for a password, the PHC
// string of its argon2id hash from server/factor), never the credential
// itself. Changes are recorded in the system log (server/events) in the
// same transaction; attributes flagged sensitive never reach it.
//
// Every method takes the caller's store.Tx and writes nothing outside it.
// Errors come in three kinds, compared with errors.Is:
//   - refused input holds one or more *invalid.Error naming the field
//     (joined with errors.Join so all problems show at once); nothing is
//     written;
//   - a duplicate login within a tenant (after NFKC and case folding), or
//     a duplicate value of a unique attribute, wraps store.ErrConflict
//     together with an *invalid.Error naming the field;
//   - a lifecycle change the transition table does not allow wraps
//     ErrTransition together with an *invalid.Error naming "status";
//   - a user or credential that does not exist, or belongs to another
//     tenant, wraps store.ErrNotFound.
//
// A Directory is safe for concurrent use; it holds no state of its own.
package directory

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// User is a person (or account) of a tenant.
type User struct {
	ID       string // "usr_…"
	TenantID string
	// Login is the normalized name the user signs in with, unique within
	// the tenant (see NormalizeLogin).
	Login string
	// TypeID is the user's type ("uty_…"), whose schema Profile follows.
	TypeID string
	// Email is the user's address ("" if none), with its domain in
	// lowercase.
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	// Phone is an E.164 number ("+14155550100"), "" if none.
	Phone         string
	PhoneVerified bool
	// Locale is a canonical BCP 47 tag ("en-US"), "" if unknown.
	Locale string
	// ExternalID is what a provisioning client (SCIM's externalId)
	// calls the user, "" if none: compared exactly, and not unique.
	ExternalID string
	// Profile holds the custom attributes, decoded from JSON (numbers are
	// float64); never nil once stored.
	Profile   map[string]any
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastSignInAt is the last successful sign-in, nil if never.
	LastSignInAt *time.Time
	// SignInCount is how many successful sign-ins RecordSignIn recorded;
	// progressive profiling asks for attributes by it.
	SignInCount int
}

// LogValue logs only the user's opaque IDs and status: the profile holds
// personal data and possibly sensitive attributes.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", u.ID), slog.String("tenant_id", u.TenantID),
		slog.String("type_id", u.TypeID), slog.String("status", string(u.Status)))
}

var _ slog.LogValuer = User{}

// UserInput describes a new user.
type UserInput struct {
	// Login is required. When it contains "@" it must be an email address,
	// and Email defaults to it.
	Login      string
	Email      string
	Name       string
	GivenName  string
	FamilyName string
	// Phone is an E.164 number.
	Phone         string
	PhoneVerified bool
	// Locale is a BCP 47 tag; it is stored in canonical form.
	Locale        string
	EmailVerified bool
	// ExternalID is the provisioning client's name for the user, at most
	// MaxExternalIDLen printable characters, kept as given.
	ExternalID string
	// Status defaults to StatusActive; a new user may also be StatusStaged
	// or StatusProvisioned.
	Status Status
	// TypeID is the user's type; "" means the tenant's default type,
	// created on first use.
	TypeID string
	// Profile holds the custom attributes, checked against the type's
	// schema.
	Profile map[string]any
	// Actor is who creates the user, for the system log; the zero Ref
	// means the system.
	Actor events.Ref
}

// Directory stores users and credentials. Create it with New.
type Directory struct {
	clk clock.Clock
	ev  *events.Log
	sec *secrets.Service
}

// New returns a Directory that reads the time from clk, records changes
// in ev and hashes activation tokens with sec.
func New(clk clock.Clock, ev *events.Log, sec *secrets.Service) *Directory {
	return &Directory{clk: clk, ev: ev, sec: sec}
}

// record appends an event about user userID of tenantID in tx. Personal
// holds only the login and email, never custom attributes.
func (d *Directory) record(ctx context.Context, tx store.Tx, typ string, u User, actor events.Ref, details map[string]any) error {
	if actor == (events.Ref{}) {
		actor = events.Ref{Type: "system"}
	}
	personal := map[string]string{"login": u.Login}
	if u.Email != "" {
		personal["email"] = u.Email
	}
	_, err := d.ev.Append(ctx, tx, events.Event{
		Type: typ, TenantID: u.TenantID, Actor: actor, Target: events.Ref{Type: "user", ID: u.ID},
		Outcome: events.Success, Details: details, Subject: u.ID, Personal: personal,
	})
	if err != nil {
		return fmt.Errorf("directory: record %s: %w", typ, err)
	}
	return nil
}

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
