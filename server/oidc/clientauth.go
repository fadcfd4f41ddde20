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

// assertionType is the only client_assertion_type (RFC 7523 §2.2).
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLen bounds a client assertion.
const maxAssertionLen = 8 << 10

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

// tokenRequest starts a handler of a client's POSTed form (token,
// introspection, revocation): no caching of the answer, the issuer, POST
// only, the form read. It answers the error itself and reports whether
// to go on.
func (p *Provider) tokenRequest(w http.ResponseWriter, r *http.Request) (Issuer, url.Values, bool) {
	noStore(w)
	iss, ok := p.issuerOf(w, r)
	if !ok || !allowMethods(w, r, http.MethodPost) {
		return Issuer{}, nil, false
	}
	form, e := readForm(w, r)
	if e != nil {
		writeTokenError(w, iss, *e)
		return Issuer{}, nil, false
	}
	return iss, form, true
}

// presentedAccess verifies a presented token if it has the shape of one
// of the issuer's access tokens; nil for anything else (a refresh token, a
// forged or expired JWT). It runs outside any transaction: keys may load.
func (p *Provider) presentedAccess(ctx context.Context, iss Issuer, token string) (*accessClaims, error) {
	if !looksLikeJWT(token) {
		return nil, nil
	}
	c, err := p.verifyAccess(ctx, iss, token)
	if errors.Is(err, errBadToken) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// clientCreds are the credentials a client presented and how.
type clientCreds struct {
	id, secret string
	// assertion is a private_key_jwt client assertion.
	assertion string
	// method is client_secret_basic, client_secret_post, private_key_jwt
	// or none.
	method string
}

// credentials reads the client's credentials (RFC 6749 §2.3.1, RFC 7523
// §2.2): HTTP Basic (with form-encoded id and secret), or client_id and
// client_secret in the body, or a client assertion, or only client_id
// for a public client. Using two methods at once is refused.
func credentials(r *http.Request, form url.Values) (clientCreds, *Error) {
	auth := r.Header.Get("Authorization")
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	atype, assertion := form.Get("client_assertion_type"), form.Get("client_assertion")
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
		case formSecret != "" || atype != "" || assertion != "":
			return clientCreds{}, ptr(ErrInvalidRequest.WithDescription("use only one client authentication method"))
		case formID != "" && formID != id:
			return clientCreds{}, ptr(ErrInvalidRequest.WithDescription("client_id does not match the authenticated client"))
		}
		return clientCreds{id: id, secret: secret, method: tenant.AuthClientSecretBasic}, nil
	}
	if atype != "" || assertion != "" {
		switch {
		case formSecret != "":
			return clientCreds{}, ptr(ErrInvalidRequest.WithDescription("use only one client authentication method"))
		case atype != assertionType:
			return clientCreds{}, ptr(ErrInvalidClient.WithDescription("client_assertion_type must be " + assertionType))
		case assertion == "":
			return clientCreds{}, ptr(ErrInvalidClient.WithDescription("client_assertion is required"))
		case len(assertion) > maxAssertionLen:
			return clientCreds{}, ptr(ErrInvalidClient.WithDescription("client_assertion is too long"))
		}
		id, e := assertionClient(assertion)
		if e != nil {
			return clientCreds{}, e
		}
		if formID != "" && formID != id {
			return clientCreds{}, ptr(ErrInvalidClient.WithDescription("client_id does not match the assertion's subject"))
		}
		return clientCreds{id: id, assertion: assertion, method: tenant.AuthPrivateKeyJWT}, nil
	}
	switch {
	case formID == "":
		return clientCreds{}, ptr(ErrInvalidClient.WithDescription("client authentication is required"))
	case formSecret != "":
		return clientCreds{id: formID, secret: formSecret, method: tenant.AuthClientSecretPost}, nil
	}
	return clientCreds{id: formID, method: tenant.AuthNone}, nil
}

// clientAuth is what authenticating a client needs from outside the
// transaction: its app and, for private_key_jwt, the verified assertion.
type clientAuth struct {
	creds     clientCreds
	app       tenant.App
	assertion verifiedAssertion
}

