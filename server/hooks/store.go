package hooks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Hook is one inline hook of a tenant. Its signing secrets are never part
// of it: CreateHook and RotateSecret return a new secret once.
type Hook struct {
	ID       string // "hook_…"
	TenantID string
	Name     string
	Point    Point
	Runtime  Runtime
	// URL is where an HTTP hook is POSTed ("" for WASM hooks).
	URL string
	// ModuleSHA256 is the lowercase hex SHA-256 of a WASM hook's module
	// ("" for HTTP hooks).
	ModuleSHA256  string
	Timeout       time.Duration
	FailurePolicy FailurePolicy
	Enabled       bool
	// Priority orders the hooks of a point: lowest first, then ID.
	Priority int
	// PreviousSecretUntil is when the secret a rotation replaced stops
	// signing requests; zero when there is none.
	PreviousSecretUntil  time.Time
	CreatedAt, UpdatedAt time.Time
}

// HookInput describes a hook to create, or the whole new state of one
// (UpdateHook replaces every field but Runtime, which cannot change).
type HookInput struct {
	// Name is 1–100 printable characters, unique in the tenant.
	Name  string
	Point Point
	// Runtime is RuntimeHTTP or RuntimeWASM.
	Runtime Runtime
	// URL is an HTTP hook's endpoint: https, no user info, no fragment
	// (http only on loopback with Deps.AllowInsecureLoopback). Empty for
	// WASM hooks.
	URL string
	// Module is a WASM hook's module, checked by WASMRuntime.Validate.
	// Required on create; on update nil keeps the stored module.
	Module []byte
	// Timeout bounds one call: 0 means DefaultTimeout, at most
	// MaxTimeout, whole milliseconds.
	Timeout time.Duration
	// FailurePolicy: "" means FailDeny.
	FailurePolicy FailurePolicy
	Enabled       bool
	// Priority is 0–1000000; lowest runs first.
	Priority int
}

// Sealing purposes of the signing secrets, bound to the hook's row.
const (
	secretPurpose         = "hooks.signing-secret"
	previousSecretPurpose = "hooks.previous-signing-secret"
)

const hookCols = `id, tenant_id, name, point, runtime, url, module_sha256, timeout_ms, failure_policy, enabled, priority,
	previous_secret_until, created_at, updated_at`

// scanHook reads the columns of hookCols.
func scanHook(r store.Scanner, extra ...any) (Hook, error) {
	var h Hook
	var timeoutMS int64
	var until sql.NullTime
	dest := append([]any{&h.ID, &h.TenantID, &h.Name, &h.Point, &h.Runtime, &h.URL, &h.ModuleSHA256, &timeoutMS,
		&h.FailurePolicy, &h.Enabled, &h.Priority, &until, &h.CreatedAt, &h.UpdatedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		return Hook{}, err
	}
	h.Timeout = time.Duration(timeoutMS) * time.Millisecond
	if until.Valid {
		h.PreviousSecretUntil = until.Time
	}
	return h, nil
}

// recordTime is the current time as the store reads it back.
func (s *Service) recordTime() time.Time {
	return s.d.Clock.Now().UTC().Truncate(time.Microsecond)
}

func notFound(id string) error {
	return fmt.Errorf("%w: %w: hook %q", ErrNotFound, store.ErrNotFound, id)
}

// newSecret returns a fresh signing secret: the prefix and 256 random
// bits.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("hooks: signing secret: %w", err)
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func binding(tenantID, id, purpose string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: purpose, Row: id}
}

