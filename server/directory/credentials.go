package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// CredentialPassword is the credential type of a password; its secret is
// the PHC string of the password's hash.
const CredentialPassword = "password"

// Credential is what verifies one way a user signs in.
type Credential struct {
	ID     string // "cred_…"
	UserID string
	Type   string
	// Secret verifies the credential (a password hash); it is never
	// printed or logged, see String and LogValue.
	Secret    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// String describes the credential without its secret, so that printing
// one with %v or %+v does not leak the hash.
func (c Credential) String() string {
	return fmt.Sprintf("{ID:%s UserID:%s Type:%s Secret:[redacted] CreatedAt:%s UpdatedAt:%s}",
		c.ID, c.UserID, c.Type, c.CreatedAt.Format(time.RFC3339), c.UpdatedAt.Format(time.RFC3339))
}

// GoString is String, for %#v.
func (c Credential) GoString() string { return "directory.Credential" + c.String() }

// LogValue logs the credential without its secret.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("user_id", c.UserID), slog.String("type", c.Type))
}

// MaxSecretLen is the longest secret of a credential, in bytes.
const MaxSecretLen = 4096

// knownType reports whether SetCredential accepts a credential type.
func knownType(typ string) bool { return typ == CredentialPassword }

const credentialCols = `id, user_id, type, secret, created_at, updated_at`

// SetCredential sets a user's credential of type typ (CredentialPassword)
// to secret, replacing the one it had: the credential keeps its ID and
// CreatedAt and gets a new UpdatedAt. secret is what verifies the
// credential (a password's PHC hash string), never the password itself;
// it is refused when empty, longer than MaxSecretLen bytes, or not
// printable UTF-8. A user of another tenant is not found.
func (d *Directory) SetCredential(ctx context.Context, tx store.Tx, tenantID, userID, typ, secret string) error {
	if err := checkCredential(typ, secret); err != nil {
		return err
	}
	if _, err := d.User(ctx, tx, tenantID, userID); err != nil {
		return err
	}
	now := d.now()
	_, err := tx.Exec(ctx, `INSERT INTO credentials (tenant_id, `+credentialCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, type) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at`,
		tenantID, ident.New("cred", now), userID, typ, secret, now, now)
	if err != nil {
		return fmt.Errorf("directory: set %s credential: %w", typ, err)
	}
	return nil
}

// Credential returns a user's credential of type typ. A user without one,
// an unknown user and a user of another tenant are all not found
// (store.ErrNotFound).
func (d *Directory) Credential(ctx context.Context, tx store.Tx, tenantID, userID, typ string) (Credential, error) {
	var c Credential
	err := tx.QueryRow(ctx, `SELECT `+credentialCols+` FROM credentials WHERE tenant_id = ? AND user_id = ? AND type = ?`,
		tenantID, userID, typ).Scan(&c.ID, &c.UserID, &c.Type, &c.Secret, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, store.ErrNotFound) {
		return Credential{}, notFound(typ+" credential of user", userID)
	}
	return c, err
}

// checkCredential validates a credential type and secret.
func checkCredential(typ, secret string) error {
	var errs []error
	if !knownType(typ) {
		errs = append(errs, invalid.Field("type", "must be %q", CredentialPassword))
	}
	switch {
	case secret == "":
		errs = append(errs, invalid.Field("secret", "is required"))
	case len(secret) > MaxSecretLen:
		errs = append(errs, invalid.Field("secret", "must be at most %d bytes", MaxSecretLen))
	case !utf8.ValidString(secret) || strings.ContainsFunc(secret, unicode.IsControl):
		errs = append(errs, invalid.Field("secret", "must be printable UTF-8"))
	}
	return errors.Join(errs...)
}

// invalidTenant is the error for a missing tenant ID.
func invalidTenant() error { return invalid.Field("tenant_id", "is required") }

var _ slog.LogValuer = Credential{}
