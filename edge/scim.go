package edge

import (
	"net/http"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/scim"
)

// SCIMPrefix is where a site serves SCIM 2.0 (RFC 7644).
const SCIMPrefix = "/scim/v2"

// mountSCIM serves svc under SCIMPrefix for the site's tenant.
func mountSCIM(site *http.ServeMux, svc *scim.Service) {
	// Filled in by the SCIM wiring.
	_ = site
	_ = svc
}

// SCIMAuthorizer authorizes SCIM requests with OAuth access tokens of
// the site's default authorization server.
type SCIMAuthorizer struct {
	// OIDC verifies the tokens.
	OIDC *oidc.Provider
}

// Authorize implements scim.Authorizer.
func (a SCIMAuthorizer) Authorize(r *http.Request, tenantID, scope string) error {
	return scim.ErrUnauthenticated
}
