package engine

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Lintel as a SAML identity provider: an app's SP sends an AuthnRequest
// to the app's SSO endpoint, the person signs in through the same flow
// as for OAuth (sign-on policy, factors, branding), and the flow ends at
// a page of our own site that posts a signed Response to the SP's ACS.
//
// The Response is signed when that page is opened, not when the flow
// ends, and only once: the flow's end leaves a single-use token in the
// redirect (kept as a keyed hash), as an OAuth flow leaves a code.

// SAML paths under a site, per app.
const (
	// SAMLPrefix starts every SAML IdP path: /saml/{app}/….
	SAMLPrefix = "/saml/"
)

// SAMLRespondPath is the page that posts a finished flow's Response.
func SAMLRespondPath(appID, flowID string) string {
	return SAMLPrefix + appID + "/respond/" + flowID
}

// Purposes of keyed hashes of the SAML path.
const (
	samlTokenPurpose  = "engine.saml-respond-token"
	samlTicketPurpose = "engine.saml-ticket"
)

// samlTicketLife is how long a POSTed AuthnRequest, verified and carried
// to a GET of our own site (see SAMLTicket), stays usable.
const samlTicketLife = 5 * time.Minute

// ErrSAMLUnavailable is a SAML request to an engine without the SAML
// service.
var ErrSAMLUnavailable = errors.New("engine: SAML identity provider not configured")

// samlFlow is what a flow keeps about the SAML request it answers.
type samlFlow struct {
	Request samlidp.Request `json:"request"`
	// AppType and AppTags are the app's, for attribute expressions.
	AppType string   `json:"app_type,omitempty"`
	AppTags []string `json:"app_tags,omitempty"`
	// Grant is the sign-in the Response asserts; Status is set instead
	// when the flow ends without one (a samlidp Status constant).
	Grant  *oidc.Grant `json:"grant,omitempty"`
	Status string      `json:"status,omitempty"`
	// TokenMAC is the keyed hash of the respond page's token; Used says
	// the page was opened.
	TokenMAC []byte `json:"token_mac,omitempty"`
	Used     bool   `json:"used,omitempty"`
}

// SAMLBegin describes a flow a SAML app's request starts.
type SAMLBegin struct {
	// Issuer is the tenant's default authorization server on the site;
	// the flow's steps use it as an OAuth flow's do.
	Issuer oidc.Issuer
	// Request is the verified AuthnRequest (ParseSAML, SAMLFromTicket) or
	// the unsolicited one of an IdP-initiated sign-in (UnsolicitedSAML).
	Request samlidp.Request
	// App is the tenant app whose SAML settings the request is for.
	App tenant.App
	// Session, Locale, Dir, LocaleFixed, Base and Device are as in Begin.
	Session     string
	Locale      string
	Dir         string
	LocaleFixed bool
	Base        string
	Device      string
}

// ParseSAML verifies an AuthnRequest sent to appID's SSO endpoint on the
// site at base (samlidp.ParseAuthnRequest). Errors: samlidp.ErrRefused,
// samlidp.ErrNotConfigured, ErrSAMLUnavailable.
func (e *Engine) ParseSAML(ctx context.Context, tenantID, appID, base string, r *http.Request) (samlidp.Request, error) {
	if e.SAML == nil {
		return samlidp.Request{}, ErrSAMLUnavailable
	}
	var req samlidp.Request
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		req, err = e.SAML.ParseAuthnRequest(ctx, tx, tenantID, appID, base, r)
		return err
	})
	return req, err
}

// UnsolicitedSAML returns the request of an IdP-initiated sign-in to
// appID, refused with samlidp.ErrUnsolicited unless the app allows it.
func (e *Engine) UnsolicitedSAML(ctx context.Context, tenantID, appID, base, relayState string) (samlidp.Request, error) {
	if e.SAML == nil {
		return samlidp.Request{}, ErrSAMLUnavailable
	}
	var req samlidp.Request
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		req, err = e.SAML.UnsolicitedRequest(ctx, tx, tenantID, appID, base, relayState)
		return err
	})
	return req, err
}

// samlTicket is a verified message carried in a URL.
type samlTicket struct {
	Kind     string          `json:"k"`
	TenantID string          `json:"t"`
	AppID    string          `json:"a"`
	Message  json.RawMessage `json:"m"`
	Expires  time.Time       `json:"e"`
}

// Kinds of tickets.
const (
	ticketAuthn  = "authn"
	ticketLogout = "logout"
)

