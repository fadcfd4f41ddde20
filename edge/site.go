package edge

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Site is what a request's Host resolved to: the tenant it serves and the
// base URL every issuer and link on that host uses.
type Site struct {
	// Tenant is the tenant the host serves.
	Tenant tenant.Tenant
	// Domain is the custom domain record, when the host is one.
	Domain *tenant.Domain
	// Base is scheme://host[:port] as the client reached it, built from the
	// verified domain record or the configured public URL, never from
	// X-Forwarded-* headers.
	Base string
	// Secure is true when Base is https.
	Secure bool
}

// Issuer returns the issuer URL of an authorization server on this site.
func (s Site) Issuer(server string) string { return s.Base + "/oauth2/" + server }

// AuthServer returns an authorization server of the site's tenant as the
// OpenID provider names it, with the issuer URL of this site.
func (s Site) AuthServer(server string) oidc.Issuer {
	return oidc.Issuer{TenantID: s.Tenant.ID, Server: server, URL: s.Issuer(server)}
}

type siteKey struct{}

// SiteFrom returns the site of a request routed by the edge.
func SiteFrom(ctx context.Context) (Site, bool) {
	s, ok := ctx.Value(siteKey{}).(Site)
	return s, ok
}

// sites resolves hosts: a custom domain whose ownership is proven, by
// exact match and over TLS only; the public URL's host to the default
// tenant; {slug}.{public host} to that tenant.
type sites struct {
	store         store.Store
	tenants       *tenant.Service
	public        *url.URL
	defaultTenant string
}

// errUnknownHost means the Host names nothing Lintel serves.
var errUnknownHost = errors.New("edge: unknown host")

func (s *sites) resolve(ctx context.Context, hostport string, tls bool) (Site, error) {
	host := strings.ToLower(strings.TrimSuffix(hostname(hostport), "."))
	if host == "" {
		return Site{}, errUnknownHost
	}
	publicHost := strings.ToLower(s.public.Hostname())
	var site Site
	err := s.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		switch {
		case host == publicHost:
			if s.defaultTenant == "" {
				return errUnknownHost
			}
			t, err := s.tenants.Tenant(ctx, tx, s.defaultTenant)
			if err != nil {
				return err
			}
			site = s.publicSite(t, hostport)
			return nil
		case strings.HasSuffix(host, "."+publicHost):
			slug := strings.TrimSuffix(host, "."+publicHost)
			if strings.Contains(slug, ".") {
				return errUnknownHost
			}
			t, err := s.tenants.Tenant(ctx, tx, slug)
			if err != nil || t.Slug != slug || t.System {
				return errUnknownHost // by slug only, never by ID
			}
			site = s.publicSite(t, hostport)
			return nil
		}
		d, err := s.tenants.DomainByHost(ctx, tx, host)
		if err != nil {
			return err
		}
		// Served once ownership is proven: the certificate comes with the
		// first handshake (active), and a failed renewal does not take
		// the site down while the old certificate lasts.
		if !d.OwnershipProven() {
			return errUnknownHost
		}
		t, err := s.tenants.Tenant(ctx, tx, d.TenantID)
		if err != nil {
			return err
		}
		// Custom domains are served over TLS only; the base is the
		// verified record's name, not the header's spelling.
		site = Site{Tenant: t, Domain: &d, Base: "https://" + d.Hostname, Secure: true}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = errUnknownHost
	}
	if err == nil && site.Domain != nil && !tls {
		err = errUnknownHost
	}
	return site, err
}

// publicSite builds a site on the instance's public URL (or a tenant
// subdomain of it), keeping the configured scheme and port.
func (s *sites) publicSite(t tenant.Tenant, hostport string) Site {
	base := s.public.Scheme + "://" + strings.ToLower(hostname(hostport))
	if p := s.public.Port(); p != "" {
		base += ":" + p
	}
	return Site{Tenant: t, Base: base, Secure: s.public.Scheme == "https"}
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// SystemPrefix is the path under the public URL where the system tenant's
// authorization servers answer: {public_url}/system/oauth2/default is the
// issuer of management API tokens.
const SystemPrefix = "/system"

// ManagementIssuer returns the issuer URL of the system tenant's default
// authorization server for the instance's public URL.
func ManagementIssuer(public *url.URL) string {
	return public.Scheme + "://" + public.Host + SystemPrefix + "/oauth2/" + oidc.DefaultServer
}

// system serves next as the system tenant's site on the public host; any
// other host gets an empty 404. The base is the configured public URL
// itself, so the issuer never depends on how the request spelled the host.
func (s *sites) system(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(strings.TrimSuffix(hostname(r.Host), "."))
		if host != strings.ToLower(s.public.Hostname()) {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var t tenant.Tenant
		err := s.store.View(r.Context(), func(ctx context.Context, tx store.Tx) error {
			var err error
			t, err = s.tenants.Tenant(ctx, tx, tenant.SystemSlug)
			return err
		})
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		site := Site{Tenant: t, Base: s.public.Scheme + "://" + s.public.Host + SystemPrefix, Secure: s.public.Scheme == "https"}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), siteKey{}, site)))
	})
}

// route serves next only on hosts that resolve to a site; others get an
// empty 404, so probing hosts learns nothing.
func (s *sites) route(next http.Handler, internal func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site, err := s.resolve(r.Context(), r.Host, r.TLS != nil)
		if err != nil {
			if !errors.Is(err, errUnknownHost) {
				internal(err)
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), siteKey{}, site)))
	})
}
