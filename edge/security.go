package edge

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/oidc"
)

// Notices the security page shows after a change (?done=…).
var securityNotices = map[string]string{"renamed": "security.renamed", "removed": "security.removed", "label": "error.factor_label",
	engine.DonePassword: "security.password_changed"}

// securityPage lists the signed-in person's factors with forms to rename
// and remove them and to set up more; without a session it says to sign
// in first.
func (s *siteHandlers) securityPage(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	factors, acct, err := s.engine.Factors(r.Context(), site.Tenant.ID, sessionCookie(r, site))
	if s.accountError(w, r, err) {
		return
	}
	// The person is known: their profile's language, unless ui_locales
	// asks for another.
	l := s.locales.Localizer(s.locales.Match(r.URL.Query().Get("ui_locales"), acct.Locale, r.Header.Get("Accept-Language")))
	v := pages.Security{Login: acct.Login, Add: engine.Enrollable, Action: securityURL(l.Lang(), ""),
		Notice: securityNotices[r.URL.Query().Get("done")]}
	for _, f := range factors {
		if f.Kind == engine.FactorPassword {
			// Changed, never listed: it has no name and cannot be removed.
			v.Password = true
			continue
		}
		v.Factors = append(v.Factors, pages.SecurityFactor{ID: f.ID, Kind: f.Kind, Label: f.Label, Detail: f.Detail,
			Remaining: f.Remaining, Added: f.CreatedAt, LastUsed: f.LastUsed})
	}
	s.render(w, r, http.StatusOK, pages.SecurityPage(s.page(r.Context(), l, "security.title"), v))
}

// securityPost renames or removes a factor, or starts setting one up or
// changing the password (factor=password), then goes back to the page (or
// on to the enrollment's first step).
func (s *siteHandlers) securityPost(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	cookie := sessionCookie(r, site)
	lang := r.URL.Query().Get("ui_locales")
	var back string
	var err error
	switch r.PostForm.Get("action") {
	case "rename":
		err = s.engine.RenameFactor(r.Context(), site.Tenant.ID, cookie, r.PostForm.Get("id"), r.PostForm.Get("label"))
		back = securityURL(lang, "renamed")
		if invalid.Is(err) {
			err, back = nil, securityURL(lang, "label")
		}
	case "remove":
		err = s.engine.RemoveFactor(r.Context(), site.Tenant.ID, cookie, r.PostForm.Get("id"))
		back = securityURL(lang, "removed")
	case "add":
		l := s.localizer(r)
		res, err := s.engine.StartEnroll(r.Context(), engine.EnrollBegin{
			Issuer: site.AuthServer(oidc.DefaultServer), Session: cookie, Factor: r.PostForm.Get("factor"),
			Origin: site.Base, Base: site.Base, Locale: l.Lang(), Dir: l.Dir(),
		})
		if s.accountError(w, r, err) {
			return
		}
		setCookie(w, site.Secure, flowCookie(res.Flow.ID), res.Secret, int(s.flowTTL.Seconds()))
		http.Redirect(w, r, "/signin/"+url.PathEscape(res.Flow.ID), http.StatusSeeOther)
		return
	default:
		err = engine.ErrUnknownAction
	}
	if s.accountError(w, r, err) {
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// securityURL is the account page in a language ("" for none), saying
// what was done ("" for nothing).
func securityURL(lang, done string) string {
	q := url.Values{}
	if lang != "" {
		q.Set("ui_locales", lang)
	}
	if done != "" {
		q.Set("done", done)
	}
	if len(q) == 0 {
		return engine.SecurityPath
	}
	return engine.SecurityPath + "?" + q.Encode()
}

// accountError answers an account page's error, reporting whether there
// was one.
func (s *siteHandlers) accountError(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, engine.ErrNoSession):
		s.errorPage(w, r, http.StatusUnauthorized, "error.session.required")
	case errors.Is(err, engine.ErrFactorNotFound), errors.Is(err, engine.ErrUnknownAction):
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
	default:
		s.log.ErrorContext(r.Context(), "edge: account security", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
	}
	return true
}