// preauthenticate looks the client up and, for private_key_jwt, verifies
// its assertion, fetching a jwks_uri when needed. It runs outside any
// transaction (a fetch must not hold the database); authenticate finishes
// the job inside one. crossTenant allows a client of another tenant when
// iss is the system tenant's server (management tokens).
func (p *Provider) preauthenticate(ctx context.Context, iss Issuer, c clientCreds, crossTenant bool) (clientAuth, *Error, error) {
	bad := ptr(ErrInvalidClient.WithDescription("client authentication failed"))
	if len(c.id) > maxClientIDLen {
		return clientAuth{}, bad, nil
	}
	var app tenant.App
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		app, err = p.clientApp(ctx, tx, iss, c.id, crossTenant)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return clientAuth{}, bad, nil
	}
	if err != nil {
		return clientAuth{}, nil, err
	}
	if app.TokenEndpointAuthMethod != c.method {
		return clientAuth{}, bad, nil
	}
	ca := clientAuth{creds: c, app: app}
	if c.method == tenant.AuthPrivateKeyJWT {
		v, e, err := p.verifyAssertion(ctx, iss, app, c.assertion)
		if e != nil || err != nil {
			return clientAuth{}, e, err
		}
		ca.assertion = v
	}
	return ca, nil, nil
}

// clientApp returns the app of clientID in the issuer's tenant; on the
// system tenant's server, with crossTenant, a service app of any tenant
// that holds management scopes.
func (p *Provider) clientApp(ctx context.Context, tx store.Tx, iss Issuer, clientID string, crossTenant bool) (tenant.App, error) {
	app, err := p.tenants.App(ctx, tx, iss.TenantID, clientID)
	if !errors.Is(err, store.ErrNotFound) || !crossTenant {
		return app, err
	}
	system, serr := p.isSystem(ctx, tx, iss)
	if serr != nil || !system {
		return tenant.App{}, errors.Join(err, serr)
	}
	app, err = p.tenants.AppByClientID(ctx, tx, clientID)
	if err != nil {
		return tenant.App{}, err
	}
	if app.Type != tenant.AppService || app.TokenEndpointAuthMethod != tenant.AuthPrivateKeyJWT || len(app.ManagementScopes) == 0 {
		return tenant.App{}, store.ErrNotFound
	}
	return app, nil
}

// authenticate finishes client authentication inside tx: it checks a
// secret, or records the assertion's jti so that it cannot be replayed.
// The app is read again, so that a client deleted or changed meanwhile is
// refused. It returns invalid_client, or an internal error.
func (p *Provider) authenticate(ctx context.Context, tx store.Tx, iss Issuer, ca clientAuth) (tenant.App, *Error, error) {
	bad := ptr(ErrInvalidClient.WithDescription("client authentication failed"))
	c := ca.creds
	if c.method == tenant.AuthClientSecretBasic || c.method == tenant.AuthClientSecretPost {
		// One lookup: the secret check reads the app, in the issuer's
		// tenant only (a client of another tenant leaves no trace there).
		app, err := p.tenants.VerifyAppSecret(ctx, tx, iss.TenantID, c.id, c.secret)
		switch {
		case errors.Is(err, tenant.ErrBadSecret):
			return tenant.App{}, bad, nil
		case err != nil:
			return tenant.App{}, nil, err
		case app.TenantID != iss.TenantID || app.TokenEndpointAuthMethod != c.method:
			return tenant.App{}, bad, nil
		}
		return app, nil, nil
	}
	app, err := p.clientApp(ctx, tx, iss, c.id, ca.app.TenantID != "" && ca.app.TenantID != iss.TenantID)
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
	fresh, err := p.recordAssertion(ctx, tx, app.ID, ca.assertion)
	if err != nil {
		return tenant.App{}, nil, err
	}
	if !fresh {
		p.log.WarnContext(ctx, "client assertion replayed", "tenant", iss.TenantID, "client_id", app.ID)
		return tenant.App{}, ptr(ErrInvalidClient.WithDescription("the client assertion was already used")), nil
	}
	return app, nil, nil
}

// isSystem reports whether iss is a server of the system tenant, whose
// default server issues management API tokens.
func (p *Provider) isSystem(ctx context.Context, tx store.Tx, iss Issuer) (bool, error) {
	p.systemMu.Lock()
	id := p.systemID
	p.systemMu.Unlock()
	if id == "" {
		t, err := p.tenants.Tenant(ctx, tx, tenant.SystemSlug)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		id = t.ID
		p.systemMu.Lock()
		p.systemID = id
		p.systemMu.Unlock()
	}
	return iss.TenantID == id && iss.Server == DefaultServer, nil
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
