package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// AccessPolicyView is an access policy of an authorization server.
type AccessPolicyView struct {
	ID          string    `json:"id"`
	ServerID    string    `json:"server_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Priority    int       `json:"priority" doc:"The lowest applicable policy decides"`
	Clients     []string  `json:"clients" doc:"Client IDs it applies to; [\"*\"] for every client"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func accessPolicyView(p authserver.Policy) AccessPolicyView {
	return AccessPolicyView{ID: p.ID, ServerID: p.ServerID, Name: p.Name, Description: p.Description,
		Priority: p.Priority, Clients: nonNil(p.Clients), Active: p.Active, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// AccessRuleView is a rule of an access policy. Lifetimes are whole
// seconds; 0 takes the server's default.
type AccessRuleView struct {
	ID                   string    `json:"id"`
	PolicyID             string    `json:"policy_id"`
	Name                 string    `json:"name"`
	Priority             int       `json:"priority" doc:"The first matching rule by priority decides"`
	GrantTypes           []string  `json:"grant_types"`
	Scopes               []string  `json:"scopes" doc:"Scopes it allows; [\"*\"] for every scope of the server"`
	Groups               []string  `json:"groups" doc:"Group IDs the user must be in one of; empty for anyone"`
	Zones                []string  `json:"zones" doc:"Network zone IDs the client must be in; empty for anywhere"`
	ExcludeZones         []string  `json:"exclude_zones" doc:"Network zone IDs the client must not be in"`
	AccessTokenLifetime  int64     `json:"access_token_lifetime" doc:"Seconds; 0 for the default (3600)"`
	RefreshTokenLifetime int64     `json:"refresh_token_lifetime" doc:"Seconds; 0 for the default (90 days)"`
	RefreshTokenIdle     int64     `json:"refresh_token_idle" doc:"Seconds a refresh token may go unused; 0 for the default (30 days)"`
	Deny                 bool      `json:"deny" doc:"A matching rule refuses the request"`
	Active               bool      `json:"active"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

func accessRuleView(r authserver.Rule) AccessRuleView {
	return AccessRuleView{ID: r.ID, PolicyID: r.PolicyID, Name: r.Name, Priority: r.Priority,
		GrantTypes: nonNil(r.GrantTypes), Scopes: nonNil(r.Scopes), Groups: nonNil(r.Groups), Zones: nonNil(r.Zones),
		ExcludeZones: nonNil(r.ExcludeZones), AccessTokenLifetime: secondsOf(r.AccessTokenLifetime),
		RefreshTokenLifetime: secondsOf(r.RefreshTokenLifetime), RefreshTokenIdle: secondsOf(r.RefreshTokenIdle),
		Deny: r.Deny, Active: r.Active, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// secondsOf shows a duration as whole seconds.
func secondsOf(d time.Duration) int64 { return int64(d / time.Second) }

// durationOf reads a lifetime given in seconds; nil stays nil.
func durationOf(s *int64) *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s) * time.Second
	return &d
}

// PolicyPath names an access policy of an authorization server by ID.
type PolicyPath struct {
	ServerPath
	Policy string `path:"policy" maxLength:"64" doc:"Policy ID"`
}

// PolicyRulePath names a rule of an access policy by ID.
type PolicyRulePath struct {
	PolicyPath
	PolicyRule string `path:"policyrule" maxLength:"64" doc:"Rule ID"`
}

type accessPolicyBody struct {
	Name        string   `json:"name" minLength:"1" maxLength:"100"`
	Description string   `json:"description,omitempty" maxLength:"500"`
	Priority    int      `json:"priority" minimum:"1" maximum:"1000" doc:"The lowest applicable policy decides"`
	Clients     []string `json:"clients" minItems:"1" maxItems:"100" doc:"Client IDs, or [\"*\"] for every client"`
	Active      *bool    `json:"active,omitempty" doc:"true when left out"`
}

type accessPolicyPatch struct {
	Name        *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Description *string   `json:"description,omitempty" maxLength:"500"`
	Priority    *int      `json:"priority,omitempty" minimum:"1" maximum:"1000"`
	Clients     *[]string `json:"clients,omitempty" minItems:"1" maxItems:"100" doc:"Replaces the whole list"`
	Active      *bool     `json:"active,omitempty"`
}

type accessRuleBody struct {
	Name                 string   `json:"name" minLength:"1" maxLength:"100"`
	Priority             int      `json:"priority" minimum:"1" maximum:"1000" doc:"The first matching rule by priority decides"`
	GrantTypes           []string `json:"grant_types" minItems:"1" maxItems:"5" doc:"authorization_code, refresh_token, client_credentials, device_code, token_exchange (or their URNs)"`
	Scopes               []string `json:"scopes" minItems:"1" maxItems:"200" doc:"Scope names of the server, or [\"*\"] for every scope"`
	Groups               []string `json:"groups,omitempty" maxItems:"100" doc:"Group IDs; a rule with groups never matches client credentials"`
	Zones                []string `json:"zones,omitempty" maxItems:"50" doc:"Network zone IDs"`
	ExcludeZones         []string `json:"exclude_zones,omitempty" maxItems:"50" doc:"Network zone IDs"`
	AccessTokenLifetime  int64    `json:"access_token_lifetime,omitempty" minimum:"0" maximum:"86400" doc:"Seconds, 300–86400; 0 for the default (3600)"`
	RefreshTokenLifetime int64    `json:"refresh_token_lifetime,omitempty" minimum:"0" maximum:"315360000" doc:"Seconds, at least 3600; 0 for the default (90 days)"`
	RefreshTokenIdle     int64    `json:"refresh_token_idle,omitempty" minimum:"0" maximum:"315360000" doc:"Seconds, at least 300; 0 for the default (30 days)"`
	Deny                 bool     `json:"deny,omitempty" doc:"A matching rule refuses the request"`
	Active               *bool    `json:"active,omitempty" doc:"true when left out"`
}

type accessRulePatch struct {
	Name                 *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Priority             *int      `json:"priority,omitempty" minimum:"1" maximum:"1000"`
	GrantTypes           *[]string `json:"grant_types,omitempty" minItems:"1" maxItems:"5"`
	Scopes               *[]string `json:"scopes,omitempty" minItems:"1" maxItems:"200"`
	Groups               *[]string `json:"groups,omitempty" maxItems:"100"`
	Zones                *[]string `json:"zones,omitempty" maxItems:"50"`
	ExcludeZones         *[]string `json:"exclude_zones,omitempty" maxItems:"50"`
	AccessTokenLifetime  *int64    `json:"access_token_lifetime,omitempty" minimum:"0" maximum:"86400" doc:"Seconds; 0 for the default"`
	RefreshTokenLifetime *int64    `json:"refresh_token_lifetime,omitempty" minimum:"0" maximum:"315360000" doc:"Seconds; 0 for the default"`
	RefreshTokenIdle     *int64    `json:"refresh_token_idle,omitempty" minimum:"0" maximum:"315360000" doc:"Seconds; 0 for the default"`
	Deny                 *bool     `json:"deny,omitempty"`
	Active               *bool     `json:"active,omitempty"`
}

func (a *API) registerAuthPolicies() {
	if a.AuthServers == nil {
		return
	}
	const tag = "Authorization servers"
	base := Prefix + "/tenants/{tenant}/authorization-servers/{server}/policies"
	register(a, Route{ID: "list-access-policies", Method: http.MethodGet, Path: base, Scope: ScopeAuthServersRead}, tag,
		"List the access policies of an authorization server by priority",
		func(ctx context.Context, in *ServerPath) (*Out[List[AccessPolicyView]], error) {
			return serverListed(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) ([]authserver.Policy, error) {
				return a.AuthServers.Policies(ctx, tx, srv.TenantID, srv.ID)
			}, accessPolicyView)
		})
	register(a, Route{ID: "create-access-policy", Method: http.MethodPost, Path: base, Scope: ScopeAuthServersWrite, Status: http.StatusCreated}, tag,
		"Create an access policy; it allows nothing until it has a rule",
		func(ctx context.Context, in *struct {
			ServerPath
			Body accessPolicyBody
		}) (*Out[AccessPolicyView], error) {
			b := in.Body
			return serverChanged(a, ctx, in.Server, "authserver.policy.created", accessPolicyRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, _ *events.Event) (authserver.Policy, error) {
					return a.AuthServers.CreatePolicy(ctx, tx, srv.TenantID, srv.ID, authserver.PolicyInput{
						Name: b.Name, Description: b.Description, Priority: b.Priority, Clients: b.Clients,
						Inactive: b.Active != nil && !*b.Active,
					})
				}, accessPolicyView)
		})
	register(a, Route{ID: "get-access-policy", Method: http.MethodGet, Path: base + "/{policy}", Scope: ScopeAuthServersRead}, tag,
		"Get an access policy",
		func(ctx context.Context, in *PolicyPath) (*Out[AccessPolicyView], error) {
			return serverFetched(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) (authserver.Policy, error) {
				return a.AuthServers.Policy(ctx, tx, srv.TenantID, srv.ID, in.Policy)
			}, accessPolicyView)
		})
	register(a, Route{ID: "update-access-policy", Method: http.MethodPatch, Path: base + "/{policy}", Scope: ScopeAuthServersWrite}, tag,
		"Change an access policy; fields left out stay as they are",
		func(ctx context.Context, in *struct {
			PolicyPath
			Body accessPolicyPatch
		}) (*Out[AccessPolicyView], error) {
			b := in.Body
			return serverChanged(a, ctx, in.Server, "authserver.policy.updated", accessPolicyRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, _ *events.Event) (authserver.Policy, error) {
					return a.AuthServers.UpdatePolicy(ctx, tx, srv.TenantID, srv.ID, in.Policy, authserver.PolicyPatch{
						Name: b.Name, Description: b.Description, Priority: b.Priority, Clients: b.Clients, Active: b.Active,
					})
				}, accessPolicyView)
		})
	register(a, Route{ID: "delete-access-policy", Method: http.MethodDelete, Path: base + "/{policy}", Scope: ScopeAuthServersWrite, Status: http.StatusNoContent}, tag,
		"Delete an access policy with its rules; a server without policies refuses every token request",
		func(ctx context.Context, in *PolicyPath) (*struct{}, error) {
			return serverDeleted(a, ctx, in.Server, "authserver.policy.deleted", events.Ref{Type: "authserver_policy", ID: in.Policy},
				func(ctx context.Context, tx store.Tx, srv authserver.Server) error {
					return a.AuthServers.DeletePolicy(ctx, tx, srv.TenantID, srv.ID, in.Policy)
				})
		})
	a.registerAccessRules(base + "/{policy}/rules")
}

func accessPolicyRef(p authserver.Policy) events.Ref {
	return events.Ref{Type: "authserver_policy", ID: p.ID}
}

// registerAccessRules serves the rules of a policy at base. Every handler
// first checks that the policy is the named server's: rules are stored by
// policy, whatever its server.
func (a *API) registerAccessRules(base string) {
	const tag = "Authorization servers"
	// policyOf returns the policy named in the path, of the server srv.
	policyOf := func(ctx context.Context, tx store.Tx, srv authserver.Server, id string, ev *events.Event) (authserver.Policy, error) {
		p, err := a.AuthServers.Policy(ctx, tx, srv.TenantID, srv.ID, id)
		if ev != nil {
			ev.Details["policy"] = id
		}
		return p, err
	}
	register(a, Route{ID: "list-access-rules", Method: http.MethodGet, Path: base, Scope: ScopeAuthServersRead}, tag,
		"List the rules of an access policy by priority",
		func(ctx context.Context, in *PolicyPath) (*Out[List[AccessRuleView]], error) {
			return serverListed(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) ([]authserver.Rule, error) {
				p, err := policyOf(ctx, tx, srv, in.Policy, nil)
				if err != nil {
					return nil, err
				}
				return a.AuthServers.Rules(ctx, tx, srv.TenantID, p.ID)
			}, accessRuleView)
		})
	register(a, Route{ID: "create-access-rule", Method: http.MethodPost, Path: base, Scope: ScopeAuthServersWrite, Status: http.StatusCreated}, tag,
		"Create a rule of an access policy",
		func(ctx context.Context, in *struct {
			PolicyPath
			Body accessRuleBody
		}) (*Out[AccessRuleView], error) {
			b := in.Body
			return serverChanged(a, ctx, in.Server, "authserver.rule.created", accessRuleRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, ev *events.Event) (authserver.Rule, error) {
					p, err := policyOf(ctx, tx, srv, in.Policy, ev)
					if err != nil {
						return authserver.Rule{}, err
					}
					return a.AuthServers.CreateRule(ctx, tx, srv.TenantID, p.ID, authserver.RuleInput{
						Name: b.Name, Priority: b.Priority, GrantTypes: b.GrantTypes, Scopes: b.Scopes, Groups: b.Groups,
						Zones: b.Zones, ExcludeZones: b.ExcludeZones,
						AccessTokenLifetime:  time.Duration(b.AccessTokenLifetime) * time.Second,
						RefreshTokenLifetime: time.Duration(b.RefreshTokenLifetime) * time.Second,
						RefreshTokenIdle:     time.Duration(b.RefreshTokenIdle) * time.Second,
						Deny:                 b.Deny, Inactive: b.Active != nil && !*b.Active,
					})
				}, accessRuleView)
		})
	register(a, Route{ID: "get-access-rule", Method: http.MethodGet, Path: base + "/{policyrule}", Scope: ScopeAuthServersRead}, tag,
		"Get a rule of an access policy",
		func(ctx context.Context, in *PolicyRulePath) (*Out[AccessRuleView], error) {
			return serverFetched(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) (authserver.Rule, error) {
				p, err := policyOf(ctx, tx, srv, in.Policy, nil)
				if err != nil {
					return authserver.Rule{}, err
				}
				return a.AuthServers.Rule(ctx, tx, srv.TenantID, p.ID, in.PolicyRule)
			}, accessRuleView)
		})
	register(a, Route{ID: "update-access-rule", Method: http.MethodPatch, Path: base + "/{policyrule}", Scope: ScopeAuthServersWrite}, tag,
		"Change a rule of an access policy; fields left out stay as they are",
		func(ctx context.Context, in *struct {
			PolicyRulePath
			Body accessRulePatch
		}) (*Out[AccessRuleView], error) {
			b := in.Body
			return serverChanged(a, ctx, in.Server, "authserver.rule.updated", accessRuleRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, ev *events.Event) (authserver.Rule, error) {
					p, err := policyOf(ctx, tx, srv, in.Policy, ev)
					if err != nil {
						return authserver.Rule{}, err
					}
					return a.AuthServers.UpdateRule(ctx, tx, srv.TenantID, p.ID, in.PolicyRule, authserver.RulePatch{
						Name: b.Name, Priority: b.Priority, GrantTypes: b.GrantTypes, Scopes: b.Scopes, Groups: b.Groups,
						Zones: b.Zones, ExcludeZones: b.ExcludeZones, AccessTokenLifetime: durationOf(b.AccessTokenLifetime),
						RefreshTokenLifetime: durationOf(b.RefreshTokenLifetime), RefreshTokenIdle: durationOf(b.RefreshTokenIdle),
						Deny: b.Deny, Active: b.Active,
					})
				}, accessRuleView)
		})
	register(a, Route{ID: "delete-access-rule", Method: http.MethodDelete, Path: base + "/{policyrule}", Scope: ScopeAuthServersWrite, Status: http.StatusNoContent}, tag,
		"Delete a rule of an access policy",
		func(ctx context.Context, in *PolicyRulePath) (*struct{}, error) {
			return serverDeleted(a, ctx, in.Server, "authserver.rule.deleted", events.Ref{Type: "authserver_rule", ID: in.PolicyRule},
				func(ctx context.Context, tx store.Tx, srv authserver.Server) error {
					p, err := policyOf(ctx, tx, srv, in.Policy, nil)
					if err != nil {
						return err
					}
					return a.AuthServers.DeleteRule(ctx, tx, srv.TenantID, p.ID, in.PolicyRule)
				})
		})
}

func accessRuleRef(r authserver.Rule) events.Ref {
	return events.Ref{Type: "authserver_rule", ID: r.ID}
}
