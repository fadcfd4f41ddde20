package edge

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// withIssuer hands an OpenID provider endpoint the issuer of the request's
// site; unknown authorization servers get an empty 404.
func (s *siteHandlers) withIssuer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss, ok := s.issuer(r)
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	})
}

// logoutConfirmField marks the POST of the logout confirmation page:
// only a POST that carries it (and passes the CSRF checks of secure) ends
// the session. A logout request POSTed without it, as OpenID Connect
// RP-Initiated Logout allows, gets the confirmation page like a GET.
const logoutConfirmField = "confirm"

// logoutPage serves the end-session endpoint's GET (OpenID Connect
// RP-Initiated Logout 1.0): it validates the request and asks the person
// to confirm signing out, since a GET alone must not end a session (any
// page could embed the link, and an id_token_hint is no proof that the
// person wants to leave). An invalid request gets an error page and is
// never redirected. A browser without a session has nothing to end: it
// goes straight to the client's post-logout redirect, or the signed-out
// page.
func (s *siteHandlers) logoutPage(w http.ResponseWriter, r *http.Request) {
	s.logoutRequest(w, r, r.URL.Query())
}

// logout serves the end-session endpoint's POST: the confirmation, which
// ends the session, or a logout request POSTed by a client, which is
// answered as a GET is. The security middleware has already refused a
// cross-site POST and one without the page's CSRF token.
func (s *siteHandlers) logout(w http.ResponseWriter, r *http.Request) {
	if r.PostForm.Get(logoutConfirmField) == "" {
		s.logoutRequest(w, r, r.PostForm)
		return
	}
	iss, ok := s.issuer(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := r.Context()
	req, e := s.oidc.ValidateEndSession(ctx, iss, r.PostForm)
	if e != nil {
		s.logoutError(w, r, e)
		return
	}
	site, _ := SiteFrom(ctx)
	cookie := sessionCookie(r, site)
	err := s.engine.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		return s.endSession(ctx, tx, iss, cookie, req)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "edge: logout", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
		return
	}
	s.signedOut(w, r, site, req)
}

// logoutRequestPOST reports whether r is a logout request an RP POSTed
// (OIDC RP-Initiated Logout §2 allows POST): it only shows the
// confirmation page, so it may come from the RP's site. The confirmation
// itself (with its marker) goes through every check.
func logoutRequestPOST(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/oauth2/") || !strings.HasSuffix(r.URL.Path, "/v1/logout") {
		return false
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	return r.PostForm.Get(logoutConfirmField) == ""
}

// logoutRequest validates a logout request and shows the confirmation
// page carrying it, or ends at once when there is no session.
func (s *siteHandlers) logoutRequest(w http.ResponseWriter, r *http.Request, params url.Values) {
	iss, ok := s.issuer(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := r.Context()
	req, e := s.oidc.ValidateEndSession(ctx, iss, params)
	if e != nil {
		s.logoutError(w, r, e)
		return
	}
	site, _ := SiteFrom(ctx)
	live := false
	if cookie := sessionCookie(r, site); cookie != "" {
		err := s.engine.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := s.engine.Sessions.Lookup(ctx, tx, iss.TenantID, cookie)
			live = err == nil
			if errors.Is(err, session.ErrNoSession) {
				return nil
			}
			return err
		})
		if err != nil {
			s.log.ErrorContext(ctx, "edge: logout: look up session", "err", err)
			s.errorPage(w, r, http.StatusInternalServerError, "error.server")
			return
		}
	}
	if !live {
		s.signedOut(w, r, site, req)
		return
	}
	// The confirmation's POST ends at the client; its CSP must allow that.
	allowFormTarget(ctx, originOf(req.PostLogoutRedirectURI))
	l := s.logoutLocalizer(r, req)
	s.render(w, r, http.StatusOK, pages.LogoutPage(s.page(ctx, l, "logout.title"), pages.LogoutForm{
		Action: r.URL.Path, ClientID: params.Get("client_id"), PostLogoutRedirectURI: req.PostLogoutRedirectURI,
		State: req.State, IDTokenHint: params.Get("id_token_hint"), UILocales: req.UILocales,
	}))
}

// endSession revokes the browser's SSO session, if it has a live one,
// with the grants made during it (offline grants outlive it), and records
// user.signout.
func (s *siteHandlers) endSession(ctx context.Context, tx store.Tx, iss oidc.Issuer, cookie string, req oidc.EndSessionRequest) error {
	if cookie == "" {
		return nil
	}
	ses, err := s.engine.Sessions.Lookup(ctx, tx, iss.TenantID, cookie)
	if errors.Is(err, session.ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.engine.Sessions.Revoke(ctx, tx, iss.TenantID, cookie); err != nil && !errors.Is(err, session.ErrNoSession) {
		return err
	}
	n, err := s.oidc.EndSession(ctx, tx, iss.TenantID, ses.ID)
	if err != nil {
		return err
	}
	ev := events.Event{
		Type: "user.signout", TenantID: iss.TenantID, Outcome: events.Success, RequestID: requestid.From(ctx),
		Actor: events.Ref{Type: "user", ID: ses.UserID}, Subject: ses.UserID,
		Details: map[string]any{"session_id": ses.ID, "grants_revoked": n},
	}
	if req.ClientID != "" {
		ev.Target = events.Ref{Type: "app", ID: req.ClientID}
	}
	_, err = s.engine.Events.Append(ctx, tx, ev)
	return err
}

// signedOut clears the session cookie and sends the browser to the
// client's post-logout redirect, or shows the signed-out page.
func (s *siteHandlers) signedOut(w http.ResponseWriter, r *http.Request, site Site, req oidc.EndSessionRequest) {
	if sessionCookie(r, site) != "" {
		http.SetCookie(w, &http.Cookie{Name: session.CookieName(site.Tenant.ID, site.Secure), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: site.Secure, SameSite: http.SameSiteLaxMode})
	}
	if target := req.PostLogoutRedirect(); target != "" {
		// After the confirmation's POST, CSP form-action governs this
		// redirect too.
		allowFormTarget(r.Context(), originOf(target))
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, pages.LoggedOutPage(s.page(r.Context(), s.logoutLocalizer(r, req), "logout.done")))
}

// logoutLocalizer picks the language of the logout pages: the request's
// ui_locales, then Accept-Language.
func (s *siteHandlers) logoutLocalizer(r *http.Request, req oidc.EndSessionRequest) *locales.Localizer {
	return s.locales.Localizer(s.locales.Match(req.UILocales, "", r.Header.Get("Accept-Language")))
}

// logoutError shows a refused logout request as an error page: the
// client's redirect URI is unproven, so it is never redirected to.
func (s *siteHandlers) logoutError(w http.ResponseWriter, r *http.Request, e *oidc.Error) {
	switch {
	case e.Status == http.StatusNotFound:
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
	case e.Status >= http.StatusInternalServerError:
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
	default:
		s.log.InfoContext(r.Context(), "edge: logout request refused", "error", e.Code, "description", e.Description)
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
	}
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
