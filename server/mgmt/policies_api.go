package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
)

// PasswordPolicyView is a tenant's password and lockout policy.
type PasswordPolicyView struct {
	MinLength        int   `json:"min_length" doc:"Fewest characters of a new password"`
	MaxLength        int   `json:"max_length" doc:"Most characters of a new password"`
	Blocklist        bool  `json:"blocklist" doc:"Refuse common and breached passwords"`
	History          int   `json:"history" doc:"How many of the user's last passwords a new one may not repeat"`
	LockoutThreshold int   `json:"lockout_threshold" doc:"Failed sign-ins in a row that lock the account; 0 never locks"`
	LockoutDuration  int64 `json:"lockout_duration" doc:"Seconds a lock lasts; 0 locks until an admin unlocks"`
	NotifyLockout    bool  `json:"notify_lockout" doc:"Tell the person by email when their account locks"`
}

func passwordPolicyView(p policy.PasswordPolicy) PasswordPolicyView {
	return PasswordPolicyView{MinLength: p.MinLength, MaxLength: p.MaxLength, Blocklist: p.Blocklist, History: p.History,
		LockoutThreshold: p.LockoutThreshold, LockoutDuration: secondsOf(p.LockoutDuration), NotifyLockout: p.NotifyLockout}
}

// passwordPolicyBody replaces a tenant's password policy; a field left
// out takes its default.
type passwordPolicyBody struct {
	MinLength        *int   `json:"min_length,omitempty" minimum:"8" maximum:"128" doc:"Default 8"`
	MaxLength        *int   `json:"max_length,omitempty" minimum:"64" maximum:"1024" doc:"At least min_length; default 1024"`
	Blocklist        *bool  `json:"blocklist,omitempty" doc:"Default true"`
	History          *int   `json:"history,omitempty" minimum:"0" maximum:"24" doc:"Default 4"`
	LockoutThreshold *int   `json:"lockout_threshold,omitempty" minimum:"0" maximum:"100" doc:"Default 10; 0 never locks"`
	LockoutDuration  *int64 `json:"lockout_duration,omitempty" minimum:"0" maximum:"604800" doc:"Seconds, at most 7 days; default 1800; 0 locks until an admin unlocks"`
	NotifyLockout    *bool  `json:"notify_lockout,omitempty" doc:"Default true"`
}

func (b passwordPolicyBody) policy() policy.PasswordPolicy {
	p := policy.DefaultPasswordPolicy()
	setIfGiven(&p.MinLength, b.MinLength)
	setIfGiven(&p.MaxLength, b.MaxLength)
	setIfGiven(&p.Blocklist, b.Blocklist)
	setIfGiven(&p.History, b.History)
	setIfGiven(&p.LockoutThreshold, b.LockoutThreshold)
	if b.LockoutDuration != nil {
		p.LockoutDuration = time.Duration(*b.LockoutDuration) * time.Second
	}
	setIfGiven(&p.NotifyLockout, b.NotifyLockout)
	return p
}

