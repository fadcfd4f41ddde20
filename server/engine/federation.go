package engine

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
)

// Sign-in through an upstream identity provider, in four moves:
//
//  1. The person picks a provider (an "idp:…" action on identify, or a
//     routing rule picks it): the flow goes to the redirect-idp step
//     holding the choice.
//  2. Handover: the browser POSTs the flow secret to the site
//     ("{base}/federation/handover/{id}"), top-level. A widget flow is rebound to
//     the site there (origin and a new secret kept in a cookie), so the
//     callback comes back to the browser that started it; the provider's
//     authorization URL is made now, with a state bound to the flow
//     secret, and the browser goes there.
//  3. Callback: the provider sends the browser back with state and code
//     (Apple as a cross-site POST, which carries no SameSite=Lax cookie).
//     The flow is found by state alone, the answer verified upstream, and
//     the assertion kept on the flow. Nothing is signed in yet.
//  4. Return: the browser follows a redirect to the site (a top-level GET
//     that carries the flow cookie); only with the flow secret does the
//     assertion sign someone in, link an account or create one. A callback
//     URL replayed in another browser gets nowhere (login CSRF).

// factorFederated is the factor a sign-in at an identity provider proves,
// with amr "fed": RFC 8176 registers no value for federated sign-in.
const factorFederated = "federated"

// ActionRedirect is the redirect-idp step's action that hands the flow
// over to the site and on to the provider; actions named actionIdPPrefix
// and an IdP ID choose that provider.
const (
	ActionRedirect  = "redirect"
	actionIdPPrefix = "idp:"
)

// Message IDs of federated sign-in; the errors take the provider's name.
const (
	MsgIdPContinueWith = "federation.continue_with"
	MsgIdPChoose       = "federation.choose"
	MsgIdPLinkProve    = "federation.link.prove"
	MsgIdPLinked       = "federation.linked"
	msgIdPErrorPrefix  = "federation.error."
)

// statePurpose keys the MAC of the state sent upstream.
const statePurpose = "engine.idp-state"

// ErrStateInvalid: a callback's state names no flow waiting for a
// provider's answer, or its MAC does not match (forged, used, or from a
// flow that moved on). The edge answers with a branded error page.
var ErrStateInvalid = errors.New("engine: identity-provider state invalid")

// idpOffer is an identity provider a flow offers as a button.
type idpOffer struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Kind federation.Kind `json:"kind"`
}

