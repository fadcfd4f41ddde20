package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/eventhooks"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/factor/recoverycode"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/hooks"
	"github.com/lintel-id/lintel/server/hooks/wasm"
	"github.com/lintel-id/lintel/server/logstream"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/server/terms"
)

// system is the identity server's parts, wired from the configuration;
// serve and the admin commands share it.
type system struct {
	log     *slog.Logger
	clock   clock.Clock
	store   *store.DB
	secrets *secrets.Service
	tenants *tenant.Service
	events  *events.Log
	tokens  *mgmt.Tokens
	// The sign-in path.
	directory *directory.Directory
	passwords *factor.Passwords
	sessions  *session.Sessions
	oidc      *oidc.Provider
	engine    *engine.Engine
	locales   *locales.Catalog
	// authz holds the tenants' authorization servers: scopes, claims,
	// access policies.
	authz *authserver.Service
	// egress dials every outbound call (client jwks_uri, later hooks and
	// IdPs), refusing internal addresses.
	egress *egress.Dialer
	// federation holds the tenants' identity providers and routing rules
	// and speaks OIDC, OAuth 2 and SAML to them through egress.
	federation *federation.Service
	// saml makes Lintel a SAML identity provider for the tenants' apps.
	saml *samlidp.Service
	// hooks calls the tenants' inline hooks: HTTPS endpoints through
	// egress, WASM modules in wasm (closed by serve).
	hooks *hooks.Service
	wasm  *wasm.Runtime
	// eventHooks sends the tenants' system logs to their endpoints
	// through egress (serve runs its deliveries).
	eventHooks *eventhooks.Service
	// logStreams follow the system log into the webhooks tenants and
	// operators configured (server/logstream).
	logStreams *logstream.Service
	// Outgoing mail (mail.go): the outbox, the tenants' SMTP relays and
	// the instance default (mailSettings also answers From for a tenant),
	// the sender that routes between them, and how long sent mail is kept.
	mail          *mail.Outbox
	mailSettings  *mail.Settings
	mailSender    *mail.Router
	mailRetention time.Duration
	// brandSenders holds the brands' sender addresses and DKIM keys; the
	// mail sender signs with them.
	brandSenders *mail.BrandSenders
	// policies holds sign-on and password policies and lockout state.
	policies *policy.Service
	terms    *terms.Service
	// emails renders the built-in email templates.
	emails *emailtemplates.Set
	// branding keeps the tenants' themes (branding.go), and brandMail
	// dresses a flow's emails in its brand's and app's.
	branding  *branding.Service
	brandMail *branding.Mail
	// limits counts sign-in attempts, sends and the edge's requests: in
	// Redis when redis.url is set (every node shares the budgets), else in
	// process.
	limits ratelimit.Limiter
	// phoneSettings and phones are the tenants' SMS and voice providers
	// and the outbox codes leave through (phone.go).
	phoneSettings *phone.Settings
	phones        *phone.Outbox
	// keyFile and keyCreated tell whether a KEK file was made on this start.
	keyFile    string
	keyCreated bool
}

// openSystem opens the store (migrating it), the secrets service and the
// services on top, and makes sure the system tenant exists. Close the
// store when done.
func (e *env) openSystem(ctx context.Context, c settings.Config) (*system, error) {
	s := &system{log: e.newLogger(c), clock: clock.System()}
	if err := checkKeyConfig(c); err != nil {
		return nil, err
	}
	st, err := openStore(ctx, c, s.log, true)
	if err != nil {
		return nil, err
	}
	s.store = st
	ring, keyFile, created, err := keyring(ctx, c, st, s.clock)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	s.keyFile, s.keyCreated = keyFile, created
	if s.secrets, err = secrets.New(ctx, st, ring, s.clock); err != nil {
		_ = st.Close()
		return nil, err
	}
	publicHost := ""
	if u, err := url.Parse(c.PublicURL); err == nil {
		publicHost = u.Hostname()
	}
	// The public URL and the default tenant also place the links of
	// tenants' mail (tenant.Service.SiteBase).
	s.tenants = tenant.New(s.secrets, s.clock, tenant.Options{PublicHost: publicHost, PublicURL: c.PublicURL,
		DefaultTenant: c.DefaultTenant, MaxDepth: c.TenantMaxDepth()})
	s.events = events.New(st, s.secrets, s.clock)
	s.tokens = mgmt.NewTokens(s.secrets, s.clock)
	s.directory = directory.New(s.clock, s.events, s.secrets)
	s.passwords = factor.NewPasswords(0)
	s.sessions = session.New(s.secrets, s.clock, session.Options{Idle: c.SessionIdle(), Absolute: c.SessionAbsolute()})
	// dns.resolver, when set, also resolves outbound calls (domains.go).
	s.egress = egress.New(egress.Options{Allow: c.EgressAllow(), Resolver: dnsResolver(c)})
	if err := s.openMail(c); err != nil { // mail.go
		_ = st.Close()
		return nil, err
	}
	if s.locales, err = locales.Load(locales.FS()); err != nil {
		_ = st.Close()
		return nil, err
	}
	s.authz = authserver.New(s.clock)
	s.authz.Zones, s.authz.Hosts = s.tenants, s.tenants
	s.authz.WithAttributes(claimAttributes{s.directory})
	if s.oidc, err = oidc.New(oidc.Deps{Store: st, Secrets: s.secrets, Tenants: s.tenants, Servers: s.authz, Users: userClaims{s.directory}, Events: s.events, Clock: s.clock, Logger: s.log, HTTPClient: s.egress.Client()}); err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.policies, err = policy.New(policy.Deps{Store: st, Clock: s.clock, Passwords: s.passwords, Zones: s.tenants, Types: s.directory, Logger: s.log}); err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.emails, err = emailtemplates.New(s.locales); err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.limits, err = openLimits(c, s.clock); err != nil { // limits.go
		_ = st.Close()
		return nil, err
	}
	if err := s.openBranding(c.Theme.Base); err != nil { // branding.go
		_ = st.Close()
		return nil, err
	}
	s.terms = terms.New(s.clock, s.events)
	s.openPhones() // phone.go
	keys, err := passkey.New(passkey.Deps{Clock: s.clock})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	otps, err := totp.New(totp.Deps{Secrets: s.secrets, Clock: s.clock})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.federation, err = federation.New(federation.Deps{Secrets: s.secrets, Directory: s.directory, Tenants: s.tenants,
		HTTP: s.egress.Client(), Clock: s.clock, Logger: s.log}); err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.saml, err = samlidp.New(samlidp.Deps{Secrets: s.secrets, Clock: s.clock, Attributes: claimAttributes{s.directory}}); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.openHooks(ctx, c.DataDir); err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.engine, err = engine.New(engine.Deps{
		Store: st, Secrets: s.secrets, OIDC: s.oidc, Directory: s.directory, Passwords: s.passwords,
		Sessions: s.sessions, Events: s.events, Policies: s.policies, Terms: s.terms,
		Mail: s.mail, Senders: s.mailSettings, Templates: s.emails, Branding: s.brandMail, Limits: engineLimits{s.limits},
		Passkeys: keys, TOTP: otps, Codes: recoverycode.New(s.secrets.MAC), Sites: s.tenants, Phones: s.phones,
		Text: s.text, MatchLocale: s.matchLocale, Federation: s.federation, SAML: s.saml, Clock: s.clock, Logger: s.log,
	}); err != nil {
		_ = st.Close()
		return nil, err
	}
	ensure := func(ctx context.Context, tx store.Tx) error {
		_, err := s.tenants.EnsureSystem(ctx, tx)
		return err
	}
	err = st.Tx(ctx, ensure)
	if errors.Is(err, store.ErrConflict) {
		// Another node created it at the same moment: it exists now.
		err = st.Tx(ctx, ensure)
	}
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("system tenant: %w", err)
	}
	return s, nil
}

