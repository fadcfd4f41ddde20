// Package idptest runs emulators of upstream identity providers for
// tests: a real HTTPS server on 127.0.0.1 that plays one provider — a
// generic OpenID Connect or OAuth 2 server, Google, Microsoft Entra ID,
// Sign in with Apple, Facebook, LinkedIn or GitHub — with the quirks a
// client must honour (Apple's form_post and client-secret JWT, LinkedIn's
// credentials in the body only, Facebook's appsecret_proof, GitHub's
// /user/emails, Microsoft's per-tenant issuer).
//
// An emulator signs in at once: its authorize endpoint checks the request
// (client_id, redirect_uri, response_type, PKCE S256), then redirects
// back with a code for the user set with SetUser (or, for Apple, answers
// a page that POSTs the callback). Its token endpoint checks the code
// (once), the PKCE verifier, the redirect URI and the client's
// credentials as the real provider does, and issues RS256 ID tokens
// whose keys its JWKS endpoint publishes. Options make it misbehave for
// negative tests.
//
// The package imports nothing of Lintel's server: it serves the
// federation package's tests and end-to-end tests of the binary alike.
package idptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
)

// The kinds of provider New emulates (federation.Kind's values).
const (
	OIDC      = "oidc"
	OAuth2    = "oauth2"
	Google    = "google"
	Microsoft = "microsoft"
	Apple     = "apple"
	Facebook  = "facebook"
	LinkedIn  = "linkedin"
	GitHub    = "github"
)

// Options configure an emulator. The zero value plays a well-behaved
// provider.
type Options struct {
	// ClientID is the client registered at the provider (default
	// "lintel-test-client"); ClientSecret its secret (default random;
	// Apple has none: its client secret is a JWT).
	ClientID, ClientSecret string
	// RedirectURI, when set, is the only redirect_uri authorize accepts;
	// otherwise any absolute URL is.
	RedirectURI string
	// Tenant is Microsoft's authority tenant: "common" (default),
	// "organizations", "consumers" or a tenant ID.
	Tenant string
	// Clock dates tokens and checks Apple's client secret (default the
	// system clock); pass the test's fake clock.
	Clock clock.Clock

	// Misbehaviour for negative tests; each applies to every sign-in.
	// WrongNonce, WrongAudience and Expired spoil that ID token claim;
	// BadSignature signs with another key under the published key ID;
	// Alg "none" leaves ID tokens unsigned, "HS256" signs them with the
	// client secret.
	WrongNonce, WrongAudience, Expired, BadSignature bool
	Alg                                              string
	// IssuerWithoutScheme drops "https://" from the iss claim, as Google
	// sometimes does; WrongIssuer names another issuer.
	IssuerWithoutScheme, WrongIssuer bool
	// WrongTenantIssuer (Microsoft) names in iss a tenant other than the
	// token's tid.
	WrongTenantIssuer bool
	// TokenStatus, when set, is the status of every token response (with
	// a server_error body).
	TokenStatus int
	// UserinfoSubject, when set, is the sub the userinfo endpoint
	// answers, whoever signed in.
	UserinfoSubject string
}

// User is the person who signs in next. Fields a kind does not use are
// ignored.
type User struct {
	// Subject is the sub of OpenID Connect kinds (Microsoft derives its
	// pairwise sub from ObjectID).
	Subject       string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
	Name          string
	Locale        string
	// TenantID and ObjectID are Microsoft's tid and oid (GUIDs).
	TenantID, ObjectID string
	// ID is the numeric ID of GitHub and Facebook (and, when set, "id"
	// of the generic OAuth 2 userinfo); Login is the GitHub login.
	ID    int64
	Login string
	// PublicEmail is the email of GitHub's profile (unverified), Emails
	// the answer of GitHub's /user/emails.
	PublicEmail string
	Emails      []GitHubEmail
	// PrivateEmail is Apple's is_private_email (a relay address).
	PrivateEmail bool
}

