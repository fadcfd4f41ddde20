package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
)

// ErrIdPInitiated: an IdP-initiated SAML response that cannot sign anyone
// in here: the provider does not allow it, it does not verify, or the
// account needs more than the provider's word (a link to prove, another
// factor); the person signs in from the app instead.
var ErrIdPInitiated = errors.New("engine: IdP-initiated sign-in refused")

// SAMLIdPInitiated signs in the person a SAML response names that no
// request of Lintel's asked for (form: the POST to the ACS), when the
// provider allows IdP-initiated sign-in. Only what needs no further step
// signs in: an account already linked, one linked automatically, or one
// created just in time, under a sign-on policy that asks for one factor.
// Result.RedirectURI is the app's initiate_login_uri, which starts an
// ordinary sign-in that finds the session.
func (e *Engine) SAMLIdPInitiated(ctx context.Context, iss oidc.Issuer, base string, form url.Values, sessionCookie string) (Result, error) {
	if e.Federation == nil {
		return Result{}, ErrIdPInitiated
	}
	var res Result
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		res = Result{}
		idp, err := e.Federation.SAMLIdPForResponse(ctx, tx, iss.TenantID, form.Get("SAMLResponse"))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrIdPInitiated, err)
		}
		a, err := e.Federation.SAMLIdPInitiated(ctx, tx, idp, base, form)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrIdPInitiated, err)
		}
		next, err := e.Federation.InitiateLoginURI(ctx, tx, idp)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrIdPInitiated, err)
		}
		out, err := e.Federation.Resolve(ctx, tx, idp, a)
		if err != nil {
			return err
		}
		f := &flow{ID: "idp-initiated", TenantID: iss.TenantID, ClientID: idp.Config.SAMLInitiateApp}
		userID := out.UserID
		switch out.Kind {
		case federation.OutcomeSignIn, federation.OutcomeLink:
			if out.Kind == federation.OutcomeLink {
				if err := e.Federation.LinkAccount(ctx, tx, idp, a, userID); err != nil {
					return err
				}
			}
			if _, err := e.Federation.Sync(ctx, tx, idp, a, userID, out.Attributes); err != nil {
				return err
			}
		case federation.OutcomeCreate:
			u, err := e.Federation.Provision(ctx, tx, idp, a, out.Attributes)
			if err != nil {
				return err
			}
			userID = u.ID
		default:
			return fmt.Errorf("%w: outcome %s", ErrIdPInitiated, out.Kind)
		}
		u, err := e.Directory.User(ctx, tx, iss.TenantID, userID)
		if err != nil {
			return err
		}
		d, err := e.decide(ctx, tx, iss.TenantID, f.ClientID, u)
		if err != nil {
			return err
		}
		if !u.Status.CanSignIn() || !d.Allow || d.Factors > 1 {
			return fmt.Errorf("%w: the sign-on policy asks for more", ErrIdPInitiated)
		}
		p := proof{Factors: []string{factorFederated}}
		s, value, err := e.signIn(ctx, tx, f, u.ID, p.amr(), p.acr(), sessionCookie)
		if err != nil {
			return err
		}
		if err := e.Directory.RecordSignIn(ctx, tx, iss.TenantID, u.ID); err != nil {
			return err
		}
		if err := e.event(ctx, tx, f, "user.signin", events.Success, u.ID, map[string]any{"factors": p.Factors, "idp": idp.ID, "initiated_by": "idp", "rule": d.Rule}); err != nil {
			return err
		}
		res.SetSession = &SessionCookie{Value: value, Expires: s.AbsoluteExpiresAt}
		res.RedirectURI = initiateLogin(next, iss.URL, u.Login)
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("engine: IdP-initiated sign-in: %w", err)
	}
	return res, nil
}

// SPMetadata returns the tenant's SAML service-provider metadata for the
// site at base.
func (e *Engine) SPMetadata(ctx context.Context, tenantID, base string) ([]byte, error) {
	if e.Federation == nil {
		return nil, fmt.Errorf("engine: no federation: %w", store.ErrNotFound)
	}
	var md []byte
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		md, err = e.Federation.SPMetadata(ctx, tx, tenantID, base)
		return err
	})
	return md, err
}
