package directory

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// Status is where a user is in its lifecycle. Only StatusActive signs in.
type Status string

// The lifecycle statuses of a user, as stored (uppercase).
const (
	// StatusStaged users were created (by an admin or an import) but are
	// not provisioned or activated yet.
	StatusStaged Status = "STAGED"
	// StatusProvisioned users were sent an activation and have not used it.
	StatusProvisioned Status = "PROVISIONED"
	// StatusActive users may sign in.
	StatusActive Status = "ACTIVE"
	// StatusRecovery users are recovering their credentials.
	StatusRecovery Status = "RECOVERY"
	// StatusLockedOut users failed too many sign-ins.
	StatusLockedOut Status = "LOCKED_OUT"
	// StatusPasswordExpired users must change their password; they do not
	// sign in yet (the password-change step is not built).
	StatusPasswordExpired Status = "PASSWORD_EXPIRED"
	// StatusSuspended users keep their profile and credentials but may not
	// sign in until reactivated.
	StatusSuspended Status = "SUSPENDED"
	// StatusDeprovisioned users are switched off; they may be staged or
	// provisioned again.
	StatusDeprovisioned Status = "DEPROVISIONED"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{StatusStaged, StatusProvisioned, StatusActive, StatusRecovery,
	StatusLockedOut, StatusPasswordExpired, StatusSuspended, StatusDeprovisioned}

// ErrTransition is wrapped by the error of a lifecycle change the
// transition table does not allow.
var ErrTransition = errors.New("directory: lifecycle transition not allowed")

// transitions is the lifecycle table: from → the statuses it may go to.
var transitions = map[Status][]Status{
	StatusStaged:          {StatusProvisioned, StatusActive, StatusDeprovisioned},
	StatusProvisioned:     {StatusActive, StatusDeprovisioned},
	StatusActive:          {StatusRecovery, StatusLockedOut, StatusPasswordExpired, StatusSuspended, StatusDeprovisioned},
	StatusRecovery:        {StatusActive, StatusRecovery, StatusDeprovisioned},
	StatusLockedOut:       {StatusActive, StatusRecovery, StatusDeprovisioned},
	StatusPasswordExpired: {StatusActive, StatusRecovery, StatusDeprovisioned},
	StatusSuspended:       {StatusActive, StatusDeprovisioned},
	StatusDeprovisioned:   {StatusStaged, StatusProvisioned},
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// CanSignIn reports whether a user in this status may sign in: only
// StatusActive does.
func (s Status) CanSignIn() bool { return s == StatusActive }

// CanTransition reports whether the lifecycle table allows from → to.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// transitionError is the error of a refused change from → to.
func transitionError(from, to Status) error {
	return fmt.Errorf("%w: %w", ErrTransition, invalid.Field("status", "cannot go from %s to %s", from, to))
}

// Transition moves a user of tenantID to status to, if the lifecycle
// table allows it from the user's status, and records the event
// "user.lifecycle.<to in lowercase>" by actor in tx. A refused change
// wraps ErrTransition and an *invalid.Error naming "status"; an unknown
// user wraps store.ErrNotFound.
func (d *Directory) Transition(ctx context.Context, tx store.Tx, tenantID, userID string, to Status, actor events.Ref) (User, error) {
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return User{}, err
	}
	if !CanTransition(u.Status, to) {
		return User{}, transitionError(u.Status, to)
	}
	from := u.Status
	u.Status, u.UpdatedAt = to, d.now()
	if _, err := tx.Exec(ctx, `UPDATE users SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		string(u.Status), u.UpdatedAt, tenantID, userID); err != nil {
		return User{}, fmt.Errorf("directory: transition: %w", err)
	}
	err = d.record(ctx, tx, "user.lifecycle."+strings.ToLower(string(to)), u, actor,
		map[string]any{"from": string(from), "to": string(to)})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// ActivationPath is where activation links point on a tenant's site,
// followed by the path-escaped token: the management API builds the links
// it mails, the hosted pages serve them.
const ActivationPath = "/activate/"

// VerifyEmailPath is where email-verification links point on a tenant's
// site, followed by the path-escaped token (see CreateEmailVerification):
// the engine builds the links it mails, the hosted pages serve them.
const VerifyEmailPath = "/verify-email/"

// ActivationPrefix begins every activation token.
const ActivationPrefix = "lact_"

// macActivation is the MAC purpose of activation tokens.
const macActivation = "directory.activation"

// MaxActivationTTL is the longest life of an activation token.
const MaxActivationTTL = 30 * 24 * time.Hour

// CreateActivation returns a new activation token for a staged or
// provisioned user of tenantID, valid for ttl (at most MaxActivationTTL)
// and usable once. Only its keyed hash is stored. A user in another status
// is refused with ErrTransition.
func (d *Directory) CreateActivation(ctx context.Context, tx store.Tx, tenantID, userID string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxActivationTTL {
		return "", invalid.Field("ttl", "must be positive and at most %s", MaxActivationTTL)
	}
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return "", err
	}
	if u.Status != StatusStaged && u.Status != StatusProvisioned {
		return "", transitionError(u.Status, StatusActive)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := ActivationPrefix + base64.RawURLEncoding.EncodeToString(b)
	now := d.now()
	_, err = tx.Exec(ctx, `INSERT INTO user_activations (token_mac, tenant_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		d.sec.MAC(macActivation, []byte(token)), tenantID, userID, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("directory: create activation: %w", err)
	}
	return token, nil
}

// ActivationUser returns the user an activation token of tenantID
// would activate, without using it, for the page that asks the person to
// confirm (mail scanners fetch links; only Activate uses one). An
// unknown, used or expired token, one of another tenant, or a user no
// longer staged or provisioned wraps store.ErrNotFound with an
// *invalid.Error naming "token".
func (d *Directory) ActivationUser(ctx context.Context, tx store.Tx, tenantID, token string) (User, error) {
	bad := fmt.Errorf("%w: %w", store.ErrNotFound, invalid.Field("token", "is unknown, used or expired"))
	if len(token) > 100 {
		return User{}, bad
	}
	var userID string
	err := tx.QueryRow(ctx, `SELECT user_id FROM user_activations WHERE token_mac = ? AND tenant_id = ? AND used_at IS NULL AND expires_at > ?`,
		d.sec.MAC(macActivation, []byte(token)), tenantID, d.now()).Scan(&userID)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, bad
	}
	if err != nil {
		return User{}, fmt.Errorf("directory: activation: %w", err)
	}
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusStaged && u.Status != StatusProvisioned {
		return User{}, bad
	}
	return u, nil
}

// Activate uses an activation token of tenantID: the user moves from
// STAGED or PROVISIONED to ACTIVE (recorded as "user.lifecycle.active" by
// the user). An unknown, used or expired token, or one of another tenant,
// wraps store.ErrNotFound with an *invalid.Error naming "token"; a user no
// longer staged or provisioned wraps ErrTransition.
func (d *Directory) Activate(ctx context.Context, tx store.Tx, tenantID, token string) (User, error) {
	bad := fmt.Errorf("%w: %w", store.ErrNotFound, invalid.Field("token", "is unknown, used or expired"))
	if len(token) > 100 {
		return User{}, bad
	}
	mac := d.sec.MAC(macActivation, []byte(token))
	now := d.now()
	var userID string
	err := tx.QueryRow(ctx, `SELECT user_id FROM user_activations WHERE token_mac = ? AND tenant_id = ? AND used_at IS NULL AND expires_at > ?`,
		mac, tenantID, now).Scan(&userID)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, bad
	}
	if err != nil {
		return User{}, fmt.Errorf("directory: activate: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE user_activations SET used_at = ? WHERE token_mac = ?`, now, mac); err != nil {
		return User{}, fmt.Errorf("directory: activate: %w", err)
	}
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusStaged && u.Status != StatusProvisioned {
		return User{}, transitionError(u.Status, StatusActive)
	}
	return d.Transition(ctx, tx, tenantID, userID, StatusActive, events.Ref{Type: "user", ID: userID})
}
