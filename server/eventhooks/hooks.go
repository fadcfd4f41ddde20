package eventhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// Status is where a hook is in its life.
type Status string

// The statuses of a hook.
const (
	// Unverified hooks have not completed the handshake since they were
	// created or their URL changed; they get no deliveries.
	Unverified Status = "unverified"
	// Active hooks get deliveries.
	Active Status = "active"
	// Disabled hooks get no deliveries; their cursor stays, so enabled
	// again they receive what happened meanwhile (as far as the log's
	// retention kept it).
	Disabled Status = "disabled"
)

// Input describes a hook to create, or the whole new state of one.
type Input struct {
	// Name is for people, 1–100 characters.
	Name string
	// URL receives the deliveries: https, at most 2048 bytes, no
	// credentials or fragment, not a private address.
	URL string
	// Types are the event types delivered: exact types
	// ("user.created"), prefixes ("user.*", matching "user.created" and
	// "user.factor.enrolled" but not "users.created"), or "*" for every
	// type; 1 to MaxTypes patterns.
	Types []string
	// Disabled stops deliveries without deleting the hook.
	Disabled bool
}

// Hook is an event hook. Its secret is never part of it: Create and
// RotateSecret return it once.
type Hook struct {
	ID, TenantID, Name, URL string
	// Types are the patterns of Input, sorted.
	Types  []string
	Status Status
	// VerifiedAt is when the current URL completed the handshake; zero
	// when it has not.
	VerifiedAt time.Time
	// Cursor is the ID of the last event of the log read for this hook,
	// "" before the first: later events are delivered.
	Cursor string
	// PreviousSecretUntil is, after a rotation, when the previous secret
	// stops (or stopped) signing beside the new one; zero before the
	// first rotation.
	PreviousSecretUntil  time.Time
	CreatedAt, UpdatedAt time.Time
}

// secretPurpose and previousPurpose bind the sealed secrets to their
// column, so one cannot be copied into the other.
const (
	secretPurpose   = "eventhooks.signing-secret"
	previousPurpose = "eventhooks.previous-signing-secret"
)

const hookCols = `id, tenant_id, name, url, event_types, status, verified_at, cursor,
	previous_secret_until, created_at, updated_at`

