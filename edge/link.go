package edge

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
)

// linkPage shows the confirmation of a sign-in link. It never uses the
// link: mail scanners and previews fetch links with GET.
func (s *siteHandlers) linkPage(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	token := r.PathValue("token")
	info, err := s.engine.Link(r.Context(), site.Tenant.ID, token)
	if err != nil {
		s.linkError(w, r, err)
		return
	}
	l := s.localizerFor(info.Locale, r)
	p := s.page(r.Context(), l, "link.confirm.title")
	s.render(w, r, http.StatusOK, pages.ConfirmPage(p, pages.Confirm{
		Step: "confirm-link", App: info.App, Intro: "link.confirm.intro", IntroParams: []string{"app", info.App},
		Button: "action.continue", Action: engine.LinkPath + url.PathEscape(token),
	}))
}

// linkPost uses a sign-in link. In the browser that started the sign-in
// (it holds the flow's cookie) the flow moves on here; in any other the
// page says to return to the first browser, which must approve.
func (s *siteHandlers) linkPost(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	token := r.PathValue("token")
	id := engine.LinkFlowID(token)
	secret := ""
	if id != "" {
		secret = readCookie(r, site.Secure, flowCookie(id))
	}
	res, err := s.engine.ConfirmLink(r.Context(), site.Tenant.ID, token, secret, sessionCookie(r, site))
	if err != nil {
		s.linkError(w, r, err)
		return
	}
	if res.Elsewhere {
		l := s.localizerFor(res.Info.Locale, r)
		s.render(w, r, http.StatusOK, pages.InfoPage(s.page(r.Context(), l, "link.elsewhere.title"), "link.elsewhere.help", "app", res.Info.App))
		return
	}
	if res.Result.SetSession != nil {
		setSessionCookie(w, site, res.Result.SetSession)
	}
	if res.Result.Flow.Step == wire.StepDone {
		// The flow cookie stays: the first tab, polling, shows that the
		// sign-in went on here.
		http.Redirect(w, r, res.Result.Flow.Redirect, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/signin/"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *siteHandlers) linkError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, engine.ErrLinkInvalid) {
		s.errorPage(w, r, http.StatusNotFound, "error.link.invalid")
		return
	}
	s.log.ErrorContext(r.Context(), "edge: sign-in link", "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "error.server")
}
