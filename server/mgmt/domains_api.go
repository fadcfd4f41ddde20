package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// DomainView is a custom login domain. Its state changes only through
// ownership checks (the verify route, background re-checks) and
// certificate issuance, never by writing it.
type DomainView struct {
	ID                string `json:"id"`
	TenantID          string `json:"tenant_id"`
	BrandID           string `json:"brand_id"`
	Hostname          string `json:"hostname"`
	State             string `json:"state" enum:"pending,verified,active,failed" doc:"Read-only: pending until ownership is proven, verified once it is, active with a certificate, failed when the last ownership check or certificate failed (see last_error and verified_at)"`
	LastError         string `json:"last_error,omitempty" doc:"Why the last ownership check or certificate failed"`
	VerificationToken string `json:"verification_token" doc:"Publish it as a DNS TXT record or an HTTP token (see verification) to prove ownership"`
	// VerifiedAt is nil while ownership is not proven.
	VerifiedAt   *time.Time             `json:"verified_at,omitempty" doc:"When ownership was last proven; absent while it is not (a domain in state failed with verified_at only failed its certificate)"`
	Verification DomainVerificationView `json:"verification" doc:"What to publish to prove ownership: either the DNS record or the HTTP token"`
	// Certificate is nil when the server has no certificate provider.
	Certificate *CertificateView `json:"certificate,omitempty" doc:"The certificate the server holds for the hostname; absent when this server manages no certificates"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// DomainVerificationView tells the customer exactly what to publish.
type DomainVerificationView struct {
	DNS  DNSChallengeView  `json:"dns"`
	HTTP HTTPChallengeView `json:"http"`
}

// DNSChallengeView is the DNS record that proves ownership.
type DNSChallengeView struct {
	Name  string `json:"name" doc:"_lintel-challenge. and the hostname"`
	Type  string `json:"type" enum:"TXT"`
	Value string `json:"value" doc:"lintel-verification= and the verification token"`
}

// HTTPChallengeView is the HTTP token that proves ownership.
type HTTPChallengeView struct {
	URL  string `json:"url" doc:"Plain http on port 80; redirects are followed only on the same host"`
	Body string `json:"body" doc:"The whole answer (status 200), the verification token"`
}

// CertificateView is the certificate held for a domain.
type CertificateView struct {
	Status    string     `json:"status" enum:"none,valid,expiring,expired"`
	Issuer    string     `json:"issuer,omitempty" doc:"The issuer's common name"`
	Serial    string     `json:"serial,omitempty" doc:"Serial number, hexadecimal"`
	NotBefore *time.Time `json:"not_before,omitempty"`
	NotAfter  *time.Time `json:"not_after,omitempty"`
	Names     []string   `json:"names,omitempty" doc:"The DNS names it covers"`
}

// domainView shows a domain without its certificate.
func domainView(d tenant.Domain) DomainView {
	return DomainView{ID: d.ID, TenantID: d.TenantID, BrandID: d.BrandID, Hostname: d.Hostname, State: string(d.State), LastError: d.LastError,
		VerificationToken: d.VerificationToken, VerifiedAt: d.VerifiedAt,
		Verification: DomainVerificationView{
			DNS:  DNSChallengeView{Name: d.ChallengeName(), Type: "TXT", Value: d.ChallengeValue()},
			HTTP: HTTPChallengeView{URL: d.ChallengeURL(), Body: d.VerificationToken},
		},
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// domainsOut shows domains with their certificates, asked of
// Deps.Certificates (when set) outside any transaction.
func (a *API) domainsOut(ctx context.Context, list []tenant.Domain) ([]DomainView, error) {
	out := make([]DomainView, 0, len(list))
	for _, d := range list {
		v := domainView(d)
		if a.Certificates != nil {
			c, err := a.Certificates.CertificateStatus(ctx, d.Hostname)
			if err != nil {
				return nil, a.problem(ctx, fmt.Errorf("certificate of %s: %w", d.ID, err))
			}
			v.Certificate = certificateView(c)
		}
		out = append(out, v)
	}
	return out, nil
}

// domainOut shows one domain with its certificate.
func (a *API) domainOut(ctx context.Context, d tenant.Domain, err error) (*Out[DomainView], error) {
	if err != nil {
		return nil, err
	}
	vs, err := a.domainsOut(ctx, []tenant.Domain{d})
	if err != nil {
		return nil, err
	}
	return &Out[DomainView]{Body: vs[0]}, nil
}

func certificateView(c CertificateStatus) *CertificateView {
	v := &CertificateView{Status: string(c.Status), Issuer: c.Issuer, Serial: c.Serial, Names: c.Names}
	if v.Status == "" {
		v.Status = string(CertificateNone)
	}
	if !c.NotBefore.IsZero() {
		v.NotBefore = &c.NotBefore
	}
	if !c.NotAfter.IsZero() {
		v.NotAfter = &c.NotAfter
	}
	return v
}

// DomainPath names a custom domain of a tenant.
type DomainPath struct {
	TenantPath
	Domain string `path:"domain" maxLength:"64"`
}

// same is the view function that keeps the record, for handlers that show
// it with what the transaction does not hold (a certificate).
func same[T any](x T) T { return x }

func (a *API) registerDomains() {
	const tag = "Custom domains"
	base := Prefix + "/tenants/{tenant}/domains"
	register(a, Route{ID: "list-domains", Method: http.MethodGet, Path: base, Scope: ScopeDomainsRead}, tag, "List custom domains",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[DomainView]], error) {
			page, err := listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.Domain, string, error) {
				return a.Tenants.ListDomains(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
			}, same[tenant.Domain])
			if err != nil {
				return nil, err
			}
			items, err := a.domainsOut(ctx, page.Body.Items)
			if err != nil {
				return nil, err
			}
			return &Out[List[DomainView]]{Body: List[DomainView]{Items: items, Next: page.Body.Next}}, nil
		})
	register(a, Route{ID: "create-domain", Method: http.MethodPost, Path: base, Scope: ScopeDomainsWrite, Status: http.StatusCreated}, tag, "Add a custom domain (state pending until its ownership is verified)",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Hostname string `json:"hostname" minLength:"1" maxLength:"253"`
				BrandID  string `json:"brand_id,omitempty" maxLength:"64"`
			}
		}) (*Out[DomainView], error) {
			out, err := changed(a, ctx, "domain.created", func(d tenant.Domain) events.Ref { return events.Ref{Type: "domain", ID: d.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Domain, error) {
					return a.Tenants.CreateDomain(ctx, tx, principal(ctx).Target.ID, tenant.DomainInput{Hostname: in.Body.Hostname, BrandID: in.Body.BrandID})
				}, same[tenant.Domain])
			return a.domainOut(ctx, out.Body, err)
		})
	register(a, Route{ID: "get-domain", Method: http.MethodGet, Path: base + "/{domain}", Scope: ScopeDomainsRead}, tag, "Get a custom domain",
		func(ctx context.Context, in *DomainPath) (*Out[DomainView], error) {
			out, err := fetched(a, ctx, func(ctx context.Context, tx store.Tx) (tenant.Domain, error) {
				return a.Tenants.Domain(ctx, tx, principal(ctx).Target.ID, in.Domain)
			}, same[tenant.Domain])
			return a.domainOut(ctx, out.Body, err)
		})
	register(a, Route{ID: "update-domain", Method: http.MethodPatch, Path: base + "/{domain}", Scope: ScopeDomainsWrite}, tag, "Bind a custom domain to another brand (its state is read-only)",
		func(ctx context.Context, in *struct {
			DomainPath
			Body struct {
				BrandID *string `json:"brand_id,omitempty" maxLength:"64"`
			}
		}) (*Out[DomainView], error) {
			out, err := changed(a, ctx, "domain.updated", ref[tenant.Domain]("domain", in.Domain),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Domain, error) {
					return a.Tenants.UpdateDomain(ctx, tx, principal(ctx).Target.ID, in.Domain, tenant.DomainPatch{BrandID: in.Body.BrandID})
				}, same[tenant.Domain])
			return a.domainOut(ctx, out.Body, err)
		})
	register(a, Route{ID: "verify-domain", Method: http.MethodPost, Path: base + "/{domain}/verify", Scope: ScopeDomainsWrite, Optional: true}, tag,
		"Check a custom domain's ownership now, by its DNS TXT record or HTTP token; a failed check answers the domain in state failed with last_error (a domain verified before then loses its verification)",
		func(ctx context.Context, in *DomainPath) (*Out[DomainView], error) {
			if a.DomainVerifier == nil {
				return nil, huma.Error501NotImplemented("this server does not verify custom domains")
			}
			d, err := a.verifyDomain(ctx, in.Domain)
			return a.domainOut(ctx, d, err)
		})
	register(a, Route{ID: "delete-domain", Method: http.MethodDelete, Path: base + "/{domain}", Scope: ScopeDomainsWrite, Status: http.StatusNoContent}, tag, "Remove a custom domain",
		func(ctx context.Context, in *DomainPath) (*struct{}, error) {
			return deleted(a, ctx, "domain.deleted", events.Ref{Type: "domain", ID: in.Domain}, func(ctx context.Context, tx store.Tx) error {
				return a.Tenants.DeleteDomain(ctx, tx, principal(ctx).Target.ID, in.Domain)
			})
		})
}

// verifyDomain records who asked for the check (domain.verification_requested,
// with the caller as actor; an unknown domain is 404 before anything is
// checked), then runs it through Deps.DomainVerifier, which records the
// outcome with its own event.
func (a *API) verifyDomain(ctx context.Context, id string) (tenant.Domain, error) {
	tenantID := principal(ctx).Target.ID
	err := a.change(ctx, "domain.verification_requested", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		ev.Target = events.Ref{Type: "domain", ID: id}
		_, err := a.Tenants.Domain(ctx, tx, tenantID, id)
		return err
	})
	if err != nil {
		return tenant.Domain{}, err
	}
	d, err := a.DomainVerifier.Verify(ctx, tenantID, id)
	if err != nil {
		return tenant.Domain{}, a.problem(ctx, err)
	}
	return d, nil
}
