package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// accessTokenType is the typ header of JWT access tokens (RFC 9068 §2.1).
const accessTokenType = "at+jwt"

// accessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type accessClaims struct {
	jwt.RegisteredClaims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	AuthTime int64    `json:"auth_time,omitempty"`
	ACR      string   `json:"acr,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	// GrantID names the grant the token belongs to (none for client
	// credentials): revoking the grant ends the token.
	GrantID string `json:"gid,omitempty"`
	// TenantID is the client's tenant, on management tokens of the system
	// tenant's server.
	TenantID string `json:"tid,omitempty"`
}

// idClaims are the claims of an ID token (OIDC Core §2, §3.1.3.6).
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce,omitempty"`
	ACR      string   `json:"acr,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	AZP      string   `json:"azp"`
	AtHash   string   `json:"at_hash"`
	// SessionID is the SSO session (OIDC Front/Back-Channel Logout sid).
	SessionID string `json:"sid,omitempty"`
	userClaims
}

// sign signs claims with k, naming k in the kid header; typ, when set,
// replaces the default "JWT" header.
func sign(k *keyring.Key, typ string, claims jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg()), claims)
	t.Header["kid"] = k.ID()
	if typ != "" {
		t.Header["typ"] = typ
	}
	s, err := t.SignedString(k.Signer())
	if err != nil {
		return "", fmt.Errorf("oidc: sign: %w", err)
	}
	return s, nil
}

// atHash is the at_hash of an access token for an ID token signed with
// idAlg: the left half of the token's hash, base64url (OIDC Core
// §3.1.3.6). RS256 and ES256 hash with SHA-256; EdDSA (Ed25519) with
// SHA-512, as relying parties such as go-oidc expect.
func atHash(accessToken, idAlg string) string {
	if idAlg == keyring.EdDSA {
		sum := sha512.Sum512([]byte(accessToken))
		return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	}
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// errBadToken means an access token did not verify; the reason is for
// logs only.
var errBadToken = errors.New("oidc: access token does not verify")

// verifyAccess checks an access token issued by iss: an ES256 JWT of type
// at+jwt signed by one of iss's keys, for audience iss, not expired, with
// a subject and a client.
func (p *Provider) verifyAccess(ctx context.Context, iss Issuer, raw string) (accessClaims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{keyring.ES256}),
		jwt.WithIssuer(iss.URL),
		jwt.WithAudience(iss.audience()[0]),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(p.clk.Now),
	)
	var c accessClaims
	var lookupErr error
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		typ, _ := t.Header["typ"].(string)
		if !strings.EqualFold(typ, accessTokenType) && !strings.EqualFold(typ, "application/"+accessTokenType) {
			return nil, fmt.Errorf("typ %q is not %s", typ, accessTokenType)
		}
		k, err := p.tokenKey(ctx, iss, t, &lookupErr)
		if err != nil {
			return nil, err
		}
		if k.Alg() != keyring.ES256 {
			return nil, fmt.Errorf("key %q is not an access-token key", k.ID())
		}
		return k.Public(), nil
	})
	if lookupErr != nil {
		return accessClaims{}, fmt.Errorf("oidc: verification key: %w", lookupErr)
	}
	if err != nil {
		return accessClaims{}, fmt.Errorf("%w: %w", errBadToken, err)
	}
	if c.Subject == "" || c.ClientID == "" || c.ID == "" {
		return accessClaims{}, fmt.Errorf("%w: missing sub, client_id or jti", errBadToken)
	}
	return c, nil
}

// minted describes the tokens to sign for one response.
type minted struct {
	subject, scope string
	// authTime is zero for client credentials.
	authTime time.Time
	acr      string
	amr      []string
	grantID  string
	tenantID string
	// user, when set, asks for an ID token with these claims.
	user      *Claims
	nonce     string
	sessionID string
	// audience is the access token's aud; empty means the issuer URL.
	audience []string
	// accessLifetime is the access token's lifetime; zero means
	// AccessTokenLifetime.
	accessLifetime time.Duration
	// extraAccess and extraID are the server's custom claims; they never
	// replace a claim the protocol sets.
	extraAccess, extraID map[string]any
	// server, when set, bounds the tokens' size (MaxTokenBytes).
	server authserver.Server
}

// claimSet is the claims of one response's tokens before signing.
type claimSet struct {
	access, id map[string]any // id is nil without an ID token
	expiresIn  int64
}

// claimSet builds the claims of the tokens of m at now, with jti as the
// access token's ID. The ID token lacks at_hash, which needs the signed
// access token. Issuance and token preview both use it, so a preview
// shows exactly what a token carries.
func (p *Provider) claimSet(iss Issuer, app tenant.App, m minted, now time.Time, jti string) (claimSet, error) {
	var authTime int64
	if !m.authTime.IsZero() {
		authTime = m.authTime.Unix()
	}
	lifetime := m.accessLifetime
	if lifetime <= 0 {
		lifetime = AccessTokenLifetime
	}
	aud := jwt.ClaimStrings{iss.URL}
	if len(m.audience) > 0 {
		aud = jwt.ClaimStrings(m.audience)
	}
	access, err := asMap(accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: iss.URL, Subject: m.subject, Audience: aud,
			ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)), IssuedAt: jwt.NewNumericDate(now), ID: jti,
		},
		ClientID: app.ID, Scope: m.scope, AuthTime: authTime, ACR: m.acr, AMR: nonEmpty(m.amr),
		GrantID: m.grantID, TenantID: m.tenantID,
	}, m.extraAccess)
	if err != nil {
		return claimSet{}, err
	}
	cs := claimSet{access: access, expiresIn: int64(lifetime.Seconds())}
	if m.user == nil {
		return cs, nil
	}
	cs.id, err = asMap(idClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: iss.URL, Subject: m.subject, Audience: jwt.ClaimStrings{app.ID},
			ExpiresAt: jwt.NewNumericDate(now.Add(IDTokenLifetime)), IssuedAt: jwt.NewNumericDate(now),
		},
		AuthTime: authTime, Nonce: m.nonce, ACR: m.acr, AMR: nonEmpty(m.amr),
		AZP: app.ID, SessionID: m.sessionID, userClaims: released(*m.user, m.scope),
	}, m.extraID)
	return cs, err
}

// checkSize refuses tokens larger than the server allows.
func (m minted) checkSize(cs claimSet) error {
	if m.server.ID == "" {
		return nil
	}
	if err := authserver.CheckTokenSize(m.server, cs.access); err != nil {
		return err
	}
	if cs.id != nil {
		return authserver.CheckTokenSize(m.server, cs.id)
	}
	return nil
}

// asMap turns typed claims into a map and adds extra claims whose names
// the typed claims do not use.
func asMap(typed any, extra map[string]any) (map[string]any, error) {
	b, err := json.Marshal(typed)
	if err != nil {
		return nil, fmt.Errorf("oidc: encode claims: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("oidc: decode claims: %w", err)
	}
	for k, v := range extra {
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
	delete(out, "at_hash") // set after the access token is signed
	return out, nil
}

// tokenKey returns the key of iss that a token's kid header names. A
// key that does not exist (or is not iss's) fails the verification; a
// failure to read keys is also stored in *internal, so that the caller
// can answer it as an internal error rather than a bad token.
func (p *Provider) tokenKey(ctx context.Context, iss Issuer, t *jwt.Token, internal *error) (*keyring.Key, error) {
	kid, _ := t.Header["kid"].(string)
	k, err := p.ring.ByKID(ctx, iss.TenantID, iss.Server, kid)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			*internal = err
		}
		return nil, fmt.Errorf("key %q: %w", kid, err)
	}
	return k, nil
}

// mint signs an ES256 access token for the server's audience and, when
// m.user is set, an ID token for the client with the claims its scope
// grants, signed with keys.id.
func (p *Provider) mint(iss Issuer, app tenant.App, m minted, keys tokenKeys) (tokenResponse, error) {
	cs, err := p.claimSet(iss, app, m, p.now(), randomToken(16))
	if err != nil {
		return tokenResponse{}, err
	}
	if err := m.checkSize(cs); err != nil {
		return tokenResponse{}, err
	}
	at, err := sign(keys.access, accessTokenType, jwt.MapClaims(cs.access))
	if err != nil {
		return tokenResponse{}, err
	}
	resp := tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: cs.expiresIn, Scope: m.scope}
	if cs.id == nil || keys.id == nil {
		return resp, nil
	}
	cs.id["at_hash"] = atHash(at, keys.id.Alg())
	if resp.IDToken, err = sign(keys.id, "", jwt.MapClaims(cs.id)); err != nil {
		return tokenResponse{}, err
	}
	return resp, nil
}

// nonEmpty returns nil for an empty list, so that omitempty drops it.
func nonEmpty(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return v
}

var (
	_ jwt.Claims = accessClaims{}
	_ jwt.Claims = idClaims{}
)
