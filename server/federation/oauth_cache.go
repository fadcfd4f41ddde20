package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

const (
	// maxBody bounds every response body read from a provider.
	maxBody = 1 << 20
	// cacheTTL is how long a discovery document or key set is used
	// before it is fetched again; cacheSize bounds how many are held.
	cacheTTL  = time.Hour
	cacheSize = 512
	// keysRefetch is how soon a key set may be fetched again when a
	// token names a key it lacks (rotation), so that tokens naming
	// unknown keys cannot make Lintel hammer the provider.
	keysRefetch = time.Minute
)

// endpoints are where one provider is reached.
type endpoints struct {
	// issuer is what ID tokens' iss is checked against (for Microsoft,
	// the authority); discovered is the discovery document's issuer.
	issuer, discovered          string
	auth, token, userinfo, jwks string
}

// endpoints resolves idp's endpoints: Config's, else the preset's, else
// (OpenID Connect) the issuer's discovery document.
func (s *Service) endpoints(ctx context.Context, idp IdP, pr preset) (endpoints, error) {
	c := idp.Config
	ep := endpoints{
		issuer:   or(c.Issuer, pr.issuer),
		auth:     or(c.AuthorizationURL, pr.authURL),
		token:    or(c.TokenURL, pr.tokenURL),
		userinfo: or(c.UserinfoURL, pr.userinfoURL),
		jwks:     c.JWKSURL,
	}
	if pr.authority != nil {
		a, err := pr.authority(c)
		if err != nil {
			return endpoints{}, err
		}
		ep.issuer = a
	}
	if pr.oidc && (ep.auth == "" || ep.token == "" || ep.jwks == "") {
		if ep.issuer == "" {
			return endpoints{}, fmt.Errorf("%w: identity provider %s has no issuer", ErrConfig, idp.ID)
		}
		d, err := s.discover(ctx, ep.issuer, pr.authority != nil)
		if err != nil {
			return endpoints{}, err
		}
		ep.discovered = d.discovered
		ep.auth, ep.token, ep.jwks = or(ep.auth, d.auth), or(ep.token, d.token), or(ep.jwks, d.jwks)
		if c.UserinfoURL == "" {
			ep.userinfo = d.userinfo
		}
	}
	for _, e := range []struct {
		name, url string
		required  bool
	}{
		{"authorization_url", ep.auth, true},
		{"token_url", ep.token, true},
		{"userinfo_url", ep.userinfo, !pr.oidc},
		{"jwks_url", ep.jwks, pr.oidc},
	} {
		if e.url == "" && !e.required {
			continue
		}
		if u, err := url.Parse(e.url); err != nil || !webURL(u) {
			return endpoints{}, fmt.Errorf("%w: identity provider %s: %s must be an https URL", ErrConfig, idp.ID, e.name)
		}
	}
	if pr.oidc && ep.issuer == "" {
		return endpoints{}, fmt.Errorf("%w: identity provider %s has no issuer", ErrConfig, idp.ID)
	}
	return ep, nil
}

// webURL reports whether u may be called upstream: https, or http on a
// loopback host (development and tests, which the egress dialer must
// allow as well), as validation accepts (checkIdPURL).
func webURL(u *url.URL) bool {
	return u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" && loopbackHost(u.Hostname()))
}

// discover returns the endpoints of issuer's discovery document. With
// anyIssuer the document's issuer is not compared with issuer (Microsoft's
// multi-tenant authorities name a template).
func (s *Service) discover(ctx context.Context, issuer string, anyIssuer bool) (endpoints, error) {
	key := "discovery " + issuer
	if anyIssuer {
		key = "authority " + issuer
	}
	if e, ok := s.upstream.get(key, s.d.Clock.Now()); ok {
		return e.endpoints, nil
	}
	if p, err := url.Parse(issuer); err != nil || !webURL(p) {
		return endpoints{}, fmt.Errorf("%w: the issuer must be an https URL", ErrConfig)
	}
	dctx := s.clientContext(ctx)
	if anyIssuer {
		dctx = oidc.InsecureIssuerURLContext(dctx, issuer)
	}
	p, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return endpoints{}, fmt.Errorf("%w: discovery of %s: %w", ErrConfig, issuer, clipped{err})
		}
		return endpoints{}, fmt.Errorf("%w: discovery of %s: %w", ErrUpstream, issuer, clipped{err})
	}
	var doc struct {
		Issuer   string `json:"issuer"`
		Auth     string `json:"authorization_endpoint"`
		Token    string `json:"token_endpoint"`
		Userinfo string `json:"userinfo_endpoint"`
		JWKS     string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil {
		return endpoints{}, fmt.Errorf("%w: discovery of %s: %v", ErrUpstream, issuer, err)
	}
	ep := endpoints{issuer: issuer, discovered: doc.Issuer, auth: doc.Auth, token: doc.Token, userinfo: doc.Userinfo, jwks: doc.JWKS}
	s.upstream.put(key, cacheEntry{fetched: s.d.Clock.Now(), endpoints: ep})
	return ep, nil
}

