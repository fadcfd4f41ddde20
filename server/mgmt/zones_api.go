package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// ZoneView is a network zone: a named list of IP prefixes that sign-on
// policy rules name.
type ZoneView struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Name        string    `json:"name"`
	CIDRs       []string  `json:"cidrs" doc:"IPv4 and IPv6 prefixes, normalized: host bits cleared, a bare address as /32 or /128, IPv4-mapped IPv6 as IPv4"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func zoneView(z tenant.Zone) ZoneView {
	return ZoneView{ID: z.ID, TenantID: z.TenantID, Name: z.Name, CIDRs: nonNil(z.CIDRs), Description: z.Description,
		CreatedAt: z.CreatedAt, UpdatedAt: z.UpdatedAt}
}

// ZonePath names a network zone of a tenant.
type ZonePath struct {
	TenantPath
	Zone string `path:"zone" maxLength:"64"`
}

// zoneBody holds the writable fields of a network zone.
type zoneBody struct {
	Name        string   `json:"name" minLength:"1" maxLength:"100"`
	CIDRs       []string `json:"cidrs" minItems:"1" maxItems:"200" doc:"IPv4 or IPv6 prefixes (192.0.2.0/24, 2001:db8::/32); a bare address means /32 or /128. No two may be the same prefix once normalized; 0.0.0.0/0 and ::/0 are allowed"`
	Description string   `json:"description,omitempty" maxLength:"500"`
}

func (a *API) registerZones() {
	const tag = "Network zones"
	base := Prefix + "/tenants/{tenant}/zones"
	register(a, Route{ID: "list-zones", Method: http.MethodGet, Path: base, Scope: ScopeZonesRead}, tag, "List network zones",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[ZoneView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.Zone, string, error) {
				return a.Tenants.ListZones(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
			}, zoneView)
		})
	register(a, Route{ID: "create-zone", Method: http.MethodPost, Path: base, Scope: ScopeZonesWrite, Status: http.StatusCreated}, tag, "Create a network zone",
		func(ctx context.Context, in *struct {
			TenantPath
			Body zoneBody
		}) (*Out[ZoneView], error) {
			b := in.Body
			return changed(a, ctx, "zone.created", func(z tenant.Zone) events.Ref { return events.Ref{Type: "zone", ID: z.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Zone, error) {
					return a.Tenants.CreateZone(ctx, tx, principal(ctx).Target.ID, tenant.ZoneInput{Name: b.Name, CIDRs: b.CIDRs, Description: b.Description})
				}, zoneView)
		})
	register(a, Route{ID: "get-zone", Method: http.MethodGet, Path: base + "/{zone}", Scope: ScopeZonesRead}, tag, "Get a network zone",
		func(ctx context.Context, in *ZonePath) (*Out[ZoneView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (tenant.Zone, error) {
				return a.Tenants.Zone(ctx, tx, principal(ctx).Target.ID, in.Zone)
			}, zoneView)
		})
	register(a, Route{ID: "update-zone", Method: http.MethodPatch, Path: base + "/{zone}", Scope: ScopeZonesWrite}, tag, "Change a network zone",
		func(ctx context.Context, in *struct {
			ZonePath
			Body struct {
				Name        *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
				CIDRs       *[]string `json:"cidrs,omitempty" minItems:"1" maxItems:"200" doc:"Replaces the whole list"`
				Description *string   `json:"description,omitempty" maxLength:"500"`
			}
		}) (*Out[ZoneView], error) {
			b := in.Body
			return changed(a, ctx, "zone.updated", ref[tenant.Zone]("zone", in.Zone),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Zone, error) {
					return a.Tenants.UpdateZone(ctx, tx, principal(ctx).Target.ID, in.Zone, tenant.ZonePatch{Name: b.Name, CIDRs: b.CIDRs, Description: b.Description})
				}, zoneView)
		})
	register(a, Route{ID: "delete-zone", Method: http.MethodDelete, Path: base + "/{zone}", Scope: ScopeZonesWrite, Status: http.StatusNoContent}, tag, "Delete a network zone",
		func(ctx context.Context, in *ZonePath) (*struct{}, error) {
			return deleted(a, ctx, "zone.deleted", events.Ref{Type: "zone", ID: in.Zone}, func(ctx context.Context, tx store.Tx) error {
				if a.AuthServers != nil {
					// A rule naming a deleted zone would silently stop
					// matching (or stop excluding): refuse instead.
					users, err := a.AuthServers.RulesUsingZone(ctx, tx, principal(ctx).Target.ID, in.Zone)
					if err != nil {
						return err
					}
					if len(users) > 0 {
						return fmt.Errorf("%w: %w", tenant.ErrInUse, invalid.Field("id", "the zone is used by access rules %s", strings.Join(users, ", ")))
					}
				}
				return a.Tenants.DeleteZone(ctx, tx, principal(ctx).Target.ID, in.Zone)
			})
		})
}
