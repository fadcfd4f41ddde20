package samlidp

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// NameIDFormat is how the Subject's NameID is made.
type NameIDFormat string

// The NameID formats an app may choose.
const (
	// NameIDEmail is the person's email address.
	NameIDEmail NameIDFormat = "email"
	// NameIDPersistent is a stable pairwise value per app (a MAC of the
	// user and app IDs), so two apps cannot correlate a person.
	NameIDPersistent NameIDFormat = "persistent"
	// NameIDTransient is random for each response.
	NameIDTransient NameIDFormat = "transient"
)

// urn returns the SAML URN of the format.
func (f NameIDFormat) urn() saml.NameIDFormat {
	switch f {
	case NameIDEmail:
		return saml.EmailAddressNameIDFormat
	case NameIDPersistent:
		return saml.PersistentNameIDFormat
	default:
		return saml.TransientNameIDFormat
	}
}

// ACS is one assertion consumer service of an SP. Only the HTTP-POST
// binding is served: it is the one every SP supports and the only one
// that carries a signed Response through the browser.
type ACS struct {
	Index   int    `json:"index"`
	Binding string `json:"binding"`
	URL     string `json:"url"`
}

// App is an app's SAML service-provider settings.
type App struct {
	AppID      string
	TenantID   string
	SPEntityID string
	ACS        []ACS
	// SPSigningCert is the SP's DER certificate; nil when it has none.
	SPSigningCert      []byte
	WantSignedRequests bool
	NameIDFormat       NameIDFormat
	// Attributes maps a SAML attribute name to a CEL expression with the
	// variables and limits of OIDC custom claims (user, app, groups,
	// request; see authserver.CompileExpression), which the caller
	// evaluates into Subject.Attributes.
	Attributes map[string]string
	// OverrideEditable lets Attributes read what people may edit
	// themselves (see Service.PutApp).
	OverrideEditable bool
	IdPInitiated     bool
	SLOURL           string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// AppInput is what an admin sets; SPSigningCert may be PEM or DER.
type AppInput struct {
	SPEntityID         string
	ACS                []ACS
	SPSigningCert      []byte
	WantSignedRequests bool
	NameIDFormat       NameIDFormat
	Attributes         map[string]string
	OverrideEditable   bool
	IdPInitiated       bool
	SLOURL             string
}

const appCols = `app_id, tenant_id, sp_entity_id, acs_urls, sp_signing_cert, want_signed_requests,
	name_id_format, attributes, override_editable, idp_initiated, slo_url, created_at, updated_at`

// App returns an app's SAML settings, or ErrNotConfigured.
func (s *Service) App(ctx context.Context, tx store.Tx, tenantID, appID string) (App, error) {
	var a App
	var acs, attrs []byte
	err := tx.QueryRow(ctx, `SELECT `+appCols+` FROM saml_apps WHERE tenant_id = ? AND app_id = ?`, tenantID, appID).
		Scan(&a.AppID, &a.TenantID, &a.SPEntityID, &acs, &a.SPSigningCert, &a.WantSignedRequests,
			&a.NameIDFormat, &attrs, &a.OverrideEditable, &a.IdPInitiated, &a.SLOURL, &a.CreatedAt, &a.UpdatedAt)
	if errors.Is(err, store.ErrNotFound) {
		return App{}, fmt.Errorf("%w: %s", ErrNotConfigured, appID)
	}
	if err != nil {
		return App{}, fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	if err := json.Unmarshal(acs, &a.ACS); err != nil {
		return App{}, fmt.Errorf("samlidp: app %s: stored acs_urls: %w", appID, err)
	}
	if err := json.Unmarshal(attrs, &a.Attributes); err != nil {
		return App{}, fmt.Errorf("samlidp: app %s: stored attributes: %w", appID, err)
	}
	if len(a.SPSigningCert) == 0 {
		a.SPSigningCert = nil
	}
	return a, nil
}

// PutApp creates or replaces an app's SAML settings. The app must be one
// of the tenant's. An invalid input is ErrInvalid naming the field.
//
// An attribute rule may not read what people edit themselves (custom
// attributes a user type flags editable, user.profile or user as a
// whole) unless OverrideEditable is set: an SP may grant access by an
// attribute, and DESIGN lets nothing people edit grant access without
// an admin's explicit override. Email and name are released as SAML's
// standard identity attributes, as OIDC's email and profile scopes
// release them.
func (s *Service) PutApp(ctx context.Context, tx store.Tx, tenantID, appID string, in AppInput) (App, error) {
	a, err := in.check()
	if err != nil {
		return App{}, err
	}
	if err := s.checkEditable(ctx, tx, tenantID, a); err != nil {
		return App{}, err
	}
	var owner string
	if err := tx.QueryRow(ctx, `SELECT tenant_id FROM apps WHERE id = ?`, appID).Scan(&owner); err != nil || owner != tenantID {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return App{}, fmt.Errorf("%w: app %s: not an app of the tenant: %w", ErrInvalid, appID, store.ErrNotFound)
		}
		return App{}, fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	var other string
	err = tx.QueryRow(ctx, `SELECT app_id FROM saml_apps WHERE tenant_id = ? AND sp_entity_id = ?`, tenantID, a.SPEntityID).Scan(&other)
	if err == nil && other != appID {
		return App{}, fmt.Errorf("%w: sp_entity_id: already used by app %s", ErrInvalid, other)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return App{}, fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	acs, err := json.Marshal(a.ACS)
	if err != nil {
		return App{}, fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	attrs, err := json.Marshal(a.Attributes)
	if err != nil {
		return App{}, fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	now := s.d.Clock.Now()
	a.AppID, a.TenantID, a.CreatedAt, a.UpdatedAt = appID, tenantID, now, now
	if old, err := s.App(ctx, tx, tenantID, appID); err == nil {
		a.CreatedAt = old.CreatedAt
	}
	cert := a.SPSigningCert
	if cert == nil {
		cert = []byte{}
	}
	_, err = tx.Exec(ctx, `INSERT INTO saml_apps (`+appCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app_id) DO UPDATE SET sp_entity_id = excluded.sp_entity_id, acs_urls = excluded.acs_urls,
		sp_signing_cert = excluded.sp_signing_cert, want_signed_requests = excluded.want_signed_requests,
		name_id_format = excluded.name_id_format, attributes = excluded.attributes, override_editable = excluded.override_editable,
		idp_initiated = excluded.idp_initiated, slo_url = excluded.slo_url, updated_at = excluded.updated_at`,
		a.AppID, a.TenantID, a.SPEntityID, acs, cert, a.WantSignedRequests, string(a.NameIDFormat), attrs, a.OverrideEditable,
		a.IdPInitiated, a.SLOURL, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return App{}, fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	// The tenant's signing key exists from its first SAML app on, so
	// that metadata and AuthnRequests are served in read-only
	// transactions.
	if _, err := s.keys(ctx, tx, tenantID); err != nil {
		return App{}, err
	}
	return a, nil
}

// DeleteApp removes an app's SAML settings; ErrNotConfigured when it had
// none.
func (s *Service) DeleteApp(ctx context.Context, tx store.Tx, tenantID, appID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM saml_apps WHERE tenant_id = ? AND app_id = ?`, tenantID, appID)
	if err != nil {
		return fmt.Errorf("samlidp: app %s: %w", appID, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrNotConfigured, appID)
	}
	return nil
}

// check validates the input and returns it normalised as an App.
func (in AppInput) check() (App, error) {
	bad := func(field, why string) (App, error) { return App{}, fmt.Errorf("%w: %s: %s", ErrInvalid, field, why) }
	a := App{SPEntityID: strings.TrimSpace(in.SPEntityID), WantSignedRequests: in.WantSignedRequests,
		NameIDFormat: in.NameIDFormat, Attributes: in.Attributes, OverrideEditable: in.OverrideEditable, IdPInitiated: in.IdPInitiated, SLOURL: in.SLOURL}
	if a.SPEntityID == "" || len(a.SPEntityID) > 1024 {
		return bad("sp_entity_id", "required, at most 1024 characters")
	}
	if len(in.ACS) == 0 || len(in.ACS) > 32 {
		return bad("acs_urls", "between 1 and 32 required")
	}
	for i, c := range in.ACS {
		if c.Binding == "" {
			c.Binding = saml.HTTPPostBinding
		}
		if c.Binding != saml.HTTPPostBinding {
			return bad(fmt.Sprintf("acs_urls[%d].binding", i), "only "+saml.HTTPPostBinding)
		}
		if !allowedURL(c.URL) {
			return bad(fmt.Sprintf("acs_urls[%d].url", i), "must be https (or http on loopback)")
		}
		if slices.ContainsFunc(a.ACS, func(o ACS) bool { return o.Index == c.Index }) {
			return bad(fmt.Sprintf("acs_urls[%d].index", i), "duplicate")
		}
		a.ACS = append(a.ACS, c)
	}
	if a.SLOURL != "" && !allowedURL(a.SLOURL) {
		return bad("slo_url", "must be https (or http on loopback)")
	}
	switch a.NameIDFormat {
	case "":
		a.NameIDFormat = NameIDPersistent
	case NameIDEmail, NameIDPersistent, NameIDTransient:
	default:
		return bad("name_id_format", "email, persistent or transient")
	}
	if a.Attributes == nil {
		a.Attributes = map[string]string{}
	}
	if len(a.Attributes) > 64 {
		return bad("attributes", "at most 64")
	}
	// In name order, so that the error reported is always the same one.
	for _, name := range slices.Sorted(maps.Keys(a.Attributes)) {
		if err := checkAttribute(name, a.Attributes[name]); err != nil {
			return App{}, err
		}
	}
	if len(in.SPSigningCert) > 0 {
		der := in.SPSigningCert
		if b, _ := pem.Decode(der); b != nil {
			der = b.Bytes
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			return bad("sp_signing_cert", "not a PEM or DER X.509 certificate")
		}
		a.SPSigningCert = der
	}
	if a.WantSignedRequests && a.SPSigningCert == nil {
		return bad("want_signed_requests", "needs sp_signing_cert")
	}
	return a, nil
}

// maxAttributeName is the most characters of a SAML attribute name (a
// URI such as urn:oid:0.9.2342.19200300.100.1.3 or a claim-type URL).
const maxAttributeName = 256

// checkAttribute checks one attribute rule: a name of 1 to
// maxAttributeName characters without control characters (it becomes an
// XML attribute value in every assertion), and an expression that
// compiles as a claim expression, with the same variables and limits
// (authserver.CompileExpression). A refusal is ErrInvalid holding an
// *invalid.Error naming attributes.<name>.
func checkAttribute(name, expr string) error {
	refuse := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %w", ErrInvalid, invalid.Field(field, format, args...))
	}
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return refuse("attributes", "an attribute name must be valid UTF-8")
	case n == 0 || n > maxAttributeName:
		return refuse("attributes", "an attribute name must be 1 to %d characters, not %d", maxAttributeName, n)
	case strings.ContainsFunc(name, unicode.IsControl):
		return refuse("attributes", "attribute name %q has a control character", name)
	}
	if _, err := authserver.CompileExpression(expr); err != nil {
		var bad *invalid.Error
		if !errors.As(err, &bad) {
			return fmt.Errorf("samlidp: attribute %q: %w", name, err)
		}
		return refuse("attributes."+name, "%s", bad.Reason)
	}
	return nil
}

// allowedURL reports whether u is an absolute https URL, or http on a
// loopback host (development and tests).
func allowedURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil || p.Fragment != "" {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		h := p.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

// checkEditable refuses attribute rules that read editable attributes
// unless the app overrides it (see PutApp).
func (s *Service) checkEditable(ctx context.Context, tx store.Tx, tenantID string, a App) error {
	if a.OverrideEditable || len(a.Attributes) == 0 {
		return nil
	}
	editable := map[string]bool{}
	if s.d.Attributes != nil {
		var err error
		if editable, err = s.d.Attributes.Editable(ctx, tx, tenantID); err != nil {
			return fmt.Errorf("samlidp: editable attributes: %w", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Attributes)) {
		x, err := authserver.CompileExpression(a.Attributes[name])
		if err != nil {
			return fmt.Errorf("samlidp: attribute %q: %w", name, err)
		}
		if reads := x.EditableReads(editable); len(reads) > 0 {
			return fmt.Errorf("%w: %w", ErrInvalid, invalid.Field("attributes."+name,
				"reads what people may edit themselves (user.%s); only override_editable allows it", strings.Join(reads, ", user.")))
		}
	}
	return nil
}
