// Package edge is Lintel's HTTP front: every request passes through it
// and gets an ID, an access log line and metrics, with handler panics
// recovered; it serves the operational endpoints (/healthz, /readyz,
// /metrics). Later work adds TLS for custom domains, host routing to
// tenants and brands, the hosted pages, security headers and rate limits.
//
// The edge calls into the identity server; the server never imports edge.
package edge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/scim"
	"github.com/lintel-id/lintel/server/tenant"
)

// Pinger reports whether a backing service (the store) can serve requests.
//
// Ping returns nil when the service is reachable and a non-nil error
// otherwise. It must return promptly once ctx is done, and be safe for
// concurrent use: every /readyz request calls it. The error text is logged,
// never sent to the client, so it may carry detail such as addresses.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds the edge's dependencies. Store, Logger, Registry and Clock
// are required; Version is optional.
type Config struct {
	// Store is pinged by /readyz.
	Store Pinger
	// Logger receives one line per request and any handler panic.
	Logger *slog.Logger
	// Registry receives the edge's metrics and is served on /metrics.
	// New registers collectors on it, so one Registry serves one edge.
	Registry *prometheus.Registry
	// Clock times requests.
	Clock clock.Clock
	// Version is the build's version, exported as the version label of
	// lintel_build_info. Empty means "unknown".
	Version string
	// Mgmt serves the management API under /api/v1/mgmt/; nil leaves it out.
	Mgmt http.Handler
	// MgmtOpenAPI describes Mgmt, for the docs page at /api/v1/mgmt/docs.
	MgmtOpenAPI *huma.OpenAPI

	// Sites: with Engine set, the edge routes hosts to tenants and serves
	// the authorize endpoint, the hosted pages, the flow API and the
	// OpenID provider. Tenants, OIDC, Locales and PublicURL are then
	// required.
	Engine        *engine.Engine
	OIDC          *oidc.Provider
	Tenants       *tenant.Service
	Locales       *locales.Catalog
	PublicURL     *url.URL
	DefaultTenant string
	// Widget is the sign-in widget's build output (package widget/dist:
	// lintel.wasm, wasm_exec.js and their .br and .gz variants), served
	// under WidgetPrefix with the loader. Nil or without lintel.wasm, the
	// widget shows server-rendered steps only.
	Widget fs.FS
	// Branding, when set, gives every hosted page the look of its site's
	// brand and app (published themes) and serves brand assets under
	// AssetsPrefix; nil shows Lintel's own look.
	Branding Branding
	// Previewer, with Branding, serves the previews of draft themes the
	// studio frames (/branding/preview/{ticket}/…).
	Previewer *Previewer
	// Demo, when set, serves the demo client at /demo.
	Demo *DemoConfig
	// PhoneSettings and Phones, when both set, take the delivery status
	// callbacks of tenants' Twilio accounts (see TwilioStatusPath).
	PhoneSettings *phone.Settings
	Phones        *phone.Outbox
	// SCIM, when set, serves SCIM 2.0 provisioning at SCIMPrefix on every
	// site, for the site's tenant.
	SCIM *scim.Service

	// Limiter counts requests against Limits (Redis when nodes share
	// one); nil counts in process on Clock.
	Limiter ratelimit.Limiter
	// Limits bound requests per client address, tenant, OAuth client,
	// token client and management credential; zero fields take
	// DefaultLimits.
	Limits Limits
	// TrustedProxies are the networks of the operator's reverse proxies:
	// a request from one is counted and logged under the address its
	// X-Forwarded-For names (see clientip.Proxies). Empty trusts nothing.
	TrustedProxies []netip.Prefix
}

// validate returns an error naming every missing required dependency.
func (c Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("edge: Config.Store is required"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("edge: Config.Logger is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("edge: Config.Registry is required"))
	}
	if c.Clock == nil {
		errs = append(errs, errors.New("edge: Config.Clock is required"))
	}
	return errors.Join(errs...)
}

// New returns the edge's HTTP handler: a ServeMux with the operational
// endpoints, wrapped so that every request gets an ID (see RequestID), an
// access log line, metrics, and recovery from panics.
//
// New registers its metrics on cfg.Registry and fails if they are already
// registered there.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry, cfg.Version)
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	h := health{store: cfg.Store, logger: cfg.Logger}
	mux.HandleFunc("GET /healthz", h.live)
	mux.HandleFunc("GET /readyz", h.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	lim, err := newRequestLimits(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Mgmt != nil {
		mux.Handle("/api/v1/mgmt/", lim.mgmt(cfg.Mgmt))
	}
	if cfg.MgmtOpenAPI != nil {
		docs, err := newAPIDocs(cfg.MgmtOpenAPI)
		if err != nil {
			return nil, err
		}
		mux.Handle("GET /api/v1/mgmt/docs", docs)
	}

	if cfg.Branding != nil {
		if err := mountBranding(mux, cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Engine != nil {
		if err := mountSites(mux, cfg, lim); err != nil {
			return nil, err
		}
	}
	proxies, err := clientip.NewProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("edge: trusted proxies: %w", err)
	}
	return withRequestID(proxies, instrument(mux, cfg.Logger, cfg.Clock, m)), nil
}

// wrap applies the middleware every route gets. The request ID is
// outermost so that everything inside, including the panic log, sees it
// (and the client address, here trusting no proxy); instrument passes its
// request to next unchanged, so it can read the pattern the mux matched.
func wrap(next http.Handler, logger *slog.Logger, clk clock.Clock, m *metrics) http.Handler {
	return withRequestID(nil, instrument(next, logger, clk, m))
}
