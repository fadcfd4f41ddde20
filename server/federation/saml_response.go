package federation

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/server/store"
)

const (
	// samlSkew is the clock skew allowed between the IdP and us on an
	// assertion's NotBefore and NotOnOrAfter. The library checks the same
	// windows with its own, wider skew (saml.MaxClockSkew, 3 minutes), and
	// bounds IssueInstant to 90 seconds in the past; ours is the one that
	// binds.
	samlSkew = 2 * time.Minute
	// maxSAMLResponse bounds the base64 SAMLResponse of a POST.
	maxSAMLResponse = 256 << 10
	// maxSAMLSubject bounds a NameID.
	maxSAMLSubject = 1024
)

// Reasons of our own refusals, wrapped with ErrInvalid (for the log and
// tests).
var (
	errSAMLUnsigned = errors.New("signed assertions required")
	errSAMLTime     = errors.New("saml assertion outside its time window")
	errSAMLNameID   = errors.New("saml NameID missing, transient or too long")
	errSAMLReplayed = errors.New("saml assertion replayed")
)

// Names of the attributes tried for the email address, in order, when the
// NameID is not one and Config.SAMLEmailAttribute is not set. Claims hold
// attributes by Name and FriendlyName, so "mail" also finds the LDAP
// attribute by its usual FriendlyName.
var samlEmailAttributes = []string{
	"email",
	"mail",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
	"urn:oid:0.9.2342.19200300.100.1.3",
}

// samlExchange verifies the SAMLResponse of cb (HTTP-POST) as the answer
// to the AuthnRequest pend.RequestID.
func (s *Service) samlExchange(ctx context.Context, tx store.Tx, idp IdP, pend Pending, cb url.Values) (Assertion, error) {
	if pend.RequestID == "" {
		return Assertion{}, fmt.Errorf("%w: no SAML AuthnRequest is pending", ErrInvalid)
	}
	return s.samlVerify(ctx, tx, idp, pend.Callback, pend.RequestID, cb)
}

// SAMLIdPInitiated verifies an unsolicited SAML response (form: the POST
// to the ACS of the site at base, with SAMLResponse) from idp, as Exchange
// does one that answers a request, except that its InResponseTo must be
// absent. It is refused (ErrInvalid) unless idp.Config.SAMLIdPInitiated;
// a disabled or non-SAML idp is ErrNotFound. tx records the assertion in
// the replay cache.
func (s *Service) SAMLIdPInitiated(ctx context.Context, tx store.Tx, idp IdP, base string, form url.Values) (Assertion, error) {
	if idp.Kind != KindSAML || !idp.Enabled {
		return Assertion{}, fmt.Errorf("%w: identity provider %s is not an enabled SAML provider", ErrNotFound, idp.ID)
	}
	if !idp.Config.SAMLIdPInitiated {
		return Assertion{}, fmt.Errorf("%w: identity provider %s does not accept IdP-initiated sign-in", ErrInvalid, idp.ID)
	}
	return s.samlVerify(ctx, tx, idp, base+samlACSPath, "", form)
}

// samlVerify verifies the SAMLResponse of form, received at acs, as the
// answer to requestID, or as an unsolicited response when requestID is "".
func (s *Service) samlVerify(ctx context.Context, tx store.Tx, idp IdP, acs, requestID string, form url.Values) (Assertion, error) {
	doc, err := decodeSAMLResponse(form.Get("SAMLResponse"))
	if err != nil {
		return Assertion{}, err
	}
	md, err := s.saml.idpMetadata(idp)
	if err != nil {
		return Assertion{}, err
	}
	now := s.d.Clock.Now()
	sp, err := s.samlServiceProvider(ctx, tx, idp.TenantID, acs, md, now)
	if err != nil {
		return Assertion{}, err
	}
	var requestIDs []string
	if requestID == "" {
		// The library then accepts only an absent InResponseTo, on the
		// Response and on the assertion's subject confirmation.
		sp.AllowIDPInitiated = true
	} else {
		requestIDs = []string{requestID}
	}
	// Parsing the decoded XML directly takes the HTTP-POST binding only:
	// no artifact resolution, no SimpleSign.
	a, err := sp.ParseXMLResponse(doc, requestIDs, sp.AcsURL)
	if err != nil {
		return Assertion{}, samlError(err)
	}
	expires, err := checkSAMLAssertion(a, now)
	if err != nil {
		return Assertion{}, err
	}
	out, err := samlAssertion(idp, a)
	if err != nil {
		return Assertion{}, err
	}
	if err := s.recordSAMLAssertion(ctx, tx, idp.TenantID, idp.ID, a.ID, expires); err != nil {
		return Assertion{}, err
	}
	return out, nil
}