// seal returns a ticket for msg: the message and an expiry under a keyed
// hash. It holds nothing the SP did not send.
func (e *Engine) seal(kind, tenantID, appID string, msg any) string {
	m, _ := json.Marshal(msg)
	b, _ := json.Marshal(samlTicket{Kind: kind, TenantID: tenantID, AppID: appID, Message: m, Expires: e.Clock.Now().Add(samlTicketLife)})
	mac := e.Secrets.MAC(samlTicketPurpose, b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// open reads into msg a ticket seal made for kind, tenantID and appID;
// any other ticket, or an expired one, is samlidp.ErrRefused.
func (e *Engine) open(kind, tenantID, appID, ticket string, msg any) error {
	bad := fmt.Errorf("%w: ticket", samlidp.ErrRefused)
	body, sig, ok := strings.Cut(ticket, ".")
	if !ok || len(ticket) > 16<<10 {
		return bad
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, e.Secrets.MAC(samlTicketPurpose, b)) {
		return bad
	}
	var t samlTicket
	if json.Unmarshal(b, &t) != nil || t.Kind != kind || t.TenantID != tenantID || t.AppID != appID || !e.Clock.Now().Before(t.Expires) {
		return bad
	}
	if json.Unmarshal(t.Message, msg) != nil {
		return bad
	}
	return nil
}

// SAMLTicket carries a request verified from a cross-site POST to a GET
// of our own site, where the browser sends its session cookie (SameSite
// Lax keeps it off cross-site POSTs).
func (e *Engine) SAMLTicket(req samlidp.Request) string {
	return e.seal(ticketAuthn, req.TenantID, req.AppID, req)
}

// SAMLFromTicket returns the request of a ticket SAMLTicket made for
// tenantID and appID; any other ticket, or an expired one, is
// samlidp.ErrRefused.
func (e *Engine) SAMLFromTicket(tenantID, appID, ticket string) (samlidp.Request, error) {
	var req samlidp.Request
	err := e.open(ticketAuthn, tenantID, appID, ticket, &req)
	return req, err
}

// StartSAML begins a flow that ends in a SAML Response to b.Request
// instead of an authorization code. ForceAuthn asks the person to sign
// in again (as prompt=login); IsPassive never shows a step (as
// prompt=none) and ends in a NoPassive status without a session. There is
// no consent step: an admin set the app up.
func (e *Engine) StartSAML(ctx context.Context, b SAMLBegin) (Result, error) {
	if e.SAML == nil {
		return Result{}, ErrSAMLUnavailable
	}
	req := oidc.AuthRequest{ClientID: b.App.ID, RedirectURI: b.Request.ACS, ResponseType: "saml"}
	switch {
	case b.Request.IsPassive:
		req.Prompt = promptNone
	case b.Request.ForceAuthn:
		req.Prompt = promptLogin
	}
	app := b.App
	app.ConsentRequired = false
	return e.start(ctx, Begin{Issuer: b.Issuer, Request: req, App: app, Origin: b.Base, Session: b.Session,
		Locale: b.Locale, Dir: b.Dir, LocaleFixed: b.LocaleFixed, Base: b.Base, Device: b.Device},
		&samlFlow{Request: b.Request, AppType: string(b.App.Type), AppTags: b.App.Tags})
}

// refuse ends a flow without a sign-in: an OAuth client hears oerr at
// its redirect URI, a SAML SP a Response with the matching status.
func (e *Engine) refuse(f *flow, oerr oidc.Error) {
	if f.State.SAML == nil {
		f.State.Redirect = oidc.ErrorRedirect(f.State.Issuer, f.State.Request, oerr)
		return
	}
	status := samlidp.StatusRequestDenied
	switch oerr.Code {
	case oidc.ErrLoginRequired.Code, oidc.ErrInteractionRequired.Code, oidc.ErrConsentRequired.Code:
		status = samlidp.StatusNoPassive
	}
	e.endSAML(f, nil, status)
}

// endSAML ends a SAML flow at its respond page, with the sign-in g or,
// when g is nil, status.
func (e *Engine) endSAML(f *flow, g *oidc.Grant, status string) {
	token := newSecret()
	sf := f.State.SAML
	sf.Grant, sf.Status, sf.TokenMAC, sf.Used = g, status, e.Secrets.MAC(samlTokenPurpose, []byte(token)), false
	f.Step, f.Done = wire.StepDone, true
	f.State.Messages, f.State.Grant = nil, nil
	f.State.Redirect = f.State.Base + SAMLRespondPath(f.ClientID, f.ID) + "?t=" + token
}

// SAMLResponse signs the Response of a SAML flow that ended, for its
// respond page: once, with the token the flow's redirect carried. The
// assertion names the person as the app's NameID format says, with the
// app's attribute expressions evaluated now (the claim expressions of
// OIDC, see oidc.Provider.SAMLAttributes). A wrong, used or unknown token
// is ErrFlowNotFound.
func (e *Engine) SAMLResponse(ctx context.Context, tenantID, appID, flowID, token string) (samlidp.Response, error) {
	if e.SAML == nil {
		return samlidp.Response{}, ErrSAMLUnavailable
	}
	var out samlidp.Response
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		f, err := e.loadRow(ctx, tx, flowID)
		if err != nil {
			return err
		}
		sf := f.State.SAML
		if f.TenantID != tenantID || f.ClientID != appID || !f.Done || sf == nil || sf.Used || token == "" ||
			!hmac.Equal(sf.TokenMAC, e.Secrets.MAC(samlTokenPurpose, []byte(token))) {
			return ErrFlowNotFound
		}
		sf.Used = true
		if err := e.update(ctx, tx, f); err != nil {
			return err
		}
		if sf.Grant == nil {
			out, err = e.SAML.RespondStatus(ctx, tx, sf.Request, sf.Status)
			if err != nil {
				return err
			}
			return e.event(ctx, tx, f, "user.saml.response", events.Failure, "", map[string]any{"status": sf.Status})
		}
		g := sf.Grant
		u, err := e.Directory.User(ctx, tx, f.TenantID, g.UserID)
		if err != nil {
			return err
		}
		if !u.Status.CanSignIn() {
			// Suspended between the sign-in and the post.
			out, err = e.SAML.RespondStatus(ctx, tx, sf.Request, samlidp.StatusRequestDenied)
			if err != nil {
				return err
			}
			return e.event(ctx, tx, f, "user.saml.response", events.Failure, u.ID, map[string]any{"status": samlidp.StatusRequestDenied})
		}
		sa, err := e.SAML.App(ctx, tx, f.TenantID, appID)
		if err != nil {
			return err
		}
		app := tenant.App{ID: appID, TenantID: f.TenantID, Name: f.State.AppName, Type: tenant.AppType(sf.AppType), Tags: sf.AppTags}
		attrs, err := e.OIDC.SAMLAttributes(ctx, tx, f.TenantID, app, u.ID, sa.Attributes)
		if err != nil {
			return err
		}
		out, err = e.SAML.Respond(ctx, tx, sf.Request, samlidp.Subject{UserID: u.ID, Email: u.Email,
			SessionIndex: g.SessionID, AuthnInstant: g.AuthTime, Attributes: attrs})
		if err != nil {
			return err
		}
		return e.event(ctx, tx, f, "user.saml.response", events.Success, u.ID, map[string]any{"amr": slices.Clone(g.AMR)})
	})
	if err != nil {
		return samlidp.Response{}, fmt.Errorf("engine: SAML response: %w", err)
	}
	return out, nil
}

