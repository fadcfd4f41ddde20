package oidc

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/lintel-id/lintel/server/store"
)

// userinfoResponse is the userinfo answer: sub and the claims the token's
// scope grants.
type userinfoResponse struct {
	Subject string `json:"sub"`
	userClaims
}

// UserInfo returns the userinfo endpoint ({issuer}/v1/userinfo, OIDC Core
// §5.3). It answers GET or POST with a Bearer access token of this issuer
// (in the Authorization header, or as access_token in a POST form) that
// is unexpired and carries the openid scope: sub and the profile and
// email claims its scope grants. Errors follow RFC 6750 §3 with a
// WWW-Authenticate challenge.
func (p *Provider) UserInfo() http.Handler { return http.HandlerFunc(p.userinfo) }

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	iss, ok := p.issuerOf(w, r)
	if !ok || !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	ctx := r.Context()
	raw, e := bearerToken(w, r)
	switch {
	case e != nil:
		writeBearerError(w, iss, *e, false)
		return
	case raw == "":
		// No credentials at all: a bare challenge (RFC 6750 §3.1).
		writeBearerError(w, iss, ErrInvalidToken.WithDescription("an access token is required"), true)
		return
	}
	at, err := p.verifyAccess(ctx, iss, raw)
	if errors.Is(err, errBadToken) {
		p.log.InfoContext(ctx, "userinfo: refused token", "tenant", iss.TenantID, "err", err)
		writeBearerError(w, iss, ErrInvalidToken.WithDescription("the access token is invalid or expired"), false)
		return
	}
	if err != nil {
		p.log.ErrorContext(ctx, "userinfo: verify token", "tenant", iss.TenantID, "err", err)
		writeError(w, ErrServerError)
		return
	}
	var c Claims
	err = p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		// A revoked token is invalid whatever its scope.
		live, err := p.accessLive(ctx, tx, iss, at)
		switch {
		case err != nil:
			return err
		case !live:
			return errRevoked
		case !hasScope(at.Scope, ScopeOpenID):
			return errNoOpenID
		}
		c, err = p.claims(ctx, tx, iss.TenantID, at.Subject)
		return err
	})
	switch {
	case errors.Is(err, errNoOpenID):
		writeBearerError(w, iss, ErrInsufficientScope.WithDescription("the access token lacks the openid scope"), false)
	case errors.Is(err, errRevoked):
		writeBearerError(w, iss, ErrInvalidToken.WithDescription("the access token was revoked"), false)
	case errors.Is(err, errUserGone):
		writeBearerError(w, iss, ErrInvalidToken.WithDescription("the user may no longer sign in"), false)
	case err != nil:
		p.log.ErrorContext(ctx, "userinfo: claims", "tenant", iss.TenantID, "err", err)
		writeError(w, ErrServerError)
	default:
		writeJSON(w, http.StatusOK, userinfoResponse{Subject: c.Subject, userClaims: released(c, at.Scope)})
	}
}

// errRevoked and errNoOpenID stop the read of a userinfo request.
var (
	errRevoked  = errors.New("oidc: token revoked")
	errNoOpenID = errors.New("oidc: token lacks the openid scope")
)

// bearerToken reads the access token of a resource request (RFC 6750 §2):
// the Authorization header, or the access_token field of a POST form. It
// returns "" when the request carries none; two tokens are refused.
func bearerToken(w http.ResponseWriter, r *http.Request) (string, *Error) {
	var token string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		token = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return "", ptr(ErrInvalidRequest.WithDescription("use the Bearer authentication scheme"))
		}
	}
	if r.Method != http.MethodPost {
		return token, nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return token, nil
	}
	form, e := readForm(w, r)
	if e != nil {
		return "", e
	}
	if v := form.Get("access_token"); v != "" {
		if token != "" {
			return "", ptr(ErrInvalidRequest.WithDescription("send the access token only once"))
		}
		token = v
	}
	return token, nil
}

// writeBearerError answers a resource request error with a Bearer
// challenge (RFC 6750 §3); bare leaves the error out of the challenge, for
// a request that carried no token.
func writeBearerError(w http.ResponseWriter, iss Issuer, e Error, bare bool) {
	c := "Bearer realm=" + quoted(iss.URL)
	if !bare {
		c += ", error=" + quoted(e.Code)
		if e.Description != "" {
			c += ", error_description=" + quoted(e.Description)
		}
		if e.Code == ErrInsufficientScope.Code {
			c += `, scope="openid"`
		}
	}
	w.Header().Set("WWW-Authenticate", c)
	writeError(w, e)
}
