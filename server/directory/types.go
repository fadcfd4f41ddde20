package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// DefaultTypeName is the name of the type each tenant gets on first use.
const DefaultTypeName = "default"

// defaultSchema allows no custom attributes.
const defaultSchema = `{"type":"object","additionalProperties":false}`

// maxOffenders bounds the users named when a schema change is refused.
const maxOffenders = 5

// UserType is a kind of user of a tenant: the JSON Schema its profiles'
// custom attributes follow, and the flags of those attributes.
type UserType struct {
	ID         string // "uty_…"
	TenantID   string
	Name       string // unique within the tenant
	Schema     json.RawMessage
	Attributes map[string]Attribute
	CreatedAt  time.Time
	UpdatedAt  time.Time

	compiled *jsonschema.Schema
}

// UserTypeInput describes a type to create or the new version of one.
type UserTypeInput struct {
	Name string `json:"name"`
	// Schema is a JSON Schema 2020-12 for the custom attributes, see
	// CreateUserType for what it must bound.
	Schema     json.RawMessage      `json:"schema"`
	Attributes map[string]Attribute `json:"attributes"`
}

// checkType validates input and returns the type it describes, compiled.
func checkType(in UserTypeInput) (UserType, error) {
	t := UserType{Name: strings.TrimSpace(in.Name), Schema: in.Schema, Attributes: in.Attributes}
	if t.Attributes == nil {
		t.Attributes = map[string]Attribute{}
	}
	errs := []error{checkText("name", t.Name, 64, true)}
	var err error
	if t.compiled, err = compileSchema(in.Schema); err == nil {
		err = checkAttributes(in.Schema, t.Attributes)
	}
	return t, errors.Join(append(errs, err)...)
}

// CreateUserType creates a type of tenantID. The schema's root must be an
// object whose additionalProperties is false or a schema; every string it
// allows must set maxLength and every array maxItems; it may refer only to
// itself. Each flagged attribute must be a property of the root. A name
// the tenant already uses is a conflict.
func (d *Directory) CreateUserType(ctx context.Context, tx store.Tx, tenantID string, in UserTypeInput) (UserType, error) {
	t, err := checkType(in)
	if err != nil {
		return UserType{}, err
	}
	if err := d.nameFree(ctx, tx, tenantID, "", t.Name); err != nil {
		return UserType{}, err
	}
	now := d.now()
	t.ID, t.TenantID, t.CreatedAt, t.UpdatedAt = ident.New("uty", now), tenantID, now, now
	attrs, _ := json.Marshal(t.Attributes)
	_, err = tx.Exec(ctx, `INSERT INTO user_types (id, tenant_id, name, schema, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, tenantID, t.Name, []byte(t.Schema), attrs, now, now)
	if errors.Is(err, store.ErrConflict) {
		return UserType{}, fmt.Errorf("%w: %w", conflict("name", "another type of the tenant has this name"), err)
	}
	if err != nil {
		return UserType{}, fmt.Errorf("directory: create user type: %w", err)
	}
	return t, nil
}

// nameFree checks, before writing (a failed write would end a PostgreSQL
// transaction), that no type of the tenant but self has name.
func (d *Directory) nameFree(ctx context.Context, tx store.Tx, tenantID, self, name string) error {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM user_types WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&id)
	switch {
	case err == nil && id != self:
		return conflict("name", "another type of the tenant has this name")
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("directory: user type name: %w", err)
	}
	return nil
}

const typeCols = `id, tenant_id, name, schema, attributes, created_at, updated_at`

func scanType(r scanner) (UserType, error) {
	var t UserType
	var schema, attrs []byte
	if err := r.Scan(&t.ID, &t.TenantID, &t.Name, &schema, &attrs, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return UserType{}, err
	}
	t.Schema = schema
	if err := json.Unmarshal(attrs, &t.Attributes); err != nil {
		return UserType{}, fmt.Errorf("directory: user type %s: attributes: %w", t.ID, err)
	}
	var err error
	if t.compiled, err = compileSchema(schema); err != nil {
		return UserType{}, fmt.Errorf("directory: user type %s: stored schema: %w", t.ID, err)
	}
	return t, nil
}

// UserType returns a type of tenantID by ID; one of another tenant is not
// found.
func (d *Directory) UserType(ctx context.Context, tx store.Tx, tenantID, id string) (UserType, error) {
	t, err := scanType(tx.QueryRow(ctx, `SELECT `+typeCols+` FROM user_types WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, store.ErrNotFound) {
		return UserType{}, notFound("user type", id)
	}
	return t, err
}

