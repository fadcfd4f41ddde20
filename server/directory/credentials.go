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

// Credential types.
const (
	// CredentialPassword is the credential type of a password; its secret
	// is the PHC string of the password's hash. A user has one at most.
	CredentialPassword = "password"
	// CredentialWebAuthn is the credential type of a passkey; its secret
	// is the stored WebAuthn credential. A user may have several.
	CredentialWebAuthn = "webauthn"
	// CredentialTOTP is an authenticator app; its secret is the seed,
	// sealed by the secrets service before it is stored here.
	CredentialTOTP = "totp"
	// CredentialRecoveryCodes holds the keyed hashes of recovery codes.
	CredentialRecoveryCodes = "recovery_codes"
	// CredentialSecurityAnswer is a security question and its hashed
	// answer.
	CredentialSecurityAnswer = "security_answer"
	// CredentialEmail and CredentialPhone are addresses a person proves
	// they hold (email OTP / magic link, SMS, voice); the secret is the
	// address, Verified says whether it was proven.
	CredentialEmail = "email"
	CredentialPhone = "phone"
)

// credentialTypes are the slots factors attach to without schema changes.
var credentialTypes = map[string]bool{
	CredentialPassword: true, CredentialWebAuthn: true, CredentialTOTP: true, CredentialRecoveryCodes: true,
	CredentialSecurityAnswer: true, CredentialEmail: true, CredentialPhone: true,
}

