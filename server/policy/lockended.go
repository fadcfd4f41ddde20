package policy

import (
	"context"

	"github.com/lintel-id/lintel/server/store"
)

// LockEnded reports whether the user's lock was set by this policy's
// lockout and its time has passed: the engine then unlocks the account
// before the next sign-in attempt. A lock without an end (until an admin
// unlocks), one still in force, and a lockout status this service never
// set (an admin's) all report false.
func (s *Service) LockEnded(ctx context.Context, tx store.Tx, tenantID, userID string) (bool, error) {
	r, ok, err := lockRowOf(ctx, tx, tenantID, userID)
	if err != nil || !ok {
		return false, err
	}
	return r.lockedAt.Valid && r.until.Valid && !r.until.Time.After(s.now()), nil
}