// DefaultUserType returns the tenant's type named DefaultTypeName,
// creating it (without custom attributes) on first use.
func (d *Directory) DefaultUserType(ctx context.Context, tx store.Tx, tenantID string) (UserType, error) {
	t, err := scanType(tx.QueryRow(ctx, `SELECT `+typeCols+` FROM user_types WHERE tenant_id = ? AND name = ?`, tenantID, DefaultTypeName))
	if errors.Is(err, store.ErrNotFound) {
		return d.CreateUserType(ctx, tx, tenantID, UserTypeInput{Name: DefaultTypeName, Schema: json.RawMessage(defaultSchema)})
	}
	return t, err
}

// UpdateUserType replaces a type's name, schema and flags. The new version
// is checked against the profile of every user of the type: if any fails
// (or two users hold the same value of an attribute now flagged unique)
// the change is refused with an *invalid.Error naming "schema" and the
// first offending users.
func (d *Directory) UpdateUserType(ctx context.Context, tx store.Tx, tenantID, id string, in UserTypeInput) (UserType, error) {
	old, err := d.UserType(ctx, tx, tenantID, id)
	if err != nil {
		return UserType{}, err
	}
	t, err := checkType(in)
	if err != nil {
		return UserType{}, err
	}
	if err := d.nameFree(ctx, tx, tenantID, id, t.Name); err != nil {
		return UserType{}, err
	}
	t.ID, t.TenantID, t.CreatedAt, t.UpdatedAt = old.ID, old.TenantID, old.CreatedAt, d.now()
	profiles, err := d.profilesOfType(ctx, tx, tenantID, id)
	if err != nil {
		return UserType{}, err
	}
	var offenders []string
	owners := map[string]string{} // attribute and value → user
	uniques := map[string]map[string]string{}
	for _, p := range profiles {
		_, perr := t.checkProfile(p.profile)
		vals := t.uniqueValues(p.profile)
		for attr, v := range vals {
			if _, dup := owners[attr+"\x00"+v]; dup {
				perr = errors.New("duplicate")
			}
			owners[attr+"\x00"+v] = p.id
		}
		uniques[p.id] = vals
		if perr != nil && len(offenders) < maxOffenders {
			offenders = append(offenders, p.id)
		}
	}
	if len(offenders) > 0 {
		return UserType{}, invalid.Field("schema", "existing users do not follow it: %s", strings.Join(offenders, ", "))
	}
	attrs, _ := json.Marshal(t.Attributes)
	_, err = tx.Exec(ctx, `UPDATE user_types SET name = ?, schema = ?, attributes = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		t.Name, []byte(t.Schema), attrs, t.UpdatedAt, tenantID, id)
	if errors.Is(err, store.ErrConflict) {
		return UserType{}, fmt.Errorf("%w: %w", conflict("name", "another type of the tenant has this name"), err)
	}
	if err != nil {
		return UserType{}, fmt.Errorf("directory: update user type: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM user_unique_attrs WHERE tenant_id = ? AND type_id = ?`, tenantID, id); err != nil {
		return UserType{}, fmt.Errorf("directory: update user type: %w", err)
	}
	for uid, vals := range uniques {
		if err := setUniqueValues(ctx, tx, t, uid, vals); err != nil {
			return UserType{}, err
		}
	}
	return t, nil
}

// DeleteUserType deletes a type no user has; a type in use is refused
// with an *invalid.Error naming "type_id".
func (d *Directory) DeleteUserType(ctx context.Context, tx store.Tx, tenantID, id string) error {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE tenant_id = ? AND type_id = ?`, tenantID, id).Scan(&n); err != nil {
		return fmt.Errorf("directory: delete user type: %w", err)
	}
	if n > 0 {
		return invalid.Field("type_id", "is the type of %d users", n)
	}
	deleted, err := tx.Exec(ctx, `DELETE FROM user_types WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("directory: delete user type: %w", err)
	}
	if deleted == 0 {
		return notFound("user type", id)
	}
	return nil
}
