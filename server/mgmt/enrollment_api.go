package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
)

// EnrollAttributeView is an attribute registration asks for.
type EnrollAttributeView struct {
	Name     string `json:"name" doc:"A base profile field or a custom attribute of the policy's user type"`
	Required bool   `json:"required" doc:"Must be given to register"`
}

// ProgressiveAttributeView is an attribute a later sign-in asks for
// while the person's profile lacks it.
type ProgressiveAttributeView struct {
	Name         string `json:"name" doc:"A base profile field or a custom attribute of the policy's user type"`
	Required     bool   `json:"required" doc:"The person cannot skip it"`
	AfterSignIns int    `json:"after_sign_ins" doc:"Asked once the person has at least this many earlier sign-ins; 0 asks at any sign-in"`
}

// EnrollmentPolicyView is the profile-enrollment policy of an app or the
// tenant default.
type EnrollmentPolicyView struct {
	ID                string                     `json:"id"`
	TenantID          string                     `json:"tenant_id"`
	AppID             string                     `json:"app_id,omitempty" doc:"Absent for the tenant default"`
	Registration      bool                       `json:"registration" doc:"Whether people may register themselves"`
	UserTypeID        string                     `json:"user_type_id,omitempty" doc:"The type of registered users; absent for the tenant's default type"`
	Attributes        []EnrollAttributeView      `json:"attributes" doc:"Asked at registration, in order"`
	Progressive       []ProgressiveAttributeView `json:"progressive" doc:"Asked at later sign-ins while missing, in order"`
	EmailVerification string                     `json:"email_verification" enum:"before,after" doc:"before: the account exists once the emailed code or link is confirmed; after: it is created and signed in at once, and a verification is mailed"`
	CreatedAt         time.Time                  `json:"created_at"`
	UpdatedAt         time.Time                  `json:"updated_at"`
}

func enrollmentPolicyView(e policy.Enrollment) EnrollmentPolicyView {
	v := EnrollmentPolicyView{ID: e.ID, TenantID: e.TenantID, AppID: e.AppID, Registration: e.Registration, UserTypeID: e.UserTypeID,
		Attributes: []EnrollAttributeView{}, Progressive: []ProgressiveAttributeView{}, EmailVerification: e.EmailVerification,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	for _, a := range e.Attributes {
		v.Attributes = append(v.Attributes, EnrollAttributeView(a))
	}
	for _, p := range e.Progressive {
		v.Progressive = append(v.Progressive, ProgressiveAttributeView(p))
	}
	return v
}

// enrollAttributeBody and progressiveAttributeBody are the entries of an
// enrollment policy as written; the policy package checks the names
// against the user type and reports every problem by field.
type enrollAttributeBody struct {
	Name     string `json:"name" maxLength:"100" doc:"A base profile field (given_name, family_name, name, phone, locale) or a custom attribute of the user type flagged user_editable; each once"`
	Required bool   `json:"required,omitempty" doc:"Must be given to register; every attribute the user type requires must be asked for as required"`
}

type progressiveAttributeBody struct {
	Name         string `json:"name" maxLength:"100" doc:"As for attributes; each once"`
	Required     bool   `json:"required,omitempty" doc:"The app requires it: the person cannot skip it"`
	AfterSignIns int    `json:"after_sign_ins,omitempty" minimum:"0" maximum:"1000" doc:"Ask once the person has at least this many earlier sign-ins; default 0 (any sign-in)"`
}

// enrollmentPolicyBody replaces an enrollment policy; a field left out
// takes its default.
type enrollmentPolicyBody struct {
	Registration      bool                       `json:"registration" doc:"Let people register themselves"`
	UserTypeID        string                     `json:"user_type_id,omitempty" maxLength:"64" doc:"The type of registered users; default the tenant's default type"`
	Attributes        []enrollAttributeBody      `json:"attributes,omitempty" maxItems:"30" doc:"Asked at registration, in order"`
	Progressive       []progressiveAttributeBody `json:"progressive,omitempty" maxItems:"30" doc:"Asked at later sign-ins while missing, in order"`
	EmailVerification string                     `json:"email_verification,omitempty" enum:"before,after" doc:"Default before"`
}

func (b enrollmentPolicyBody) policy() policy.Enrollment {
	e := policy.Enrollment{Registration: b.Registration, UserTypeID: b.UserTypeID, EmailVerification: b.EmailVerification}
	for _, a := range b.Attributes {
		e.Attributes = append(e.Attributes, policy.EnrollAttribute(a))
	}
	for _, p := range b.Progressive {
		e.Progressive = append(e.Progressive, policy.ProgressiveAttribute(p))
	}
	return e
}

// registerEnrollmentPolicies serves the tenant's default profile-enrollment
// policy and each app's, like the sign-on policies.
func (a *API) registerEnrollmentPolicies(tag string) {
	const dflt = "the tenant's default profile-enrollment policy (self-registration and progressive profiling), which applies to apps without their own"
	base := Prefix + "/tenants/{tenant}/enrollment-policy"
	register(a, Route{ID: "get-default-enrollment-policy", Method: http.MethodGet, Path: base, Scope: ScopePoliciesRead}, tag,
		"Get "+dflt+" (404 when it has none)",
		func(ctx context.Context, in *TenantPath) (*Out[EnrollmentPolicyView], error) {
			return a.getEnrollment(ctx, "")
		})
	register(a, Route{ID: "put-default-enrollment-policy", Method: http.MethodPut, Path: base, Scope: ScopePoliciesWrite}, tag,
		"Replace "+dflt,
		func(ctx context.Context, in *struct {
			TenantPath
			Body enrollmentPolicyBody
		}) (*Out[EnrollmentPolicyView], error) {
			return a.putEnrollment(ctx, "", in.Body)
		})
	register(a, Route{ID: "delete-default-enrollment-policy", Method: http.MethodDelete, Path: base, Scope: ScopePoliciesWrite, Status: http.StatusNoContent}, tag,
		"Delete "+dflt+"; apps without their own then follow the built-in default (no self-registration)",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) { return a.deleteEnrollment(ctx, "") })

	base = Prefix + "/tenants/{tenant}/apps/{app}/enrollment-policy"
	register(a, Route{ID: "get-app-enrollment-policy", Method: http.MethodGet, Path: base, Scope: ScopePoliciesRead}, tag,
		"Get an app's own profile-enrollment policy (404 when it has none)",
		func(ctx context.Context, in *AppPath) (*Out[EnrollmentPolicyView], error) {
			return a.getEnrollment(ctx, in.App)
		})
	register(a, Route{ID: "put-app-enrollment-policy", Method: http.MethodPut, Path: base, Scope: ScopePoliciesWrite}, tag,
		"Replace an app's profile-enrollment policy",
		func(ctx context.Context, in *struct {
			AppPath
			Body enrollmentPolicyBody
		}) (*Out[EnrollmentPolicyView], error) {
			return a.putEnrollment(ctx, in.App, in.Body)
		})
	register(a, Route{ID: "delete-app-enrollment-policy", Method: http.MethodDelete, Path: base, Scope: ScopePoliciesWrite, Status: http.StatusNoContent}, tag,
		"Delete an app's profile-enrollment policy; the tenant's default (or the built-in one) applies to it instead",
		func(ctx context.Context, in *AppPath) (*struct{}, error) { return a.deleteEnrollment(ctx, in.App) })
}

