package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
)

// Signing keys are the keyring's (server/oidc/keyring): created on first
// use, rotated on a schedule, each published before it signs and kept
// published until its tokens expire. The provider serves them and lets
// operators see and rotate them.

// KeyInfo describes a signing key for the management API.
type KeyInfo = keyring.KeyInfo

// RotationReport is what one run of RotateKeys did.
type RotationReport = keyring.RotationReport

// keysMaxAge is the cache lifetime of the JWK set. Relying parties fetch
// it again on an unknown kid, so rotation must publish a new key at least
// this long before it signs: it is the max-age the keyring's lead counts
// on (keyring.JWKSMaxAge).
var keysMaxAge = "public, max-age=" + strconv.Itoa(int(keyring.JWKSMaxAge/time.Second))

// JWKS returns the JWK set endpoint ({issuer}/v1/keys): the public keys
// that verify the issuer's ID tokens (RS256, ES256 or EdDSA, as each client
// registered) and access tokens (ES256), including keys published ahead
// of use and retired keys whose tokens may still be live.
// The keys are created on the first request if they do not exist yet, so
// the set is never empty.
func (p *Provider) JWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss, ok := p.issuerOf(w, r)
		if !ok || !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		ctx := r.Context()
		// Every algorithm's key exists before a client's first token needs
		// it, so relying parties see it here first.
		var err error
		for _, alg := range keyring.Algs() {
			if _, err = p.ring.Signer(ctx, iss.TenantID, iss.Server, alg); err != nil {
				break
			}
		}
		set := []jose.JSONWebKey{}
		if err == nil {
			set, err = p.ring.Published(ctx, iss.TenantID, iss.Server)
		}
		if err != nil {
			p.log.ErrorContext(ctx, "jwks: keys", "tenant", iss.TenantID, "err", err)
			writeError(w, ErrServerError)
			return
		}
		w.Header().Set("Cache-Control", keysMaxAge)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: set})
	})
}

// RotateKeys is the scheduled rotation job; the binary runs it hourly on
// every node. For each key (tenant, authorization server, algorithm)
// that has signed for KeyRotation − KeyLead and has no successor yet, it
// creates the next one, published from now and signing a KeyRotation
// after the current one started, but never earlier than a KeyLead from
// now. It deletes keys past their retention (the longest token lifetime
// plus clock skew after they stopped signing). Servers without keys are
// left alone: their keys are created on first use. Details are
// keyring.Ring.Rotate's.
//
// It is safe to run on many nodes at once: one key is created per slot.
// A failure on one slot does not stop the others: the report counts what
// was done and the error joins the failures. It stops at the first error
// when ctx ends.
func (p *Provider) RotateKeys(ctx context.Context) (RotationReport, error) {
	return p.ring.Rotate(ctx)
}

// Keys lists the signing keys of one authorization server of a tenant,
// by algorithm (ES256, EdDSA, RS256) and newest first. Deleted keys (past
// their retention, removed by RotateKeys) are not listed. It refreshes
// this node's cache of the server's keys. An unknown tenant or server is
// an error wrapping store.ErrNotFound.
func (p *Provider) Keys(ctx context.Context, tenantID, server string) ([]KeyInfo, error) {
	if err := p.checkServer(ctx, tenantID, server); err != nil {
		return nil, err
	}
	return p.ring.List(ctx, tenantID, server)
}

// RotateNow rotates every signing key (RS256, ES256, EdDSA) of one
// authorization server of a tenant at an operator's request, and returns
// the server's keys as Keys does. A slot without keys gets its first key,
// signing at once.
//
// Not immediate, each slot gets a next key that signs from now + KeyLead
// (a slot that already has a next key keeps it): relying parties see it
// first, and every token stays valid.
//
// Immediate is for a compromised key: each slot gets a key that signs at
// once, and the key that signed until now is revoked — unpublished at
// once, so every token it signed stops verifying, here at once and on
// other nodes within 5 minutes (their cache of the keys), during which
// they may also still sign with it. A next key waiting to sign is revoked
// too (it would never sign, and may share the compromise). Retired keys
// stay until their retention ends.
//
// The change is visible on this node at once (its cache is refreshed).
// An unknown tenant or server is an error wrapping store.ErrNotFound.
func (p *Provider) RotateNow(ctx context.Context, tenantID, server string, immediate bool) ([]KeyInfo, error) {
	if err := p.checkServer(ctx, tenantID, server); err != nil {
		return nil, err
	}
	return p.ring.RotateNow(ctx, tenantID, server, immediate)
}

// checkServer refuses a tenant or authorization server that does not
// exist, with an error wrapping store.ErrNotFound.
func (p *Provider) checkServer(ctx context.Context, tenantID, server string) error {
	// The URL does not matter to which servers exist.
	if !(Issuer{TenantID: tenantID, Server: server, URL: "-"}).valid() {
		return fmt.Errorf("oidc: %w: authorization server %q of tenant %q", store.ErrNotFound, server, tenantID)
	}
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := p.tenants.Tenant(ctx, tx, tenantID)
		if err == nil && t.ID != tenantID { // found by slug
			err = fmt.Errorf("%w: tenant %q", store.ErrNotFound, tenantID)
		}
		if err != nil {
			return fmt.Errorf("oidc: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := p.server(ctx, tenantID, server); errors.Is(err, ErrUnknownServer) {
		return fmt.Errorf("oidc: %w: %w", store.ErrNotFound, err)
	} else if err != nil {
		return err
	}
	return nil
}
