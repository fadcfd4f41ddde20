package samlidp

import (
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// provider is the crewjam IdentityProvider of one app at this instant:
// it signs with the current key and knows only the app's SP.
func (s *Service) provider(ks []signingKey, app App, base string) *saml.IdentityProvider {
	life := assertionLife
	idp := &saml.IdentityProvider{
		Key:                     ks[0].key,
		Certificate:             ks[0].cert,
		Logger:                  log.New(io.Discard, "", 0),
		MetadataURL:             mustURL(entityID(base, app.AppID)),
		SSOURL:                  mustURL(ssoURL(base, app.AppID)),
		LogoutURL:               mustURL(sloURL(base, app.AppID)),
		ServiceProviderProvider: spProvider{app: app},
		Clock:                   dsig.NewFakeClockAt(s.d.Clock.Now()),
		ValidDuration:           &life,
		SignatureMethod:         dsig.RSASHA256SignatureMethod,
		NameIDFormats:           []saml.NameIDFormat{app.NameIDFormat.urn()},
		WantAuthnRequestsSigned: app.WantSignedRequests,
		RejectSHA1Signatures:    true,
	}
	for _, k := range ks[1:] {
		idp.ExtraCertificates = append(idp.ExtraCertificates, k.cert)
	}
	return idp
}

// mustURL parses a URL made from base, which the caller took from the
// tenant's configuration; a malformed one yields an empty URL that every
// check then refuses.
func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return url.URL{}
	}
	return *u
}

// spProvider serves the one SP an app is.
type spProvider struct{ app App }

// GetServiceProvider returns the app's SP descriptor when id is its
// entity ID.
func (p spProvider) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if id != p.app.SPEntityID {
		return nil, os.ErrNotExist
	}
	return spDescriptor(p.app), nil
}

// spDescriptor is the app's SP settings as SAML metadata.
func spDescriptor(app App) *saml.EntityDescriptor {
	signed := app.WantSignedRequests
	sp := saml.SPSSODescriptor{
		SSODescriptor: saml.SSODescriptor{
			RoleDescriptor: saml.RoleDescriptor{ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol"},
			NameIDFormats:  []saml.NameIDFormat{app.NameIDFormat.urn()},
		},
		AuthnRequestsSigned: &signed,
	}
	if app.SPSigningCert != nil {
		sp.KeyDescriptors = []saml.KeyDescriptor{{Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{
			X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(app.SPSigningCert)}}}}}}
	}
	for i, a := range app.ACS {
		sp.AssertionConsumerServices = append(sp.AssertionConsumerServices,
			saml.IndexedEndpoint{Binding: a.Binding, Location: a.URL, Index: a.Index, IsDefault: boolPtr(i == 0)})
	}
	if app.SLOURL != "" {
		sp.SingleLogoutServices = []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: app.SLOURL}}
	}
	return &saml.EntityDescriptor{EntityID: app.SPEntityID, SPSSODescriptors: []saml.SPSSODescriptor{sp}}
}

func boolPtr(b bool) *bool { return &b }
