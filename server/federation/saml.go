package federation

// SAML 2.0, Lintel as the service provider, on github.com/crewjam/saml.
//
// Each tenant has one SP key pair (saml_keys.go) and, per site base URL,
// one SP: entity ID "{base}/federation/saml/metadata", assertion consumer
// service "{base}/federation/saml/acs" (HTTP-POST). AuthnRequests go out
// signed (RSA-SHA256) with the HTTP-Redirect binding; responses come back
// with HTTP-POST and are verified by the library (signatures against the
// certificates of the IdP's metadata, issuer, audience, recipient,
// destination, InResponseTo, time) and then by us: the assertion itself
// must be signed, its time window holds with our clock skew, its NameID
// is stable, and its ID has not been seen (saml_replay.go).

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/lintel-id/lintel/server/store"
)

const (
	// samlACSPath and samlMetadataPath are the SP's endpoints under a
	// site's base URL: the ACS URL and the entity ID.
	samlACSPath      = "/federation/saml/acs"
	samlMetadataPath = "/federation/saml/metadata"
	// samlMetadataValidity is how long the SP metadata says it is valid.
	samlMetadataValidity = 7 * 24 * time.Hour
	// maxSAMLMetadata bounds an IdP's metadata document.
	maxSAMLMetadata = 256 << 10
	// samlCacheSize bounds each map of samlCache; past it the map starts
	// over (entries are cheap to rebuild).
	samlCacheSize = 1024
)

// samlCache holds what is costly to rebuild per request: IdP metadata
// parsed once per version of the IdP (ID and UpdatedAt), and SP keys
// opened once per tenant (checked against the stored row on every use).
// The zero value is ready to use.
type samlCache struct {
	mu       sync.Mutex
	metadata map[string]samlParsedMetadata // by IdP ID
	keys     map[string]*samlSPKey         // by tenant ID
}

type samlParsedMetadata struct {
	updated time.Time
	ed      *saml.EntityDescriptor
}

func (c *samlCache) key(tenantID string) *samlSPKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys[tenantID]
}

func (c *samlCache) putKey(tenantID string, k *samlSPKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) >= samlCacheSize {
		c.keys = make(map[string]*samlSPKey)
	}
	c.keys[tenantID] = k
}

