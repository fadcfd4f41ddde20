package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
)

// RecoveryPolicyView is a tenant's self-service recovery policy.
type RecoveryPolicyView struct {
	TenantID string   `json:"tenant_id"`
	Enabled  bool     `json:"enabled" doc:"Whether people may recover their account by email"`
	Factor   string   `json:"factor" enum:"none,if_enrolled,required" doc:"What recovery demands besides the emailed code or link: nothing; an enrolled recovery factor when the person has one; always one (people without one are sent to the help desk)"`
	Factors  []string `json:"factors" doc:"The enrolled authenticators that count as a recovery factor"`
	TokenTTL int64    `json:"token_ttl" doc:"Seconds the emailed code and link stay valid"`
	Notify   bool     `json:"notify" doc:"Mail the person when a recovery completes"`
	// UpdatedAt is nil while the tenant uses the defaults.
	UpdatedAt *time.Time `json:"updated_at,omitempty" doc:"When the policy was last set; absent while the tenant uses the defaults"`
}

func recoveryPolicyView(r policy.Recovery) RecoveryPolicyView {
	v := RecoveryPolicyView{TenantID: r.TenantID, Enabled: r.Enabled, Factor: r.Factor, Factors: nonNil(r.Factors),
		TokenTTL: secondsOf(r.TokenTTL), Notify: r.Notify}
	if !r.UpdatedAt.IsZero() {
		v.UpdatedAt = &r.UpdatedAt
	}
	return v
}

// recoveryPolicyBody replaces a tenant's recovery policy; a field left
// out takes its default.
type recoveryPolicyBody struct {
	Enabled  *bool     `json:"enabled,omitempty" doc:"Default true"`
	Factor   *string   `json:"factor,omitempty" enum:"none,if_enrolled,required" doc:"Default if_enrolled"`
	Factors  *[]string `json:"factors,omitempty" maxItems:"10" doc:"security_answer; at least one unless factor is none; default [security_answer]"`
	TokenTTL *int64    `json:"token_ttl,omitempty" minimum:"300" maximum:"86400" doc:"Seconds, 5 minutes to 24 hours; default 1800"`
	Notify   *bool     `json:"notify,omitempty" doc:"Default true"`
}

func (b recoveryPolicyBody) policy() policy.Recovery {
	r := policy.DefaultRecovery()
	setIfGiven(&r.Enabled, b.Enabled)
	setIfGiven(&r.Factor, b.Factor)
	setIfGiven(&r.Factors, b.Factors)
	if b.TokenTTL != nil {
		r.TokenTTL = time.Duration(*b.TokenTTL) * time.Second
	}
	setIfGiven(&r.Notify, b.Notify)
	return r
}

// registerRecoveryPolicy serves the tenant's recovery policy.
func (a *API) registerRecoveryPolicy(tag string) {
	path := Prefix + "/tenants/{tenant}/recovery-policy"
	register(a, Route{ID: "get-recovery-policy", Method: http.MethodGet, Path: path, Scope: ScopePoliciesRead}, tag,
		"Get the tenant's self-service recovery policy (the defaults when it has set none)",
		func(ctx context.Context, in *TenantPath) (*Out[RecoveryPolicyView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (policy.Recovery, error) {
				return a.Policies.Recovery(ctx, tx, principal(ctx).Target.ID)
			}, recoveryPolicyView)
		})
	register(a, Route{ID: "put-recovery-policy", Method: http.MethodPut, Path: path, Scope: ScopePoliciesWrite}, tag,
		"Replace the tenant's self-service recovery policy; fields left out take their defaults",
		func(ctx context.Context, in *struct {
			TenantPath
			Body recoveryPolicyBody
		}) (*Out[RecoveryPolicyView], error) {
			return changed(a, ctx, "policy.recovery.updated", ref[policy.Recovery]("tenant", principal(ctx).Target.ID),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (policy.Recovery, error) {
					r, err := a.Policies.SetRecovery(ctx, tx, principal(ctx).Target.ID, in.Body.policy())
					v := recoveryPolicyView(r)
					ev.Details = map[string]any{"enabled": v.Enabled, "factor": v.Factor, "factors": v.Factors,
						"token_ttl": v.TokenTTL, "notify": v.Notify}
					return r, err
				}, recoveryPolicyView)
		})
}