// setIfGiven copies *v into *dst when v is not nil.
func setIfGiven[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// SignOnRuleView is a rule of a sign-on policy.
type SignOnRuleView struct {
	Name                string   `json:"name"`
	Condition           string   `json:"condition" doc:"CEL over app, network and user; empty always holds"`
	Access              string   `json:"access" enum:"allow,deny"`
	Authenticators      []string `json:"authenticators" doc:"Most preferred first; empty for a denying rule"`
	Factors             int      `json:"factors" doc:"1 or 2; 0 for a denying rule"`
	ReauthenticateAfter int64    `json:"reauthenticate_after" doc:"Seconds; 0 accepts any live session"`
	Enroll              []string `json:"enroll,omitempty" doc:"Authenticators a person who has none of them is asked to set up once signed in"`
	EnrollGrace         int64    `json:"enroll_grace,omitempty" doc:"Seconds after an account's creation during which its person may still sign in with one factor and skip enrolling a second"`
}

// SignOnPolicyView is the sign-on policy of an app or the tenant default.
type SignOnPolicyView struct {
	ID       string           `json:"id"`
	TenantID string           `json:"tenant_id"`
	AppID    string           `json:"app_id,omitempty" doc:"Absent for the tenant default"`
	Rules    []SignOnRuleView `json:"rules" doc:"Evaluated in order; the first matching rule decides, none refuses"`
	// CreatedAt and UpdatedAt are when the policy was first and last set.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func signOnPolicyView(p policy.SignOnPolicy) SignOnPolicyView {
	v := SignOnPolicyView{ID: p.ID, TenantID: p.TenantID, AppID: p.AppID, Rules: []SignOnRuleView{}, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, r := range p.Rules {
		v.Rules = append(v.Rules, SignOnRuleView{Name: r.Name, Condition: r.Condition, Access: r.Access,
			Authenticators: nonNil(r.Authenticators), Factors: r.Factors, ReauthenticateAfter: secondsOf(r.ReauthenticateAfter),
			Enroll: r.Enroll, EnrollGrace: secondsOf(r.EnrollGrace)})
	}
	return v
}

// signOnRuleBody is a rule of a sign-on policy as written.
type signOnRuleBody struct {
	Name      string `json:"name" minLength:"1" maxLength:"100" doc:"Unique within the policy, ignoring case"`
	Condition string `json:"condition,omitempty" maxLength:"2000" doc:"A CEL expression of type bool over app (id), network (ip, zones: names of the tenant's network zones holding the address) and user (id, type, status, groups: names). Empty always holds. Before the person is authenticated, every rule whose condition reads user is skipped, so the first step never depends on whether an account exists; after the first factor every rule is evaluated and that decision counts"`
	Access    string `json:"access" enum:"allow,deny"`
	// Authenticators are validated by the policy package, which names
	// the known ones in its errors.
	Authenticators      []string `json:"authenticators,omitempty" maxItems:"10" doc:"password, email, passkey, totp, sms, voice, recovery_code, security_answer: what the person may use, most preferred first; required to allow, absent to deny"`
	Factors             int      `json:"factors,omitempty" minimum:"0" maximum:"2" doc:"1 or 2 (2 needs two authenticators, or a passkey, which verified by its owner counts as two); default 1 to allow, absent to deny"`
	ReauthenticateAfter int64    `json:"reauthenticate_after,omitempty" minimum:"0" maximum:"7776000" doc:"Seconds, at most 90 days: how old a live session's last authentication may be; 0 accepts any"`
	Enroll              []string `json:"enroll,omitempty" maxItems:"5" doc:"passkey, totp, sms, voice, security_answer: what a person who has none of them is asked (and may decline) to set up once signed in, first the first"`
	EnrollGrace         int64    `json:"enroll_grace,omitempty" minimum:"0" maximum:"7776000" doc:"Seconds, with 2 factors only: how long after an account's creation its person may still sign in with one factor when they have no second one (asked to enroll, able to skip); past it they must enroll before the sign-in ends; 0 gives no grace"`
}

// signOnPolicyBody replaces a sign-on policy.
type signOnPolicyBody struct {
	Rules []signOnRuleBody `json:"rules" minItems:"1" maxItems:"50" doc:"Evaluated in order; the first matching rule decides and none refuses, so end with a rule that holds for everyone"`
}

func (b signOnPolicyBody) rules() []policy.Rule {
	out := make([]policy.Rule, len(b.Rules))
	for i, r := range b.Rules {
		out[i] = policy.Rule{Name: r.Name, Condition: r.Condition, Access: r.Access, Authenticators: r.Authenticators,
			Factors: r.Factors, ReauthenticateAfter: time.Duration(r.ReauthenticateAfter) * time.Second,
			Enroll: r.Enroll, EnrollGrace: time.Duration(r.EnrollGrace) * time.Second}
	}
	return out
}

func (a *API) registerPolicies() {
	if a.Policies == nil {
		return
	}
	const tag = "Policies"
	tenantBase := Prefix + "/tenants/{tenant}"
	register(a, Route{ID: "get-password-policy", Method: http.MethodGet, Path: tenantBase + "/password-policy", Scope: ScopePoliciesRead}, tag,
		"Get the tenant's password and lockout policy (the defaults when it has set none)",
		func(ctx context.Context, in *TenantPath) (*Out[PasswordPolicyView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (policy.PasswordPolicy, error) {
				return a.Policies.Password(ctx, tx, principal(ctx).Target.ID)
			}, passwordPolicyView)
		})
	register(a, Route{ID: "put-password-policy", Method: http.MethodPut, Path: tenantBase + "/password-policy", Scope: ScopePoliciesWrite}, tag,
		"Replace the tenant's password and lockout policy; fields left out take their defaults",
		func(ctx context.Context, in *struct {
			TenantPath
			Body passwordPolicyBody
		}) (*Out[PasswordPolicyView], error) {
			return changed(a, ctx, "policy.password.updated", ref[policy.PasswordPolicy]("tenant", principal(ctx).Target.ID),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (policy.PasswordPolicy, error) {
					p, err := a.Policies.SetPasswordPolicy(ctx, tx, principal(ctx).Target.ID, in.Body.policy())
					v := passwordPolicyView(p)
					ev.Details = map[string]any{"min_length": v.MinLength, "max_length": v.MaxLength, "blocklist": v.Blocklist,
						"history": v.History, "lockout_threshold": v.LockoutThreshold, "lockout_duration": v.LockoutDuration,
						"notify_lockout": v.NotifyLockout}
					return p, err
				}, passwordPolicyView)
		})
	a.registerSignOnPolicies(tag)
	a.registerEnrollmentPolicies(tag) // enrollment_api.go
	a.registerRecoveryPolicy(tag)     // recovery_api.go
}

// registerSignOnPolicies serves the tenant's default sign-on policy and
// each app's.
func (a *API) registerSignOnPolicies(tag string) {
	const dflt = "the tenant's default sign-on policy, which applies to apps without their own"
	base := Prefix + "/tenants/{tenant}/sign-on-policy"
	register(a, Route{ID: "get-default-sign-on-policy", Method: http.MethodGet, Path: base, Scope: ScopePoliciesRead}, tag,
		"Get "+dflt+" (404 when it has none)",
		func(ctx context.Context, in *TenantPath) (*Out[SignOnPolicyView], error) { return a.getSignOn(ctx, "") })
	register(a, Route{ID: "put-default-sign-on-policy", Method: http.MethodPut, Path: base, Scope: ScopePoliciesWrite}, tag,
		"Replace "+dflt,
		func(ctx context.Context, in *struct {
			TenantPath
			Body signOnPolicyBody
		}) (*Out[SignOnPolicyView], error) {
			return a.putSignOn(ctx, "", in.Body)
		})
	register(a, Route{ID: "delete-default-sign-on-policy", Method: http.MethodDelete, Path: base, Scope: ScopePoliciesWrite, Status: http.StatusNoContent}, tag,
		"Delete "+dflt+"; apps without their own then follow the built-in default (password or email, one factor)",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) { return a.deleteSignOn(ctx, "") })

	base = Prefix + "/tenants/{tenant}/apps/{app}/sign-on-policy"
	register(a, Route{ID: "get-app-sign-on-policy", Method: http.MethodGet, Path: base, Scope: ScopePoliciesRead}, tag,
		"Get an app's own sign-on policy (404 when it has none)",
		func(ctx context.Context, in *AppPath) (*Out[SignOnPolicyView], error) {
			return a.getSignOn(ctx, in.App)
		})
	register(a, Route{ID: "put-app-sign-on-policy", Method: http.MethodPut, Path: base, Scope: ScopePoliciesWrite}, tag,
		"Replace an app's sign-on policy",
		func(ctx context.Context, in *struct {
			AppPath
			Body signOnPolicyBody
		}) (*Out[SignOnPolicyView], error) {
			return a.putSignOn(ctx, in.App, in.Body)
		})
	register(a, Route{ID: "delete-app-sign-on-policy", Method: http.MethodDelete, Path: base, Scope: ScopePoliciesWrite, Status: http.StatusNoContent}, tag,
		"Delete an app's sign-on policy; the tenant's default (or the built-in one) applies to it instead",
		func(ctx context.Context, in *AppPath) (*struct{}, error) { return a.deleteSignOn(ctx, in.App) })
}

// policyTarget checks that an app of the principal's tenant exists (for
// an app's sign-on or enrollment policy; appID "" is the tenant default)
// and names what the policy's events are about.
func (a *API) policyTarget(ctx context.Context, tx store.Tx, appID string) (events.Ref, error) {
	tenantID := principal(ctx).Target.ID
	if appID == "" {
		return events.Ref{Type: "tenant", ID: tenantID}, nil
	}
	_, err := a.Tenants.App(ctx, tx, tenantID, appID)
	return events.Ref{Type: "app", ID: appID}, err
}

func (a *API) getSignOn(ctx context.Context, appID string) (*Out[SignOnPolicyView], error) {
	return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (policy.SignOnPolicy, error) {
		if _, err := a.policyTarget(ctx, tx, appID); err != nil {
			return policy.SignOnPolicy{}, err
		}
		return a.Policies.SignOnPolicy(ctx, tx, principal(ctx).Target.ID, appID)
	}, signOnPolicyView)
}