// scanHook reads the hookCols of a row.
func scanHook(r store.Scanner) (Hook, error) {
	var h Hook
	var types []byte
	var status string
	var verified, until sql.NullTime
	if err := r.Scan(&h.ID, &h.TenantID, &h.Name, &h.URL, &types, &status, &verified, &h.Cursor,
		&until, &h.CreatedAt, &h.UpdatedAt); err != nil {
		return Hook{}, err
	}
	if err := json.Unmarshal(types, &h.Types); err != nil {
		return Hook{}, fmt.Errorf("eventhooks: hook %s: stored types: %w", h.ID, err)
	}
	h.Status, h.VerifiedAt, h.PreviousSecretUntil = Status(status), verified.Time, until.Time
	return h, nil
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Create adds a hook to a tenant, unverified, with a new signing secret
// that it returns ("lev_…") and that is never shown again. Refused input
// is *invalid.Error per field (see Input), joined; an unknown tenant is
// ErrNotFound. Events before the hook's creation are never delivered.
func (s *Service) Create(ctx context.Context, tx store.Tx, tenantID string, in Input) (Hook, string, error) {
	in = in.normalize()
	if err := s.validate(in); err != nil {
		return Hook{}, "", err
	}
	if err := checkTenant(ctx, tx, tenantID); err != nil {
		return Hook{}, "", err
	}
	now := s.now()
	h := Hook{ID: ident.New(HookIDPrefix, now), TenantID: tenantID, Name: in.Name, URL: in.URL, Types: in.Types,
		Status: Unverified, CreatedAt: now, UpdatedAt: now}
	if in.Disabled {
		h.Status = Disabled
	}
	secret, sealed, err := s.newSecret(h)
	if err != nil {
		return Hook{}, "", err
	}
	types, err := json.Marshal(h.Types)
	if err != nil {
		return Hook{}, "", fmt.Errorf("eventhooks: create: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO event_hooks (id, tenant_id, name, url, event_types, secret_sealed,
		status, cursor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
		h.ID, h.TenantID, h.Name, h.URL, string(types), sealed, string(h.Status), h.CreatedAt, h.UpdatedAt)
	if err != nil {
		return Hook{}, "", fmt.Errorf("eventhooks: create: %w", err)
	}
	return h, secret, nil
}

// checkTenant returns ErrNotFound unless tenantID is a tenant.
func checkTenant(ctx context.Context, tx store.Tx, tenantID string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tenants WHERE id = ?`, tenantID).Scan(&n); err != nil {
		return fmt.Errorf("eventhooks: tenant: %w", err)
	}
	if n == 0 {
		return notFound("tenant", tenantID)
	}
	return nil
}

// Get returns a hook of a tenant; a hook of another tenant is ErrNotFound.
func (s *Service) Get(ctx context.Context, tx store.Tx, tenantID, hookID string) (Hook, error) {
	h, err := scanHook(tx.QueryRow(ctx, `SELECT `+hookCols+` FROM event_hooks WHERE id = ? AND tenant_id = ?`, hookID, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Hook{}, notFound("event hook", hookID)
	}
	if err != nil {
		return Hook{}, fmt.Errorf("eventhooks: get %s: %w", hookID, err)
	}
	return h, nil
}

// List returns a tenant's hooks, oldest first.
func (s *Service) List(ctx context.Context, tx store.Tx, tenantID string) ([]Hook, error) {
	rows, err := tx.Query(ctx, `SELECT `+hookCols+` FROM event_hooks WHERE tenant_id = ? ORDER BY id`, tenantID)
	hooks, err := store.Collect(rows, err, scanHook)
	if err != nil {
		return nil, fmt.Errorf("eventhooks: list: %w", err)
	}
	return hooks, nil
}

// Update replaces a hook's name, URL, types and whether it is disabled;
// its secret and cursor stay. A new URL must complete the handshake again
// (the hook becomes unverified); enabling a hook whose URL was verified
// makes it active at once. Errors are those of Create; an unknown hook is
// ErrNotFound.
func (s *Service) Update(ctx context.Context, tx store.Tx, tenantID, hookID string, in Input) (Hook, error) {
	old, err := s.Get(ctx, tx, tenantID, hookID)
	if err != nil {
		return Hook{}, err
	}
	in = in.normalize()
	if err := s.validate(in); err != nil {
		return Hook{}, err
	}
	h := old
	h.Name, h.URL, h.Types, h.UpdatedAt = in.Name, in.URL, in.Types, s.now()
	if h.URL != old.URL {
		h.VerifiedAt = time.Time{}
	}
	switch {
	case in.Disabled:
		h.Status = Disabled
	case !h.VerifiedAt.IsZero():
		h.Status = Active
	default:
		h.Status = Unverified
	}
	types, err := json.Marshal(h.Types)
	if err != nil {
		return Hook{}, fmt.Errorf("eventhooks: update: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE event_hooks SET name = ?, url = ?, event_types = ?, status = ?, verified_at = ?,
		updated_at = ? WHERE id = ? AND tenant_id = ?`,
		h.Name, h.URL, string(types), string(h.Status), nullTime(h.VerifiedAt), h.UpdatedAt, h.ID, tenantID)
	if err != nil {
		return Hook{}, fmt.Errorf("eventhooks: update %s: %w", h.ID, err)
	}
	if h.Status == Active && old.Status != Active {
		if err := s.wake(ctx, tx, h.ID); err != nil {
			return Hook{}, err
		}
	}
	return h, nil
}

// wake makes a hook's pending deliveries due now: they waited while it
// was not active, or backed off while its receiver was down, and it is
// now known to be back.
func (s *Service) wake(ctx context.Context, tx store.Tx, hookID string) error {
	now := s.now()
	_, err := tx.Exec(ctx, `UPDATE event_deliveries SET next_attempt_at = ?
		WHERE hook_id = ? AND status = ? AND next_attempt_at > ?`, now, hookID, string(Pending), now)
	if err != nil {
		return fmt.Errorf("eventhooks: wake deliveries of %s: %w", hookID, err)
	}
	return nil
}

// Delete removes a hook of a tenant and all its deliveries, dead letters
// included. An unknown hook is ErrNotFound.
func (s *Service) Delete(ctx context.Context, tx store.Tx, tenantID, hookID string) error {
	if _, err := s.Get(ctx, tx, tenantID, hookID); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM event_deliveries WHERE hook_id = ? AND tenant_id = ?`,
		`DELETE FROM event_hooks WHERE id = ? AND tenant_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, hookID, tenantID); err != nil {
			return fmt.Errorf("eventhooks: delete %s: %w", hookID, err)
		}
	}
	return nil
}