// samlError maps the library's refusal onto the sentinels, keeping its
// private reason (never shown to the person) for the log.
func samlError(err error) error {
	var refused *saml.InvalidResponseError
	if errors.As(err, &refused) && refused.PrivateErr != nil {
		err = refused.PrivateErr
	}
	var status saml.ErrBadStatus
	if errors.As(err, &status) {
		return fmt.Errorf("%w: saml status %s", ErrDenied, status.Status)
	}
	return fmt.Errorf("%w: saml response: %w", ErrInvalid, err)
}

// checkSAMLAssertion applies our requirements on top of the library's to
// an assertion it accepted, and returns until when its ID must stay in the
// replay cache.
func checkSAMLAssertion(a *saml.Assertion, now time.Time) (time.Time, error) {
	// The library takes a signed Response as vouching for an unsigned
	// assertion inside it; our metadata says WantAssertionsSigned, so the
	// assertion itself must carry the IdP's signature. The library has
	// verified every XML signature the assertion carries (and required
	// one when the Response is unsigned), so a Signature here is a
	// verified one.
	if a.Signature == nil {
		return time.Time{}, fmt.Errorf("%w: %w", ErrInvalid, errSAMLUnsigned)
	}
	if a.Conditions == nil || a.Subject == nil {
		return time.Time{}, fmt.Errorf("%w: saml assertion without conditions or subject", ErrInvalid)
	}
	// The window ends at the earliest NotOnOrAfter of the conditions and
	// of the bearer confirmations (which the profile requires).
	notBefore, deadline := a.Conditions.NotBefore, a.Conditions.NotOnOrAfter
	for _, c := range a.Subject.SubjectConfirmations {
		d := c.SubjectConfirmationData
		if c.Method != "urn:oasis:names:tc:SAML:2.0:cm:bearer" || d == nil {
			continue
		}
		if d.NotBefore.After(notBefore) {
			notBefore = d.NotBefore
		}
		if !d.NotOnOrAfter.IsZero() && (deadline.IsZero() || d.NotOnOrAfter.Before(deadline)) {
			deadline = d.NotOnOrAfter
		}
	}
	if notBefore.After(now.Add(samlSkew)) {
		return time.Time{}, fmt.Errorf("%w: %w: not before %s", ErrInvalid, errSAMLTime, notBefore.Format(time.RFC3339))
	}
	if deadline.IsZero() {
		return time.Time{}, fmt.Errorf("%w: %w: no NotOnOrAfter", ErrInvalid, errSAMLTime)
	}
	expires := deadline.Add(samlSkew)
	if !now.Before(expires) {
		return time.Time{}, fmt.Errorf("%w: %w: expired at %s", ErrInvalid, errSAMLTime, deadline.Format(time.RFC3339))
	}
	return expires, nil
}

// samlAssertion turns a verified assertion into an Assertion.
func samlAssertion(idp IdP, a *saml.Assertion) (Assertion, error) {
	id := a.Subject.NameID
	switch {
	case id == nil || id.Value == "":
		return Assertion{}, fmt.Errorf("%w: %w: none", ErrInvalid, errSAMLNameID)
	case id.Format == string(saml.TransientNameIDFormat):
		// A transient NameID changes at every sign-in: it cannot name an
		// account.
		return Assertion{}, fmt.Errorf("%w: %w: transient", ErrInvalid, errSAMLNameID)
	case len(id.Value) > maxSAMLSubject:
		return Assertion{}, fmt.Errorf("%w: %w: longer than %d bytes", ErrInvalid, errSAMLNameID, maxSAMLSubject)
	}
	claims := samlClaims(a)
	email := samlEmail(idp.Config, id, claims)
	return Assertion{
		IdPID:         idp.ID,
		Subject:       id.Value,
		Email:         email,
		EmailVerified: email != "" && idp.Config.SAMLEmailVerified,
		Claims:        claims,
	}, nil
}

