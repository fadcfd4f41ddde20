package directory

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// Export returns everything the directory holds about a user of tenantID,
// for the person to take away: the profile (custom attributes included,
// sensitive ones too: they are the person's own), the metadata of the
// credentials (never their secrets) and the linked identities. An unknown
// user is not found.
func (d *Directory) Export(ctx context.Context, tx store.Tx, tenantID, userID string) (map[string]any, error) {
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	creds, err := d.Credentials(ctx, tx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	ids, err := d.Identities(ctx, tx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	user := map[string]any{
		"id": u.ID, "tenant_id": u.TenantID, "type_id": u.TypeID, "login": u.Login, "email": u.Email,
		"email_verified": u.EmailVerified, "name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName,
		"phone": u.Phone, "phone_verified": u.PhoneVerified, "locale": u.Locale, "status": string(u.Status),
		"external_id": u.ExternalID,
		"profile":     u.Profile, "created_at": u.CreatedAt, "updated_at": u.UpdatedAt, "sign_in_count": u.SignInCount,
	}
	if u.LastSignInAt != nil {
		user["last_sign_in_at"] = *u.LastSignInAt
	}
	credentials := []map[string]any{}
	for _, c := range creds {
		credentials = append(credentials, map[string]any{"id": c.ID, "type": c.Type, "verified": c.Verified,
			"label": c.Label, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt})
	}
	identities := []map[string]any{}
	for _, i := range ids {
		identities = append(identities, map[string]any{"idp_id": i.IdPID, "subject": i.Subject, "created_at": i.CreatedAt})
	}
	return map[string]any{"user": user, "credentials": credentials, "linked_identities": identities}, nil
}

// Erase deletes a user of tenantID and everything the directory holds
// about them: profile, unique attribute values, activation and
// email-verification tokens, credentials, linked identities, group
// memberships and sessions; then it erases the user as a subject of the
// system log, so the personal details of earlier events no longer open. The events themselves stay, pseudonymous. An unknown
// user is not found.
func (d *Directory) Erase(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	if _, err := d.User(ctx, tx, tenantID, userID); err != nil {
		return err
	}
	if err := d.RemoveUserFromGroups(ctx, tx, tenantID, userID); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM linked_identities WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM credentials WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM user_activations WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM email_verifications WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM user_unique_attrs WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM users WHERE tenant_id = ? AND id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID, userID); err != nil {
			return fmt.Errorf("directory: erase user: %w", err)
		}
	}
	if err := d.ev.EraseSubject(ctx, tx, userID); err != nil {
		return fmt.Errorf("directory: erase user: %w", err)
	}
	return nil
}