// GitHubEmail is one address of GitHub's /user/emails.
type GitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// Provider is a running emulator. Its exported fields are what a test
// configures the client with; they are set by New and must not change.
type Provider struct {
	// Kind is the kind emulated; URL the server's base URL.
	Kind, URL string
	// Certificate is the server's; CertPool trusts it.
	Certificate *x509.Certificate
	CertPool    *x509.CertPool
	// ClientID and ClientSecret are the registered client's; Secret is
	// what the client keeps as its secret: ClientSecret, or Apple's
	// signing key (PEM PKCS #8 P-256).
	ClientID, ClientSecret, Secret string
	// AppleTeamID and AppleKeyID name Apple's signing key.
	AppleTeamID, AppleKeyID string
	// The client's settings for this kind, "" where the kind needs none
	// (OpenID Connect kinds discover their endpoints from Issuer;
	// Microsoft's Issuer is the authority base, MicrosoftTenant its
	// tenant). UserinfoURL of GitHub is the /user endpoint.
	Issuer, AuthorizationURL, TokenURL, UserinfoURL, JWKSURL string
	MicrosoftTenant                                          string

	opts     Options
	clock    clock.Clock
	srv      *httptest.Server
	key      *rsa.PrivateKey  // signs ID tokens
	badKey   *rsa.PrivateKey  // BadSignature's
	appleKey *ecdsa.PublicKey // verifies Apple client secrets
	mu       sync.Mutex       // guards the fields below
	user     User             // who signs in next
	deny     bool             // the next authorize declines
	codes    map[string]grant // unused codes
	tokens   map[string]User  // access tokens
	seen     map[string]bool  // Apple: subjects whose name was sent
}

// grant is what an authorization code was issued for.
type grant struct {
	redirectURI, challenge, nonce string
	user                          User
}

// keyID is the ID of the emulator's signing key.
const keyID = "idptest-1"

// New starts an emulator of kind (one of the constants above) that stops
// when the test ends.
func New(t testing.TB, kind string, opts Options) *Provider {
	t.Helper()
	p := &Provider{
		Kind:   kind,
		opts:   opts,
		clock:  opts.Clock,
		codes:  map[string]grant{},
		tokens: map[string]User{},
		seen:   map[string]bool{},
		user: User{
			Subject: "user-1", Email: "person@example.com", EmailVerified: true,
			GivenName: "Ada", FamilyName: "Lovelace", Name: "Ada Lovelace", Locale: "en",
			TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ObjectID: "00000000-0000-0000-66f3-3332eca7ea81",
			ID: 1001, Login: "ada", Emails: []GitHubEmail{{Email: "person@example.com", Primary: true, Verified: true}},
		},
	}
	if p.clock == nil {
		p.clock = clock.System()
	}
	p.ClientID = or(opts.ClientID, "lintel-test-client")
	p.ClientSecret = or(opts.ClientSecret, random())
	p.key, p.badKey = signingKeys()
	if !opts.BadSignature {
		p.badKey = nil
	}
	p.Secret = p.ClientSecret
	if kind == Apple {
		p.ClientSecret = ""
		p.Secret, p.appleKey = appleKey(t)
		p.AppleTeamID, p.AppleKeyID = "TEAM123456", "KEY1234567"
	}
	p.srv = httptest.NewTLSServer(p.routes())
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	p.Certificate = p.srv.Certificate()
	p.CertPool = x509.NewCertPool()
	p.CertPool.AddCert(p.Certificate)
	p.settings()
	return p
}

// settings fills in the client's settings of p's kind.
func (p *Provider) settings() {
	switch p.Kind {
	case OAuth2:
		p.AuthorizationURL, p.TokenURL, p.UserinfoURL = p.URL+"/authorize", p.URL+"/token", p.URL+"/userinfo"
	case GitHub:
		p.AuthorizationURL, p.TokenURL, p.UserinfoURL = p.URL+"/login/oauth/authorize", p.URL+"/login/oauth/access_token", p.URL+"/user"
	case Facebook:
		p.AuthorizationURL, p.TokenURL, p.UserinfoURL = p.URL+"/dialog/oauth", p.URL+"/oauth/access_token", p.URL+"/me"
	case Microsoft:
		p.Issuer, p.MicrosoftTenant = p.URL, or(p.opts.Tenant, "common")
	default:
		p.Issuer = p.URL
	}
}

// SetUser makes u the person who signs in next (and after, until the next
// SetUser).
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Deny makes the next authorization request decline: error=access_denied
// (Apple: user_cancelled_authorize).
func (p *Provider) Deny() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = true
}

// Client returns an HTTP client that trusts the emulator and does not
// follow redirects.
func (p *Provider) Client() *http.Client {
	c := p.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// appleKey makes Apple's client-secret signing key: the PEM the client
// keeps and the public half the emulator checks with.
func appleKey(t testing.TB) (string, *ecdsa.PublicKey) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), &k.PublicKey
}

// signingKeys returns the key every emulator signs ID tokens with, and
// another one for BadSignature. They are made once per test binary: an
// RSA key takes a noticeable fraction of a second, and emulators differ
// by issuer, not by key.
var signingKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	return mustRSA(), mustRSA()
})

// mustRSA generates a 2048-bit RSA key.
func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("idptest: " + err.Error())
	}
	return k
}

// random returns 32 random bytes, base64url-encoded.
func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// or returns a unless it is empty, else b.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
