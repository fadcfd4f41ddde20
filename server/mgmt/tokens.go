package mgmt

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// TokenPrefix starts every management token, so that secret scanners and
// people recognise one.
const TokenPrefix = "lmgt_"

// macPurpose separates token hashes from other keyed hashes.
const macPurpose = "mgmt.token"

// Token limits.
const (
	MinTokenTTL     = time.Minute
	MaxTokenTTL     = 366 * 24 * time.Hour
	DefaultTokenTTL = 30 * 24 * time.Hour
	// lastUsedGranularity bounds writes: last use is recorded at most once
	// per token per minute.
	lastUsedGranularity = time.Minute
)

// ErrTokenInvalid means a presented token is unknown, expired or revoked.
// Callers answer 401 without saying which.
var ErrTokenInvalid = errors.New("mgmt: token unknown, expired or revoked")

// Token is what Lintel keeps about a management token: never the token.
type Token struct {
	ID         string
	TenantID   string
	Name       string
	Role       Role
	Scopes     []Scope
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Has reports whether the token grants scope.
func (t Token) Has(s Scope) bool { return slices.Contains(t.Scopes, s) }

// TokenInput describes a token to create.
type TokenInput struct {
	TenantID string
	Name     string
	Role     Role
	// Scopes narrows the role's scopes; empty means all of them.
	Scopes []Scope
	// TTL is the lifetime; zero means DefaultTokenTTL.
	TTL time.Duration
	// CreatedBy is the opaque ID of the creator (a token ID, "cli" or
	// "break-glass").
	CreatedBy string
}

// Tokens manages management tokens. It is safe for concurrent use.
type Tokens struct {
	sec   *secrets.Service
	clock clock.Clock
}

// NewTokens returns the token manager.
func NewTokens(sec *secrets.Service, clk clock.Clock) *Tokens {
	return &Tokens{sec: sec, clock: clk}
}

// Create makes a token in tx and returns its record and the token, which
// is shown once and never stored. system says whether TenantID is the
// system tenant: only there may a token hold the instance-admin role.
func (t *Tokens) Create(ctx context.Context, tx store.Tx, in TokenInput, system bool) (Token, string, error) {
	in.Name = strings.TrimSpace(in.Name)
	var errs []error
	if in.Name == "" || len(in.Name) > 100 {
		errs = append(errs, invalid.Field("name", "must be 1 to 100 characters"))
	}
	if !in.Role.Valid() {
		errs = append(errs, invalid.Field("role", "must be one of %v", Roles))
	} else if in.Role == RoleInstanceAdmin && !system {
		errs = append(errs, invalid.Field("role", "instance-admin tokens belong to the system tenant only"))
	}
	if len(in.Scopes) == 0 {
		in.Scopes = in.Role.Scopes()
	}
	allowed := in.Role.Scopes()
	for i, s := range in.Scopes {
		if !slices.Contains(allowed, s) {
			errs = append(errs, invalid.Field(fmt.Sprintf("scopes[%d]", i), "%q is not a scope of role %s", s, in.Role))
		}
	}
	if in.TTL == 0 {
		in.TTL = DefaultTokenTTL
	}
	if in.TTL < MinTokenTTL || in.TTL > MaxTokenTTL {
		errs = append(errs, invalid.Field("expires_in", "must be between %v and %v", MinTokenTTL, MaxTokenTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return Token{}, "", err
	}
	slices.Sort(in.Scopes)
	in.Scopes = slices.Compact(in.Scopes)

	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	now := t.clock.Now().UTC().Truncate(time.Microsecond)
	tok := Token{
		ID: ident.New("tok", now), TenantID: in.TenantID, Name: in.Name, Role: in.Role, Scopes: in.Scopes,
		CreatedBy: in.CreatedBy, CreatedAt: now, ExpiresAt: now.Add(in.TTL),
	}
	scopes, err := json.Marshal(tok.Scopes)
	if err != nil {
		return Token{}, "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO mgmt_tokens (id, tenant_id, name, role, scopes, mac, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tok.ID, tok.TenantID, tok.Name, string(tok.Role), scopes, t.sec.MAC(macPurpose, []byte(secret)), tok.CreatedBy, tok.CreatedAt, tok.ExpiresAt)
	if err != nil {
		return Token{}, "", fmt.Errorf("mgmt: store token: %w", err)
	}
	return tok, secret, nil
}

const tokenColumns = `id, tenant_id, name, role, scopes, created_by, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var tok Token
	var role string
	var scopes []byte
	var used, revoked sql.NullTime
	if err := row.Scan(&tok.ID, &tok.TenantID, &tok.Name, &role, &scopes, &tok.CreatedBy, &tok.CreatedAt, &tok.ExpiresAt, &used, &revoked); err != nil {
		return Token{}, err
	}
	tok.Role = Role(role)
	if err := json.Unmarshal(scopes, &tok.Scopes); err != nil {
		return Token{}, fmt.Errorf("mgmt: token %s scopes: %w", tok.ID, err)
	}
	if used.Valid {
		tok.LastUsedAt = &used.Time
	}
	if revoked.Valid {
		tok.RevokedAt = &revoked.Time
	}
	return tok, nil
}

// Authenticate returns the live token whose secret is raw, or
// ErrTokenInvalid. It records the last use, at most once a minute.
func (t *Tokens) Authenticate(ctx context.Context, st store.Store, raw string) (Token, error) {
	if !strings.HasPrefix(raw, TokenPrefix) || len(raw) > 128 {
		return Token{}, ErrTokenInvalid
	}
	mac := t.sec.MAC(macPurpose, []byte(raw))
	var tok Token
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		tok, err = scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM mgmt_tokens WHERE mac = ?`, mac))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, ErrTokenInvalid
	}
	if err != nil {
		return Token{}, fmt.Errorf("mgmt: look up token: %w", err)
	}
	now := t.clock.Now()
	if tok.RevokedAt != nil || !now.Before(tok.ExpiresAt) {
		return Token{}, ErrTokenInvalid
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= lastUsedGranularity {
		err := st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE mgmt_tokens SET last_used_at = ? WHERE id = ?`, now, tok.ID)
			return err
		})
		if err != nil {
			return Token{}, fmt.Errorf("mgmt: record token use: %w", err)
		}
		u := now.UTC().Truncate(time.Microsecond)
		tok.LastUsedAt = &u
	}
	return tok, nil
}

// Get returns a token of tenantID; another tenant's token is not found.
func (t *Tokens) Get(ctx context.Context, tx store.Tx, tenantID, id string) (Token, error) {
	tok, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM mgmt_tokens WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if err != nil {
		return Token{}, fmt.Errorf("mgmt: token %s: %w", id, err)
	}
	return tok, nil
}

// List returns a page of tenantID's tokens, oldest first, and the cursor
// of the next page ("" at the end).
func (t *Tokens) List(ctx context.Context, tx store.Tx, tenantID, after string, limit int) ([]Token, string, error) {
	rows, err := tx.Query(ctx, `SELECT `+tokenColumns+` FROM mgmt_tokens WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, tok)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// Revoke ends a token at once; revoking twice keeps the first time.
func (t *Tokens) Revoke(ctx context.Context, tx store.Tx, tenantID, id string) (Token, error) {
	if _, err := tx.Exec(ctx, `UPDATE mgmt_tokens SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL`, t.clock.Now(), id, tenantID); err != nil {
		return Token{}, err
	}
	return t.Get(ctx, tx, tenantID, id)
}

// RevokeTenant revokes every live token of a tenant, for when the tenant
// is deleted, and reports how many.
func (t *Tokens) RevokeTenant(ctx context.Context, tx store.Tx, tenantID string) (int64, error) {
	return tx.Exec(ctx, `UPDATE mgmt_tokens SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL`, t.clock.Now(), tenantID)
}
