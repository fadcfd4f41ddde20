package samlidp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/server/store"
)

// Request is a verified AuthnRequest, for the engine to keep in its flow
// (it is JSON-serialisable) until it calls Respond.
type Request struct {
	TenantID string `json:"tenant_id"`
	AppID    string `json:"app_id"`
	// Base is the site the request arrived on; the response is issued
	// under the same entity ID.
	Base string `json:"base"`
	// ID is the AuthnRequest's ID, the Response's InResponseTo; empty for
	// an IdP-initiated response.
	ID string `json:"id,omitempty"`
	// SPEntityID is the Issuer, the app's SP.
	SPEntityID string `json:"sp_entity_id"`
	// ACS is where the Response is posted.
	ACS string `json:"acs"`
	// Binding is how the request came: HTTP-Redirect or HTTP-POST.
	Binding      string    `json:"binding"`
	RelayState   string    `json:"relay_state,omitempty"`
	ForceAuthn   bool      `json:"force_authn,omitempty"`
	IsPassive    bool      `json:"is_passive,omitempty"`
	IssueInstant time.Time `json:"issue_instant"`
}

// Subject is who signed in, as the engine knows them. Attributes are the
// app's attribute rules already evaluated (SAML name → values).
type Subject struct {
	UserID       string
	Email        string
	SessionIndex string
	AuthnInstant time.Time
	Attributes   map[string][]string
}

// Response is what the browser posts to the SP (HTTP-POST binding): an
// auto-posting form of Fields to URL.
type Response struct {
	URL    string
	Fields map[string]string // SAMLResponse (base64), RelayState when set
}

// ParseAuthnRequest reads and verifies an AuthnRequest sent to the app's
// SSO endpoint with the Redirect (GET, deflated, query signature) or POST
// binding: the Issuer must be the app's SP, the Destination our SSO URL,
// the IssueInstant fresh, the ACS one of the app's (by URL or index), and
// the signature valid, required when the app wants signed requests. A
// refused request is ErrRefused; an app without SAML ErrNotConfigured.
func (s *Service) ParseAuthnRequest(ctx context.Context, tx store.Tx, tenantID, appID, base string, r *http.Request) (Request, error) {
	app, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return Request{}, err
	}
	ks, err := s.keys(ctx, tx, tenantID)
	if err != nil {
		return Request{}, err
	}
	ar, err := saml.NewIdpAuthnRequest(s.provider(ks, app, base), r)
	if err != nil {
		return Request{}, refused("authn request", err)
	}
	if err := ar.Validate(); err != nil {
		return Request{}, refused("authn request", err)
	}
	req := Request{TenantID: tenantID, AppID: appID, Base: base, ID: ar.Request.ID, SPEntityID: app.SPEntityID,
		ACS: ar.ACSEndpoint.Location, Binding: saml.HTTPPostBinding, RelayState: ar.RelayState,
		IssueInstant: ar.Request.IssueInstant}
	if r.Method == http.MethodGet {
		req.Binding = saml.HTTPRedirectBinding
	}
	if ar.Request.ForceAuthn != nil {
		req.ForceAuthn = *ar.Request.ForceAuthn
	}
	if ar.Request.IsPassive != nil {
		req.IsPassive = *ar.Request.IsPassive
	}
	return req, nil
}

