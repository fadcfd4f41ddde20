package session

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// List returns the live sessions of a user of tenantID, newest first (by
// sign-in; a rotated session keeps its sign-in time), for the user or an
// administrator to review. Ended ones (expired or revoked) are left out; a
// user without sessions, or unknown, has an empty list. It only reads, so
// tx may be read-only.
func (s *Sessions) List(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Session, error) {
	if err := checkIDs(tenantID, userID); err != nil {
		return nil, err
	}
	now := s.now()
	rows, err := tx.Query(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?
		ORDER BY created_at DESC, id DESC`, tenantID, userID, now, now)
	out, err := store.Collect(rows, err, func(r store.Scanner) (Session, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("session: list user's sessions: %w", err)
	}
	return out, nil
}

// RevokeID ends the live session sessionID of a user of tenantID (an
// administrator, or the user, signing out one browser). An ID that names
// no live session of that user — unknown, another user's or tenant's,
// expired or already revoked — gives an error wrapping store.ErrNotFound,
// and nothing is written.
func (s *Sessions) RevokeID(ctx context.Context, tx store.Tx, tenantID, userID, sessionID string) error {
	if err := checkIDs(tenantID, userID); err != nil {
		return err
	}
	now := s.now()
	n, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE id = ? AND tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?`,
		now, sessionID, tenantID, userID, now, now)
	if err != nil {
		return fmt.Errorf("session: revoke session by ID: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("session: no live session %q of the user: %w", sessionID, store.ErrNotFound)
	}
	return nil
}

// ForgetUser deletes every session of a user of tenantID, live or ended,
// with the address and User-Agent each recorded: the user is being
// erased. A user of another tenant keeps theirs.
func (s *Sessions) ForgetUser(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	if err := checkIDs(tenantID, userID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("session: forget user: %w", err)
	}
	return nil
}
