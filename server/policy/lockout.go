package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// Account lockout. Each user with failed sign-ins since their last
// success has a row in user_lockouts: the count of failures in a row and,
// once the count reached the policy's LockoutThreshold, the lock: when it
// began (locked_at) and when it ends (locked_until, NULL for a policy
// LockoutDuration of 0: until an admin unlocks, which is ClearFailures).
// Times come from the Service's clock only.

// lockRow is a user's row of user_lockouts.
type lockRow struct {
	failures int
	lockedAt sql.NullTime
	until    sql.NullTime
}

// inForce reports whether the row's lock holds at now.
func (r lockRow) inForce(now time.Time) bool {
	return r.lockedAt.Valid && (!r.until.Valid || r.until.Time.After(now))
}

// lockRowOf reads a user's row; ok is false when there is none.
func lockRowOf(ctx context.Context, tx store.Tx, tenantID, userID string) (lockRow, bool, error) {
	var r lockRow
	err := tx.QueryRow(ctx, `SELECT failures, locked_at, locked_until FROM user_lockouts WHERE tenant_id = ? AND user_id = ?`,
		tenantID, userID).Scan(&r.failures, &r.lockedAt, &r.until)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return lockRow{}, false, nil
	case err != nil:
		return lockRow{}, false, fmt.Errorf("policy: lockout: %w", err)
	}
	return r, true, nil
}

// RecordFailure records a failed sign-in of a user of the tenant and
// locks the account when the failures in a row reach the policy's
// LockoutThreshold (never when it is 0). locked is true only for the
// call that locks; until is then the end of the lock, or the zero time
// for a lock that lasts until an admin unlocks (LockoutDuration 0).
//
// While a lock is in force a failure changes nothing and returns false
// with the lock's end (zero when indefinite): check LockedUntil before
// verifying a password. After a lock ended (its time passed), the next
// failure starts counting afresh at 1.
func (s *Service) RecordFailure(ctx context.Context, tx store.Tx, tenantID, userID string) (locked bool, until time.Time, err error) {
	p, err := s.Password(ctx, tx, tenantID)
	if err != nil {
		return false, time.Time{}, err
	}
	now := s.now()
	r, _, err := lockRowOf(ctx, tx, tenantID, userID)
	if err != nil {
		return false, time.Time{}, err
	}
	if r.inForce(now) {
		return false, r.until.Time, nil
	}
	if r.lockedAt.Valid {
		r = lockRow{}
	}
	r.failures++
	if p.LockoutThreshold > 0 && r.failures >= p.LockoutThreshold {
		locked = true
		r.lockedAt = sql.NullTime{Time: now, Valid: true}
		if p.LockoutDuration > 0 {
			until = now.Add(p.LockoutDuration)
			r.until = sql.NullTime{Time: until, Valid: true}
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO user_lockouts (tenant_id, user_id, failures, locked_at, locked_until, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET failures = excluded.failures, locked_at = excluded.locked_at,
			locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
		tenantID, userID, r.failures, r.lockedAt, r.until, now)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("policy: lockout: %w", err)
	}
	return locked, until, nil
}

// ClearFailures forgets a user's failed sign-ins and lifts their lock, if
// any: call it after a successful sign-in, and when an admin unlocks the
// account. A user without failures is not an error.
func (s *Service) ClearFailures(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_lockouts WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("policy: lockout: %w", err)
	}
	return nil
}

// LockedUntil reports whether a user of the tenant is locked out now and
// until when: the zero time for a lock that lasts until an admin unlocks.
// A user without a lock in force is not locked (zero time, false).
func (s *Service) LockedUntil(ctx context.Context, tx store.Tx, tenantID, userID string) (until time.Time, locked bool, err error) {
	r, ok, err := lockRowOf(ctx, tx, tenantID, userID)
	if err != nil || !ok || !r.inForce(s.now()) {
		return time.Time{}, false, err
	}
	return r.until.Time, true, nil
}
