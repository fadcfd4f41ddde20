// Package samlidp makes Lintel a SAML 2.0 identity provider for a
// tenant's apps: each app's service-provider settings, the tenant's
// signing keys with rotation, the IdP metadata, AuthnRequests in and
// signed Responses out (SP- and IdP-initiated), and single logout.
//
// The package holds no HTTP handlers and no session: the engine calls
// ParseAuthnRequest when a request arrives, keeps the returned Request in
// its flow while the person signs in, and calls Respond with who they
// are. Every function takes the caller's transaction.
//
// The IdP's entity ID is per app, {base}/saml/{appID}/metadata, so that
// an app's metadata URL is also its entity ID (what most SPs expect to
// paste), and two apps of a tenant never share a NameID namespace. The SSO
// endpoint is {base}/saml/{appID}/sso and the SLO endpoint
// {base}/saml/{appID}/slo; base is the tenant's site, from its verified
// domain, never from the request.
package samlidp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Errors callers branch on; others are internal.
var (
	// ErrInvalid is invalid settings or SP metadata; the message names
	// the field.
	ErrInvalid = errors.New("samlidp: invalid settings")
	// ErrNotConfigured is an app without SAML settings.
	ErrNotConfigured = errors.New("samlidp: app has no SAML settings")
	// ErrRefused is a SAML message refused: unknown SP, ACS not
	// registered, stale, bad or missing signature, malformed. The chain
	// holds the reason, for the log.
	ErrRefused = errors.New("samlidp: request refused")
	// ErrUnsolicited is an IdP-initiated response for an app that does
	// not allow it.
	ErrUnsolicited = errors.New("samlidp: IdP-initiated sign-in not allowed for this app")
)

// Lifetimes.
const (
	// assertionLife bounds NotBefore/NotOnOrAfter of what we sign.
	assertionLife = 5 * time.Minute
	// retiredOverlap is how long a key replaced by Rotate stays in the
	// metadata, for SPs that cache it.
	retiredOverlap = 7 * 24 * time.Hour
)

// Deps are the services the package uses.
type Deps struct {
	Secrets *secrets.Service
	Clock   clock.Clock
	// Attributes tells which custom attributes people may edit; nil
	// treats none as editable (but user and user.profile as a whole
	// still are).
	Attributes EditableAttributes
}

// EditableAttributes tells a tenant's custom attributes that people may
// edit themselves (user types' user_editable flags).
type EditableAttributes interface {
	Editable(ctx context.Context, tx store.Tx, tenantID string) (map[string]bool, error)
}

// Service is the SAML identity provider. It is safe for concurrent use.
type Service struct {
	d Deps
}

// New returns a Service over d.
func New(d Deps) (*Service, error) {
	if d.Secrets == nil || d.Clock == nil {
		return nil, fmt.Errorf("samlidp: missing dependency")
	}
	return &Service{d: d}, nil
}

// Endpoints returns the URLs of an app's IdP on the site at base: its
// metadata (also its entity ID), SSO and SLO endpoints.
func Endpoints(base, appID string) (metadata, sso, slo string) {
	return entityID(base, appID), ssoURL(base, appID), sloURL(base, appID)
}

// Endpoints of an app's IdP under base.
func entityID(base, appID string) string { return base + "/saml/" + appID + "/metadata" }
func ssoURL(base, appID string) string   { return base + "/saml/" + appID + "/sso" }
func sloURL(base, appID string) string   { return base + "/saml/" + appID + "/slo" }

// refused wraps err as ErrRefused with context.
func refused(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrRefused, what, err)
}
