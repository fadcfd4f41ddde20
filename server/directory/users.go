package directory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

const userCols = `id, tenant_id, login, email, email_verified, name, locale, status, created_at, updated_at, last_sign_in_at,
	type_id, profile, given_name, family_name, phone, phone_verified, sign_in_count, external_id`

// scanner is a store.Row or store.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner) (User, error) {
	var u User
	var last sql.NullTime
	var profile []byte
	err := r.Scan(&u.ID, &u.TenantID, &u.Login, &u.Email, &u.EmailVerified, &u.Name, &u.Locale, &u.Status,
		&u.CreatedAt, &u.UpdatedAt, &last, &u.TypeID, &profile, &u.GivenName, &u.FamilyName, &u.Phone, &u.PhoneVerified,
		&u.SignInCount, &u.ExternalID)
	if err != nil {
		return User{}, err
	}
	if last.Valid {
		u.LastSignInAt = &last.Time
	}
	if err := json.Unmarshal(profile, &u.Profile); err != nil {
		return User{}, fmt.Errorf("directory: profile of user %s: %w", u.ID, err)
	}
	if u.Profile == nil {
		u.Profile = map[string]any{}
	}
	return u, nil
}

// typeOf returns the type a user of tenantID is created with: typeID, or
// the tenant's default type when typeID is "".
func (d *Directory) typeOf(ctx context.Context, tx store.Tx, tenantID, typeID string) (UserType, error) {
	if typeID == "" {
		return d.DefaultUserType(ctx, tx, tenantID)
	}
	return d.UserType(ctx, tx, tenantID, typeID)
}

// CreateUser creates a user of tenantID and records "user.created". The
// login is normalized (see NormalizeLogin); a login another user of the
// tenant has is a conflict (store.ErrConflict with an *invalid.Error
// naming "login"). Profile is checked against the schema of the user's
// type (TypeID, or the tenant's default type); a value of a unique
// attribute another user of the type holds is a conflict naming the
// attribute. The caller checks that the tenant exists.
func (d *Directory) CreateUser(ctx context.Context, tx store.Tx, tenantID string, in UserInput) (User, error) {
	in, err := checkUser(in)
	if tenantID == "" {
		err = errors.Join(invalidTenant(), err)
	}
	if err != nil {
		return User{}, err
	}
	t, err := d.typeOf(ctx, tx, tenantID, in.TypeID)
	if err != nil {
		return User{}, err
	}
	profile, err := t.checkProfile(in.Profile)
	if err != nil {
		return User{}, err
	}
	switch _, err := d.UserByLogin(ctx, tx, tenantID, in.Login); {
	case err == nil:
		return User{}, conflict("login", "another user of the tenant has this login")
	case !errors.Is(err, store.ErrNotFound):
		return User{}, err
	}
	now := d.now()
	u := User{
		ID: ident.New("usr", now), TenantID: tenantID, TypeID: t.ID, Login: in.Login, Email: in.Email, EmailVerified: in.EmailVerified,
		Name: in.Name, GivenName: in.GivenName, FamilyName: in.FamilyName, Phone: in.Phone, PhoneVerified: in.PhoneVerified,
		Locale: in.Locale, ExternalID: in.ExternalID, Status: in.Status, CreatedAt: now, UpdatedAt: now,
	}
	_ = json.Unmarshal(profile, &u.Profile)
	if err := setUniqueValues(ctx, tx, t, u.ID, t.uniqueValues(u.Profile)); err != nil {
		return User{}, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO users (`+userCols+`, email_folded, name_folded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.TenantID, u.Login, u.Email, u.EmailVerified, u.Name, u.Locale, string(u.Status), u.CreatedAt, u.UpdatedAt, nil,
		u.TypeID, profile, u.GivenName, u.FamilyName, u.Phone, u.PhoneVerified, 0, u.ExternalID, fold(u.Email), fold(u.Name))
	if errors.Is(err, store.ErrConflict) {
		return User{}, fmt.Errorf("%w: %w", conflict("login", "another user of the tenant has this login"), err)
	}
	if err != nil {
		return User{}, fmt.Errorf("directory: create user: %w", err)
	}
	details := map[string]any{"type_id": u.TypeID, "status": string(u.Status), "attributes": attributeNames(u.Profile)}
	if err := d.record(ctx, tx, "user.created", u, in.Actor, details); err != nil {
		return User{}, err
	}
	if err := d.applyRulesTo(ctx, tx, u, t); err != nil {
		return User{}, err
	}
	return u, nil
}

// User returns a user of tenantID by ID. A user of another tenant is not
// found (store.ErrNotFound).
func (d *Directory) User(ctx context.Context, tx store.Tx, tenantID, id string) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, store.ErrNotFound) {
		return User{}, notFound("user", id)
	}
	return u, err
}

// UserByLogin returns the user of tenantID whose login is login once
// normalized (see NormalizeLogin). A login no user could have (empty, too
// long, unprintable) is not found either: the error wraps store.ErrNotFound
// and also holds an *invalid.Error naming "login", so a sign-in treats it
// like any unknown login and an API can say what is wrong with it.
func (d *Directory) UserByLogin(ctx context.Context, tx store.Tx, tenantID, login string) (User, error) {
	norm, err := checkLogin(login)
	if err != nil {
		return User{}, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? AND login = ?`, tenantID, norm))
	if errors.Is(err, store.ErrNotFound) {
		return User{}, notFound("user with login", norm)
	}
	return u, err
}

// RecordSignIn records that a user of tenantID signed in now: it sets
// LastSignInAt and adds one to SignInCount, in one statement (so
// concurrent sign-ins each count). It does not change UpdatedAt, which
// tracks changes to the profile. It does not check the user's status:
// the caller decided the sign-in. An unknown user is not found.
func (d *Directory) RecordSignIn(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	n, err := tx.Exec(ctx, `UPDATE users SET last_sign_in_at = ?, sign_in_count = sign_in_count + 1 WHERE tenant_id = ? AND id = ?`,
		d.now(), tenantID, userID)
	if err != nil {
		return fmt.Errorf("directory: record sign-in: %w", err)
	}
	if n == 0 {
		return notFound("user", userID)
	}
	return nil
}
