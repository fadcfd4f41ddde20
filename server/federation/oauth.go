package federation

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/server/directory"
)

// oauthAuthURL builds the authorization request of an OpenID Connect or
// OAuth 2 provider: PKCE S256 always, a nonce for OpenID Connect, and the
// preset's scopes, response mode and login hint.
func (s *Service) oauthAuthURL(ctx context.Context, idp IdP, p AuthParams) (string, Pending, error) {
	pr, err := presetOf(idp)
	if err != nil {
		return "", Pending{}, err
	}
	if idp.Config.ClientID == "" {
		return "", Pending{}, fmt.Errorf("%w: identity provider %s has no client_id", ErrConfig, idp.ID)
	}
	ep, err := s.endpoints(ctx, idp, pr)
	if err != nil {
		return "", Pending{}, err
	}
	pend := Pending{
		IdPID:    idp.ID,
		Callback: p.Callback,
		Verifier: oauth2.GenerateVerifier(),
		Started:  s.d.Clock.Now(),
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pend.Verifier)}
	if pr.oidc {
		pend.Nonce = randomString()
		opts = append(opts, oidc.Nonce(pend.Nonce))
	}
	if pr.formPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	if pr.loginHint && p.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", p.LoginHint))
	}
	conf := oauth2.Config{
		ClientID:    idp.Config.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: ep.auth},
		RedirectURL: p.Callback,
		Scopes:      scopes(idp.Config, pr),
	}
	return conf.AuthCodeURL(p.State, opts...), pend, nil
}

// oauthExchange turns the callback into a verified Assertion: it redeems
// the code (with the PKCE verifier and the same redirect URI), verifies
// the ID token of an OpenID Connect provider, reads userinfo, and lets the
// preset say who the person is.
func (s *Service) oauthExchange(ctx context.Context, idp IdP, pend Pending, cb url.Values) (Assertion, error) {
	pr, err := presetOf(idp)
	if err != nil {
		return Assertion{}, err
	}
	if err := callbackError(cb); err != nil {
		return Assertion{}, err
	}
	code := cb.Get("code")
	if code == "" {
		return Assertion{}, fmt.Errorf("%w: the callback has no code", ErrInvalid)
	}
	ep, err := s.endpoints(ctx, idp, pr)
	if err != nil {
		return Assertion{}, err
	}
	// RFC 9207: a provider that names itself in the response must name
	// itself, or the response is another provider's (mix-up).
	if iss := cb.Get("iss"); iss != "" && pr.oidc && pr.checkIssuer == nil && iss != ep.issuer {
		return Assertion{}, fmt.Errorf("%w: the callback names another issuer", ErrInvalid)
	}
	tok, err := s.redeem(ctx, idp, pr, ep, pend, code)
	if err != nil {
		return Assertion{}, err
	}

	claims := map[string]any{}
	if pr.oidc {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return Assertion{}, fmt.Errorf("%w: the token response has no ID token (is openid among the scopes?)", ErrInvalid)
		}
		if claims, err = s.verifyIDToken(ctx, idp, pr, ep, raw, pend.Nonce); err != nil {
			return Assertion{}, err
		}
	}
	// endpoints made sure an OAuth 2 provider has a userinfo endpoint.
	if !pr.noUserinfo && ep.userinfo != "" {
		fetch := pr.userinfo
		if fetch == nil {
			fetch = fetchUserinfo
		}
		info, err := fetch(ctx, s, idp, ep.userinfo, tok.AccessToken)
		if err != nil {
			return Assertion{}, err
		}
		if pr.oidc {
			// OIDC Core 5.3.2: userinfo about another person is refused.
			if sub := stringClaim(info, "sub"); sub != stringClaim(claims, "sub") {
				return Assertion{}, fmt.Errorf("%w: the userinfo subject is not the ID token's", ErrInvalid)
			}
		}
		for k, v := range info {
			if k != "sub" || !pr.oidc {
				claims[k] = v
			}
		}
	}
	if pr.fromCallback != nil {
		pr.fromCallback(cb, claims)
	}
	return newAssertion(idp, pr, claims)
}

// newAssertion derives the Assertion from the verified claims through the
// preset's identify.
func newAssertion(idp IdP, pr preset, claims map[string]any) (Assertion, error) {
	id, err := pr.identify(idp.Config, claims)
	if err != nil {
		return Assertion{}, err
	}
	if id.subject == "" {
		return Assertion{}, fmt.Errorf("%w: the provider named no subject", ErrInvalid)
	}
	if len(id.subject) > directory.MaxSubjectLen || !utf8.ValidString(id.subject) {
		return Assertion{}, fmt.Errorf("%w: the subject is not valid UTF-8 of at most %d bytes", ErrInvalid, directory.MaxSubjectLen)
	}
	email := strings.ToLower(strings.TrimSpace(id.email))
	verified := id.verified && email != ""
	// The claims say what the Assertion says, so a mapping over
	// claims.email cannot pick an address Lintel did not vouch for.
	if email != "" {
		claims["email"] = email
	} else {
		delete(claims, "email")
	}
	claims["email_verified"] = verified
	return Assertion{
		IdPID:         idp.ID,
		Subject:       id.subject,
		Email:         email,
		EmailVerified: verified,
		Claims:        jsonValues(claims).(map[string]any),
	}, nil
}

