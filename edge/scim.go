package edge

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/scim"
)

// SCIMPrefix is where a site serves SCIM 2.0 (RFC 7644).
const SCIMPrefix = "/scim/v2"

// mountSCIM serves svc under SCIMPrefix for the site's tenant. It is an
// API for provisioning clients, not a page: it sits behind host routing
// and the site's request limits (per address and per tenant, like every
// request to the site), but not behind the browser security middleware,
// since it takes no cookies, and its clients send no Origin or CSRF
// token. meta.location and $ref URLs are built on the site's Base, which
// comes from the verified domain record or the public URL.
func mountSCIM(site *http.ServeMux, svc *scim.Service) {
	tenantID := func(r *http.Request) (string, bool) {
		s, ok := SiteFrom(r.Context())
		return s.Tenant.ID, ok
	}
	base := func(r *http.Request) string {
		s, _ := SiteFrom(r.Context())
		return s.Base
	}
	h := svc.Handler(tenantID, base)
	site.Handle(SCIMPrefix+"/", h)
}

// SCIMAuthorizer authorizes SCIM requests with OAuth access tokens of
// the site's default authorization server.
//
// A request must carry a Bearer token (RFC 6750 §2.1) that the default
// server of the site's tenant issued at this site's issuer URL, that is
// live (not expired, not revoked), and that a client got for itself by
// client credentials: a person's token is refused whatever its scopes,
// since provisioning acts on the whole directory, not for one person.
// The token must carry the scope the endpoint asks for; a write scope
// also lets its holder read the same resource type (scim.users.write
// reads users, scim.groups.write reads groups), since a client that
// provisions must read what it provisioned to reconcile it.
//
// No token, a malformed one, one that does not verify (another issuer or
// tenant, expired, revoked) and a failure to verify at all wrap
// scim.ErrUnauthenticated: the client is answered 401 and may retry with
// a fresh token, and nobody gets in. A person's token or a missing scope
// is any other error: 403.
type SCIMAuthorizer struct {
	// OIDC verifies the tokens.
	OIDC *oidc.Provider
}

// Why SCIMAuthorizer refuses a verified token (403).
var (
	errSCIMPersonToken = errors.New("edge: a person's access token cannot provision")
	errSCIMScope       = errors.New("edge: the access token lacks the scope")
)

// Authorize implements scim.Authorizer.
func (a SCIMAuthorizer) Authorize(r *http.Request, tenantID, scope string) error {
	raw, err := bearer(r)
	if err != nil {
		return fmt.Errorf("%w: %w", scim.ErrUnauthenticated, err)
	}
	site, ok := SiteFrom(r.Context())
	if !ok || site.Tenant.ID != tenantID || a.OIDC == nil {
		return fmt.Errorf("%w: no site of tenant %s", scim.ErrUnauthenticated, tenantID)
	}
	// The issuer as the token endpoint of this site names it, with the
	// server's audiences; an inactive server, or a fixed issuer on another
	// host, issues nothing here.
	iss, err := a.OIDC.Issuer(r.Context(), tenantID, oidc.DefaultServer, site.Base)
	if err != nil {
		return fmt.Errorf("%w: default authorization server: %w", scim.ErrUnauthenticated, err)
	}
	at, err := a.OIDC.VerifyAccessToken(r.Context(), iss, raw)
	if err != nil {
		return fmt.Errorf("%w: %w", scim.ErrUnauthenticated, err)
	}
	if at.TenantID != tenantID {
		return fmt.Errorf("%w: the token is for tenant %s", scim.ErrUnauthenticated, at.TenantID)
	}
	// As for management tokens (cmd/lintel's mgmtOAuth): only a client's
	// own client-credentials token, which has no grant and names the
	// client as its subject.
	if at.GrantID != "" || at.Subject != at.ClientID {
		return errSCIMPersonToken
	}
	if w, ok := scimWriteOf[scope]; !at.HasScope(scope) && (!ok || !at.HasScope(w)) {
		return fmt.Errorf("%w %s", errSCIMScope, scope)
	}
	return nil
}

// scimWriteOf maps a SCIM read scope to the write scope that grants it
// too.
var scimWriteOf = map[string]string{
	scim.ScopeUsersRead:  scim.ScopeUsersWrite,
	scim.ScopeGroupsRead: scim.ScopeGroupsWrite,
}

// errNoBearer is why a request has no usable access token.
var errNoBearer = errors.New("edge: no Bearer access token in the Authorization header")

// bearer returns the access token of the Authorization header: scheme
// Bearer (any case), one token of the b64token syntax (RFC 6750 §2.1).
// Tokens in a form or query are not read: SCIM clients send the header.
func bearer(r *http.Request) (string, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", errNoBearer
	}
	return tok, nil
}

var _ scim.Authorizer = SCIMAuthorizer{}
