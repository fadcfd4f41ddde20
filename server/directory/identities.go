package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// MaxSubjectLen is the longest subject of a linked identity, in bytes
// (OpenID Connect allows 255 ASCII characters).
const MaxSubjectLen = 255

// Identity is an account at an identity provider linked to a user.
type Identity struct {
	TenantID  string
	IdPID     string // the identity provider's ID
	Subject   string // the user's ID at the provider ("sub")
	UserID    string
	CreatedAt time.Time
}

func checkIdentity(idpID, subject string) error {
	return errors.Join(checkText("idp_id", idpID, 100, true), checkText("subject", subject, MaxSubjectLen, true))
}

// Link links the account subject at identity provider idpID to a user of
// tenantID. An account already linked (to this or another user) is a
// conflict naming "subject"; an unknown user is not found.
func (d *Directory) Link(ctx context.Context, tx store.Tx, tenantID, userID, idpID, subject string) (Identity, error) {
	if err := checkIdentity(idpID, subject); err != nil {
		return Identity{}, err
	}
	if _, err := d.User(ctx, tx, tenantID, userID); err != nil {
		return Identity{}, err
	}
	switch _, err := d.UserByIdentity(ctx, tx, tenantID, idpID, subject); {
	case err == nil:
		return Identity{}, conflict("subject", "the account is linked already")
	case !errors.Is(err, store.ErrNotFound):
		return Identity{}, err
	}
	id := Identity{TenantID: tenantID, IdPID: idpID, Subject: subject, UserID: userID, CreatedAt: d.now()}
	_, err := tx.Exec(ctx, `INSERT INTO linked_identities (tenant_id, idp_id, subject, user_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		tenantID, idpID, subject, userID, id.CreatedAt)
	if errors.Is(err, store.ErrConflict) {
		return Identity{}, fmt.Errorf("%w: %w", conflict("subject", "the account is linked already"), err)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("directory: link identity: %w", err)
	}
	return id, nil
}

// Unlink removes the link of account subject at idpID from a user of
// tenantID; a link that does not exist, or is another user's, is not
// found.
func (d *Directory) Unlink(ctx context.Context, tx store.Tx, tenantID, userID, idpID, subject string) error {
	n, err := tx.Exec(ctx, `DELETE FROM linked_identities WHERE tenant_id = ? AND idp_id = ? AND subject = ? AND user_id = ?`,
		tenantID, idpID, subject, userID)
	if err != nil {
		return fmt.Errorf("directory: unlink identity: %w", err)
	}
	if n == 0 {
		return notFound("linked identity", idpID)
	}
	return nil
}

// UserByIdentity returns the user of tenantID linked to account subject
// at idpID; an account linked to no user is not found.
func (d *Directory) UserByIdentity(ctx context.Context, tx store.Tx, tenantID, idpID, subject string) (User, error) {
	if err := checkIdentity(idpID, subject); err != nil {
		return User{}, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+prefixed("u.", userCols)+` FROM users u
		JOIN linked_identities l ON l.tenant_id = u.tenant_id AND l.user_id = u.id
		WHERE l.tenant_id = ? AND l.idp_id = ? AND l.subject = ?`, tenantID, idpID, subject))
	if errors.Is(err, store.ErrNotFound) {
		return User{}, notFound("user linked at", idpID)
	}
	return u, err
}

// Identities lists the linked identities of a user of tenantID, oldest
// first.
func (d *Directory) Identities(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Identity, error) {
	rows, err := tx.Query(ctx, `SELECT tenant_id, idp_id, subject, user_id, created_at FROM linked_identities
		WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, idp_id, subject`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("directory: identities: %w", err)
	}
	defer rows.Close()
	var out []Identity
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.TenantID, &i.IdPID, &i.Subject, &i.UserID, &i.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}
