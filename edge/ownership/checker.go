// Package ownership holds the proof that a tenant owns a custom domain
// before Lintel ever asks a CA for a certificate for it or lets it carry a
// tenant's sign-in: a DNS TXT record or an HTTP token the tenant publishes
// (Checker), recorded on the domain with a system-log event (Verifier), and
// the certificate decisions the TLS manager asks of it (Allowed, Obtained,
// Failed).
//
// Every network call goes through the caller's resolver and an HTTP client
// from internal/egress, so a tenant cannot make Lintel probe internal
// addresses by naming a domain that resolves to them.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/tenant"
)

// ErrNotProven is wrapped by every *Failure: neither the TXT record nor the
// HTTP token proved ownership.
var ErrNotProven = errors.New("ownership: not proven")

// Why one method did not prove ownership. A *Failure wraps one DNS kind and
// one HTTP kind; test them with errors.Is.
var (
	// ErrNoTXTRecord: the challenge name has no TXT record (or does not
	// exist).
	ErrNoTXTRecord = errors.New("ownership: no TXT record")
	// ErrTXTMismatch: TXT records exist, but none holds this domain's
	// value.
	ErrTXTMismatch = errors.New("ownership: TXT record does not match")
	// ErrDNSLookup: the lookup failed (server failure, timeout); the
	// resolver's error is wrapped too.
	ErrDNSLookup = errors.New("ownership: DNS lookup failed")
	// ErrHTTPRequest: the HTTP request got no answer (no address, address
	// not allowed by the egress policy, refused, timed out); the client's
	// error is wrapped too.
	ErrHTTPRequest = errors.New("ownership: HTTP request failed")
	// ErrHTTPRedirect: a redirect went to another host, or there were too
	// many.
	ErrHTTPRedirect = errors.New("ownership: HTTP redirect refused")
	// ErrHTTPStatus: the answer's status was not 200.
	ErrHTTPStatus = errors.New("ownership: HTTP status not 200")
	// ErrHTTPBody: the answer was not the domain's token, or longer than
	// MaxBody.
	ErrHTTPBody = errors.New("ownership: HTTP body is not the token")
)

// Limits of the HTTP token check.
const (
	// MaxBody is how much of the token's answer is read.
	MaxBody = 1 << 10
	// DefaultMaxRedirects is how many redirects, all on the domain's own
	// host, the HTTP check follows.
	DefaultMaxRedirects = 2
	// DefaultTimeout bounds each of the two checks.
	DefaultTimeout = 5 * time.Second
)

// Method is how ownership was proven.
type Method string

// The methods.
const (
	MethodDNS  Method = "dns"
	MethodHTTP Method = "http"
)

// TXTResolver looks up TXT records; *net.Resolver satisfies it. Each string
// returned is one record, its character-strings (255 bytes at most each)
// joined. A name without records is an error (for *net.Resolver a
// *net.DNSError with IsNotFound). It must honour ctx's deadline and be safe
// for concurrent use.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// CheckerOptions tune a Checker; the zero value is the production setting.
type CheckerOptions struct {
	// Timeout bounds the DNS check and the HTTP check, each (default
	// DefaultTimeout).
	Timeout time.Duration
	// HTTPPort is the port of the HTTP token check. 0 means 80, the only
	// port ownership is proven on; tests point it at their server.
	HTTPPort int
	// MaxRedirects is how many same-host redirects the HTTP check follows
	// (0: DefaultMaxRedirects; negative: none).
	MaxRedirects int
}

// Checker proves that a tenant owns a domain, by either of:
//
//   - a TXT record at tenant.Domain.ChallengeName() whose value is
//     ChallengeValue() ("lintel-verification=<token>"), among any others;
//   - GET ChallengeURL() (http://<host>/.well-known/lintel-challenge/<id>)
//     answering 200 with the token as its body (surrounding white space
//     ignored, at most MaxBody bytes read, redirects only on the same
//     host).
//
// DNS is tried first; HTTP only when DNS did not prove it. A Checker is
// safe for concurrent use.
type Checker struct {
	resolver     TXTResolver
	client       *http.Client
	timeout      time.Duration
	port         int
	maxRedirects int
}

// NewChecker returns a Checker that reads TXT records with resolver and
// fetches tokens with client, which must come from internal/egress
// (egress.New(…).Client()) so that the addresses it connects are checked.
// The client is copied: the Checker adds its own redirect rule in front of
// the client's.
func NewChecker(resolver TXTResolver, client *http.Client, o CheckerOptions) *Checker {
	c := &Checker{resolver: resolver, timeout: o.Timeout, port: o.HTTPPort, maxRedirects: o.MaxRedirects}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.port <= 0 {
		c.port = 80
	}
	if c.maxRedirects == 0 {
		c.maxRedirects = DefaultMaxRedirects
	}
	hc := *client
	hc.CheckRedirect = c.redirectRule(client.CheckRedirect)
	c.client = &hc
	return c
}

// Failure says why neither method proved ownership. It wraps ErrNotProven
// and each method's error, whose texts are short, person-readable and
// never hold what the domain answered.
type Failure struct {
	DNS, HTTP error
}

// Reason is the person-readable summary stored as the domain's last error:
// `no TXT record "lintel-verification=…" at _lintel-challenge.login.acme.com;
// HTTP token: connection refused`.
func (f *Failure) Reason() string { return f.DNS.Error() + "; HTTP token: " + f.HTTP.Error() }

func (f *Failure) Error() string { return "ownership not proven: " + f.Reason() }

// Unwrap returns ErrNotProven and both methods' errors.
func (f *Failure) Unwrap() []error { return []error{ErrNotProven, f.DNS, f.HTTP} }

// Check proves d's ownership and says how. When neither method proves it,
// the error is a *Failure (wrapping ErrNotProven). When ctx ends first, the
// error wraps ctx.Err() and is not a *Failure: nothing was learnt about the
// domain.
func (c *Checker) Check(ctx context.Context, d tenant.Domain) (Method, error) {
	dnsErr := c.checkDNS(ctx, d)
	if dnsErr == nil {
		return MethodDNS, nil
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("ownership: check of %s: %w", d.Hostname, err)
	}
	httpErr := c.checkHTTP(ctx, d)
	if httpErr == nil {
		return MethodHTTP, nil
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("ownership: check of %s: %w", d.Hostname, err)
	}
	return "", &Failure{DNS: dnsErr, HTTP: httpErr}
}

// reason is one method's failure: a short text for people, a kind and a
// cause for errors.Is and errors.As.
type reason struct {
	text        string
	kind, cause error
}

func (r *reason) Error() string { return r.text }

func (r *reason) Unwrap() []error {
	if r.cause == nil {
		return []error{r.kind}
	}
	return []error{r.kind, r.cause}
}

func because(kind, cause error, format string, args ...any) error {
	return &reason{text: fmt.Sprintf(format, args...), kind: kind, cause: cause}
}

var _ error = (*Failure)(nil)
