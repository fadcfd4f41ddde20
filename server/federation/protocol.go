package federation

import (
	"context"
	"fmt"
	"net/url"

	"github.com/lintel-id/lintel/server/store"
)

// AuthURL returns where to send the browser to sign in at idp, and what
// the flow must keep until the callback (Pending). tx is the caller's
// transaction (SAML reads the tenant's SP key in it). A disabled IdP is
// ErrNotFound.
func (s *Service) AuthURL(ctx context.Context, tx store.Tx, idp IdP, p AuthParams) (string, Pending, error) {
	if !idp.Enabled {
		return "", Pending{}, fmt.Errorf("%w: identity provider %s is disabled", ErrNotFound, idp.ID)
	}
	if idp.Kind == KindSAML {
		return s.samlAuthURL(ctx, tx, idp, p)
	}
	return s.oauthAuthURL(ctx, idp, p)
}

// Exchange verifies what the provider sent back to the callback (cb: the
// query of a GET, or the form of a POST: code and state, id_token and
// user for Apple's form_post, or SAMLResponse and RelayState) against
// pend, and returns the verified assertion. The caller has already
// matched the state to its flow. An upstream error parameter is
// ErrDenied (access_denied) or ErrUpstream; anything that does not verify
// is ErrInvalid. Network calls are made here: call it outside a
// long-running transaction when you can (SAML needs tx for its replay
// cache and SP key; pass the caller's).
func (s *Service) Exchange(ctx context.Context, tx store.Tx, idp IdP, pend Pending, cb url.Values) (Assertion, error) {
	if pend.IdPID != idp.ID {
		return Assertion{}, fmt.Errorf("%w: the callback is for another identity provider", ErrInvalid)
	}
	if idp.Kind == KindSAML {
		return s.samlExchange(ctx, tx, idp, pend, cb)
	}
	return s.oauthExchange(ctx, idp, pend, cb)
}