// idpMetadata returns the parsed metadata of idp. The parsed descriptor is
// shared and must not be modified.
func (c *samlCache) idpMetadata(idp IdP) (*saml.EntityDescriptor, error) {
	c.mu.Lock()
	m, ok := c.metadata[idp.ID]
	c.mu.Unlock()
	if ok && m.updated.Equal(idp.UpdatedAt) {
		return m.ed, nil
	}
	ed, err := parseSAMLMetadata(idp.Config.SAMLMetadata)
	if err != nil {
		return nil, fmt.Errorf("%w: identity provider %s: %w", ErrConfig, idp.ID, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.metadata == nil || len(c.metadata) >= samlCacheSize {
		c.metadata = make(map[string]samlParsedMetadata)
	}
	c.metadata[idp.ID] = samlParsedMetadata{updated: idp.UpdatedAt, ed: ed}
	return ed, nil
}

// parseSAMLMetadata parses an IdP's metadata document (an
// EntityDescriptor, or an EntitiesDescriptor holding one IdP).
func parseSAMLMetadata(doc string) (*saml.EntityDescriptor, error) {
	if doc == "" {
		return nil, errors.New("saml_metadata is empty")
	}
	if len(doc) > maxSAMLMetadata {
		return nil, fmt.Errorf("saml_metadata is longer than %d bytes", maxSAMLMetadata)
	}
	ed, err := samlsp.ParseMetadata([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("saml_metadata: %w", err)
	}
	if ed.EntityID == "" || len(ed.IDPSSODescriptors) == 0 {
		return nil, errors.New("saml_metadata names no identity provider")
	}
	return ed, nil
}

// samlServiceProvider returns the tenant's SP for the ACS URL acs (which
// is "{base}/federation/saml/acs"), trusting the IdP metadata md (nil for
// the SP metadata alone), with the library's clock stopped at now. The
// library's defaults stand otherwise: the IdP's signing certificate must
// be within its validity period, and expired metadata is still used (it
// is imported once, by an admin).
func (s *Service) samlServiceProvider(ctx context.Context, tx store.Tx, tenantID, acs string, md *saml.EntityDescriptor, now time.Time) (*saml.ServiceProvider, error) {
	base, ok := strings.CutSuffix(acs, samlACSPath)
	if !ok {
		return nil, fmt.Errorf("%w: the SAML ACS URL %q does not end in %s", ErrConfig, acs, samlACSPath)
	}
	u, err := url.Parse(acs)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(base, "/") {
		return nil, fmt.Errorf("%w: the SAML ACS URL %q is not an absolute URL under a site's base", ErrConfig, acs)
	}
	k, err := s.samlKey(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	return &saml.ServiceProvider{
		EntityID:    base + samlMetadataPath,
		Key:         k.key,
		Certificate: k.cert,
		AcsURL:      *u,
		IDPMetadata: md,
		// Whatever the IdP is set up to send; transient NameIDs are
		// refused after the fact (samlAssertion).
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		SignatureMethod:                  dsig.RSASHA256SignatureMethod,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		MetadataValidDuration:            samlMetadataValidity,
		LimitRelayStateLength:            true,
		RejectSHA1Signatures:             true,
		// No artifact resolution or SOAP is used; should the library
		// ever call out, it goes through the egress client.
		HTTPClient: s.d.HTTP,
		Clock:      dsig.NewFakeClockAt(now),
	}, nil
}

// samlAuthURL makes a signed AuthnRequest for idp and returns the
// HTTP-Redirect URL that carries it, with p.State as RelayState (at most
// 80 bytes, as SAML allows). p.Callback must be p.Base + samlACSPath. The
// login hint is not sent: an AuthnRequest has no standard place for it.
func (s *Service) samlAuthURL(ctx context.Context, tx store.Tx, idp IdP, p AuthParams) (string, Pending, error) {
	if p.Base != "" && p.Callback != p.Base+samlACSPath {
		return "", Pending{}, fmt.Errorf("%w: the SAML ACS URL must be the base URL followed by %s", ErrConfig, samlACSPath)
	}
	md, err := s.saml.idpMetadata(idp)
	if err != nil {
		return "", Pending{}, err
	}
	now := s.d.Clock.Now()
	sp, err := s.samlServiceProvider(ctx, tx, idp.TenantID, p.Callback, md, now)
	if err != nil {
		return "", Pending{}, err
	}
	sso := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if sso == "" {
		return "", Pending{}, fmt.Errorf("%w: identity provider %s has no HTTP-Redirect single sign-on service", ErrConfig, idp.ID)
	}
	req, err := sp.MakeAuthenticationRequest(sso, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", Pending{}, fmt.Errorf("federation: saml authn request: %w", err)
	}
	u, err := req.Redirect(p.State, sp)
	if err != nil {
		return "", Pending{}, fmt.Errorf("federation: saml authn request: %w", err)
	}
	return u.String(), Pending{IdPID: idp.ID, Callback: p.Callback, RequestID: req.ID, Started: now}, nil
}

// SPMetadata returns the tenant's SAML SP metadata for the site at base
// (its base URL, no trailing slash): an EntityDescriptor with the entity
// ID and the HTTP-POST ACS under base, the SP certificate for signing and
// encryption, AuthnRequestsSigned and WantAssertionsSigned, the persistent
// and emailAddress NameID formats, valid for seven days. The tenant's key
// pair is created in tx on first use.
func (s *Service) SPMetadata(ctx context.Context, tx store.Tx, tenantID, base string) ([]byte, error) {
	sp, err := s.samlServiceProvider(ctx, tx, tenantID, base+samlACSPath, nil, s.d.Clock.Now())
	if err != nil {
		return nil, err
	}
	ed := sp.Metadata()
	for i := range ed.SPSSODescriptors {
		ed.SPSSODescriptors[i].NameIDFormats = []saml.NameIDFormat{saml.PersistentNameIDFormat, saml.EmailAddressNameIDFormat}
	}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// SAMLIdPForResponse returns the tenant's enabled SAML identity provider
// that issued samlResponse (the base64 SAMLResponse of an IdP-initiated
// POST to the ACS), by the Issuer of the Response (or of its plaintext
// assertion) matched against each provider's metadata entity ID. Nothing
// else is read from the response, and nothing in it is trusted yet:
// SAMLIdPInitiated verifies it. No match is ErrNotFound; a response that
// does not parse or names no issuer is ErrInvalid.
func (s *Service) SAMLIdPForResponse(ctx context.Context, tx store.Tx, tenantID, samlResponse string) (IdP, error) {
	doc, err := decodeSAMLResponse(samlResponse)
	if err != nil {
		return IdP{}, err
	}
	issuer, err := samlResponseIssuer(doc)
	if err != nil {
		return IdP{}, err
	}
	idps, err := s.ListIdPs(ctx, tx, tenantID)
	if err != nil {
		return IdP{}, err
	}
	var found []IdP
	for _, idp := range idps {
		if idp.Kind != KindSAML || !idp.Enabled {
			continue
		}
		md, err := s.saml.idpMetadata(idp)
		if err != nil {
			// One provider's broken metadata must not stop the others.
			s.d.Logger.WarnContext(ctx, "federation: saml metadata does not parse", "tenant", tenantID, "idp", idp.ID, "err", err)
			continue
		}
		if md.EntityID == issuer {
			found = append(found, idp)
		}
	}
	switch len(found) {
	case 0:
		return IdP{}, fmt.Errorf("%w: no enabled SAML identity provider of tenant %s has entity ID %q", ErrNotFound, tenantID, issuer)
	case 1:
		return found[0], nil
	default:
		return IdP{}, fmt.Errorf("%w: identity providers %s and %s of tenant %s share entity ID %q", ErrConfig, found[0].ID, found[1].ID, tenantID, issuer)
	}
}
