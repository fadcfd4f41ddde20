package directory

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// EmailVerificationPrefix begins every email-verification token.
const EmailVerificationPrefix = "lver_"

// macEmailVerification is the MAC purpose of email-verification tokens.
const macEmailVerification = "directory.email-verification"

// MaxEmailVerificationTTL is the longest life of an email-verification
// token.
const MaxEmailVerificationTTL = 7 * 24 * time.Hour

// maxTokenLen bounds the tokens looked up: longer ones are not ours and
// are not hashed.
const maxTokenLen = 100

// CreateEmailVerification returns a new token that verifies the current
// email address of a user of tenantID, valid for ttl (at most
// MaxEmailVerificationTTL) and usable once. Only its keyed hash is
// stored, with the address it verifies. A user without an address, or
// whose address is verified already, is refused with an *invalid.Error
// naming "email"; an unknown user wraps store.ErrNotFound.
func (d *Directory) CreateEmailVerification(ctx context.Context, tx store.Tx, tenantID, userID string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxEmailVerificationTTL {
		return "", invalid.Field("ttl", "must be positive and at most %s", MaxEmailVerificationTTL)
	}
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return "", err
	}
	switch {
	case u.Email == "":
		return "", invalid.Field("email", "the user has no email address to verify")
	case u.EmailVerified:
		return "", invalid.Field("email", "is verified already")
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := EmailVerificationPrefix + base64.RawURLEncoding.EncodeToString(b)
	now := d.now()
	_, err = tx.Exec(ctx, `INSERT INTO email_verifications (token_mac, tenant_id, user_id, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.sec.MAC(macEmailVerification, []byte(token)), tenantID, userID, u.Email, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("directory: create email verification: %w", err)
	}
	return token, nil
}

// EmailVerificationUser returns the user an email-verification token of
// tenantID would verify, without using it, for the page that asks the
// person to confirm (mail scanners fetch links; only VerifyEmail uses
// one). An unknown, used or expired token, one of another tenant, or one
// made for an address the user no longer has wraps store.ErrNotFound
// with an *invalid.Error naming "token".
func (d *Directory) EmailVerificationUser(ctx context.Context, tx store.Tx, tenantID, token string) (User, error) {
	u, _, err := d.emailVerification(ctx, tx, tenantID, token)
	return u, err
}

// VerifyEmail uses an email-verification token of tenantID, once: the
// user's address is marked verified (through UpdateUser, recorded as
// "user.updated", then "user.email.verified", both by the user). The
// token verifies only the address it was made for: once the user's
// address has changed it is refused like an unknown token, and nothing
// is verified. A user whose address is verified already (by another
// token, or an administrator) is returned as it is, the token used. An
// unknown, used or expired token, or one of another tenant, wraps
// store.ErrNotFound with an *invalid.Error naming "token"; nothing is
// written then.
func (d *Directory) VerifyEmail(ctx context.Context, tx store.Tx, tenantID, token string) (User, error) {
	u, mac, err := d.emailVerification(ctx, tx, tenantID, token)
	if err != nil {
		return User{}, err
	}
	// Only one of two concurrent uses of a token gets the row.
	n, err := tx.Exec(ctx, `UPDATE email_verifications SET used_at = ? WHERE token_mac = ? AND used_at IS NULL`, d.now(), mac)
	if err != nil {
		return User{}, fmt.Errorf("directory: verify email: %w", err)
	}
	if n == 0 {
		return User{}, badToken()
	}
	if u.EmailVerified {
		return u, nil
	}
	me := events.Ref{Type: "user", ID: u.ID}
	verified := true
	if u, err = d.UpdateUser(ctx, tx, tenantID, u.ID, UserUpdate{EmailVerified: &verified}, me); err != nil {
		return User{}, err
	}
	if err := d.record(ctx, tx, "user.email.verified", u, me, nil); err != nil {
		return User{}, err
	}
	return u, nil
}

// emailVerification reads the token's unused, unexpired row and its
// user, whose address must still be the one the token was made for; mac
// is the token's keyed hash.
func (d *Directory) emailVerification(ctx context.Context, tx store.Tx, tenantID, token string) (User, []byte, error) {
	if len(token) > maxTokenLen {
		return User{}, nil, badToken()
	}
	mac := d.sec.MAC(macEmailVerification, []byte(token))
	var userID, email string
	err := tx.QueryRow(ctx, `SELECT user_id, email FROM email_verifications WHERE token_mac = ? AND tenant_id = ? AND used_at IS NULL AND expires_at > ?`,
		mac, tenantID, d.now()).Scan(&userID, &email)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, nil, badToken()
	}
	if err != nil {
		return User{}, nil, fmt.Errorf("directory: email verification: %w", err)
	}
	u, err := d.User(ctx, tx, tenantID, userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Email != email {
		return User{}, nil, badToken()
	}
	if err != nil {
		return User{}, nil, err
	}
	return u, mac, nil
}

// badToken is the error of a token that is unknown, used, expired, of
// another tenant, or no longer good for its user.
func badToken() error {
	return fmt.Errorf("%w: %w", store.ErrNotFound, invalid.Field("token", "is unknown, used or expired"))
}
