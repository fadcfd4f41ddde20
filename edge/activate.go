package edge

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// activatePath is where activation links point: activatePath + token,
// optionally with ?app= naming the app to return to.
const activatePath = directory.ActivationPath

// activationApp is the app an activation link names: nil for none, or
// for one the tenant does not have (the activation then ends on Lintel's
// own page rather than anywhere the link says).
func (s *siteHandlers) activationApp(r *http.Request, site Site) (*tenant.App, error) {
	id := r.URL.Query().Get("app")
	if id == "" || len(id) > 64 {
		return nil, nil
	}
	var app tenant.App
	err := s.engine.Store.View(r.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		app, err = s.tenants.App(ctx, tx, site.Tenant.ID, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &app, nil
}

// activatePage asks the person to confirm an activation link. It never
// uses the link: mail scanners and previews fetch links with GET.
func (s *siteHandlers) activatePage(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	token := r.PathValue("token")
	info, err := s.engine.ActivationLink(r.Context(), site.Tenant.ID, token)
	if err != nil {
		s.activateError(w, r, err)
		return
	}
	app, err := s.activationApp(r, site)
	if err != nil {
		s.activateError(w, r, err)
		return
	}
	name := ""
	if app != nil {
		name = app.Name
	}
	l := s.localizerFor(info.Locale, r)
	action := activatePath + url.PathEscape(token)
	if app != nil {
		action += "?app=" + url.QueryEscape(app.ID)
	}
	s.render(w, r, http.StatusOK, pages.ConfirmPage(s.page(r.Context(), l, "activate.title"), pages.Confirm{
		Step: "confirm-activation", App: name, Intro: "activate.intro", Button: "action.activate", Action: action,
	}))
}

// activatePost uses an activation link: the account is activated and
// signed in on this browser, then the flow offers a password and returns
// to the app.
func (s *siteHandlers) activatePost(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	app, err := s.activationApp(r, site)
	if err != nil {
		s.activateError(w, r, err)
		return
	}
	// The account's language, as on the confirm page; the browser's when
	// the account has none.
	info, err := s.engine.ActivationLink(r.Context(), site.Tenant.ID, r.PathValue("token"))
	if err != nil {
		s.activateError(w, r, err)
		return
	}
	l := s.localizerFor(info.Locale, r)
	iss := site.AuthServer(oidc.DefaultServer)
	res, err := s.engine.Activate(r.Context(), engine.ActivateBegin{
		Issuer: iss, Token: r.PathValue("token"), App: app, Origin: site.Base, Base: site.Base,
		Locale: l.Lang(), Dir: l.Dir(), Session: sessionCookie(r, site),
	})
	if err != nil {
		s.activateError(w, r, err)
		return
	}
	if res.SetSession != nil {
		setSessionCookie(w, site, res.SetSession)
	}
	if res.Flow.Step == wire.StepDone {
		http.Redirect(w, r, res.Flow.Redirect, http.StatusSeeOther)
		return
	}
	setCookie(w, site.Secure, flowCookie(res.Flow.ID), res.Secret, int(s.flowTTL.Seconds()))
	http.Redirect(w, r, "/signin/"+url.PathEscape(res.Flow.ID), http.StatusSeeOther)
}

// activatedPage ends an activation without an app to return to.
func (s *siteHandlers) activatedPage(w http.ResponseWriter, r *http.Request) {
	l := s.localizer(r)
	s.render(w, r, http.StatusOK, pages.InfoPage(s.page(r.Context(), l, "activate.done.title"), "activate.done.help"))
}

func (s *siteHandlers) activateError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, engine.ErrActivationInvalid) {
		s.errorPage(w, r, http.StatusNotFound, "error.activation.invalid")
		return
	}
	s.log.ErrorContext(r.Context(), "edge: activation", "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "error.server")
}
