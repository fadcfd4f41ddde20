package idptest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// token redeems a code: client authentication as the provider does it,
// then the code (once), the redirect URI and the PKCE verifier.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if p.opts.TokenStatus != 0 {
		writeJSON(w, p.opts.TokenStatus, map[string]string{"error": "server_error"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if err := p.clientAuth(r); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": err.Error()})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, ok := p.codes[code]
	delete(p.codes, code) // one attempt per code, as providers do
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	var why string
	switch {
	case !ok:
		why = "the code is unknown or used"
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		why = "redirect_uri differs from the authorization request's"
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		why = "code_verifier does not match the code_challenge"
	}
	if why != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": why})
		return
	}
	at := random()
	p.mu.Lock()
	p.tokens[at] = g.user
	p.mu.Unlock()
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600}
	if p.oidc() {
		resp["id_token"] = p.idToken(g.user, g.nonce)
	}
	if p.Kind == GitHub && !strings.Contains(r.Header.Get("Accept"), "json") {
		// GitHub answers form-encoded unless asked for JSON.
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		fmt.Fprint(w, url.Values{"access_token": {at}, "token_type": {"bearer"}, "scope": {"read:user,user:email"}}.Encode())
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// clientAuth checks the client's credentials: Basic or body for most
// kinds; the body only for LinkedIn, Facebook and Apple; for Apple a
// client-secret JWT.
func (p *Provider) clientAuth(r *http.Request) error {
	id, secret, basic := r.BasicAuth()
	if basic {
		if r.PostForm.Has("client_secret") {
			return errors.New("credentials in both the header and the body")
		}
		if p.Kind == LinkedIn || p.Kind == Facebook || p.Kind == Apple {
			return errors.New("client credentials must be in the request body")
		}
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID {
		return errors.New("unknown client")
	}
	if p.Kind == Apple {
		return p.checkAppleSecret(secret)
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

// checkAppleSecret verifies Apple's client-secret JWT: ES256 by the
// team's key (kid), iss the team, sub the client, aud the issuer, expiring
// within six months of its issue.
func (p *Provider) checkAppleSecret(s string) error {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(s, &claims, func(t *jwt.Token) (any, error) {
		if t.Header["kid"] != p.AppleKeyID {
			return nil, errors.New("unknown kid")
		}
		return p.appleKey, nil
	},
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithIssuer(p.AppleTeamID),
		jwt.WithSubject(p.ClientID),
		jwt.WithAudience(p.URL),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(p.clock.Now),
	)
	if err != nil {
		return fmt.Errorf("client secret: %w", err)
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 15777000*time.Second {
		return errors.New("client secret: lives longer than six months")
	}
	return nil
}

// idToken issues u's ID token for nonce, spoiled as the options say.
func (p *Provider) idToken(u User, nonce string) string {
	now := p.clock.Now()
	c := jwt.MapClaims{
		"iss": p.URL, "sub": u.Subject, "aud": p.ClientID,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": nonce,
	}
	switch p.Kind {
	case Microsoft:
		tid := u.TenantID
		if p.opts.WrongTenantIssuer {
			tid = "00000000-0000-0000-0000-00000000beef"
		}
		sum := sha256.Sum256([]byte(u.ObjectID + "|" + p.ClientID)) // pairwise sub
		c["iss"] = p.URL + "/" + tid + "/v2.0"
		c["sub"] = base64.RawURLEncoding.EncodeToString(sum[:16])
		c["tid"], c["oid"], c["ver"] = u.TenantID, u.ObjectID, "2.0"
		c["name"], c["preferred_username"] = u.Name, u.Email
		if u.Email != "" {
			c["email"] = u.Email
		}
	case Apple:
		c["auth_time"], c["nonce_supported"] = now.Unix(), true
		if u.Email != "" {
			// Apple's booleans are strings.
			c["email"] = u.Email
			c["email_verified"] = fmt.Sprint(u.EmailVerified)
			c["is_private_email"] = fmt.Sprint(u.PrivateEmail)
		}
	default:
		for k, v := range p.profile(u) {
			c[k] = v
		}
	}
	switch {
	case p.opts.IssuerWithoutScheme:
		c["iss"] = strings.TrimPrefix(c["iss"].(string), "https://")
	case p.opts.WrongIssuer:
		c["iss"] = "https://issuer.invalid"
	}
	if p.opts.WrongNonce {
		c["nonce"] = "not-" + nonce
	}
	if p.opts.WrongAudience {
		c["aud"] = "another-client"
	}
	if p.opts.Expired {
		c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	}
	return p.sign(c)
}

// profile is u's standard claims (without sub).
func (p *Provider) profile(u User) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"email": u.Email, "name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName, "locale": u.Locale} {
		if v != "" {
			m[k] = v
		}
	}
	if u.Email != "" {
		m["email_verified"] = u.EmailVerified
	}
	return m
}

// sign signs c with the emulator's key (RS256, its kid), or as the
// options spoil it.
func (p *Provider) sign(c jwt.MapClaims) string {
	var (
		t   *jwt.Token
		key any
	)
	switch p.opts.Alg {
	case "none":
		t, key = jwt.NewWithClaims(jwt.SigningMethodNone, c), jwt.UnsafeAllowNoneSignatureType
	case "HS256":
		t, key = jwt.NewWithClaims(jwt.SigningMethodHS256, c), []byte(p.Secret)
	default:
		t, key = jwt.NewWithClaims(jwt.SigningMethodRS256, c), p.key
		if p.badKey != nil {
			key = p.badKey
		}
	}
	t.Header["kid"] = keyID
	s, err := t.SignedString(key)
	if err != nil {
		panic("idptest: signing: " + err.Error())
	}
	return s
}

// jwks publishes the signing key.
func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &p.key.PublicKey, KeyID: keyID, Algorithm: "RS256", Use: "sig",
	}}})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