// callbackError maps an error parameter of the callback to ErrDenied (the
// person declined) or ErrUpstream; nil when there is none.
func callbackError(cb url.Values) error {
	code := cb.Get("error")
	if code == "" {
		return nil
	}
	desc := clip(cb.Get("error_description"), 200)
	switch code {
	case "access_denied", "user_cancelled_authorize":
		return fmt.Errorf("%w: %q: %q", ErrDenied, clip(code, 60), desc)
	}
	return fmt.Errorf("%w: the provider answered %q: %q", ErrUpstream, clip(code, 60), desc)
}

// redeem exchanges the code at the token endpoint.
func (s *Service) redeem(ctx context.Context, idp IdP, pr preset, ep endpoints, pend Pending, code string) (*oauth2.Token, error) {
	secret := idp.Secret
	if pr.clientSecret != nil {
		var err error
		if secret, err = pr.clientSecret(s, idp); err != nil {
			return nil, err
		}
	}
	method := pr.tokenAuth
	if method == "" {
		method = idp.Config.TokenAuth
	}
	style := oauth2.AuthStyleInHeader
	switch method {
	case "", authBasic:
		if secret == "" {
			style = oauth2.AuthStyleInParams // a public client names itself only
		}
	case authPost:
		style = oauth2.AuthStyleInParams
	default:
		return nil, fmt.Errorf("%w: token_auth %q is not client_secret_basic or client_secret_post", ErrConfig, method)
	}
	conf := oauth2.Config{
		ClientID:     idp.Config.ClientID,
		ClientSecret: secret,
		Endpoint:     oauth2.Endpoint{TokenURL: ep.token, AuthStyle: style},
		RedirectURL:  pend.Callback,
	}
	tok, err := conf.Exchange(s.clientContext(ctx), code, oauth2.VerifierOption(pend.Verifier))
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// A network failure or a malformed answer; neither text holds
		// the code or the secret.
		return nil, fmt.Errorf("%w: token endpoint: %w", ErrUpstream, err)
	}
	// Not re.Error(): it may quote the whole body.
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	what := fmt.Sprintf("token endpoint answered %d %q: %q", status, clip(re.ErrorCode, 60), clip(re.ErrorDescription, 200))
	if re.ErrorCode == "invalid_grant" {
		// The code is used, expired, or not bound to this verifier and
		// redirect URI: a replay or a mix-up.
		return nil, fmt.Errorf("%w: %s", ErrInvalid, what)
	}
	return nil, fmt.Errorf("%w: %s", ErrUpstream, what)
}

// signingAlgs are the ID token algorithms accepted: asymmetric ones only
// (never none, never HS*, whose key would be the client secret).
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// verifyIDToken verifies an ID token's signature, issuer, audience,
// authorized party, time and nonce, and returns its claims (numbers as
// json.Number).
func (s *Service) verifyIDToken(ctx context.Context, idp IdP, pr preset, ep endpoints, raw, nonce string) (map[string]any, error) {
	keys := &keySet{s: s, url: ep.jwks}
	v := oidc.NewVerifier(ep.issuer, keys, &oidc.Config{
		ClientID:             idp.Config.ClientID,
		SupportedSigningAlgs: signingAlgs,
		SkipIssuerCheck:      pr.checkIssuer != nil,
		Now:                  s.d.Clock.Now,
	})
	tok, err := v.Verify(s.clientContext(ctx), raw)
	if err != nil {
		if keys.fetchErr != nil {
			return nil, fmt.Errorf("%w: fetching the keys: %w", ErrUpstream, keys.fetchErr)
		}
		return nil, fmt.Errorf("%w: ID token: %v", ErrInvalid, err)
	}
	var payload json.RawMessage
	if err := tok.Claims(&payload); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", ErrInvalid, err)
	}
	claims, err := parseJSONObject(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", ErrInvalid, err)
	}
	if pr.checkIssuer != nil {
		if err := pr.checkIssuer(idp.Config, ep, claims); err != nil {
			return nil, err
		}
	}
	// OIDC Core 3.1.3.7: with several audiences, azp must be us; when
	// present, it must be us anyway.
	azp := stringClaim(claims, "azp")
	if (len(tok.Audience) > 1 || azp != "") && azp != idp.Config.ClientID {
		return nil, fmt.Errorf("%w: ID token authorized party is not this client", ErrInvalid)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: ID token nonce does not match the request's", ErrInvalid)
	}
	if tok.Subject == "" {
		return nil, fmt.Errorf("%w: ID token has no subject", ErrInvalid)
	}
	return claims, nil
}

// scopes returns the scopes to ask for: the configured ones or the kind's.
func scopes(c Config, pr preset) []string {
	if len(c.Scopes) > 0 {
		return slices.Clone(c.Scopes)
	}
	return slices.Clone(pr.scopes)
}

// clientContext carries the Service's bounded HTTP client for go-oidc and
// x/oauth2, which read it from the context.
func (s *Service) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client())
}

// client returns the egress client of Deps whose response bodies are cut
// at maxBody: go-oidc reads discovery documents whole.
func (s *Service) client() *http.Client {
	c := *s.d.HTTP
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = boundedTransport{rt}
	return &c
}

// randomString returns 32 random bytes, base64url-encoded.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clip cuts s to at most n bytes on a rune boundary, for error texts.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
