package edge

import (
	"errors"
	"net/http"

	"github.com/lintel-id/lintel/server/engine"
)

// mountSites adds everything a tenant's site serves. The site mux sits
// behind host routing (unknown hosts get an empty 404); pages sit behind
// the security middleware as well.
func mountSites(mux *http.ServeMux, cfg Config, lim *requestLimits) error {
	if cfg.OIDC == nil || cfg.Tenants == nil || cfg.Locales == nil || cfg.PublicURL == nil {
		return errors.New("edge: serving sites needs OIDC, Tenants, Locales and PublicURL")
	}
	s, err := newSiteHandlers(cfg)
	if err != nil {
		return err
	}
	s.limits, lim.refuse = lim, s.rateLimited
	router := &sites{store: cfg.Engine.Store, tenants: cfg.Tenants, public: cfg.PublicURL, defaultTenant: cfg.DefaultTenant}

	site := http.NewServeMux()
	pagesMux := http.NewServeMux()
	page := secure(s.fallbacks(pagesMux), func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden, "error.form.expired")
	}, func(r *http.Request) bool { return logoutRequestPOST(r) || federationPOST(r) || samlPOST(r) })
	pagesMux.HandleFunc("GET /oauth2/{server}/v1/authorize", s.authorize)
	pagesMux.HandleFunc("GET /signin/{flow}", s.signinPage)
	pagesMux.HandleFunc("POST /signin/{flow}", s.signinPost)
	pagesMux.HandleFunc("POST "+engine.HandoverPrefix+"{flow}", s.idpHandover)
	pagesMux.HandleFunc("GET "+engine.ReturnPrefix+"{flow}", s.idpReturn)
	pagesMux.HandleFunc("GET "+engine.CallbackPath, s.idpCallback)
	pagesMux.HandleFunc("POST "+engine.CallbackPath, s.idpCallback)
	pagesMux.HandleFunc("POST "+engine.ACSPath, s.idpCallback)
	pagesMux.HandleFunc("GET /signin/email/{token}", s.linkPage)
	pagesMux.HandleFunc("POST /signin/email/{token}", s.linkPost)
	pagesMux.HandleFunc("GET "+engine.ActivatedPath, s.activatedPage)
	pagesMux.HandleFunc("GET "+accountEmailPath, s.accountEmail)
	pagesMux.HandleFunc("GET "+engine.SecurityPath, s.securityPage)
	pagesMux.HandleFunc("POST "+engine.SecurityPath, s.securityPost)
	pagesMux.HandleFunc("GET "+engine.ChangedPath, s.emailChangedPage)
	pagesMux.HandleFunc("GET "+activatePath+"{token}", s.activatePage)
	pagesMux.HandleFunc("POST "+activatePath+"{token}", s.activatePost)
	pagesMux.HandleFunc("GET "+verifyEmailPath+"{token}", s.verifyEmailPage)
	pagesMux.HandleFunc("POST "+verifyEmailPath+"{token}", s.verifyEmailPost)
	pagesMux.HandleFunc("GET /oauth2/{server}/v1/logout", s.logoutPage)
	pagesMux.HandleFunc("POST /oauth2/{server}/v1/logout", s.logout)
	if cfg.Demo != nil {
		d := newDemo(*cfg.Demo, s)
		pagesMux.HandleFunc("GET /demo", d.home)
		pagesMux.HandleFunc("GET /demo/signed-out", d.home)
		pagesMux.HandleFunc("POST /demo/login", d.login)
		pagesMux.HandleFunc("GET /demo/callback", d.callback)
		pagesMux.HandleFunc("POST /demo/logout", d.logout)
		pagesMux.HandleFunc("GET /demo/widget", d.widget)
		pagesMux.HandleFunc("POST /demo/widget/callback", d.widgetCallback)
	}
	for _, p := range []string{"/oauth2/{server}/v1/authorize", "/signin/{flow}", engine.HandoverPrefix + "{flow}", engine.ReturnPrefix + "{flow}", engine.CallbackPath, engine.ACSPath, "/signin/email/{token}", activatePath + "{token}", verifyEmailPath + "{token}", accountEmailPath, engine.SecurityPath, engine.ChangedPath, "/oauth2/{server}/v1/logout", "/demo", "/demo/"} {
		site.Handle(p, page)
	}

	if cfg.Demo != nil {
		// A newcomer who opens the public URL lands on the demo client.
		site.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/demo", http.StatusFound)
		})
	}
	site.HandleFunc("GET /.well-known/webauthn", s.relatedOrigins)
	site.HandleFunc("GET "+SAMLMetadataPath, s.samlMetadata)
	s.mountSAML(site, pagesMux, page) // saml.go
	if cfg.SCIM != nil {
		mountSCIM(site, cfg.SCIM) // scim.go
	}
	if cfg.PhoneSettings != nil && cfg.Phones != nil {
		cb := &twilioCallbacks{settings: cfg.PhoneSettings, phones: cfg.Phones, log: cfg.Logger}
		site.HandleFunc("POST "+TwilioStatusPath, cb.status)
	}
	site.HandleFunc("OPTIONS /api/v1/flows", s.flowPreflight)
	site.HandleFunc("OPTIONS /api/v1/flows/{flow}", s.flowPreflight)
	site.HandleFunc("POST /api/v1/flows", s.startFlow)
	site.HandleFunc("GET /api/v1/flows/{flow}", s.flowByID)
	site.HandleFunc("POST /api/v1/flows/{flow}", s.continueFlow)

	site.Handle("GET /oauth2/{server}/.well-known/openid-configuration", s.withIssuer(cfg.OIDC.Discovery()))
	site.Handle("GET /oauth2/{server}/v1/keys", s.browserCORS(s.withIssuer(cfg.OIDC.JWKS())))
	site.Handle("POST /oauth2/{server}/v1/token", lim.token(s.browserCORS(s.withIssuer(cfg.OIDC.Token()))))
	site.Handle("/oauth2/{server}/v1/userinfo", s.withIssuer(cfg.OIDC.UserInfo()))
	site.Handle("POST /oauth2/{server}/v1/introspect", s.withIssuer(cfg.OIDC.Introspect()))
	site.Handle("POST /oauth2/{server}/v1/revoke", s.browserCORS(s.withIssuer(cfg.OIDC.Revoke())))

	// The system tenant's machine endpoints, on the public host only: its
	// default server issues the management API's OAuth tokens.
	sys := http.NewServeMux()
	sys.Handle("GET "+SystemPrefix+"/oauth2/{server}/.well-known/openid-configuration", s.withIssuer(cfg.OIDC.Discovery()))
	sys.Handle("GET "+SystemPrefix+"/oauth2/{server}/v1/keys", s.withIssuer(cfg.OIDC.JWKS()))
	sys.Handle("POST "+SystemPrefix+"/oauth2/{server}/v1/token", s.withIssuer(cfg.OIDC.Token()))
	sys.Handle("POST "+SystemPrefix+"/oauth2/{server}/v1/introspect", s.withIssuer(cfg.OIDC.Introspect()))
	sys.Handle("POST "+SystemPrefix+"/oauth2/{server}/v1/revoke", s.withIssuer(cfg.OIDC.Revoke()))
	mux.Handle(SystemPrefix+"/oauth2/", router.system(s.serveSite(sys)))

	// Hashed and compressed at start-up (newPageAssets), lintel.css
	// joined from the tokens, the page's frame and the components.
	site.HandleFunc("GET "+assetsPrefix+"{name}", s.asset)

	internal := func(err error) { cfg.Logger.Error("edge: host routing", "err", err) }
	wf, err := newWidgetFiles(cfg.Widget, cfg.Logger)
	if err != nil {
		return err
	}
	wh := &widgetHandlers{files: wf, store: cfg.Engine.Store, tenants: cfg.Tenants, log: cfg.Logger}
	widget := http.NewServeMux()
	widget.HandleFunc("GET "+WidgetPrefix+"lintel.js", wh.loaderJS)
	widget.HandleFunc("GET "+WidgetPrefix+"{name}", wh.asset)
	mux.Handle(WidgetPrefix, router.routeOrPublic(widget, internal))
	site.HandleFunc("GET /api/v1/locales/{lang}", s.catalog)
	site.HandleFunc("GET /branding/theme.css", s.themeCSS)

	mux.Handle("/", router.route(lim.site(s.serveSite(site)), internal))
	return nil
}

// newSiteHandlers builds the handlers every site shares, with the hosted
// pages' static files hashed and compressed once.
func newSiteHandlers(cfg Config) (*siteHandlers, error) {
	files, err := newPageAssets()
	if err != nil {
		return nil, err
	}
	s := &siteHandlers{engine: cfg.Engine, oidc: cfg.OIDC, tenants: cfg.Tenants, locales: cfg.Locales, log: cfg.Logger,
		flowTTL: cfg.Engine.FlowTTL, assets: files, branding: cfg.Branding}
	if cfg.Demo != nil {
		s.home = "/" // the demo client's start page, see mountSites
	}
	return s, nil
}