// keySet is an oidc.KeySet over the cached JWKS at url. One is made per
// verification, so fetchErr tells a provider that could not be reached
// (ErrUpstream) from a token that does not verify (ErrInvalid).
type keySet struct {
	s        *Service
	url      string
	fetchErr error
}

// joseAlgs are signingAlgs for go-jose.
var joseAlgs = func() []jose.SignatureAlgorithm {
	algs := make([]jose.SignatureAlgorithm, len(signingAlgs))
	for i, a := range signingAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	return algs
}()

// VerifySignature verifies jwt with the key it names, fetching the key
// set again (at most once a keysRefetch) when no cached key verifies it.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, joseAlgs)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("not exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	for _, refresh := range []bool{false, true} {
		keys, err := k.s.keys(ctx, k.url, refresh)
		if err != nil {
			k.fetchErr = err
			return nil, err
		}
		for _, key := range keys {
			if kid != "" && key.KeyID != kid {
				continue
			}
			if payload, err := jws.Verify(&key); err == nil {
				return payload, nil
			}
		}
	}
	return nil, errors.New("no key of the provider verifies the signature")
}

// keys returns the signing keys published at jwksURL, from the cache
// unless it is stale, or refresh asks and the cached set is older than
// keysRefetch.
func (s *Service) keys(ctx context.Context, jwksURL string, refresh bool) ([]jose.JSONWebKey, error) {
	key := "jwks " + jwksURL
	now := s.d.Clock.Now()
	if e, ok := s.upstream.get(key, now); ok && (!refresh || now.Sub(e.fetched) < keysRefetch) {
		return e.keys, nil
	}
	body, err := s.get(ctx, jwksURL, nil)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("%w: key set %s: %v", ErrUpstream, jwksURL, err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		// Keys of a type go-jose does not know, encryption keys and
		// anything not public are skipped, as RFC 7517 §5 asks.
		var k jose.JSONWebKey
		if json.Unmarshal(raw, &k) != nil || !k.Valid() || !k.IsPublic() || k.Use == "enc" {
			continue
		}
		keys = append(keys, k)
	}
	s.upstream.put(key, cacheEntry{fetched: now, keys: keys})
	return keys, nil
}

// get GETs rawURL through the egress client and returns its body (at most
// maxBody); a status other than 200 is ErrUpstream.
func (s *Service) get(ctx context.Context, rawURL string, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// Error texts name the URL without its query (Facebook's carries a
	// proof derived from the token).
	shown := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	resp, err := s.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = shown
		}
		return nil, fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrUpstream, shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %w", ErrUpstream, statusError{shown, resp.StatusCode})
	}
	return body, nil
}

// statusError is a provider's answer other than 200 OK.
type statusError struct {
	url    string
	status int
}

func (e statusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.url, e.status, http.StatusText(e.status))
}

// oidcCache holds what providers publish (discovery documents, key
// sets) for cacheTTL, at most cacheSize of them. The zero value is ready;
// it is safe for concurrent use.
type oidcCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

// cacheEntry is one discovery document or key set.
type cacheEntry struct {
	fetched   time.Time
	endpoints endpoints
	keys      []jose.JSONWebKey
}

// get returns the entry of key unless it is older than cacheTTL.
func (c *oidcCache) get(key string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.fetched) >= cacheTTL {
		return cacheEntry{}, false
	}
	return e, true
}

// put stores e under key, evicting the oldest entry when full.
func (c *oidcCache) put(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]cacheEntry)
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= cacheSize {
		oldest := ""
		for k, v := range c.entries {
			if oldest == "" || v.fetched.Before(c.entries[oldest].fetched) {
				oldest = k
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[key] = e
}

// boundedTransport cuts every response body at maxBody.
type boundedTransport struct{ rt http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &boundedBody{ReadCloser: resp.Body, left: maxBody}
	}
	return resp, err
}

// boundedBody fails a read past its limit rather than truncating, so a
// cut document is never parsed as a whole one.
type boundedBody struct {
	io.ReadCloser
	left int64
}

// errTooLarge is the read error of a body over maxBody.
var errTooLarge = fmt.Errorf("%w: response body larger than %d bytes", ErrUpstream, maxBody)

// Read implements io.Reader.
func (b *boundedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// clipped is an error whose text is cut short (go-oidc quotes whole
// response bodies) and which still unwraps to the original.
type clipped struct{ err error }

func (c clipped) Error() string { return clip(c.err.Error(), 300) }
func (c clipped) Unwrap() error { return c.err }

// or returns a unless it is empty, else b.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