// openHooks makes the inline hooks' service, with its WASM runtime, and
// the event hooks' service. Both call out through the egress dialer, so
// hooks' URLs reach no internal address unless egress.allow says so.
// Compiled WASM modules are kept under dataDir (when set), so a restart
// does not compile every module again on its first call.
func (s *system) openHooks(ctx context.Context, dataDir string) error {
	cache := ""
	if dataDir != "" {
		cache = filepath.Join(dataDir, "wasm-cache")
	}
	// Modules of the size package hooks accepts must also run.
	rt, err := wasm.New(ctx, wasm.Options{MaxModuleBytes: hooks.MaxModuleSize, CacheDir: cache, Logger: s.log})
	if err != nil {
		return fmt.Errorf("wasm hooks: %w", err)
	}
	s.wasm = rt
	if s.hooks, err = hooks.New(hooks.Deps{Store: s.store, Secrets: s.secrets, Clock: s.clock, Logger: s.log, HTTP: s.egress.Client(), WASM: rt}); err != nil {
		_ = rt.Close(ctx)
		return err
	}
	if s.eventHooks, err = eventhooks.New(eventhooks.Deps{Store: s.store, Secrets: s.secrets, Events: s.events, Clock: s.clock, Logger: s.log,
		HTTP: s.egress.Client()}, eventhooks.Options{}); err != nil {
		_ = rt.Close(ctx)
		return err
	}
	if s.logStreams, err = logstream.New(logstream.Deps{Secrets: s.secrets, Clock: s.clock, Store: s.store, Events: s.events,
		HTTP: s.egress.Client(), Logger: s.log}); err != nil {
		_ = rt.Close(ctx)
		return err
	}
	return nil
}

// matchLocale is the catalog language serving a profile locale, if any.
func (s *system) matchLocale(profile string) (lang, dir string, ok bool) {
	tag, ok := s.locales.Lookup(profile)
	if !ok {
		return "", "", false
	}
	l := s.locales.Localizer(tag)
	return l.Lang(), l.Dir(), true
}

// text localizes a message for texts, calls and stored security
// questions, in the best language the catalog has for locale.
func (s *system) text(locale, id string, params ...string) string {
	return s.locales.Localizer(s.locales.Match(locale, "", "")).Text(id, params...)
}

// userClaims gives the OpenID provider the directory's view of a user; the
// provider does not depend on the directory package.
type userClaims struct{ dir *directory.Directory }

func (u userClaims) UserClaims(ctx context.Context, tx store.Tx, tenantID, userID string) (oidc.Claims, error) {
	usr, err := u.dir.User(ctx, tx, tenantID, userID)
	if err != nil {
		return oidc.Claims{}, err
	}
	if !usr.Status.CanSignIn() {
		// Tokens must not describe a user who may no longer sign in.
		return oidc.Claims{}, fmt.Errorf("user %s: %w", usr.ID, store.ErrNotFound)
	}
	groups, err := u.dir.GroupsOf(ctx, tx, tenantID, userID)
	if err != nil {
		return oidc.Claims{}, err
	}
	c := oidc.Claims{Subject: usr.ID, Email: usr.Email, EmailVerified: usr.EmailVerified, Name: usr.Name, GivenName: usr.GivenName, FamilyName: usr.FamilyName, Locale: usr.Locale,
		UpdatedAt: usr.UpdatedAt, Login: usr.Login, Status: string(usr.Status), Profile: usr.Profile}
	for _, g := range groups {
		c.Groups = append(c.Groups, oidc.Group{ID: g.ID, Name: g.Name})
	}
	return c, nil
}
