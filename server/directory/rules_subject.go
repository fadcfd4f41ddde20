package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// editableBase lists the base attributes a person may change themselves
// (self-service profile, email change with verification). Like custom
// attributes marked user_editable, they never feed an access-granting
// rule without an explicit override.
var editableBase = map[string]bool{"email": true, "name": true, "given_name": true, "family_name": true, "locale": true, "phone": true}

// subjectOf is what group rules see of a user: base attributes and the
// custom profile, with the editable ones marked.
func subjectOf(u User, t UserType) RuleSubject {
	attrs := map[string]any{
		"login": u.Login, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name,
		"given_name": u.GivenName, "family_name": u.FamilyName, "locale": u.Locale, "phone": u.Phone,
		"phone_verified": u.PhoneVerified, "status": string(u.Status), "type_id": u.TypeID,
	}
	editable := map[string]bool{}
	for k := range editableBase {
		editable[k] = true
	}
	for k, v := range u.Profile {
		attrs[k] = v
	}
	for name, a := range t.Attributes {
		if a.UserEditable {
			editable[name] = true
		}
	}
	return RuleSubject{UserID: u.ID, Attrs: attrs, Editable: editable}
}

// applyRulesTo settles a user's rule-based group memberships after a
// change. A rule that fails to evaluate leaves its memberships as they
// were (see ApplyRules) and does not fail the change.
func (d *Directory) applyRulesTo(ctx context.Context, tx store.Tx, u User, t UserType) error {
	err := d.ApplyRules(ctx, tx, u.TenantID, subjectOf(u, t))
	if err == nil || errors.Is(err, ErrRuleEvaluation) && !hasOtherErrors(err) {
		return nil
	}
	return fmt.Errorf("directory: group rules: %w", err)
}

// hasOtherErrors reports whether err holds anything but rule errors.
func hasOtherErrors(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !errors.Is(e, ErrRuleEvaluation) {
				return true
			}
		}
		return false
	}
	return !errors.Is(err, ErrRuleEvaluation)
}

// EditableAttributes returns every attribute a person of tenantID may
// change: the editable base attributes and the custom attributes any user
// type marks user_editable. Rules reading one need an explicit override.
func (d *Directory) EditableAttributes(ctx context.Context, tx store.Tx, tenantID string) (map[string]bool, error) {
	out := map[string]bool{}
	for k := range editableBase {
		out[k] = true
	}
	rows, err := tx.Query(ctx, `SELECT `+typeCols+` FROM user_types WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, err
		}
		for name, a := range t.Attributes {
			if a.UserEditable {
				out[name] = true
			}
		}
	}
	return out, rows.Err()
}