// Credential is what verifies one way a user signs in.
type Credential struct {
	ID     string // "cred_…"
	UserID string
	Type   string
	// Secret verifies the credential (a password hash); it is never
	// printed or logged, see String and LogValue.
	Secret string
	// Verified is set once the credential was proven (a passkey's
	// registration ceremony completed); passwords are verified.
	Verified bool
	// Label is the user's name for the credential ("YubiKey"), "" if none.
	Label     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// String describes the credential without its secret, so that printing
// one with %v or %+v does not leak the hash.
func (c Credential) String() string {
	return fmt.Sprintf("{ID:%s UserID:%s Type:%s Secret:[redacted] Verified:%t Label:%q CreatedAt:%s UpdatedAt:%s}",
		c.ID, c.UserID, c.Type, c.Verified, c.Label, c.CreatedAt.Format(time.RFC3339), c.UpdatedAt.Format(time.RFC3339))
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
func knownType(typ string) bool { return credentialTypes[typ] }

const credentialCols = `id, user_id, type, secret, verified, label, created_at, updated_at`

func scanCredential(r scanner) (Credential, error) {
	var c Credential
	err := r.Scan(&c.ID, &c.UserID, &c.Type, &c.Secret, &c.Verified, &c.Label, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

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
	if typ != CredentialPassword {
		return invalid.Field("type", "must be %q; add other credentials with AddCredential", CredentialPassword)
	}
	if _, err := d.User(ctx, tx, tenantID, userID); err != nil {
		return err
	}
	now := d.now()
	_, err := tx.Exec(ctx, `INSERT INTO credentials (tenant_id, `+credentialCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, type) WHERE type = 'password' DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at`,
		tenantID, ident.New("cred", now), userID, typ, secret, true, "", now, now)
	if err != nil {
		return fmt.Errorf("directory: set %s credential: %w", typ, err)
	}
	return nil
}

// Credential returns a user's credential of type typ (the oldest, for a
// type a user may have several of). A user without one, an unknown user
// and a user of another tenant are all not found (store.ErrNotFound).
func (d *Directory) Credential(ctx context.Context, tx store.Tx, tenantID, userID, typ string) (Credential, error) {
	c, err := scanCredential(tx.QueryRow(ctx, `SELECT `+credentialCols+` FROM credentials
		WHERE tenant_id = ? AND user_id = ? AND type = ? ORDER BY id LIMIT 1`, tenantID, userID, typ))
	if errors.Is(err, store.ErrNotFound) {
		return Credential{}, notFound(typ+" credential of user", userID)
	}
	return c, err
}

// checkCredential validates a credential type and secret.
func checkCredential(typ, secret string) error {
	var errs []error
	if !knownType(typ) {
		errs = append(errs, invalid.Field("type", "must be %q or %q", CredentialPassword, CredentialWebAuthn))
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

// MaxLabelLen is the longest label of a credential, in characters.
const MaxLabelLen = 100

// CredentialInput describes a credential added with AddCredential.
type CredentialInput struct {
	// Type is any credential type but CredentialPassword (passwords are
	// set with SetCredential).
	Type     string
	Secret   string
	Verified bool
	Label    string
}

// AddCredential adds a credential to a user of tenantID; a user may have
// several of a type other than CredentialPassword. A user of another
// tenant is not found.
func (d *Directory) AddCredential(ctx context.Context, tx store.Tx, tenantID, userID string, in CredentialInput) (Credential, error) {
	in.Label = strings.TrimSpace(in.Label)
	if err := checkCredential(in.Type, in.Secret); err != nil {
		return Credential{}, err
	}
	if err := checkText("label", in.Label, MaxLabelLen, false); err != nil {
		return Credential{}, err
	}
	if in.Type == CredentialPassword {
		return Credential{}, fmt.Errorf("directory: passwords are set with SetCredential")
	}
	if _, err := d.User(ctx, tx, tenantID, userID); err != nil {
		return Credential{}, err
	}
	now := d.now()
	c := Credential{ID: ident.New("cred", now), UserID: userID, Type: in.Type, Secret: in.Secret, Verified: in.Verified,
		Label: in.Label, CreatedAt: now, UpdatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO credentials (tenant_id, `+credentialCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenantID, c.ID, c.UserID, c.Type, c.Secret, c.Verified, c.Label, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return Credential{}, fmt.Errorf("directory: add %s credential: %w", in.Type, err)
	}
	return c, nil
}

// Credentials lists the credentials of a user of tenantID, oldest first;
// an unknown user has none.
func (d *Directory) Credentials(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Credential, error) {
	rows, err := tx.Query(ctx, `SELECT `+credentialCols+` FROM credentials WHERE tenant_id = ? AND user_id = ? ORDER BY id`,
		tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("directory: credentials: %w", err)
	}
	defer rows.Close()
	var out []Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteCredential deletes a credential of a user of tenantID; one that
// does not exist or belongs to another user is not found.
func (d *Directory) DeleteCredential(ctx context.Context, tx store.Tx, tenantID, userID, credentialID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM credentials WHERE tenant_id = ? AND user_id = ? AND id = ?`, tenantID, userID, credentialID)
	if err != nil {
		return fmt.Errorf("directory: delete credential: %w", err)
	}
	if n == 0 {
		return notFound("credential", credentialID)
	}
	return nil
}

// ErrCredentialChanged is returned by SwapCredentialSecret when the
// credential's secret is no longer the one the caller read: another
// request used or changed it first (a TOTP step or a recovery code used
// twice at once, a passkey's sign count moved on).
var ErrCredentialChanged = errors.New("directory: credential changed meanwhile")

// CredentialByID returns one credential of a user of tenantID; one that
// does not exist or belongs to another user is not found.
func (d *Directory) CredentialByID(ctx context.Context, tx store.Tx, tenantID, userID, credentialID string) (Credential, error) {
	c, err := scanCredential(tx.QueryRow(ctx, `SELECT `+credentialCols+` FROM credentials
		WHERE tenant_id = ? AND user_id = ? AND id = ?`, tenantID, userID, credentialID))
	if errors.Is(err, store.ErrNotFound) {
		return Credential{}, notFound("credential", credentialID)
	}
	return c, err
}

// SwapCredentialSecret replaces a credential's secret with next only if
// it is still old (compare and swap), and marks it verified when verify
// is set; a credential whose secret moved on meanwhile is
// ErrCredentialChanged and is left as it is. next is checked like any
// secret (see AddCredential). A credential that does not exist or
// belongs to another user is not found.
func (d *Directory) SwapCredentialSecret(ctx context.Context, tx store.Tx, tenantID, userID, credentialID, old, next string, verify bool) error {
	if err := checkCredential(CredentialWebAuthn, next); err != nil {
		return err
	}
	n, err := tx.Exec(ctx, `UPDATE credentials SET secret = ?, verified = verified OR ?, updated_at = ?
		WHERE tenant_id = ? AND user_id = ? AND id = ? AND secret = ?`,
		next, verify, d.now(), tenantID, userID, credentialID, old)
	if err != nil {
		return fmt.Errorf("directory: update credential: %w", err)
	}
	if n == 1 {
		return nil
	}
	if _, err := d.CredentialByID(ctx, tx, tenantID, userID, credentialID); err != nil {
		return err
	}
	return ErrCredentialChanged
}

// RenameCredential sets the label of a credential of a user of tenantID
// (trimmed, at most MaxLabelLen characters, "" for none) and returns it.
// A credential that does not exist or belongs to another user is not
// found.
func (d *Directory) RenameCredential(ctx context.Context, tx store.Tx, tenantID, userID, credentialID, label string) (Credential, error) {
	label = strings.TrimSpace(label)
	if err := checkText("label", label, MaxLabelLen, false); err != nil {
		return Credential{}, err
	}
	n, err := tx.Exec(ctx, `UPDATE credentials SET label = ?, updated_at = ? WHERE tenant_id = ? AND user_id = ? AND id = ?`,
		label, d.now(), tenantID, userID, credentialID)
	if err != nil {
		return Credential{}, fmt.Errorf("directory: rename credential: %w", err)
	}
	if n == 0 {
		return Credential{}, notFound("credential", credentialID)
	}
	return d.CredentialByID(ctx, tx, tenantID, userID, credentialID)
}
