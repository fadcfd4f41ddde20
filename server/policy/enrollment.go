package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// How self-registration proves the person's email address
// (Enrollment.EmailVerification).
const (
	// VerifyBefore: registration creates the account only once the
	// emailed code or link is confirmed.
	VerifyBefore = "before"
	// VerifyAfter: registration creates and signs in the account at once
	// (email_verified false) and mails a verification.
	VerifyAfter = "after"
)

// Limits of a profile-enrollment policy.
const (
	// MaxEnrollAttributes is the most attributes of each list of a policy
	// (Attributes, Progressive).
	MaxEnrollAttributes = 30
	// MaxAfterSignIns bounds ProgressiveAttribute.AfterSignIns.
	MaxAfterSignIns = 1000
)

// EnrollAttribute is an attribute registration asks for.
type EnrollAttribute struct {
	// Name is a base profile field (directory.BaseAttributes) or a custom
	// attribute of the policy's user type.
	Name string
	// Required attributes must be given to register.
	Required bool
}

// ProgressiveAttribute is an attribute a sign-in asks for while the
// person's profile lacks it (collection "by missing attribute").
type ProgressiveAttribute struct {
	// Name is a base profile field (directory.BaseAttributes) or a custom
	// attribute of the policy's user type.
	Name string
	// Required: the app requires it, so the person cannot skip it
	// (collection "by app requirement").
	Required bool
	// AfterSignIns: it is asked once the person has at least this many
	// earlier sign-ins, 0 to MaxAfterSignIns; 0 asks on any sign-in while
	// it is missing (collection "by count of sign-ins").
	AfterSignIns int
}

// Enrollment is the profile-enrollment policy of an app, or the tenant's
// default (AppID ""), which applies to apps without one of their own.
type Enrollment struct {
	// ID is "enp_…"; "" for the built-in default.
	ID, TenantID string
	// AppID is the app the policy belongs to; "" for the tenant default.
	AppID string
	// Registration turns self-registration on.
	Registration bool
	// UserTypeID is the type of registered users; "" for the tenant's
	// default type (directory.DefaultTypeName).
	UserTypeID string
	// Attributes are asked at registration, in order, each name once.
	Attributes []EnrollAttribute
	// Progressive are asked at later sign-ins while missing, in order,
	// each name once (see DueAttributes).
	Progressive []ProgressiveAttribute
	// EmailVerification is VerifyBefore or VerifyAfter.
	EmailVerification string
	// CreatedAt and UpdatedAt are zero for the built-in default.
	CreatedAt, UpdatedAt time.Time
}

// DefaultEnrollment is the built-in policy of an app when neither it nor
// its tenant has one: no self-registration, email verified before the
// account exists, nothing asked.
func DefaultEnrollment() Enrollment {
	return Enrollment{EmailVerification: VerifyBefore, Attributes: []EnrollAttribute{}, Progressive: []ProgressiveAttribute{}}
}

