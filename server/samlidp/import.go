package samlidp

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
)

// ImportSPMetadata reads an SP's EntityDescriptor into settings: entity
// ID, HTTP-POST assertion consumer services, signing certificate,
// whether it signs requests, a NameID format it names and its single
// logout service (Redirect binding, its ResponseLocation if any). The
// caller may change the rest.
func ImportSPMetadata(doc []byte) (AppInput, error) {
	ed, err := samlsp.ParseMetadata(doc)
	if err != nil {
		return AppInput{}, fmt.Errorf("%w: metadata: %w", ErrInvalid, err)
	}
	if len(ed.SPSSODescriptors) == 0 {
		return AppInput{}, fmt.Errorf("%w: metadata: no SPSSODescriptor", ErrInvalid)
	}
	sp := ed.SPSSODescriptors[0]
	in := AppInput{SPEntityID: ed.EntityID, NameIDFormat: NameIDPersistent}
	for _, ep := range sp.AssertionConsumerServices {
		if ep.Binding == saml.HTTPPostBinding {
			in.ACS = append(in.ACS, ACS{Index: ep.Index, Binding: ep.Binding, URL: ep.Location})
		}
	}
	for _, k := range sp.KeyDescriptors {
		if k.Use != "" && k.Use != "signing" || len(k.KeyInfo.X509Data.X509Certificates) == 0 {
			continue
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(k.KeyInfo.X509Data.X509Certificates[0].Data), ""))
		if err != nil {
			return AppInput{}, fmt.Errorf("%w: metadata: signing certificate: %w", ErrInvalid, err)
		}
		in.SPSigningCert = der
		break
	}
	if sp.AuthnRequestsSigned != nil && *sp.AuthnRequestsSigned && in.SPSigningCert != nil {
		in.WantSignedRequests = true
	}
	for _, f := range sp.NameIDFormats {
		switch saml.NameIDFormat(f) {
		case saml.EmailAddressNameIDFormat:
			in.NameIDFormat = NameIDEmail
		case saml.TransientNameIDFormat:
			in.NameIDFormat = NameIDTransient
		case saml.PersistentNameIDFormat:
			in.NameIDFormat = NameIDPersistent
		default:
			continue
		}
		break
	}
	for _, ep := range sp.SingleLogoutServices {
		if ep.Binding == saml.HTTPRedirectBinding {
			// Our LogoutResponses go where the SP wants responses.
			in.SLOURL = ep.Location
			if ep.ResponseLocation != "" {
				in.SLOURL = ep.ResponseLocation
			}
			break
		}
	}
	if _, err := in.check(); err != nil {
		return AppInput{}, err
	}
	return in, nil
}