// CreateHook adds a hook to a tenant and returns it with its signing
// secret ("lhk_…"), which is sealed at rest and never shown again (""
// for WASM hooks, which are not called over the network). Refused input
// is an *invalid.Error naming the field; a name the tenant uses already
// is store.ErrConflict with an *invalid.Error naming "name". A WASM
// module is validated (Deps.WASM) inside tx, and stored once per content.
func (s *Service) CreateHook(ctx context.Context, tx store.Tx, tenantID string, in HookInput) (Hook, string, error) {
	in, err := s.check(ctx, in, nil)
	if err != nil {
		return Hook{}, "", err
	}
	if err := s.checkRoom(ctx, tx, tenantID, in, ""); err != nil {
		return Hook{}, "", err
	}
	now := s.recordTime()
	h := Hook{ID: ident.New("hook", now), TenantID: tenantID, CreatedAt: now, UpdatedAt: now}
	h.apply(in)
	var secret string
	sealed := []byte{}
	if h.Runtime == RuntimeHTTP {
		if secret, err = newSecret(); err != nil {
			return Hook{}, "", err
		}
		if sealed, err = s.d.Secrets.Seal(binding(tenantID, h.ID, secretPurpose), []byte(secret)); err != nil {
			return Hook{}, "", fmt.Errorf("hooks: seal secret: %w", err)
		}
	} else if h.ModuleSHA256, err = s.putModule(ctx, tx, tenantID, in.Module, now); err != nil {
		return Hook{}, "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO hooks (id, tenant_id, name, point, runtime, url, module_sha256, timeout_ms, failure_policy,
		enabled, priority, secret_sealed, previous_secret_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.ID, h.TenantID, h.Name, string(h.Point), string(h.Runtime), h.URL, h.ModuleSHA256, h.Timeout.Milliseconds(),
		string(h.FailurePolicy), h.Enabled, h.Priority, sealed, []byte{}, h.CreatedAt, h.UpdatedAt)
	if err != nil {
		return Hook{}, "", nameConflict(err, h.Name)
	}
	return h, secret, nil
}

// apply copies the settings of in (checked) onto h.
func (h *Hook) apply(in HookInput) {
	h.Name, h.Point, h.Runtime, h.URL = in.Name, in.Point, in.Runtime, in.URL
	h.Timeout, h.FailurePolicy, h.Enabled, h.Priority = in.Timeout, in.FailurePolicy, in.Enabled, in.Priority
}