func (a *API) getEnrollment(ctx context.Context, appID string) (*Out[EnrollmentPolicyView], error) {
	return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (policy.Enrollment, error) {
		if _, err := a.policyTarget(ctx, tx, appID); err != nil {
			return policy.Enrollment{}, err
		}
		return a.Policies.EnrollmentPolicy(ctx, tx, principal(ctx).Target.ID, appID)
	}, enrollmentPolicyView)
}

func (a *API) putEnrollment(ctx context.Context, appID string, b enrollmentPolicyBody) (*Out[EnrollmentPolicyView], error) {
	var target events.Ref
	return changed(a, ctx, "policy.enrollment.updated", func(policy.Enrollment) events.Ref { return target },
		func(ctx context.Context, tx store.Tx, ev *events.Event) (policy.Enrollment, error) {
			var err error
			if target, err = a.policyTarget(ctx, tx, appID); err != nil {
				return policy.Enrollment{}, err
			}
			p, err := a.Policies.PutEnrollmentPolicy(ctx, tx, principal(ctx).Target.ID, appID, b.policy())
			// Attribute names are configuration, not personal data, but
			// counts say enough for the log.
			ev.Details = map[string]any{"policy": p.ID, "registration": p.Registration, "attributes": len(p.Attributes),
				"progressive": len(p.Progressive), "email_verification": p.EmailVerification}
			return p, err
		}, enrollmentPolicyView)
}

func (a *API) deleteEnrollment(ctx context.Context, appID string) (*struct{}, error) {
	err := a.change(ctx, "policy.enrollment.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		var err error
		if ev.Target, err = a.policyTarget(ctx, tx, appID); err != nil {
			return err
		}
		return a.Policies.DeleteEnrollmentPolicy(ctx, tx, principal(ctx).Target.ID, appID)
	})
	return &struct{}{}, err
}