// upstream is a sign-in at an identity provider in progress.
type upstream struct {
	IdP  idpOffer `json:"idp"`
	Hint string   `json:"hint,omitempty"`
	// Key is random per handover: the state MAC covers it, so each
	// authorization request's state is used once.
	Key string `json:"key,omitempty"`
	// Pending is what the protocol keeps until the callback; set at
	// handover.
	Pending *federation.Pending `json:"pending,omitempty"`
	// Returned says the callback came; Assertion (verified) or Error (a
	// message-ID suffix) is its result.
	Returned  bool                  `json:"returned,omitempty"`
	Assertion *federation.Assertion `json:"assertion,omitempty"`
	Error     string                `json:"error,omitempty"`
	// LinkUser is the account that must be proven before Assertion is
	// linked to it (OutcomeProve).
	LinkUser string `json:"link_user,omitempty"`
	// Attrs are the mapped attributes of an account to be made just in
	// time once the profile step collected what the provider did not
	// give (askToProvision).
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Callback paths on every site; the edge serves them.
const (
	CallbackPath = "/federation/callback"
	ACSPath      = "/federation/saml/acs"
)

// offerIdPs sets the identity providers the identify step offers: those
// of the first routing rule that matches the app and the network (before
// anyone typed anything), or every enabled provider of a tenant without
// rules. A rule that sends straight to a provider starts the redirect at
// once.
func (e *Engine) offerIdPs(ctx context.Context, tx store.Tx, f *flow) error {
	f.State.IdPs = nil
	if e.Federation == nil || f.ClientID == "" {
		return nil
	}
	r, ok, err := e.Federation.Route(ctx, tx, f.TenantID, federation.RouteInput{AppID: f.ClientID, IP: clientip.From(ctx)})
	if err != nil {
		return err
	}
	if !ok {
		rules, err := e.Federation.ListRules(ctx, tx, f.TenantID)
		if err != nil || len(rules) > 0 {
			return err
		}
		idps, err := e.Federation.ListIdPs(ctx, tx, f.TenantID)
		if err != nil {
			return err
		}
		for _, p := range idps {
			if p.Enabled {
				f.State.IdPs = append(f.State.IdPs, offerOf(p))
			}
		}
		return nil
	}
	f.State.RouteRule = r.Rule
	for _, p := range r.IdPs {
		f.State.IdPs = append(f.State.IdPs, offerOf(p))
	}
	if r.Mode == federation.ModeRedirect && len(f.State.IdPs) > 0 {
		f.Step = wire.StepRedirectIdP
		f.State.Upstream = &upstream{IdP: f.State.IdPs[0], Hint: f.State.Login}
	}
	return nil
}

func offerOf(p federation.IdP) idpOffer { return idpOffer{ID: p.ID, Name: p.Name, Kind: p.Kind} }

// routeLogin applies the routing rules to a typed login (identify-first
// discovery): a rule by email domain or group that the login matches, and
// that did not already match before it was typed, sends the person to its
// provider (or offers its providers). It reports whether it moved the
// flow. Groups are those of the account holding the login, if any.
func (e *Engine) routeLogin(ctx context.Context, tx store.Tx, f *flow, login string) (bool, error) {
	if e.Federation == nil || f.ClientID == "" {
		return false, nil
	}
	in := federation.RouteInput{AppID: f.ClientID, IP: clientip.From(ctx)}
	if strings.Contains(login, "@") {
		in.Email = login
	}
	if u, err := e.Directory.UserByLogin(ctx, tx, f.TenantID, login); err == nil {
		groups, err := e.Directory.GroupsOf(ctx, tx, f.TenantID, u.ID)
		if err != nil {
			return false, err
		}
		for _, g := range groups {
			in.Groups = append(in.Groups, g.Name)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	r, ok, err := e.Federation.Route(ctx, tx, f.TenantID, in)
	if err != nil || !ok || r.Rule == f.State.RouteRule || len(r.IdPs) == 0 {
		return false, err
	}
	f.State.RouteRule = r.Rule
	f.State.IdPs = nil
	for _, p := range r.IdPs {
		f.State.IdPs = append(f.State.IdPs, offerOf(p))
	}
	f.Step = wire.StepRedirectIdP
	f.State.Upstream = nil
	if r.Mode == federation.ModeRedirect || len(f.State.IdPs) == 1 {
		f.State.Upstream = &upstream{IdP: f.State.IdPs[0], Hint: login}
	}
	return true, nil
}

// chooseIdP is an "idp:…" action: the person picked an offered provider.
func (e *Engine) chooseIdP(ctx context.Context, f *flow, id string) error {
	i := slices.IndexFunc(f.State.IdPs, func(o idpOffer) bool { return o.ID == id })
	if i < 0 {
		return ErrUnknownAction
	}
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Messages = nil
		f.Step = wire.StepRedirectIdP
		f.State.Upstream = &upstream{IdP: f.State.IdPs[i], Hint: f.State.Login}
		return e.update(ctx, tx, f)
	})
}

// Handover is the top-level POST of the redirect-idp step to the site
// (base, the site's base URL): it returns the provider's authorization
// URL. A flow started elsewhere (the widget, on the app's origin) is
// bound to the site from here on: Secret is then its new secret, for a
// cookie, and the old one is void. origin is the POST's Origin, which
// must be the flow's.
func (e *Engine) Handover(ctx context.Context, iss oidc.Issuer, id, secret, origin, base string) (HandoverResult, error) {
	if e.Federation == nil {
		return HandoverResult{}, ErrUnknownAction
	}
	var out HandoverResult
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		f, err := e.load(ctx, tx, iss, id, secret, origin)
		if err != nil {
			return err
		}
		if f.Done || f.Step != wire.StepRedirectIdP || f.State.Upstream == nil || f.State.Upstream.Returned {
			return ErrUnknownAction
		}
		if f.Origin != base {
			// Continue on the site: the callback comes back there.
			out.Secret = newSecret()
			f.Origin, f.SecretMAC = base, e.Secrets.MAC(secretPurpose, []byte(out.Secret))
		}
		up := f.State.Upstream
		idp, err := e.Federation.IdP(ctx, tx, f.TenantID, up.IdP.ID)
		if err != nil {
			return err
		}
		var k [16]byte
		_, _ = rand.Read(k[:])
		up.Key = base64.RawURLEncoding.EncodeToString(k[:])
		callback := base + CallbackPath
		if idp.Kind == federation.KindSAML {
			callback = base + ACSPath
		}
		u, pend, err := e.Federation.AuthURL(ctx, tx, idp, federation.AuthParams{Callback: callback, Base: base, State: e.idpState(f), LoginHint: up.Hint})
		if err != nil {
			return err
		}
		up.Pending, out.URL = &pend, u
		if err := e.rebind(ctx, tx, f); err != nil {
			return err
		}
		return e.event(ctx, tx, f, "user.signin.idp_redirect", events.Success, "", map[string]any{"idp": idp.ID, "kind": string(idp.Kind)})
	})
	if err != nil {
		return HandoverResult{}, fmt.Errorf("engine: hand over to the identity provider: %w", err)
	}
	return out, nil
}

