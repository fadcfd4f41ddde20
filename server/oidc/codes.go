package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// codeMACPurpose is the purpose of the keyed hash codes are stored as.
const codeMACPurpose = "oidc.code"

// codeRetention is how long a code row is kept after it expires, so that
// a late replay is still recognised (and logged) as one.
const codeRetention = time.Hour

// Grant is what the engine tells the provider about a finished sign-in.
type Grant struct {
	// UserID is the user who signed in; it becomes the sub claim.
	UserID string
	// SessionID is the user's session, for logout later ("" if none).
	SessionID string
	// AuthTime is when the user last authenticated actively.
	AuthTime time.Time
	// AMR lists the authentication methods used (RFC 8176: "pwd", "otp",
	// "hwk", "mfa", …).
	AMR []string
	// ACR is the authentication context class reached ("" for none).
	ACR string
}

// IssueCode stores a new authorization code for req and grant inside the
// caller's transaction and returns it. The code is 256 random bits; only
// its keyed hash is stored. It is bound to the client, the redirect URI,
// the PKCE challenge, the nonce, the user, the session, auth_time, amr and
// acr, and may be exchanged once within CodeLifetime.
//
// req must come from ValidateAuthorize for the same issuer; a request or
// grant missing what a code needs is refused with an internal error.
func (p *Provider) IssueCode(ctx context.Context, tx store.Tx, iss Issuer, req AuthRequest, grant Grant) (string, error) {
	switch {
	case !iss.valid():
		return "", errors.New("oidc: issue code: unknown authorization server")
	case req.ClientID == "" || req.RedirectURI == "" || req.Scope == "":
		return "", errors.New("oidc: issue code: the request has no client, redirect URI or scope")
	case req.CodeChallengeMethod != "S256" || !pkceValue(req.CodeChallenge):
		return "", errors.New("oidc: issue code: the request has no S256 code challenge")
	case grant.UserID == "" || grant.AuthTime.IsZero():
		return "", errors.New("oidc: issue code: the grant has no user or auth time")
	}
	// The server's access policy decides now that the user is known; the
	// code carries the granted scopes (implied ones included).
	scope, err := p.authorizeGrant(ctx, tx, iss, req, grant.UserID)
	if err != nil {
		return "", err
	}
	req.Scope = scope
	amr := grant.AMR
	if amr == nil {
		amr = []string{}
	}
	amrJSON, err := json.Marshal(amr)
	if err != nil {
		return "", fmt.Errorf("oidc: issue code: %w", err)
	}
	code := randomToken(32)
	now := p.now()
	_, err = tx.Exec(ctx, `INSERT INTO oidc_codes (code_mac, tenant_id, server, client_id, redirect_uri, scope,
		nonce, code_challenge, user_id, session_id, auth_time, amr, acr, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.sec.MAC(codeMACPurpose, []byte(code)), iss.TenantID, iss.Server, req.ClientID, req.RedirectURI, req.Scope,
		req.Nonce, req.CodeChallenge, grant.UserID, grant.SessionID, grant.AuthTime, string(amrJSON), grant.ACR,
		now, now.Add(CodeLifetime))
	if err != nil {
		return "", fmt.Errorf("oidc: store code: %w", err)
	}
	return code, nil
}

// PolicyError is a refusal by the access policy at authorization, to be
// sent to the client as the authorization response (access_denied or
// invalid_scope). It wraps ErrPolicyDenied.
type PolicyError struct{ Err Error }

// Error describes the refusal.
func (e *PolicyError) Error() string { return ErrPolicyDenied.Error() + ": " + e.Err.Error() }

// Unwrap lets errors.Is find ErrPolicyDenied.
func (e *PolicyError) Unwrap() error { return ErrPolicyDenied }

// authorizeGrant runs the access policy for an authorization code about
// to be issued and returns the granted scope.
func (p *Provider) authorizeGrant(ctx context.Context, tx store.Tx, iss Issuer, req AuthRequest, userID string) (string, error) {
	app, err := p.tenants.App(ctx, tx, iss.TenantID, req.ClientID)
	if err != nil {
		return "", fmt.Errorf("oidc: issue code: client: %w", err)
	}
	claims, err := p.claims(ctx, tx, iss.TenantID, userID)
	if err != nil {
		return "", fmt.Errorf("oidc: issue code: %w", err)
	}
	dc, e, err := p.decide(ctx, tx, iss, app, tenant.GrantAuthorizationCode, strings.Fields(req.Scope), &claims)
	if err != nil {
		return "", fmt.Errorf("oidc: issue code: %w", err)
	}
	if e != nil {
		return "", &PolicyError{Err: *e}
	}
	return strings.Join(dc.d.Scopes, " "), nil
}

// codeRow is a stored authorization code.
type codeRow struct {
	mac                                        []byte
	tenantID, server, clientID, redirectURI    string
	scope, nonce, challenge, userID, sessionID string
	acr                                        string
	amr                                        []string
	authTime, expiresAt                        time.Time
	usedAt                                     sql.NullTime
}

// loadCode reads the code whose keyed hash is mac; store.ErrNotFound when
// there is none.
func loadCode(ctx context.Context, tx store.Tx, mac []byte) (codeRow, error) {
	c := codeRow{mac: mac}
	var amr []byte
	err := tx.QueryRow(ctx, `SELECT tenant_id, server, client_id, redirect_uri, scope, nonce, code_challenge,
		user_id, session_id, acr, amr, auth_time, expires_at, used_at FROM oidc_codes WHERE code_mac = ?`, mac).
		Scan(&c.tenantID, &c.server, &c.clientID, &c.redirectURI, &c.scope, &c.nonce, &c.challenge,
			&c.userID, &c.sessionID, &c.acr, &amr, &c.authTime, &c.expiresAt, &c.usedAt)
	if err != nil {
		return codeRow{}, err
	}
	if err := json.Unmarshal(amr, &c.amr); err != nil {
		return codeRow{}, fmt.Errorf("oidc: stored amr: %w", err)
	}
	return c, nil
}

// markUsed records the code's one use. It reports false when another
// exchange used it first.
func markUsed(ctx context.Context, tx store.Tx, mac []byte, now time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE oidc_codes SET used_at = ? WHERE code_mac = ? AND used_at IS NULL`, now, mac)
	return n == 1, err
}

// verifierMatches reports whether a PKCE code_verifier hashes to the
// stored S256 challenge (RFC 7636 §4.6), in constant time.
func verifierMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// PurgeCodes deletes codes that expired more than an hour ago and reports
// how many. A scheduled job calls it; replays of codes still kept are
// recognised as replays.
func (p *Provider) PurgeCodes(ctx context.Context) (int64, error) {
	var n int64
	err := p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM oidc_codes WHERE expires_at < ?`, p.now().Add(-codeRetention))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("oidc: purge codes: %w", err)
	}
	return n, nil
}

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