// samlClaims returns every attribute by Name and by FriendlyName, each a
// list of string values, and name_id, name_id_format and session_index
// (which win over attributes of those names).
func samlClaims(a *saml.Assertion) map[string]any {
	claims := make(map[string]any)
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			var values []any
			for _, v := range at.Values {
				switch {
				case v.Nil:
				case v.NameID != nil:
					values = append(values, v.NameID.Value)
				default:
					values = append(values, v.Value)
				}
			}
			names := []string{at.Name}
			if at.FriendlyName != at.Name {
				names = append(names, at.FriendlyName)
			}
			for _, name := range names {
				if name == "" {
					continue
				}
				list, _ := claims[name].([]any)
				if list == nil {
					list = []any{}
				}
				claims[name] = append(list, values...)
			}
		}
	}
	var session string
	if len(a.AuthnStatements) > 0 {
		session = a.AuthnStatements[0].SessionIndex
	}
	claims["name_id"] = a.Subject.NameID.Value
	claims["name_id_format"] = a.Subject.NameID.Format
	claims["session_index"] = session
	return claims
}

// samlEmail returns the address the assertion gives, lowercased: the
// NameID when its format is emailAddress, else the configured attribute,
// else the first of samlEmailAttributes present. A value that does not
// look like an address is no address.
func samlEmail(c Config, id *saml.NameID, claims map[string]any) string {
	var v string
	switch {
	case id.Format == string(saml.EmailAddressNameIDFormat):
		v = id.Value
	case c.SAMLEmailAttribute != "":
		v = firstClaim(claims, c.SAMLEmailAttribute)
	default:
		for _, name := range samlEmailAttributes {
			if v = firstClaim(claims, name); v != "" {
				break
			}
		}
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if len(v) > 254 || strings.Count(v, "@") != 1 || strings.HasPrefix(v, "@") || strings.HasSuffix(v, "@") || strings.ContainsAny(v, " \t\r\n<>") {
		return ""
	}
	return v
}

// firstClaim returns the first value of an attribute ("" none).
func firstClaim(claims map[string]any, name string) string {
	list, _ := claims[name].([]any)
	for _, v := range list {
		if s, _ := v.(string); s != "" {
			return s
		}
	}
	return ""
}

// decodeSAMLResponse decodes a POSTed SAMLResponse, refusing one longer
// than maxSAMLResponse before decoding.
func decodeSAMLResponse(v string) ([]byte, error) {
	switch {
	case v == "":
		return nil, fmt.Errorf("%w: no SAMLResponse", ErrInvalid)
	case len(v) > maxSAMLResponse:
		return nil, fmt.Errorf("%w: SAMLResponse longer than %d bytes", ErrInvalid, maxSAMLResponse)
	}
	doc, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: SAMLResponse: %w", ErrInvalid, err)
	}
	return doc, nil
}

// samlIssuerPeek is the little of a Response SAMLIdPForResponse reads.
type samlIssuerPeek struct {
	XMLName   xml.Name
	Issuer    string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Assertion struct {
		Issuer string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
}

// samlResponseIssuer returns the Issuer of a Response document, or of its
// plaintext assertion when the Response names none.
func samlResponseIssuer(doc []byte) (string, error) {
	var p samlIssuerPeek
	if err := xml.Unmarshal(doc, &p); err != nil {
		return "", fmt.Errorf("%w: SAMLResponse: %w", ErrInvalid, err)
	}
	if p.XMLName.Space != "urn:oasis:names:tc:SAML:2.0:protocol" || p.XMLName.Local != "Response" {
		return "", fmt.Errorf("%w: SAMLResponse is not a SAML 2.0 Response", ErrInvalid)
	}
	issuer := strings.TrimSpace(p.Issuer)
	if issuer == "" {
		issuer = strings.TrimSpace(p.Assertion.Issuer)
	}
	if issuer == "" {
		return "", fmt.Errorf("%w: SAMLResponse names no issuer", ErrInvalid)
	}
	return issuer, nil
}
