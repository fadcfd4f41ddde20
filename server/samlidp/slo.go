package samlidp

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/lintel-id/lintel/server/store"
)

// LogoutRequest is a verified LogoutRequest from an app's SP, for the
// engine to end the matching session and answer with LogoutResponse. It
// is JSON-serialisable.
type LogoutRequest struct {
	TenantID string `json:"tenant_id"`
	AppID    string `json:"app_id"`
	Base     string `json:"base"`
	// ID is the request's ID, the response's InResponseTo.
	ID string `json:"id"`
	// NameID is the subject as the app knows it (what Respond gave it);
	// SessionIndexes the sessions to end, all of the subject's when empty.
	NameID         string   `json:"name_id"`
	SessionIndexes []string `json:"session_indexes,omitempty"`
	RelayState     string   `json:"relay_state,omitempty"`
}

// HandleLogoutRequest reads and verifies a LogoutRequest sent to the
// app's SLO endpoint (Redirect or POST binding): the Issuer must be the
// app's SP, the Destination our SLO URL, the IssueInstant fresh, and the
// signature valid with the SP's certificate. Because a forged logout is a
// cross-site attack, an app without a signing certificate or an SLO URL
// cannot use single logout (ErrRefused).
func (s *Service) HandleLogoutRequest(ctx context.Context, tx store.Tx, tenantID, appID, base string, r *http.Request) (LogoutRequest, error) {
	app, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return LogoutRequest{}, err
	}
	if app.SPSigningCert == nil || app.SLOURL == "" {
		return LogoutRequest{}, refused("logout request", fmt.Errorf("app %s has no SP signing certificate or SLO URL", appID))
	}
	ks, err := s.keys(ctx, tx, tenantID)
	if err != nil {
		return LogoutRequest{}, err
	}
	lr, err := saml.NewIdpLogoutRequest(s.provider(ks, app, base), r)
	if err != nil {
		return LogoutRequest{}, refused("logout request", err)
	}
	if lr.Binding != saml.HTTPRedirectBinding && lr.Binding != saml.HTTPPostBinding {
		return LogoutRequest{}, refused("logout request", fmt.Errorf("binding %s", lr.Binding))
	}
	if err := lr.Validate(); err != nil {
		return LogoutRequest{}, refused("logout request", err)
	}
	out := LogoutRequest{TenantID: tenantID, AppID: appID, Base: base, ID: lr.Request.ID, RelayState: lr.RelayState}
	if lr.Request.NameID != nil {
		out.NameID = lr.Request.NameID.Value
	}
	for _, si := range lr.Request.AllSessionIndexes() {
		out.SessionIndexes = append(out.SessionIndexes, si.Value)
	}
	return out, nil
}

// LogoutResponse returns the URL of a signed LogoutResponse (Redirect
// binding, RSA-SHA256) to the app's SLO URL answering lr. status is a
// SAML status code URN; empty means success.
func (s *Service) LogoutResponse(ctx context.Context, tx store.Tx, lr LogoutRequest, status string) (string, error) {
	app, err := s.App(ctx, tx, lr.TenantID, lr.AppID)
	if err != nil {
		return "", err
	}
	if app.SLOURL == "" {
		return "", refused("logout response", fmt.Errorf("app %s has no SLO URL", lr.AppID))
	}
	if status == "" {
		status = saml.StatusSuccess
	}
	ks, err := s.keys(ctx, tx, lr.TenantID)
	if err != nil {
		return "", err
	}
	resp := saml.LogoutResponse{
		ID:           fmt.Sprintf("id-%x", randomID()),
		InResponseTo: lr.ID,
		Version:      "2.0",
		IssueInstant: s.d.Clock.Now(),
		Destination:  app.SLOURL,
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: entityID(lr.Base, lr.AppID)},
		Status:       saml.Status{StatusCode: saml.StatusCode{Value: status}},
	}
	msg, err := deflateEncode(resp.Element())
	if err != nil {
		return "", fmt.Errorf("samlidp: logout response: %w", err)
	}
	// Redirect binding signature (saml-bindings §3.4.4.1): over the
	// query parameters in this order, as they are sent.
	q := "SAMLResponse=" + url.QueryEscape(msg)
	if lr.RelayState != "" {
		q += "&RelayState=" + url.QueryEscape(lr.RelayState)
	}
	q += "&SigAlg=" + url.QueryEscape(dsig.RSASHA256SignatureMethod)
	sum := sha256.Sum256([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ks[0].key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("samlidp: logout response: %w", err)
	}
	q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	u, err := url.Parse(app.SLOURL)
	if err != nil {
		return "", fmt.Errorf("samlidp: logout response: %w", err)
	}
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
	return u.String(), nil
}

// deflateEncode is the Redirect binding's encoding of a message.
func deflateEncode(el *etree.Element) (string, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		return "", err
	}
	if _, err := doc.WriteTo(w); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// randomID returns 20 random bytes for a message ID.
func randomID() []byte {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return b
}
