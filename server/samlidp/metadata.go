package samlidp

import (
	"context"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// metadataLife is how long an SP may keep our metadata (validUntil);
// cacheDuration asks it to refresh well before, so a next key is fetched
// before it signs.
const (
	metadataLife  = 7 * 24 * time.Hour
	metadataCache = 24 * time.Hour
)

// Metadata returns the IdP EntityDescriptor of an app: its entity ID
// ({base}/saml/{appID}/metadata), the SSO endpoint with the Redirect and
// POST bindings, the SLO endpoint (Redirect binding), the signing
// certificates (current, next and retired ones in their overlap) and the
// app's NameID format. It creates the tenant's first key if need be.
func (s *Service) Metadata(ctx context.Context, tx store.Tx, tenantID, appID, base string) ([]byte, error) {
	app, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return nil, err
	}
	ks, err := s.keys(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	ed := s.provider(ks, app, base).Metadata()
	// We never decrypt anything: publish signing keys only.
	d := &ed.IDPSSODescriptors[0]
	keys := d.KeyDescriptors[:0]
	for _, k := range d.KeyDescriptors {
		if k.Use == "signing" {
			keys = append(keys, k)
		}
	}
	d.KeyDescriptors = keys
	ed.ValidUntil = s.d.Clock.Now().Add(metadataLife)
	ed.CacheDuration = metadataCache
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("samlidp: metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}
