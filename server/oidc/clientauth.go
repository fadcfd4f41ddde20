package oidc

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// maxFormBytes bounds the body of token requests.
const maxFormBytes = 64 << 10

// readForm reads a token request's form body (RFC 6749 §3.2): POST,
// application/x-www-form-urlencoded, no parameter twice. Parameters in the
// URL query are ignored.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, ptr(ErrInvalidRequest.WithDescription("the body must be application/x-www-form-urlencoded"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, ptr(ErrInvalidRequest.WithDescription("the body is not a valid form"))
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, ptr(ErrInvalidRequest.WithDescription(k + " appears more than once"))
		}
	}
	return r.PostForm, nil
}

// clientCreds are the credentials a client presented and how.
type clientCreds struct {
	id, secret string
	// method is client_secret_basic, client_secret_post or none.
	method string
}

// credentials reads the client's credentials (RFC 6749 §2.3.1): HTTP Basic
// (with form-encoded id and secret), or client_id and client_secret in the
// body, or only client_id for a public client. Using two methods at once
// is refused.
func credentials(r *http.Request, form url.Values) (clientCreds, *Error) {
	auth := r.Header.Get("Authorization")
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	if auth != "" {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return clientCreds{}, ptr(ErrInvalidClient.WithDescription("unsupported client authentication"))
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		switch {
		case err1 != nil || err2 != nil || id == "":
			return clientCreds{}, ptr(ErrInvalidClient.WithDescription("malformed client credentials"))
		case formSecret != "":
			return clientCreds{}, ptr(ErrInvalidRequest.WithDescription("use only one client authentication method"))
		case formID != "" && formID != id:
			return clientCreds{}, ptr(ErrInvalidRequest.WithDescription("client_id does not match the authenticated client"))
		}
		return clientCreds{id: id, secret: secret, method: tenant.AuthClientSecretBasic}, nil
	}
	switch {
	case formID == "":
		return clientCreds{}, ptr(ErrInvalidClient.WithDescription("client authentication is required"))
	case formSecret != "":
		return clientCreds{id: formID, secret: formSecret, method: tenant.AuthClientSecretPost}, nil
	}
	return clientCreds{id: formID, method: tenant.AuthNone}, nil
}

// authenticate checks a client's credentials against its app: the app
// must belong to the issuer's tenant and be registered for the method used
// (a public client sending a secret, or a confidential one sending none,
// is refused). It returns invalid_client, or an internal error.
func (p *Provider) authenticate(ctx context.Context, tx store.Tx, iss Issuer, c clientCreds) (tenant.App, *Error, error) {
	bad := ptr(ErrInvalidClient.WithDescription("client authentication failed"))
	if len(c.id) > maxClientIDLen {
		return tenant.App{}, bad, nil
	}
	app, err := p.tenants.App(ctx, tx, iss.TenantID, c.id)
	if errors.Is(err, store.ErrNotFound) {
		return tenant.App{}, bad, nil
	}
	if err != nil {
		return tenant.App{}, nil, err
	}
	if app.TokenEndpointAuthMethod != c.method {
		return tenant.App{}, bad, nil
	}
	if c.method == tenant.AuthNone {
		return app, nil, nil
	}
	app, err = p.tenants.VerifyAppSecret(ctx, tx, c.id, c.secret)
	if errors.Is(err, tenant.ErrBadSecret) {
		return tenant.App{}, bad, nil
	}
	if err != nil {
		return tenant.App{}, nil, err
	}
	return app, nil, nil
}

// writeTokenError answers a token endpoint error. invalid_client is a 401
// with a Basic challenge (RFC 6749 §5.2).
func writeTokenError(w http.ResponseWriter, iss Issuer, e Error) {
	if e.Code == ErrInvalidClient.Code {
		e.Status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", "Basic realm="+quoted(iss.URL))
	}
	writeError(w, e)
}
