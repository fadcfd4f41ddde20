package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/tenant"
)

// Caching of fetched client key sets.
const (
	// clientKeysTTL is how long a fetched jwks_uri set is used.
	clientKeysTTL = 5 * time.Minute
	// clientKeysRefetch is the least time between fetches of one URI, so
	// that assertions with unknown kids cannot make Lintel hammer it.
	clientKeysRefetch = 30 * time.Second
	maxClientKeysBody = tenant.MaxJWKSBytes
)

// cachedKeys is a fetched key set, or the error of the last fetch: a
// failing jwks_uri is not fetched again before clientKeysRefetch, so
// assertions cannot make Lintel hammer it.
type cachedKeys struct {
	set     jose.JSONWebKeySet
	err     error
	fetched time.Time
}

// clientKeys returns the keys a private_key_jwt client signs with: its
// inline JWKS, or its jwks_uri fetched through the egress client and
// cached. refresh asks for a new fetch unless one happened very recently.
func (p *Provider) clientKeys(ctx context.Context, app tenant.App, refresh bool) (jose.JSONWebKeySet, error) {
	if app.JWKS != "" {
		return tenant.ParseJWKS([]byte(app.JWKS))
	}
	if app.JWKSURI == "" {
		return jose.JSONWebKeySet{}, errors.New("the client registers no keys")
	}
	now := p.clk.Now()
	p.keysMu.Lock()
	c, ok := p.keyCache[app.JWKSURI]
	p.keysMu.Unlock()
	if ok {
		age := now.Sub(c.fetched)
		switch {
		case c.err != nil && age < clientKeysRefetch:
			return jose.JSONWebKeySet{}, c.err
		case c.err == nil && age < clientKeysTTL && (!refresh || age < clientKeysRefetch):
			return c.set, nil
		}
	}
	set, err := p.fetchKeys(ctx, app.JWKSURI)
	p.keysMu.Lock()
	p.keyCache[app.JWKSURI] = cachedKeys{set: set, err: err, fetched: now}
	p.keysMu.Unlock()
	return set, err
}

// fetchKeys GETs a jwks_uri through the egress client and validates it
// as a client key set.
func (p *Provider) fetchKeys(ctx context.Context, uri string) (jose.JSONWebKeySet, error) {
	if p.httpc == nil {
		return jose.JSONWebKeySet{}, errors.New("no HTTP client for jwks_uri (Deps.HTTPClient)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := p.httpc.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch jwks_uri: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch jwks_uri: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxClientKeysBody+1))
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("read jwks_uri: %w", err)
	}
	set, err := tenant.ParseJWKS(body)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks_uri content: %w", err)
	}
	return set, nil
}

// keyFitsAlg reports whether a public key can verify alg.
func keyFitsAlg(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve.Params().Name == "P-256"
		case "ES384":
			return k.Curve.Params().Name == "P-384"
		case "ES512":
			return k.Curve.Params().Name == "P-521"
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