// SAMLLogoutTicket verifies a LogoutRequest that came by the POST
// binding and returns a ticket that carries it to a GET of the SLO
// endpoint (see SAMLTicket), for SAMLLogout.
func (e *Engine) SAMLLogoutTicket(ctx context.Context, tenantID, appID, base string, r *http.Request) (string, error) {
	if e.SAML == nil {
		return "", ErrSAMLUnavailable
	}
	var lr samlidp.LogoutRequest
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		lr, err = e.SAML.HandleLogoutRequest(ctx, tx, tenantID, appID, base, r)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("engine: SAML logout: %w", err)
	}
	return e.seal(ticketLogout, tenantID, appID, lr), nil
}

// SAMLLogout answers a LogoutRequest an app's SP sent to its SLO
// endpoint through the browser — r by the Redirect binding, or ticket
// from SAMLLogoutTicket when not empty: the browser's session ends when
// the request names it (by session index) or names no session, and the
// answer is the URL of a signed LogoutResponse to the SP. ended tells the
// caller to clear the session cookie. A request that fails verification
// is samlidp.ErrRefused and ends nothing.
func (e *Engine) SAMLLogout(ctx context.Context, tenantID, appID, base, sessionCookie string, r *http.Request, ticket string) (redirect string, ended bool, err error) {
	if e.SAML == nil {
		return "", false, ErrSAMLUnavailable
	}
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var lr samlidp.LogoutRequest
		if ticket != "" {
			if err := e.open(ticketLogout, tenantID, appID, ticket, &lr); err != nil {
				return err
			}
		} else {
			var err error
			if lr, err = e.SAML.HandleLogoutRequest(ctx, tx, tenantID, appID, base, r); err != nil {
				return err
			}
		}
		if sessionCookie != "" {
			s, err := e.Sessions.Lookup(ctx, tx, tenantID, sessionCookie)
			switch {
			case errors.Is(err, session.ErrNoSession):
			case err != nil:
				return err
			case len(lr.SessionIndexes) == 0 || slices.Contains(lr.SessionIndexes, s.ID):
				if err := e.Sessions.Revoke(ctx, tx, tenantID, sessionCookie); err != nil && !errors.Is(err, session.ErrNoSession) {
					return err
				}
				ended = true
				if _, err := e.Events.Append(ctx, tx, events.Event{Type: "user.signout", TenantID: tenantID, Outcome: events.Success,
					RequestID: requestid.From(ctx), Actor: events.Ref{Type: "user", ID: s.UserID}, Subject: s.UserID,
					Target: events.Ref{Type: "app", ID: appID}, Details: map[string]any{"protocol": "saml"}}); err != nil {
					return err
				}
			}
		}
		var err error
		redirect, err = e.SAML.LogoutResponse(ctx, tx, lr, "")
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("engine: SAML logout: %w", err)
	}
	return redirect, ended, nil
}

// SAMLMetadata returns the IdP metadata of appID on the site at base.
func (e *Engine) SAMLMetadata(ctx context.Context, tenantID, appID, base string) ([]byte, error) {
	if e.SAML == nil {
		return nil, ErrSAMLUnavailable
	}
	var md []byte
	// Read-only: PutApp made the tenant's key with its first SAML app.
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		md, err = e.SAML.Metadata(ctx, tx, tenantID, appID, base)
		return err
	})
	return md, err
}
