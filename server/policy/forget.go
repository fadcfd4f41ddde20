package policy

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// ForgetUser deletes what the policies hold about a user of the tenant:
// their password history and failed sign-ins. Call it when the user is
// erased, in the same transaction.
func (s *Service) ForgetUser(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	for _, q := range []string{
		`DELETE FROM password_history WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM user_lockouts WHERE tenant_id = ? AND user_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID, userID); err != nil {
			return fmt.Errorf("policy: forget user: %w", err)
		}
	}
	return nil
}

// ForgetApp deletes the sign-on and profile-enrollment policies of an app
// of the tenant, if it has them. Call it when the app is deleted, in the
// same transaction.
func (s *Service) ForgetApp(ctx context.Context, tx store.Tx, tenantID, appID string) error {
	if appID == "" {
		return nil // the tenant defaults are no app's
	}
	for _, q := range []string{
		`DELETE FROM signon_policies WHERE tenant_id = ? AND app_id = ?`,
		`DELETE FROM enrollment_policies WHERE tenant_id = ? AND app_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID, appID); err != nil {
			return fmt.Errorf("policy: forget app: %w", err)
		}
	}
	return nil
}

// ForgetTenant deletes every policy of the tenant and what they hold
// about its users. Call it when the tenant is deleted, in the same
// transaction.
func (s *Service) ForgetTenant(ctx context.Context, tx store.Tx, tenantID string) error {
	for _, q := range []string{
		`DELETE FROM signon_policies WHERE tenant_id = ?`,
		`DELETE FROM enrollment_policies WHERE tenant_id = ?`,
		`DELETE FROM recovery_policies WHERE tenant_id = ?`,
		`DELETE FROM password_policies WHERE tenant_id = ?`,
		`DELETE FROM password_history WHERE tenant_id = ?`,
		`DELETE FROM user_lockouts WHERE tenant_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID); err != nil {
			return fmt.Errorf("policy: forget tenant: %w", err)
		}
	}
	return nil
}
