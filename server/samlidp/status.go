package samlidp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/lintel-id/lintel/server/store"
)

// Second-level status codes an unsuccessful Response may carry
// (saml-core §3.2.2.2); the top level is always Responder.
const (
	// StatusNoPassive: the SP asked for IsPassive and the person would
	// have had to sign in.
	StatusNoPassive = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
	// StatusRequestDenied: the person or a policy refused the sign-in.
	StatusRequestDenied = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
	// StatusAuthnFailed: the person could not be authenticated.
	StatusAuthnFailed = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
)

// RespondStatus signs a Response to req that carries no assertion, only
// the status Responder with the second-level code status (one of the
// Status constants): how an SP hears that a sign-in it asked for did not
// happen. The same checks as Respond apply to the app and ACS.
func (s *Service) RespondStatus(ctx context.Context, tx store.Tx, req Request, status string) (Response, error) {
	switch status {
	case StatusNoPassive, StatusRequestDenied, StatusAuthnFailed:
	default:
		return Response{}, fmt.Errorf("samlidp: unknown status %q", status)
	}
	app, err := s.App(ctx, tx, req.TenantID, req.AppID)
	if err != nil {
		return Response{}, err
	}
	if app.SPEntityID != req.SPEntityID || !app.hasACS(req.ACS) {
		return Response{}, refused("respond", fmt.Errorf("the request no longer matches the app's SP"))
	}
	ks, err := s.keys(ctx, tx, req.TenantID)
	if err != nil {
		return Response{}, err
	}
	resp := saml.Response{
		ID:           fmt.Sprintf("id-%x", randomID()),
		InResponseTo: req.ID,
		Version:      "2.0",
		IssueInstant: s.d.Clock.Now(),
		Destination:  req.ACS,
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: entityID(req.Base, req.AppID)},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusResponder,
			StatusCode: &saml.StatusCode{Value: status}}},
	}
	sc := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{ks[0].cert.Raw}, PrivateKey: ks[0].key}))
	sc.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := sc.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return Response{}, fmt.Errorf("samlidp: status response: %w", err)
	}
	signed, err := sc.SignEnveloped(resp.Element())
	if err != nil {
		return Response{}, fmt.Errorf("samlidp: status response: %w", err)
	}
	resp.Signature = signed.ChildElements()[len(signed.ChildElements())-1]
	doc, err := xmlBytes(resp.Element())
	if err != nil {
		return Response{}, fmt.Errorf("samlidp: status response: %w", err)
	}
	out := Response{URL: req.ACS, Fields: map[string]string{"SAMLResponse": base64.StdEncoding.EncodeToString(doc)}}
	if req.RelayState != "" {
		out.Fields["RelayState"] = req.RelayState
	}
	return out, nil
}

// UnsolicitedRequest returns the Request an IdP-initiated sign-in to the
// app answers: its first ACS, no InResponseTo, relayState as the target.
// An app that does not allow IdP-initiated sign-in is ErrUnsolicited.
func (s *Service) UnsolicitedRequest(ctx context.Context, tx store.Tx, tenantID, appID, base, relayState string) (Request, error) {
	app, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return Request{}, err
	}
	if !app.IdPInitiated {
		return Request{}, fmt.Errorf("%w: %s", ErrUnsolicited, appID)
	}
	if len(relayState) > maxRelayState {
		return Request{}, refused("idp-initiated", fmt.Errorf("RelayState of %d bytes", len(relayState)))
	}
	return Request{TenantID: tenantID, AppID: appID, Base: base, SPEntityID: app.SPEntityID,
		ACS: app.ACS[0].URL, Binding: saml.HTTPPostBinding, RelayState: relayState, IssueInstant: s.d.Clock.Now()}, nil
}

// maxRelayState bounds RelayState (saml-bindings §3.4.3 says 80 bytes;
// SPs in the wild send URLs, so more is allowed, but not without bound).
const maxRelayState = 2048

// hasACS reports whether url is one of the app's ACS URLs.
func (a App) hasACS(url string) bool {
	for _, c := range a.ACS {
		if c.URL == url {
			return true
		}
	}
	return false
}

// xmlBytes serialises an element as a document.
func xmlBytes(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	return doc.WriteToBytes()
}
