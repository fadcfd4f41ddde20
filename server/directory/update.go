package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// UserUpdate holds the changes to a user's profile; a nil field is left
// as it is. The login, type and status are changed by other methods.
type UserUpdate struct {
	Email         *string
	EmailVerified *bool
	Name          *string
	GivenName     *string
	FamilyName    *string
	Phone         *string
	PhoneVerified *bool
	Locale        *string
	// ExternalID is the provisioning client's name for the user ("" for
	// none).
	ExternalID *string
	// Profile, when not nil, replaces the custom attributes.
	Profile map[string]any
}

// UpdateUser applies up to a user of tenantID, checks the result like
// CreateUser does (a changed email or phone is unverified unless up says
// otherwise), and records "user.updated" by actor with the names of
// the changed fields (never their values).
func (d *Directory) UpdateUser(ctx context.Context, tx store.Tx, tenantID, userID string, up UserUpdate, actor events.Ref) (User, error) {
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return User{}, err
	}
	in := UserInput{Login: u.Login, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, GivenName: u.GivenName,
		FamilyName: u.FamilyName, Phone: u.Phone, PhoneVerified: u.PhoneVerified, Locale: u.Locale, ExternalID: u.ExternalID,
		Status: StatusActive, Profile: u.Profile}
	set(&in.Email, up.Email)
	set(&in.EmailVerified, up.EmailVerified)
	set(&in.Name, up.Name)
	set(&in.GivenName, up.GivenName)
	set(&in.FamilyName, up.FamilyName)
	set(&in.Phone, up.Phone)
	set(&in.PhoneVerified, up.PhoneVerified)
	set(&in.Locale, up.Locale)
	set(&in.ExternalID, up.ExternalID)
	if up.Profile != nil {
		in.Profile = up.Profile
	}
	// A new address or number is not verified unless the caller says so.
	if in.Email != u.Email && up.EmailVerified == nil {
		in.EmailVerified = false
	}
	if in.Phone != u.Phone && up.PhoneVerified == nil {
		in.PhoneVerified = false
	}
	if in, err = checkUser(in); err != nil {
		return User{}, err
	}
	t, err := d.UserType(ctx, tx, tenantID, u.TypeID)
	if err != nil {
		return User{}, err
	}
	profile, err := t.checkProfile(in.Profile)
	if err != nil {
		return User{}, err
	}
	next := u
	next.Email, next.EmailVerified, next.Name, next.GivenName, next.FamilyName = in.Email, in.EmailVerified, in.Name, in.GivenName, in.FamilyName
	next.Phone, next.PhoneVerified, next.Locale, next.Profile, next.UpdatedAt = in.Phone, in.PhoneVerified, in.Locale, nil, d.now()
	next.ExternalID = in.ExternalID
	_ = json.Unmarshal(profile, &next.Profile)
	changed := changedFields(u, next)
	if len(changed) == 0 {
		return u, nil
	}
	if err := setUniqueValues(ctx, tx, t, u.ID, t.uniqueValues(next.Profile)); err != nil {
		return User{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE users SET email = ?, email_verified = ?, name = ?, given_name = ?, family_name = ?, phone = ?,
		phone_verified = ?, locale = ?, profile = ?, external_id = ?, email_folded = ?, name_folded = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		next.Email, next.EmailVerified, next.Name, next.GivenName, next.FamilyName, next.Phone, next.PhoneVerified, next.Locale,
		profile, next.ExternalID, fold(next.Email), fold(next.Name), next.UpdatedAt, tenantID, userID)
	if err != nil {
		return User{}, fmt.Errorf("directory: update user: %w", err)
	}
	if err := d.record(ctx, tx, "user.updated", next, actor, map[string]any{"fields": changed}); err != nil {
		return User{}, err
	}
	if err := d.applyRulesTo(ctx, tx, next, t); err != nil {
		return User{}, err
	}
	return next, nil
}

