package edge

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// withIssuer hands an OpenID provider endpoint the issuer of the request's
// site; unknown authorization servers get an empty 404.
func withIssuer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss, ok := issuer(r)
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	})
}

// logoutPage asks the person to confirm signing out (a GET alone must not
// end a session: any page could embed the link).
func (s *siteHandlers) logoutPage(w http.ResponseWriter, r *http.Request) {
	iss, ok := issuer(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	q := r.URL.Query()
	// The confirmation's POST ends at the client; its CSP must allow that.
	_ = s.engine.Store.View(r.Context(), func(ctx context.Context, tx store.Tx) error {
		allowFormTarget(ctx, originOf(s.postLogoutTarget(ctx, tx, iss, q.Get("client_id"), q.Get("post_logout_redirect_uri"), "")))
		return nil
	})
	l := s.localizer(r)
	s.render(w, r, http.StatusOK, pages.LogoutPage(s.page(r.Context(), l, "logout.title"), r.URL.Query().Get("client_id"), r.URL.Query().Get("post_logout_redirect_uri"), r.URL.Query().Get("state")))
}

// logout ends the SSO session and returns to the client when it named a
// registered post-logout redirect URI.
func (s *siteHandlers) logout(w http.ResponseWriter, r *http.Request) {
	iss, ok := issuer(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	site, _ := SiteFrom(r.Context())
	cookie := sessionCookie(r, site)
	target := ""
	err := s.engine.Store.Tx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if cookie != "" {
			if err := s.engine.Sessions.Revoke(ctx, tx, iss.TenantID, cookie); err != nil && !errors.Is(err, session.ErrNoSession) {
				return err
			}
		}
		target = s.postLogoutTarget(ctx, tx, iss, r.PostForm.Get("client_id"), r.PostForm.Get("post_logout_redirect_uri"), r.PostForm.Get("state"))
		return nil
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: logout", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: session.CookieName(site.Tenant.ID, site.Secure), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: site.Secure, SameSite: http.SameSiteLaxMode})
	if target != "" {
		allowFormTarget(r.Context(), originOf(target))
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	l := s.localizer(r)
	s.render(w, r, http.StatusOK, pages.LoggedOutPage(s.page(r.Context(), l, "logout.done")))
}

// postLogoutTarget returns the redirect after logout when the URI is
// registered exactly for the client, else "".
func (s *siteHandlers) postLogoutTarget(ctx context.Context, tx store.Tx, iss oidc.Issuer, clientID, uri, state string) string {
	if clientID == "" || uri == "" {
		return ""
	}
	app, err := s.tenants.App(ctx, tx, iss.TenantID, clientID)
	if err != nil || !slices.Contains(app.PostLogoutRedirectURIs, uri) {
		return ""
	}
	if state == "" {
		return uri
	}
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String()
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
