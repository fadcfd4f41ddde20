package edge

import (
	"net/http"
)

// relatedOrigins serves the tenant's Related Origin Requests document
// (/.well-known/webauthn): the origins that may use passkeys of the
// tenant's RP ID. Browsers fetch it from https://{RP ID}/.well-known/
// webauthn, where the customer serves or proxies this one; every host of
// the tenant answers it, so a proxy may point at any of them.
func (s *siteHandlers) relatedOrigins(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	_, doc, err := s.engine.RelatedOrigins(r.Context(), site.Tenant.ID, site.Base)
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: related origins", "tenant", site.Tenant.ID, "err", err)
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Browsers fetch it without credentials; any origin may read it.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(doc)
}