// SetAttributes sets attributes of a user of tenantID by name, as a form
// of registration or progressive profiling collects them (see Field and
// ParseAttribute): base fields (BaseAttributes) go to their columns and
// must be strings (nil clears them); any other name is a custom attribute
// merged into the profile, the others kept (nil removes it). The result
// is checked and recorded as UpdateUser does, whose work this is: the
// profile against the type's schema (a name the type does not have is
// refused as "profile.<name>"), a changed phone unverified. Whether the
// person may set these attributes is the caller's decision. Nothing is
// written when values is empty or changes nothing.
func (d *Directory) SetAttributes(ctx context.Context, tx store.Tx, tenantID, userID string, values map[string]any, actor events.Ref) (User, error) {
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return User{}, err
	}
	var up UserUpdate
	var errs []error
	profile := maps.Clone(u.Profile)
	custom := false
	for _, name := range slices.Sorted(maps.Keys(values)) {
		v := values[name]
		var field **string
		switch name {
		case "given_name":
			field = &up.GivenName
		case "family_name":
			field = &up.FamilyName
		case "name":
			field = &up.Name
		case "phone":
			field = &up.Phone
		case "locale":
			field = &up.Locale
		default:
			custom = true
			if v == nil {
				delete(profile, name)
			} else {
				profile[name] = v
			}
			continue
		}
		switch s := v.(type) {
		case nil:
			*field = new(string)
		case string:
			*field = &s
		default:
			errs = append(errs, invalid.Field(name, "must be text"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return User{}, err
	}
	if custom {
		up.Profile = profile
	}
	return d.UpdateUser(ctx, tx, tenantID, userID, up, actor)
}

// set copies *from into *to when from is not nil.
func set[T any](to *T, from *T) {
	if from != nil {
		*to = *from
	}
}

// changedFields names the fields that differ between a and b; custom
// attributes as "profile.<name>".
func changedFields(a, b User) []string {
	var out []string
	pairs := []struct {
		name string
		eq   bool
	}{
		{"email", a.Email == b.Email}, {"email_verified", a.EmailVerified == b.EmailVerified}, {"name", a.Name == b.Name},
		{"given_name", a.GivenName == b.GivenName}, {"family_name", a.FamilyName == b.FamilyName}, {"phone", a.Phone == b.Phone},
		{"phone_verified", a.PhoneVerified == b.PhoneVerified}, {"locale", a.Locale == b.Locale},
		{"external_id", a.ExternalID == b.ExternalID},
	}
	for _, p := range pairs {
		if !p.eq {
			out = append(out, p.name)
		}
	}
	for _, k := range attributeNames(a.Profile, b.Profile) {
		x, _ := json.Marshal(a.Profile[k])
		y, _ := json.Marshal(b.Profile[k])
		_, inA := a.Profile[k]
		_, inB := b.Profile[k]
		if inA != inB || string(x) != string(y) {
			out = append(out, "profile."+k)
		}
	}
	return out
}

// attributeNames returns the sorted keys of the profiles.
func attributeNames(profiles ...map[string]any) []string {
	var out []string
	for _, p := range profiles {
		for k := range p {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// typedProfile is one user's custom attributes.
type typedProfile struct {
	id      string
	profile map[string]any
}

// profilesOfType returns the profile of every user of a type, by user ID.
func (d *Directory) profilesOfType(ctx context.Context, tx store.Tx, tenantID, typeID string) ([]typedProfile, error) {
	rows, err := tx.Query(ctx, `SELECT id, profile FROM users WHERE tenant_id = ? AND type_id = ? ORDER BY id`, tenantID, typeID)
	if err != nil {
		return nil, fmt.Errorf("directory: profiles of type: %w", err)
	}
	defer rows.Close()
	var out []typedProfile
	for rows.Next() {
		var p typedProfile
		var raw []byte
		if err := rows.Scan(&p.id, &raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &p.profile); err != nil {
			return nil, fmt.Errorf("directory: profile of user %s: %w", p.id, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
