package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// checkEnrollment validates a policy and returns it normalized,
// reporting every problem at once:
//   - email_verification is VerifyBefore or VerifyAfter ("" means
//     VerifyBefore);
//   - user_type_id is "" (the tenant's default type) or a type of the
//     tenant;
//   - attributes and progressive hold at most MaxEnrollAttributes
//     entries each, no name twice in one list; each name is a base
//     profile field or a custom attribute of the type that a form can
//     hold (see directory.UserType.Field) and that the type flags
//     user_editable: what people enter themselves must never feed an
//     access-granting rule unflagged;
//   - progressive after_sign_ins is 0 to MaxAfterSignIns;
//   - with registration on, attributes include every attribute the type
//     requires, as required: registration could not create the user
//     otherwise.
func (s *Service) checkEnrollment(ctx context.Context, tx store.Tx, tenantID string, in Enrollment) (Enrollment, error) {
	out := Enrollment{Registration: in.Registration, UserTypeID: in.UserTypeID, EmailVerification: in.EmailVerification}
	var errs []error
	if out.EmailVerification == "" {
		out.EmailVerification = VerifyBefore
	}
	if out.EmailVerification != VerifyBefore && out.EmailVerification != VerifyAfter {
		errs = append(errs, invalid.Field("email_verification", "must be %q or %q", VerifyBefore, VerifyAfter))
	}
	t, err := s.enrollmentType(ctx, tx, tenantID, out.UserTypeID)
	switch {
	case invalid.Is(err):
		errs = append(errs, err)
	case err != nil:
		return Enrollment{}, err
	}
	switch n := len(in.Attributes); {
	case n > MaxEnrollAttributes:
		errs = append(errs, invalid.Field("attributes", "must have at most %d entries, not %d", MaxEnrollAttributes, n))
	default:
		out.Attributes = make([]EnrollAttribute, n)
		seen := map[string]int{}
		for i, a := range in.Attributes {
			field := fmt.Sprintf("attributes[%d]", i)
			errs = append(errs, checkEnrollName(t, field, a.Name, seen, i))
			out.Attributes[i] = a
		}
	}
	switch n := len(in.Progressive); {
	case n > MaxEnrollAttributes:
		errs = append(errs, invalid.Field("progressive", "must have at most %d entries, not %d", MaxEnrollAttributes, n))
	default:
		out.Progressive = make([]ProgressiveAttribute, n)
		seen := map[string]int{}
		for i, p := range in.Progressive {
			field := fmt.Sprintf("progressive[%d]", i)
			errs = append(errs, checkEnrollName(t, field, p.Name, seen, i))
			if p.AfterSignIns < 0 || p.AfterSignIns > MaxAfterSignIns {
				errs = append(errs, invalid.Field(field+".after_sign_ins", "must be 0 to %d", MaxAfterSignIns))
			}
			out.Progressive[i] = p
		}
	}
	if out.Registration && t != nil && len(in.Attributes) <= MaxEnrollAttributes {
		errs = append(errs, checkTypeRequired(*t, out.Attributes))
	}
	if err := errors.Join(errs...); err != nil {
		return Enrollment{}, err
	}
	return out, nil
}

// enrollmentType returns the user type a policy registers: typeID, or
// the tenant's default type when typeID is "" (a zero UserType, which
// holds only the base fields, when the tenant has not used it yet). A
// typeID the tenant does not have is an *invalid.Error naming
// "user_type_id"; nil comes back with it.
func (s *Service) enrollmentType(ctx context.Context, tx store.Tx, tenantID, typeID string) (*directory.UserType, error) {
	types, err := s.d.Types.UserTypes(ctx, tx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("policy: user types: %w", err)
	}
	for _, t := range types {
		if typeID == "" && t.Name == directory.DefaultTypeName || typeID != "" && t.ID == typeID {
			return &t, nil
		}
	}
	if typeID == "" {
		return &directory.UserType{TenantID: tenantID, Name: directory.DefaultTypeName}, nil
	}
	return nil, invalid.Field("user_type_id", "is not a user type of the tenant")
}

// checkEnrollName checks the name of entry i of a list of attributes
// (field is "attributes[i]" or "progressive[i]"); seen holds the names of
// the entries before it. Without a type (t nil: user_type_id is wrong)
// only duplicates are checked.
func checkEnrollName(t *directory.UserType, field, name string, seen map[string]int, i int) error {
	if name == "" {
		return invalid.Field(field+".name", "is required")
	}
	if j, dup := seen[name]; dup {
		return invalid.Field(field+".name", "is also the name of entry %d", j)
	}
	seen[name] = i
	if t == nil {
		return nil
	}
	f, ok := t.Field(name)
	switch {
	case !ok:
		return invalid.Field(field+".name", "must be a base profile field (%s) or an attribute of the user type that a form can hold",
			strings.Join(directory.BaseAttributes, ", "))
	case !f.UserEditable:
		return invalid.Field(field+".name", "must be flagged user_editable in the user type: people set it themselves")
	}
	return nil
}

// checkTypeRequired checks that registration asks, as required, for every
// attribute the type requires.
func checkTypeRequired(t directory.UserType, attrs []EnrollAttribute) error {
	required := map[string]bool{}
	for name, a := range t.Attributes {
		if a.Required {
			required[name] = true
		}
	}
	var root struct {
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(t.Schema, &root) // the directory checked it; a zero type has none
	for _, name := range root.Required {
		required[name] = true
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(required)) {
		i := slices.IndexFunc(attrs, func(a EnrollAttribute) bool { return a.Name == name })
		switch {
		case i < 0:
			errs = append(errs, invalid.Field("attributes", "must ask for %q: the user type requires it", name))
		case !attrs[i].Required:
			errs = append(errs, invalid.Field(fmt.Sprintf("attributes[%d].required", i), "must be true: the user type requires %q", name))
		}
	}
	return errors.Join(errs...)
}

var _ UserTypes = (*directory.Directory)(nil)
