package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/scim"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/widget/dist"
)

func (e *env) serveCommand() *cobra.Command {
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Lintel server",
		Long: `Run the Lintel server: migrate the database if needed, then serve HTTP on
--addr until interrupted (SIGINT or SIGTERM stop it gracefully).

With no --database-url, Lintel keeps everything in SQLite in --data-dir and,
on first start, creates a key-encryption key file there (secrets.keys). Back
that file up with the database: without it stored secrets cannot be opened.
With PostgreSQL, --secrets-key (or LINTEL_SECRETS_KEY) is required so that
every node shares the key.

Operational endpoints: /healthz (liveness), /readyz (the database answers),
/metrics (Prometheus).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := settings.Load(cmd.Flags(), e.environ)
			if err != nil {
				return err
			}
			return e.serve(cmd.Context(), c, demo)
		},
	}
	settings.Bind(cmd.Flags(), settings.AllFlags)
	cmd.Flags().BoolVar(&demo, "demo", false, "on first start, create a demo tenant, a demo app and an instance-admin token, printed once (flag only)")
	return cmd
}

func (e *env) serve(ctx context.Context, c settings.Config, demo bool) error {
	if c.DefaultTenant == "" && demo {
		// The demo tenant is served on the public host, and its mail
		// links there.
		c.DefaultTenant = demoSlug
	}
	sys, err := e.openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer sys.store.Close()
	// Compiled WASM hook modules go with the server.
	defer sys.wasm.Close(context.Background())
	log, clk, st := sys.log, sys.clock, sys.store
	if sys.keyCreated {
		log.Warn("created a new key-encryption key file; back it up together with the database", "path", sys.keyFile)
	}
	var seed *demoSeed
	if demo {
		if seed, err = seedDemo(ctx, sys, c.PublicURL); err != nil {
			return err
		}
	}
	public, err := url.Parse(c.PublicURL)
	if err != nil {
		return fmt.Errorf("public_url: %w", err)
	}
	defaultTenant := c.DefaultTenant
	oauth, err := sys.managementOAuth(ctx, public)
	if err != nil {
		return err
	}
	// Custom domains (domains.go): ownership checks always; certificates
	// and the HTTPS listener with tls.addr.
	verifier, err := sys.newVerifier(c)
	if err != nil {
		return err
	}
	domains, err := sys.openDomainServers(c, public, verifier)
	if err != nil {
		return err
	}
	var certs mgmt.Certificates
	if domains != nil {
		defer domains.closeListeners()
		certs = certificates{domains.manager}
	}
	previewer, err := edge.NewPreviewer(edge.PreviewerDeps{Store: st, Tenants: sys.tenants, Locales: sys.locales, Mail: sys.brandMail})
	if err != nil {
		return err
	}
	api, err := mgmt.New(mgmt.Deps{DomainVerifier: verifier, Certificates: certs, Store: st, Tenants: sys.tenants, Directory: sys.directory, Events: sys.events, Tokens: sys.tokens,
		Consents: sys.oidc, Keys: sys.oidc, Grants: sys.oidc, OAuth: oauth, AuthServers: sys.authz, Preview: sys.previewer(public, defaultTenant),
		Mail: sys.mailSettings, BrandSenders: sys.brandSenders, PhoneSettings: sys.phoneSettings, Policies: sys.policies, Sessions: sys.sessions, Clock: clk, Logger: log, Version: versionString(),
		Terms: sys.terms, Outbox: sys.mail, Senders: sys.mailSettings, Templates: sys.emails,
		Branding: sys.branding, ThemePreviewer: previewer, Federation: sys.federation, SAML: sys.saml,
		Hooks: sys.hooks, EventHooks: sys.eventHooks})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("addr: cannot listen on %s: %w", c.Addr, err)
	}
	defer ln.Close()
	var demoCfg *edge.DemoConfig
	if demo {
		tenantID, clientID, secret, err := demoClient(ctx, sys)
		if err != nil {
			return fmt.Errorf("demo client: %w", err)
		}
		demoCfg = &edge.DemoConfig{Issuer: c.PublicURL + "/oauth2/default", ClientID: clientID, ClientSecret: secret, TenantID: tenantID, Dial: ln.Addr().String()}
	}

	scimSvc := scim.New(scim.Deps{Store: st, Directory: sys.directory, Events: sys.events, Clock: clk, Logger: log,
		Authorize: edge.SCIMAuthorizer{OIDC: sys.oidc}})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerStoreMetrics(reg, st)
	h, err := edge.New(edge.Config{
		Store: st, Logger: log, Registry: reg, Clock: clk, Version: versionString(),
		Mgmt: api.Handler(), MgmtOpenAPI: api.OpenAPI(),
		Engine: sys.engine, OIDC: sys.oidc, Tenants: sys.tenants, Locales: sys.locales,
		PublicURL: public, DefaultTenant: defaultTenant, Demo: demoCfg, Widget: dist.FS(),
		PhoneSettings: sys.phoneSettings, Phones: sys.phones, SCIM: scimSvc,
		Limiter: sys.limits, Limits: edgeLimits(c), TrustedProxies: c.TrustedProxyPrefixes(),
		Branding: sys.branding, Previewer: previewer,
	})
	if err != nil {
		return err
	}
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	srv := newServer(h)
	// Background jobs end with ctx, when the server shuts down.
	retention := time.NewTicker(time.Hour)
	defer retention.Stop()
	go events.Retention{Log: sys.events, Keep: c.EventRetention(), Logger: log}.Run(ctx, retention.C)
	cleanup := time.NewTicker(time.Hour)
	defer cleanup.Stop()
	go housekeeping(ctx, sys, cleanup.C)
	// Outgoing mail (mail.go): stopped, and waited for, on return.
	stopMail := sys.runMail(ctx)
	defer stopMail()
	stopPhones := sys.runPhones(ctx) // phone.go
	defer stopPhones()
	stopEventHooks := sys.runEventHooks(ctx)
	defer stopEventHooks()

	recheck := time.NewTicker(recheckEvery)
	defer recheck.Stop()
	go verifier.Run(ctx, recheck.C)

	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "public_url", c.PublicURL, "database", string(st.Dialect()))
	if domains != nil {
		domains.serve(h, newServer, errc)
		attrs := []any{"addr", domains.tlsLn.Addr().String(), "acme_directory", c.ACMEDirectory()}
		if domains.httpLn != nil {
			attrs = append(attrs, "http_addr", domains.httpLn.Addr().String())
		}
		log.Info("serving custom domains over HTTPS", attrs...)
	}
	// Printed, not logged: this line is for the person who ran the command.
	if seed != nil {
		seed.print(e.stdout, c.PublicURL)
	}
	fmt.Fprintln(e.stdout, startBanner(c.PublicURL, ln.Addr()))

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if domains != nil {
		if err := domains.shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// eventHookInterval is how often lintel serve reads the system log for
// event hooks and sends what is due. Events are read once they are
// eventhooks.DefaultSettle old, so a delivery leaves a few seconds after
// its event.
const eventHookInterval = 2 * time.Second

// runEventHooks enqueues and delivers event hooks' deliveries every
// eventHookInterval (eventhooks.Service.Run does both on each tick), and
// follows the log streams on the same tick, until ctx ends or stop is
// called. stop returns once the runner has stopped,
// before the store closes; a delivery interrupted then goes out again
// once its lease ends.
func (s *system) runEventHooks(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ticker := time.NewTicker(eventHookInterval)
	streams := time.NewTicker(eventHookInterval)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer ticker.Stop()
		if err := s.eventHooks.Run(ctx, ticker.C); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("event hook delivery stopped", "err", err)
		}
	})
	wg.Go(func() {
		defer streams.Stop()
		if err := s.logStreams.Run(ctx, streams.C); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("log streaming stopped", "err", err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// startBanner tells the person who started Lintel where to point a
// browser: the public URL when it reaches this listener, otherwise both.
func startBanner(publicURL string, addr net.Addr) string {
	listen := "http://" + addr.String()
	if u, err := url.Parse(publicURL); err == nil {
		_, pport, _ := net.SplitHostPort(u.Host)
		_, lport, _ := net.SplitHostPort(addr.String())
		if pport == lport && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback()) {
			return fmt.Sprintf("Lintel is running. Open %s (health: %s/healthz, listening on %s)", publicURL, publicURL, listen)
		}
	}
	return fmt.Sprintf("Lintel is listening on %s; its public URL is %s", listen, publicURL)
}

// registerStoreMetrics exports the store's transaction counters.
func registerStoreMetrics(reg prometheus.Registerer, st store.Store) {
	counter := func(name, help string, v func(store.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(st.Stats())) })
	}
	reg.MustRegister(
		counter("lintel_store_commits_total", "Database transactions committed.", func(s store.Stats) int64 { return s.Commits }),
		counter("lintel_store_rollbacks_total", "Database transactions rolled back, retries included.", func(s store.Stats) int64 { return s.Rollbacks }),
		counter("lintel_store_retries_total", "Database transactions run again after the database refused them for contention.", func(s store.Stats) int64 { return s.Retries }),
	)
}
