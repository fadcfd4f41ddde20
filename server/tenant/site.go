package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// ErrNoSite is returned by SiteBase for a tenant that has no sign-in
// pages to link to: the system tenant (together with an *invalid.Error
// naming "tenant"), or any tenant when the Service knows no public host.
var ErrNoSite = errors.New("tenant: no site to link to")

// publicSite is the instance's public URL as SiteBase uses it.
type publicSite struct {
	// scheme is "https" or "http"; host is lowercase, without a port;
	// port is "" for the scheme's default.
	scheme, host, port string
	// defaultTenant is Options.DefaultTenant.
	defaultTenant string
}

// newPublicSite reads Options.PublicURL; without a usable one, links go
// over https to the public host (filled in by New).
func newPublicSite(opts Options) publicSite {
	p := publicSite{scheme: "https", defaultTenant: opts.DefaultTenant}
	if opts.PublicURL == "" {
		return p
	}
	u, err := url.Parse(opts.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return p
	}
	p.scheme, p.host, p.port = u.Scheme, strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), u.Port()
	return p
}

// base returns scheme://host[:port] for a host under the public URL.
func (p publicSite) base(host string) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // an IPv6 literal
	}
	b := p.scheme + "://" + host
	if p.port != "" {
		b += ":" + p.port
	}
	return b
}

// SiteBase returns the base URL (scheme://host[:port], no trailing slash)
// of the tenant's sign-in pages, on which links in its mail are built:
//   - "https://" + the hostname of the tenant's oldest custom domain
//     whose ownership is proven, when it has one (whatever its
//     certificate: the edge serves such a domain, obtaining its
//     certificate at the first handshake; pending domains, and those
//     whose last ownership check failed, do not count);
//   - else the public URL's own host for the default tenant
//     (Options.DefaultTenant), keeping the public URL's scheme and port;
//   - else {slug}.{public host}, with that scheme and port.
//
// It never depends on a request: links come from the tenant's records
// and the configuration only. tenantID is an ID or a slug; an unknown
// tenant is store.ErrNotFound. The system tenant, which has no sign-in
// pages, and a Service without a public host, wrap ErrNoSite.
func (s *Service) SiteBase(ctx context.Context, tx store.Tx, tenantID string) (string, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return "", err
	}
	if t.System {
		return "", fmt.Errorf("%w: %w", ErrNoSite, invalid.Field("tenant", "the system tenant has no sign-in pages"))
	}
	var host string
	err = tx.QueryRow(ctx, `SELECT hostname FROM domains WHERE tenant_id = ? AND verified_at IS NOT NULL ORDER BY created_at, id LIMIT 1`,
		t.ID).Scan(&host)
	switch {
	case err == nil:
		// Custom domains are served over TLS only, on the default port.
		return "https://" + host, nil
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("tenant: site of %s: %w", t.ID, err)
	case s.site.host == "":
		return "", fmt.Errorf("%w: tenant %s: no public URL is configured", ErrNoSite, t.ID)
	case s.site.defaultTenant != "" && (s.site.defaultTenant == t.Slug || s.site.defaultTenant == t.ID):
		return s.site.base(s.site.host), nil
	}
	return s.site.base(t.Slug + "." + s.site.host), nil
}

// PublicHost is the host of the instance's public URL (lowercase, no
// port), "" when none is configured.
func (s *Service) PublicHost() string { return s.site.host }

// Origins lists the web origins a tenant's sign-in pages are served on:
// "https://" + each custom domain whose ownership is proven (as in
// SiteBase), oldest first, then the
// tenant's origin under the public URL (see SiteBase), when one is
// configured. Passkeys created on any of them work on all (see the
// Related Origin Requests document). The system tenant has none.
func (s *Service) Origins(ctx context.Context, tx store.Tx, tenantID string) ([]string, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil || t.System {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT hostname FROM domains WHERE tenant_id = ? AND verified_at IS NOT NULL ORDER BY created_at, id`, t.ID)
	if err != nil {
		return nil, fmt.Errorf("tenant: origins of %s: %w", t.ID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var host string
		if err := rows.Scan(&host); err != nil {
			return nil, err
		}
		out = append(out, "https://"+host)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	switch {
	case s.site.host == "":
	case s.site.defaultTenant != "" && (s.site.defaultTenant == t.Slug || s.site.defaultTenant == t.ID):
		out = append(out, s.site.base(s.site.host))
	default:
		out = append(out, s.site.base(t.Slug+"."+s.site.host))
	}
	return out, nil
}