// HandoverResult is where Handover sends the browser and, when the flow
// moved to the site, its new secret.
type HandoverResult struct {
	URL, Secret string
}

// rebind saves a flow with its origin and secret, which update leaves.
func (e *Engine) rebind(ctx context.Context, tx store.Tx, f *flow) error {
	if _, err := tx.Exec(ctx, `UPDATE flows SET origin = ?, secret_mac = ? WHERE id = ?`, f.Origin, f.SecretMAC, f.ID); err != nil {
		return err
	}
	return e.update(ctx, tx, f)
}

// idpState is the state of f's authorization request: the flow ID and a
// MAC over it, the flow secret's hash and the handover key, so that only
// this request of this flow, while its secret stands, matches. It is at
// most 80 bytes (SAML's limit on RelayState).
func (e *Engine) idpState(f *flow) string {
	return f.ID + "." + base64.RawURLEncoding.EncodeToString(e.stateMAC(f))
}

func (e *Engine) stateMAC(f *flow) []byte {
	msg := f.ID + "\x00" + base64.RawURLEncoding.EncodeToString(f.SecretMAC) + "\x00" + f.State.Upstream.Key
	return e.Secrets.MAC(statePurpose, []byte(msg))[:18]
}

// StateFlow returns the flow ID a callback's state names, "" when it
// cannot be one; the edge uses it only to pick the flow, Callback checks
// the rest.
func StateFlow(state string) string {
	id, _, ok := strings.Cut(state, ".")
	if !ok || !strings.HasPrefix(id, "flw_") || len(id) > 64 {
		return ""
	}
	return id
}