// Respond signs a Response to req for subject: the NameID in the app's
// format, audience the SP, recipient and destination the ACS,
// InResponseTo the request, valid for five minutes, an AuthnStatement
// with the session index, the attributes; assertion and response each
// signed (RSA-SHA256) with the tenant's current key. The app's settings
// are read again: an ACS removed since the request is ErrRefused.
func (s *Service) Respond(ctx context.Context, tx store.Tx, req Request, subject Subject) (Response, error) {
	app, err := s.App(ctx, tx, req.TenantID, req.AppID)
	if err != nil {
		return Response{}, err
	}
	if app.SPEntityID != req.SPEntityID {
		return Response{}, refused("respond", fmt.Errorf("the app's SP is now %q", app.SPEntityID))
	}
	var acs *saml.IndexedEndpoint
	for _, a := range app.ACS {
		if a.URL == req.ACS {
			acs = &saml.IndexedEndpoint{Binding: a.Binding, Location: a.URL, Index: a.Index}
			break
		}
	}
	if acs == nil {
		return Response{}, refused("respond", fmt.Errorf("ACS %q is no longer the app's", req.ACS))
	}
	ks, err := s.keys(ctx, tx, req.TenantID)
	if err != nil {
		return Response{}, err
	}
	nameID, err := s.nameID(app, subject)
	if err != nil {
		return Response{}, err
	}
	idp := s.provider(ks, app, req.Base)
	ed := spDescriptor(app)
	now := s.d.Clock.Now()
	ar := &saml.IdpAuthnRequest{
		IDP:                     idp,
		HTTPRequest:             &http.Request{},
		RelayState:              req.RelayState,
		Request:                 saml.AuthnRequest{ID: req.ID, IssueInstant: req.IssueInstant},
		ServiceProviderMetadata: ed,
		SPSSODescriptor:         &ed.SPSSODescriptors[0],
		ACSEndpoint:             acs,
		Now:                     now,
	}
	session := &saml.Session{
		ID:               subject.SessionIndex,
		CreateTime:       subject.AuthnInstant,
		ExpireTime:       now.Add(assertionLife),
		Index:            subject.SessionIndex,
		NameID:           nameID,
		NameIDFormat:     string(app.NameIDFormat.urn()),
		CustomAttributes: attributes(subject.Attributes),
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(ar, session); err != nil {
		return Response{}, fmt.Errorf("samlidp: assertion: %w", err)
	}
	// Five minutes from now, whatever crewjam's package defaults are.
	ar.Assertion.Conditions.NotOnOrAfter = now.Add(assertionLife)
	for _, c := range ar.Assertion.Subject.SubjectConfirmations {
		c.SubjectConfirmationData.NotOnOrAfter = now.Add(assertionLife)
	}
	for i := range ar.Assertion.AuthnStatements {
		ar.Assertion.AuthnStatements[i].SubjectLocality = nil
	}
	form, err := ar.PostBinding()
	if err != nil {
		return Response{}, fmt.Errorf("samlidp: response: %w", err)
	}
	out := Response{URL: form.URL, Fields: map[string]string{"SAMLResponse": form.SAMLResponse}}
	if form.RelayState != "" {
		out.Fields["RelayState"] = form.RelayState
	}
	return out, nil
}

// RespondUnsolicited signs an IdP-initiated Response for the app, to its
// first ACS, with relayState (the target the SP should open). An app that
// does not allow IdP-initiated sign-in is ErrUnsolicited.
func (s *Service) RespondUnsolicited(ctx context.Context, tx store.Tx, tenantID, appID, base, relayState string, subject Subject) (Response, error) {
	app, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return Response{}, err
	}
	if !app.IdPInitiated {
		return Response{}, fmt.Errorf("%w: %s", ErrUnsolicited, appID)
	}
	return s.Respond(ctx, tx, Request{TenantID: tenantID, AppID: appID, Base: base, SPEntityID: app.SPEntityID,
		ACS: app.ACS[0].URL, Binding: saml.HTTPPostBinding, RelayState: relayState}, subject)
}

// nameID returns the subject's NameID in the app's format.
func (s *Service) nameID(app App, sub Subject) (string, error) {
	switch app.NameIDFormat {
	case NameIDEmail:
		if sub.Email == "" {
			return "", fmt.Errorf("samlidp: name id: the app wants an email and the user has none")
		}
		return sub.Email, nil
	case NameIDPersistent:
		// Pairwise: the same person gets another value at another app.
		mac := s.d.Secrets.MAC("samlidp.persistent-nameid", []byte(app.TenantID+"\x00"+app.AppID+"\x00"+sub.UserID))
		return base64.RawURLEncoding.EncodeToString(mac), nil
	default:
		b := make([]byte, 20)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("samlidp: name id: %w", err)
		}
		return "_" + base64.RawURLEncoding.EncodeToString(b), nil
	}
}

// attributes turns evaluated attribute rules into SAML attributes.
func attributes(m map[string][]string) []saml.Attribute {
	var out []saml.Attribute
	for _, name := range slices.Sorted(maps.Keys(m)) {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}
		for _, v := range m[name] {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		out = append(out, a)
	}
	return out
}
