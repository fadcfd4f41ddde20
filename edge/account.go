package edge

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/oidc"
)

// accountEmailPath is where a signed-in person changes their email
// address.
const accountEmailPath = "/account/email"

// accountEmail starts an email change for the browser's signed-in person
// and shows its first step; without a session it says to sign in first.
func (s *siteHandlers) accountEmail(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	l := s.localizer(r)
	res, err := s.engine.StartEmailChange(r.Context(), engine.EmailChangeBegin{
		Issuer: site.AuthServer(oidc.DefaultServer), Session: sessionCookie(r, site),
		Origin: site.Base, Base: site.Base, Locale: l.Lang(), Dir: l.Dir(),
	})
	if errors.Is(err, engine.ErrNoSession) {
		s.errorPage(w, r, http.StatusUnauthorized, "error.session.required")
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: email change", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
		return
	}
	setCookie(w, site.Secure, flowCookie(res.Flow.ID), res.Secret, int(s.flowTTL.Seconds()))
	http.Redirect(w, r, "/signin/"+url.PathEscape(res.Flow.ID), http.StatusSeeOther)
}

// emailChangedPage ends an email change.
func (s *siteHandlers) emailChangedPage(w http.ResponseWriter, r *http.Request) {
	l := s.localizer(r)
	s.render(w, r, http.StatusOK, pages.InfoPage(s.page(r.Context(), l, "email.changed.title"), "email.changed.help"))
}
