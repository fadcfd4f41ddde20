package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Limits on client assertions (RFC 7523 §3).
const (
	// maxAssertionTTL is how far in the future an assertion may expire:
	// its jti is remembered until then, so longer ones are refused.
	maxAssertionTTL = time.Hour
	// assertionSkew is the clock difference tolerated on iat and nbf.
	assertionSkew = time.Minute
	maxJTILen     = 256
)

// assertionAlgs are the algorithms a client may sign assertions with;
// none and the HMAC family (client_secret_jwt) are not among them.
var assertionAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// verifiedAssertion is what a checked assertion leaves for the replay
// cache.
type verifiedAssertion struct {
	jti string
	exp time.Time
}

// assertionClaims are the claims of a client assertion.
type assertionClaims struct {
	jwt.RegisteredClaims
}

// assertionClient reads the client an assertion names (sub, which must
// equal iss) without verifying it: the key to verify with is the client's.
func assertionClient(raw string) (string, *Error) {
	var c assertionClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return "", ptr(ErrInvalidClient.WithDescription("client_assertion is not a JWT"))
	}
	if c.Subject == "" || c.Issuer != c.Subject {
		return "", ptr(ErrInvalidClient.WithDescription("the client assertion's iss and sub must both be the client_id"))
	}
	return c.Subject, nil
}

// verifyAssertion checks a private_key_jwt assertion of app against the
// client's registered keys: signature, iss = sub = client_id, aud holding
// the issuer, exp required and at most maxAssertionTTL ahead, iat and nbf
// not in the future, a jti. The replay check happens in authenticate.
func (p *Provider) verifyAssertion(ctx context.Context, iss Issuer, app tenant.App, raw string) (verifiedAssertion, *Error, error) {
	refuse := func(d string) (verifiedAssertion, *Error, error) {
		return verifiedAssertion{}, ptr(ErrInvalidClient.WithDescription(d)), nil
	}
	keys, err := p.clientKeys(ctx, app, false)
	if err != nil {
		p.log.WarnContext(ctx, "client keys unavailable", "tenant", iss.TenantID, "client_id", app.ID, "err", err)
		return refuse("the client's keys could not be loaded")
	}
	now := p.clk.Now()
	parser := jwt.NewParser(
		jwt.WithValidMethods(assertionAlgs),
		jwt.WithIssuer(app.ID), jwt.WithSubject(app.ID),
		jwt.WithAudience(iss.URL),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(assertionSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c assertionClaims
	keyfunc := func(t *jwt.Token) (any, error) { return pickKey(keys, t) }
	_, err = parser.ParseWithClaims(raw, &c, keyfunc)
	if errors.Is(err, errNoMatchingKey) && app.JWKSURI != "" {
		// The client may have rotated its keys: fetch again (rate-limited).
		if keys, err = p.clientKeys(ctx, app, true); err == nil {
			_, err = parser.ParseWithClaims(raw, &c, keyfunc)
		}
	}
	switch {
	case err != nil:
		p.log.InfoContext(ctx, "client assertion refused", "tenant", iss.TenantID, "client_id", app.ID, "err", err)
		return refuse("the client assertion is invalid")
	case c.ID == "" || len(c.ID) > maxJTILen:
		return refuse("the client assertion needs a jti of at most 256 characters")
	case c.ExpiresAt.Time.After(now.Add(maxAssertionTTL)):
		return refuse("the client assertion must expire within an hour")
	}
	return verifiedAssertion{jti: c.ID, exp: c.ExpiresAt.Time}, nil, nil
}

// errNoMatchingKey means no registered key fits an assertion's header.
var errNoMatchingKey = errors.New("oidc: no client key matches the assertion")

// pickKey returns the public key of set that fits the token's kid and
// algorithm.
func pickKey(set jose.JSONWebKeySet, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	kid, _ := t.Header["kid"].(string)
	for _, k := range set.Keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if keyFitsAlg(k.Key, alg) {
			return k.Key, nil
		}
	}
	return nil, errNoMatchingKey
}

// recordAssertion remembers an assertion's jti until it expires and
// reports whether it is new; a jti seen before is a replay.
func (p *Provider) recordAssertion(ctx context.Context, tx store.Tx, clientID string, a verifiedAssertion) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO oidc_assertion_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, jti) DO NOTHING`, clientID, a.jti, a.exp.UTC().Truncate(time.Microsecond).Add(assertionSkew))
	if err != nil {
		return false, fmt.Errorf("oidc: record assertion: %w", err)
	}
	return n == 1, nil
}

// supportedAssertionAlgs lists the assertion algorithms for discovery.
func supportedAssertionAlgs() []string { return slices.Clone(assertionAlgs) }