// Hook returns a hook of a tenant; one of another tenant is ErrNotFound.
func (s *Service) Hook(ctx context.Context, tx store.Tx, tenantID, id string) (Hook, error) {
	h, err := scanHook(tx.QueryRow(ctx, `SELECT `+hookCols+` FROM hooks WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Hook{}, notFound(id)
	}
	if err != nil {
		return Hook{}, fmt.Errorf("hooks: read hook: %w", err)
	}
	return h, nil
}

// Hooks lists a tenant's hooks by point, then in the order they run.
func (s *Service) Hooks(ctx context.Context, tx store.Tx, tenantID string) ([]Hook, error) {
	rows, err := tx.Query(ctx, `SELECT `+hookCols+` FROM hooks WHERE tenant_id = ? ORDER BY point, priority, id`, tenantID)
	hs, err := store.Collect(rows, err, func(r store.Scanner) (Hook, error) { return scanHook(r) })
	if err != nil {
		return nil, fmt.Errorf("hooks: list hooks: %w", err)
	}
	return hs, nil
}

// UpdateHook replaces a hook's settings (and a WASM hook's module unless
// in.Module is nil); the signing secret stays. The runtime cannot change
// (an *invalid.Error naming "runtime": create another hook). Errors are
// those of CreateHook; an unknown hook is ErrNotFound.
func (s *Service) UpdateHook(ctx context.Context, tx store.Tx, tenantID, id string, in HookInput) (Hook, error) {
	old, err := s.Hook(ctx, tx, tenantID, id)
	if err != nil {
		return Hook{}, err
	}
	if in.Runtime != old.Runtime {
		return Hook{}, invalid.Field("runtime", "cannot change (it is %s): create another hook", old.Runtime)
	}
	if in, err = s.check(ctx, in, &old); err != nil {
		return Hook{}, err
	}
	if err := s.checkRoom(ctx, tx, tenantID, in, id); err != nil {
		return Hook{}, err
	}
	h := old
	h.apply(in)
	h.UpdatedAt = s.recordTime()
	if !h.UpdatedAt.After(old.UpdatedAt) {
		// The circuit breaker starts afresh on a new version: every
		// version needs its own time, even when the clock stands still.
		h.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
	}
	if h.Runtime == RuntimeWASM && in.Module != nil {
		if h.ModuleSHA256, err = s.putModule(ctx, tx, tenantID, in.Module, h.UpdatedAt); err != nil {
			return Hook{}, err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE hooks SET name = ?, point = ?, url = ?, module_sha256 = ?, timeout_ms = ?, failure_policy = ?,
		enabled = ?, priority = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
		h.Name, string(h.Point), h.URL, h.ModuleSHA256, h.Timeout.Milliseconds(), string(h.FailurePolicy), h.Enabled, h.Priority,
		h.UpdatedAt, h.ID, tenantID)
	if err != nil {
		return Hook{}, nameConflict(err, h.Name)
	}
	if h.ModuleSHA256 != old.ModuleSHA256 {
		if err := dropModule(ctx, tx, tenantID, old.ModuleSHA256); err != nil {
			return Hook{}, err
		}
	}
	return h, nil
}

// RotateSecret gives an HTTP hook a new signing secret, returned once.
// Requests are signed with both the new and the replaced secret for
// overlap (0 means DefaultSecretOverlap; at most MaxSecretOverlap), so
// the receiver can switch without refusing a request; a secret replaced
// by an earlier rotation is forgotten. A WASM hook has no secret (an
// *invalid.Error naming "runtime"); an unknown hook is ErrNotFound.
func (s *Service) RotateSecret(ctx context.Context, tx store.Tx, tenantID, id string, overlap time.Duration) (Hook, string, error) {
	switch {
	case overlap == 0:
		overlap = DefaultSecretOverlap
	case overlap < 0 || overlap > MaxSecretOverlap:
		return Hook{}, "", invalid.Field("overlap", "must be between 0 and %s", MaxSecretOverlap)
	}
	var sealed []byte
	h, err := scanHook(tx.QueryRow(ctx, `SELECT `+hookCols+`, secret_sealed FROM hooks WHERE id = ? AND tenant_id = ?`, id, tenantID), &sealed)
	if errors.Is(err, store.ErrNotFound) {
		return Hook{}, "", notFound(id)
	}
	if err != nil {
		return Hook{}, "", fmt.Errorf("hooks: read hook: %w", err)
	}
	if h.Runtime != RuntimeHTTP {
		return Hook{}, "", invalid.Field("runtime", "a %s hook has no signing secret", h.Runtime)
	}
	current, err := s.d.Secrets.Open(ctx, tx, binding(tenantID, id, secretPurpose), sealed)
	if err != nil {
		return Hook{}, "", fmt.Errorf("hooks: hook %s: open secret: %w", id, err)
	}
	previous, err := s.d.Secrets.Seal(binding(tenantID, id, previousSecretPurpose), current)
	if err != nil {
		return Hook{}, "", fmt.Errorf("hooks: seal secret: %w", err)
	}
	secret, err := newSecret()
	if err != nil {
		return Hook{}, "", err
	}
	if sealed, err = s.d.Secrets.Seal(binding(tenantID, id, secretPurpose), []byte(secret)); err != nil {
		return Hook{}, "", fmt.Errorf("hooks: seal secret: %w", err)
	}
	now := s.recordTime()
	h.PreviousSecretUntil = now.Add(overlap)
	if _, err := tx.Exec(ctx, `UPDATE hooks SET secret_sealed = ?, previous_secret_sealed = ?, previous_secret_until = ?
		WHERE id = ? AND tenant_id = ?`, sealed, previous, h.PreviousSecretUntil, id, tenantID); err != nil {
		return Hook{}, "", fmt.Errorf("hooks: rotate secret: %w", err)
	}
	return h, secret, nil
}

// DeleteHook removes a hook of a tenant, and its module when no other
// hook of the tenant runs it. An unknown hook is ErrNotFound.
func (s *Service) DeleteHook(ctx context.Context, tx store.Tx, tenantID, id string) error {
	h, err := s.Hook(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM hooks WHERE id = ? AND tenant_id = ?`, id, tenantID); err != nil {
		return fmt.Errorf("hooks: delete hook: %w", err)
	}
	return dropModule(ctx, tx, tenantID, h.ModuleSHA256)
}

// checkRoom refuses a name another hook of the tenant has, and a hook
// beyond MaxHooksPerPoint at its point; except is the hook being updated
// ("" on create). Checked before writing so that a refusal leaves the
// caller's transaction usable (a failed statement aborts a PostgreSQL
// transaction).
func (s *Service) checkRoom(ctx context.Context, tx store.Tx, tenantID string, in HookInput, except string) error {
	var named, atPoint int
	err := tx.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN name = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN point = ? THEN 1 ELSE 0 END), 0)
		FROM hooks WHERE tenant_id = ? AND id <> ?`, in.Name, string(in.Point), tenantID, except).Scan(&named, &atPoint)
	if err != nil {
		return fmt.Errorf("hooks: count hooks: %w", err)
	}
	if named > 0 {
		return nameConflict(store.ErrConflict, in.Name)
	}
	if atPoint >= MaxHooksPerPoint {
		return invalid.Field("point", "has %d hooks already, the most a point may have", atPoint)
	}
	return nil
}

// nameConflict turns a unique violation into a field error on name.
func nameConflict(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", err, invalid.Field("name", "a hook named %q already exists", name))
	}
	return fmt.Errorf("hooks: write hook: %w", err)
}