func (a *API) putSignOn(ctx context.Context, appID string, b signOnPolicyBody) (*Out[SignOnPolicyView], error) {
	var target events.Ref
	return changed(a, ctx, "policy.signon.updated", func(policy.SignOnPolicy) events.Ref { return target },
		func(ctx context.Context, tx store.Tx, ev *events.Event) (policy.SignOnPolicy, error) {
			var err error
			if target, err = a.policyTarget(ctx, tx, appID); err != nil {
				return policy.SignOnPolicy{}, err
			}
			p, err := a.Policies.PutSignOnPolicy(ctx, tx, principal(ctx).Target.ID, appID, b.rules())
			ev.Details = map[string]any{"policy": p.ID, "rules": len(p.Rules)}
			return p, err
		}, signOnPolicyView)
}

func (a *API) deleteSignOn(ctx context.Context, appID string) (*struct{}, error) {
	err := a.change(ctx, "policy.signon.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		var err error
		if ev.Target, err = a.policyTarget(ctx, tx, appID); err != nil {
			return err
		}
		return a.Policies.DeleteSignOnPolicy(ctx, tx, principal(ctx).Target.ID, appID)
	})
	return &struct{}{}, err
}

// registerUserPassword serves the route that sets a user's password. Its
// body holds a secret: answers never echo it (see redactSecrets), and
// neither events nor logs carry it.
func (a *API) registerUserPassword() {
	if a.Policies == nil {
		return
	}
	register(a, Route{ID: "set-user-password", Method: http.MethodPut, Path: Prefix + "/tenants/{tenant}/users/{user}/password",
		Scope: ScopeUsersWrite, Status: http.StatusNoContent, Secret: true}, "Users",
		"Set a user's password, checked against the tenant's password policy (length, blocklist, history)",
		func(ctx context.Context, in *struct {
			UserPath
			Body struct {
				// Password carries no constraints the schema would check:
				// the policy checks it, without quoting it.
				Password string `json:"password" writeOnly:"true" doc:"The new password; never echoed"`
			}
		}) (*struct{}, error) {
			err := a.change(ctx, "user.password.set", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "user", ID: in.User}
				if _, err := a.Directory.User(ctx, tx, tenantID, in.User); err != nil {
					return err
				}
				hash, err := a.Policies.HashPassword(ctx, tx, tenantID, in.User, in.Body.Password)
				if err != nil {
					return err
				}
				if err := a.Directory.SetCredential(ctx, tx, tenantID, in.User, directory.CredentialPassword, hash); err != nil {
					return err
				}
				return a.Policies.RememberPassword(ctx, tx, tenantID, in.User, hash)
			})
			return &struct{}{}, err
		})
}

// redactSecrets is a transformer that drops the input values huma echoes
// in the error answers (validation details, unparsable bodies) of routes
// whose body holds a secret.
func redactSecrets(ctx huma.Context, _ string, v any) (any, error) {
	op := ctx.Operation()
	if op == nil {
		return v, nil
	}
	if r, _ := op.Metadata[routeKey].(Route); !r.Secret {
		return v, nil
	}
	if em, ok := v.(*huma.ErrorModel); ok {
		for _, d := range em.Errors {
			d.Value = nil
		}
	}
	return v, nil
}