// Callback takes a provider's answer (params: the callback's query or
// form) for the flow its state names, verifies it upstream and keeps the
// outcome on the flow for Return, once. It returns the flow ID, whose
// page the browser goes to next. Nothing is signed in here: the request
// may be a cross-site POST that carries no cookie, so only the browser
// holding the flow secret can finish the sign-in.
func (e *Engine) Callback(ctx context.Context, iss oidc.Issuer, params url.Values) (string, error) {
	if e.Federation == nil {
		return "", ErrStateInvalid
	}
	state := params.Get("state")
	if state == "" {
		state = params.Get("RelayState")
	}
	id := StateFlow(state)
	if id == "" {
		return "", ErrStateInvalid
	}
	var f *flow
	var idp federation.IdP
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if f, err = e.waiting(ctx, tx, iss, id, state); err != nil {
			return err
		}
		idp, err = e.Federation.IdP(ctx, tx, f.TenantID, f.State.Upstream.IdP.ID)
		return err
	})
	if err != nil {
		return "", err
	}
	var a federation.Assertion
	var xerr error
	if idp.Kind != federation.KindSAML {
		// Network calls upstream: no transaction is held meanwhile.
		a, xerr = e.Federation.Exchange(ctx, nil, idp, *f.State.Upstream.Pending, params)
	}
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		g, err := e.waiting(ctx, tx, iss, id, state)
		if err != nil {
			return err
		}
		*f = *g
		if idp.Kind == federation.KindSAML {
			// The replay cache is written in this transaction.
			a, xerr = e.Federation.Exchange(ctx, tx, idp, *f.State.Upstream.Pending, params)
		}
		up := f.State.Upstream
		up.Returned, up.Pending = true, nil
		if xerr != nil {
			up.Error = upstreamError(xerr)
			e.Logger.WarnContext(ctx, "identity provider sign-in failed", "flow", f.ID, "idp", idp.ID, "kind", idp.Kind, "err", xerr)
			if err := e.event(ctx, tx, f, "user.signin", events.Failure, "", map[string]any{"reason": "idp_" + up.Error, "idp": idp.ID}); err != nil {
				return err
			}
		} else {
			up.Assertion = &a
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// waiting loads the flow a callback's state names, checking its tenant,
// that it waits for this answer and the state's MAC.
func (e *Engine) waiting(ctx context.Context, tx store.Tx, iss oidc.Issuer, id, state string) (*flow, error) {
	f, err := e.loadRow(ctx, tx, id)
	if errors.Is(err, ErrFlowNotFound) {
		return nil, ErrStateInvalid
	}
	if err != nil {
		return nil, err
	}
	if f.TenantID != iss.TenantID || f.Done || f.Step != wire.StepRedirectIdP || f.State.Upstream == nil ||
		f.State.Upstream.Pending == nil || f.State.Upstream.Returned || !hmac.Equal([]byte(e.idpState(f)), []byte(state)) {
		return nil, ErrStateInvalid
	}
	if !e.Clock.Now().Before(f.ExpiresAt) {
		return nil, ErrFlowExpired
	}
	return f, nil
}

// upstreamError is the message-ID suffix telling the person what went
// wrong upstream.
func upstreamError(err error) string {
	switch {
	case errors.Is(err, federation.ErrDenied):
		return "denied"
	case errors.Is(err, federation.ErrInvalid):
		return "invalid"
	}
	return "upstream"
}

// Return finishes a sign-in at a provider in the browser holding the
// flow (the flow cookie's secret): the assertion signs in the account
// linked to it, links one (automatically only when the policy allows and
// both sides vouch for the email), asks the person to prove the account
// that holds its email before linking, creates one just in time, or is
// refused. Errors of the provider come back as the identify step with a
// message.
func (e *Engine) Return(ctx context.Context, iss oidc.Issuer, id, secret, origin, sessionCookie string) (Result, error) {
	f, err := e.loadView(ctx, iss, id, secret, origin)
	if err != nil {
		return Result{}, err
	}
	if f.Done {
		return Result{Flow: e.view(ctx, f), RedirectURI: f.target()}, nil
	}
	if f.Step != wire.StepRedirectIdP || f.State.Upstream == nil || !f.State.Upstream.Returned {
		// Nothing came back (yet): show the flow as it is.
		return Result{Flow: e.view(ctx, f), RedirectURI: f.target()}, nil
	}
	res := Result{RedirectURI: f.target()}
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		res.SetSession = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		up := f.State.Upstream
		if up == nil || !up.Returned {
			return nil
		}
		if up.Error != "" {
			return e.idpFailed(ctx, tx, f, up.Error)
		}
		idp, err := e.Federation.IdP(ctx, tx, f.TenantID, up.IdP.ID)
		if errors.Is(err, federation.ErrNotFound) || (err == nil && !idp.Enabled) {
			return e.idpFailed(ctx, tx, f, "upstream")
		}
		if err != nil {
			return err
		}
		if res.SetSession, err = e.federated(ctx, tx, f, idp, *up.Assertion, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return Result{}, fmt.Errorf("engine: sign in through the identity provider: %w", err)
	}
	res.Flow = e.view(ctx, f)
	return res, nil
}

// idpFailed puts the flow back at identify with a message naming the
// provider.
func (e *Engine) idpFailed(ctx context.Context, tx store.Tx, f *flow, reason string) error {
	name := f.State.Upstream.IdP.Name
	if err := e.restart(ctx, tx, f); err != nil {
		return err
	}
	if f.Step == wire.StepRedirectIdP {
		// A rule sends this app straight to a provider: after a failure
		// the person sees why, and the buttons, rather than a loop.
		f.Step, f.State.Upstream = wire.StepIdentify, nil
	}
	f.State.Messages = []wire.Message{{ID: msgIdPErrorPrefix + reason, Level: wire.LevelError, Params: []wire.Param{{Name: "name", Value: name}}}}
	return e.update(ctx, tx, f)
}

// federated applies a verified assertion (see Return).
func (e *Engine) federated(ctx context.Context, tx store.Tx, f *flow, idp federation.IdP, a federation.Assertion, sessionCookie string) (*SessionCookie, error) {
	out, err := e.Federation.Resolve(ctx, tx, idp, a)
	if errors.Is(err, federation.ErrConfig) || errors.Is(err, federation.ErrInvalid) || errors.Is(err, federation.ErrNotFound) {
		// A mapping that fails on what this provider sent, or a provider
		// disabled meanwhile: the person is told the answer could not be
		// used; the operator finds why in the log and the event.
		e.Logger.WarnContext(ctx, "identity provider answer not usable", "flow", f.ID, "idp", idp.ID, "err", err)
		if err := e.event(ctx, tx, f, "user.signin", events.Failure, "", map[string]any{"reason": "idp_mapping", "idp": idp.ID}); err != nil {
			return nil, err
		}
		return nil, e.idpFailed(ctx, tx, f, "invalid")
	}
	if err != nil {
		return nil, err
	}
	detail := map[string]any{"idp": idp.ID, "outcome": string(out.Kind)}
	var u directory.User
	switch out.Kind {
	case federation.OutcomeDeny:
		detail["reason"] = out.Reason
		if err := e.event(ctx, tx, f, "user.signin", events.Failure, out.UserID, detail); err != nil {
			return nil, err
		}
		return nil, e.idpFailed(ctx, tx, f, denyMessage(out.Reason))
	case federation.OutcomeSignIn:
		if u, err = e.Directory.User(ctx, tx, f.TenantID, out.UserID); err != nil {
			return nil, err
		}
		if _, err := e.Federation.Sync(ctx, tx, idp, a, u.ID, out.Attributes); err != nil {
			return nil, err
		}
	case federation.OutcomeLink:
		if err := e.Federation.LinkAccount(ctx, tx, idp, a, out.UserID); err != nil {
			return nil, err
		}
		if _, err := e.Federation.Sync(ctx, tx, idp, a, out.UserID, out.Attributes); err != nil {
			return nil, err
		}
		if u, err = e.Directory.User(ctx, tx, f.TenantID, out.UserID); err != nil {
			return nil, err
		}
	case federation.OutcomeCreate:
		u, err = e.Federation.Provision(ctx, tx, idp, a, out.Attributes)
		if invalid.Is(err) && !errors.Is(err, store.ErrConflict) {
			// The provider did not give what the user type requires:
			// the person fills it in, then the account is made.
			return nil, e.askToProvision(ctx, tx, f, idp, out.Attributes, err)
		}
		if err != nil {
			return nil, err
		}
		f.State.NewAccount = true
	case federation.OutcomeProve:
		return nil, e.proveToLink(ctx, tx, f, out.UserID)
	default:
		return nil, fmt.Errorf("engine: unknown federation outcome %q", out.Kind)
	}
	f.State.Upstream.Assertion = nil // its work is done; the flow keeps no claims
	f.State.UserID, f.State.Login = u.ID, u.Login
	return e.proved(ctx, tx, f, factorFederated, sessionCookie)
}

// askToProvision puts the profile step before a just-in-time account
// whose user type requires attributes the provider did not give (or gave
// in a form the schema refuses): refused is Provision's refusal, naming
// them. An attribute the person cannot fill in refuses the sign-in.
func (e *Engine) askToProvision(ctx context.Context, tx store.Tx, f *flow, idp federation.IdP, attrs map[string]any, refused error) error {
	typ, err := e.Directory.DefaultUserType(ctx, tx, f.TenantID)
	if idp.Config.UserType != "" {
		typ, err = e.Directory.UserType(ctx, tx, f.TenantID, idp.Config.UserType)
	}
	if err != nil {
		return err
	}
	var ask []asked
	for _, ie := range invalid.All(refused) {
		name := strings.TrimPrefix(ie.Field, "profile.")
		fld, ok := typ.Field(name)
		if !ok || slices.ContainsFunc(ask, func(a asked) bool { return a.Field.Name == name }) {
			if !ok {
				e.Logger.WarnContext(ctx, "just-in-time account refused", "flow", f.ID, "idp", idp.ID, "field", ie.Field)
				return e.idpFailed(ctx, tx, f, "denied")
			}
			continue
		}
		value, _ := attrs[name].(string)
		ask = append(ask, asked{Field: attributeField(fld, true, value), Attr: &fld})
		delete(attrs, name)
	}
	if len(ask) == 0 {
		return e.idpFailed(ctx, tx, f, "denied")
	}
	f.Step, f.State.Ask, f.State.Messages = wire.StepProfile, ask, nil
	f.State.Upstream.Attrs = attrs
	return e.update(ctx, tx, f)
}

// provisionAsked is the profile step of askToProvision: the account is
// made with what the provider gave and what the person filled in, and
// signs in.
func (e *Engine) provisionAsked(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		up := f.State.Upstream
		if up == nil || up.Assertion == nil || f.State.Grant != nil {
			return ErrUnknownAction
		}
		values, _, _, _, msgs := readAsked(f, req)
		if len(msgs) > 0 {
			f.State.Messages = msgs
			return e.update(ctx, tx, f)
		}
		attrs := map[string]any{}
		for k, v := range up.Attrs {
			attrs[k] = v
		}
		for k, v := range values {
			attrs[k] = v
		}
		idp, err := e.Federation.IdP(ctx, tx, f.TenantID, up.IdP.ID)
		if err != nil {
			return err
		}
		u, err := e.Federation.Provision(ctx, tx, idp, *up.Assertion, attrs)
		if msgs := fieldMessages(err); msgs != nil && !errors.Is(err, store.ErrConflict) {
			f.State.Messages = msgs
			return e.update(ctx, tx, f)
		}
		if err != nil {
			return err
		}
		f.State.Ask, f.State.NewAccount = nil, true
		f.State.Upstream.Assertion, f.State.Upstream.Attrs = nil, nil
		f.State.UserID, f.State.Login = u.ID, u.Login
		if cookie, err = e.proved(ctx, tx, f, factorFederated, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	return cookie, err
}

// denyMessage maps a Resolve refusal to its message-ID suffix.
func denyMessage(reason string) string {
	switch reason {
	case "email_taken":
		return "email_taken"
	case "not_linked", "jit_denied":
		return "not_linked"
	}
	return "denied"
}

// proveToLink asks the person to prove the account holding the
// assertion's email with a factor it has enrolled: the link is made only
// once they do (see linkProven). An account with no factor to prove
// cannot be linked.
func (e *Engine) proveToLink(ctx context.Context, tx store.Tx, f *flow, userID string) error {
	u, err := e.Directory.User(ctx, tx, f.TenantID, userID)
	if err != nil {
		return err
	}
	have, err := e.enrolled(ctx, tx, f.TenantID, u)
	if err != nil {
		return err
	}
	d, err := e.preAuth(ctx, tx, f)
	if err != nil {
		return err
	}
	var offer []string
	for _, a := range d.Authenticators {
		if slices.Contains(firstFactors, a) && have[a] && (a != factorEmail || u.EmailVerified) {
			offer = append(offer, a)
		}
	}
	if !d.Allow || len(offer) == 0 || !u.Status.CanSignIn() {
		if err := e.event(ctx, tx, f, "user.signin", events.Failure, u.ID, map[string]any{"reason": "idp_link_unprovable", "idp": f.State.Upstream.IdP.ID}); err != nil {
			return err
		}
		return e.idpFailed(ctx, tx, f, "email_taken")
	}
	f.State.Upstream.LinkUser = u.ID
	f.State.Login, f.State.Authenticators, f.State.Offer = u.Login, offer, offer
	msg := wire.Message{ID: MsgIdPLinkProve, Level: wire.LevelInfo, Params: []wire.Param{{Name: "name", Value: f.State.Upstream.IdP.Name}}}
	if offer[0] == factorPassword {
		f.Step = wire.StepChallengePassword
	} else if err := e.challenge(ctx, tx, f, u, offer[0]); err != nil {
		return err
	}
	// challenge may reset messages: the reason to prove goes on top.
	f.State.Messages = append([]wire.Message{msg}, f.State.Messages...)
	return e.update(ctx, tx, f)
}

// linkProven links the assertion waiting in f once the person proved the
// account it must be linked to, and counts the provider's sign-in as a
// factor. A factor that proved another account (a passkey names its own
// owner) links nothing.
func (e *Engine) linkProven(ctx context.Context, tx store.Tx, f *flow) error {
	up := f.State.Upstream
	if up == nil || up.LinkUser == "" || up.Assertion == nil {
		return nil
	}
	if f.State.UserID != up.LinkUser {
		f.State.Upstream = nil
		return nil
	}
	idp, err := e.Federation.IdP(ctx, tx, f.TenantID, up.IdP.ID)
	if err != nil {
		return err
	}
	if err := e.Federation.LinkAccount(ctx, tx, idp, *up.Assertion, f.State.UserID); err != nil {
		return err
	}
	// The provider's sign-in is not counted as a factor here: the
	// factor just proven signs in, as it would have without the link.
	f.State.Upstream = nil
	f.State.Messages = append(f.State.Messages, wire.Message{ID: MsgIdPLinked, Level: wire.LevelInfo, Params: []wire.Param{{Name: "name", Value: idp.Name}}})
	return nil
}

// idpActions are the buttons of the offered providers.
func idpActions(f *flow, href string) []wire.Action {
	var out []wire.Action
	for _, o := range f.State.IdPs {
		out = append(out, wire.Action{Name: actionIdPPrefix + o.ID, Method: "POST", Href: href, Label: MsgIdPContinueWith,
			LabelParams: []wire.Param{{Name: "name", Value: o.Name}, {Name: "kind", Value: string(o.Kind)}}})
	}
	return out
}

// HandoverPath is the site path the redirect-idp step's action POSTs to,
// and ReturnPath where the browser finishes the sign-in after the
// callback.
func HandoverPath(flowID string) string { return HandoverPrefix + flowID }

// ReturnPath is where the browser goes after a provider's callback.
func ReturnPath(flowID string) string { return ReturnPrefix + flowID }

// The prefixes of HandoverPath and ReturnPath.
const (
	HandoverPrefix = "/federation/handover/"
	ReturnPrefix   = "/federation/return/"
)