// DueAttributes returns the progressive attributes to ask for now, in
// policy order: those the person lacks (has(name) is false) and whose
// AfterSignIns is at most signIns, the person's earlier successful
// sign-ins (directory.User.SignInCount before this one is recorded).
// has is typically directory.User.HasAttribute.
func (e Enrollment) DueAttributes(signIns int, has func(name string) bool) []ProgressiveAttribute {
	var out []ProgressiveAttribute
	for _, p := range e.Progressive {
		if p.AfterSignIns <= signIns && !has(p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// storedEnrollAttribute is an EnrollAttribute or a ProgressiveAttribute
// as stored in the attributes and progressive columns.
type storedEnrollAttribute struct {
	Name         string `json:"name"`
	Required     bool   `json:"required"`
	AfterSignIns int    `json:"after_sign_ins,omitempty"`
}

const enrollmentCols = `id, tenant_id, app_id, registration, user_type_id, attributes, progressive, email_verification, created_at, updated_at`

func scanEnrollment(r store.Scanner) (Enrollment, error) {
	var e Enrollment
	var attrs, prog []byte
	err := r.Scan(&e.ID, &e.TenantID, &e.AppID, &e.Registration, &e.UserTypeID, &attrs, &prog, &e.EmailVerification,
		&e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return Enrollment{}, err
	}
	var a, p []storedEnrollAttribute
	if err := json.Unmarshal(attrs, &a); err != nil {
		return Enrollment{}, fmt.Errorf("policy: stored enrollment attributes: %w", err)
	}
	if err := json.Unmarshal(prog, &p); err != nil {
		return Enrollment{}, fmt.Errorf("policy: stored progressive attributes: %w", err)
	}
	e.Attributes = make([]EnrollAttribute, len(a))
	for i, x := range a {
		e.Attributes[i] = EnrollAttribute{Name: x.Name, Required: x.Required}
	}
	e.Progressive = make([]ProgressiveAttribute, len(p))
	for i, x := range p {
		e.Progressive[i] = ProgressiveAttribute(x)
	}
	return e, nil
}

// encodeEnrollAttributes writes the attributes and progressive columns.
func encodeEnrollAttributes(e Enrollment) (attrs, prog string) {
	a := make([]storedEnrollAttribute, len(e.Attributes))
	for i, x := range e.Attributes {
		a[i] = storedEnrollAttribute{Name: x.Name, Required: x.Required}
	}
	p := make([]storedEnrollAttribute, len(e.Progressive))
	for i, x := range e.Progressive {
		p[i] = storedEnrollAttribute(x)
	}
	ab, _ := json.Marshal(a) // plain strings, bools and numbers always encode
	pb, _ := json.Marshal(p)
	return string(ab), string(pb)
}

// Enrollment returns the profile-enrollment policy in effect for an app
// of the tenant: the app's own, else the tenant default, else
// DefaultEnrollment() with TenantID and AppID set to the arguments (and
// ID ""). A stored policy comes back as stored, so AppID says whose it
// is ("" for the tenant default).
func (s *Service) Enrollment(ctx context.Context, tx store.Tx, tenantID, appID string) (Enrollment, error) {
	// The app's own policy sorts before the default ('' is the least).
	e, err := scanEnrollment(tx.QueryRow(ctx, `SELECT `+enrollmentCols+` FROM enrollment_policies
		WHERE tenant_id = ? AND app_id IN (?, '') ORDER BY app_id DESC LIMIT 1`, tenantID, appID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		d := DefaultEnrollment()
		d.TenantID, d.AppID = tenantID, appID
		return d, nil
	case err != nil:
		return Enrollment{}, fmt.Errorf("policy: enrollment policy: %w", err)
	}
	return e, nil
}

// EnrollmentPolicy returns the stored profile-enrollment policy of an app
// of the tenant, or the tenant default when appID is "". Without one it
// is store.ErrNotFound (Enrollment then falls back as documented there).
func (s *Service) EnrollmentPolicy(ctx context.Context, tx store.Tx, tenantID, appID string) (Enrollment, error) {
	e, err := scanEnrollment(tx.QueryRow(ctx, `SELECT `+enrollmentCols+` FROM enrollment_policies WHERE tenant_id = ? AND app_id = ?`,
		tenantID, appID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Enrollment{}, enrollmentNotFound(appID)
	case err != nil:
		return Enrollment{}, fmt.Errorf("policy: enrollment policy: %w", err)
	}
	return e, nil
}

func enrollmentNotFound(appID string) error {
	if appID == "" {
		return notFound("default enrollment policy")
	}
	return notFound("enrollment policy of app %q", appID)
}

// PutEnrollmentPolicy sets the profile-enrollment policy of an app of the
// tenant (the tenant default when appID is ""), replacing the one it had:
// the policy keeps its ID and CreatedAt; in's ID, TenantID, AppID and
// times are ignored. The caller checks that the app exists and records
// the change. The policy is checked (see checkEnrollment) and every
// problem reported at once as *invalid.Error naming the field
// ("attributes[2].name"); nothing is written then.
func (s *Service) PutEnrollmentPolicy(ctx context.Context, tx store.Tx, tenantID, appID string, in Enrollment) (Enrollment, error) {
	if len(appID) > maxAppIDLen {
		return Enrollment{}, invalid.Field("app_id", "must be at most %d characters", maxAppIDLen)
	}
	p, err := s.checkEnrollment(ctx, tx, tenantID, in)
	if err != nil {
		return Enrollment{}, err
	}
	now := s.now()
	old, err := s.EnrollmentPolicy(ctx, tx, tenantID, appID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.ID, p.CreatedAt = ident.New("enp", now), now
	case err != nil:
		return Enrollment{}, err
	default:
		p.ID, p.CreatedAt = old.ID, old.CreatedAt
	}
	p.TenantID, p.AppID, p.UpdatedAt = tenantID, appID, now
	attrs, prog := encodeEnrollAttributes(p)
	_, err = tx.Exec(ctx, `INSERT INTO enrollment_policies (`+enrollmentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, app_id) DO UPDATE SET registration = excluded.registration, user_type_id = excluded.user_type_id,
			attributes = excluded.attributes, progressive = excluded.progressive,
			email_verification = excluded.email_verification, updated_at = excluded.updated_at`,
		p.ID, p.TenantID, p.AppID, p.Registration, p.UserTypeID, attrs, prog, p.EmailVerification, p.CreatedAt, p.UpdatedAt)
	if err != nil {
		return Enrollment{}, fmt.Errorf("policy: put enrollment policy: %w", err)
	}
	return p, nil
}

// DeleteEnrollmentPolicy removes the profile-enrollment policy of an app
// of the tenant (the tenant default when appID is ""); the app then
// follows the tenant default, or the built-in one. Without a policy it is
// store.ErrNotFound.
func (s *Service) DeleteEnrollmentPolicy(ctx context.Context, tx store.Tx, tenantID, appID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM enrollment_policies WHERE tenant_id = ? AND app_id = ?`, tenantID, appID)
	if err != nil {
		return fmt.Errorf("policy: delete enrollment policy: %w", err)
	}
	if n == 0 {
		return enrollmentNotFound(appID)
	}
	return nil
}
