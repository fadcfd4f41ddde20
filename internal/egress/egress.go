// Package egress is the one way Lintel reaches out to the network. Client
// jwks_uri fetches, IdP discovery and JWKS, hooks, back-channel logout,
// SMS and mail providers and logo URLs all name a destination that a tenant
// or an upstream chose; without a check, any of them could make the server
// call its own admin ports, the cloud metadata service or the private
// network behind it (server-side request forgery).
//
// The check happens where it cannot be bypassed: on the IP address that is
// actually being connected, after name resolution, for every connection
// (redirect targets included). A name that resolved to a public address
// when a tenant registered it and to 127.0.0.1 when it is fetched (DNS
// rebinding) is still refused. Loopback, private, link-local, multicast
// and other internal ranges are refused unless Options.Allow lists them,
// which tests do for loopback.
package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbidden is wrapped by every refusal of this package (test with
// errors.Is); the error text also names the address or URL and the reason.
var ErrForbidden = errors.New("egress: destination not allowed")

// Defaults for the zero values of Options.
const (
	defaultTimeout      = 10 * time.Second
	defaultDialTimeout  = 5 * time.Second
	defaultMaxRedirects = 5
)

// Options configures a Dialer. The zero value is the production setting:
// the system resolver and roots, no internal range allowed.
type Options struct {
	// Allow lists prefixes that are permitted although they are internal
	// (tests: 127.0.0.0/8, ::1/128). IPv4-mapped IPv6 prefixes are read as
	// the IPv4 prefixes they map; invalid (zero) prefixes are ignored.
	Allow []netip.Prefix
	// Resolver resolves names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Timeout bounds one whole request made with Client (default 10s);
	// DialTimeout bounds one connect and one TLS handshake (default 5s).
	Timeout, DialTimeout time.Duration
	// TLS is the client TLS config (tests pass RootCAs); nil means the
	// system roots. It is cloned, and MinVersion is raised to TLS 1.2.
	TLS *tls.Config
	// MaxRedirects is how many redirects Client follows (default 5); 0
	// means the default, negative means none: the redirect response itself
	// is returned to the caller.
	MaxRedirects int
}

// Dialer connects only to allowed addresses. Build one with New; it is
// safe for concurrent use, and the Clients it returns share its connection
// pool.
type Dialer struct {
	allow        []netip.Prefix
	resolver     *net.Resolver
	timeout      time.Duration
	dialTimeout  time.Duration
	maxRedirects int
	net          net.Dialer
	transport    *http.Transport
}

// New returns a Dialer for o, filling in the defaults documented on Options.
func New(o Options) *Dialer {
	d := &Dialer{
		resolver:     o.Resolver,
		timeout:      o.Timeout,
		dialTimeout:  o.DialTimeout,
		maxRedirects: o.MaxRedirects,
	}
	if d.resolver == nil {
		d.resolver = net.DefaultResolver
	}
	if d.timeout <= 0 {
		d.timeout = defaultTimeout
	}
	if d.dialTimeout <= 0 {
		d.dialTimeout = defaultDialTimeout
	}
	if d.maxRedirects == 0 {
		d.maxRedirects = defaultMaxRedirects
	}
	for _, p := range o.Allow {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		d.allow = append(d.allow, p.Masked())
	}
	// The resolver is the Dialer's: net.Dialer resolves the name and calls
	// Control for every address it then tries, with the socket created but
	// not yet connected. That is the check which defeats rebinding: the
	// address checked is the address connected.
	d.net = net.Dialer{
		Timeout:  d.dialTimeout,
		Resolver: d.resolver,
		Control:  d.control,
	}
	d.transport = d.newTransport(o.TLS)
	return d
}

// Allowed reports whether addr may be dialed under d's allowlist: it is in
// an Allow prefix, or it is not Blocked. IPv4-mapped addresses are checked
// as IPv4 and zones are ignored.
func (d *Dialer) Allowed(addr netip.Addr) bool {
	return d.refusal(addr) == nil
}

// refusal returns the error that refuses addr, or nil when it is allowed.
func (d *Dialer) refusal(addr netip.Addr) error {
	a := normalize(addr)
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrForbidden)
	}
	for _, p := range d.allow {
		if p.Contains(a) {
			return nil
		}
	}
	if why, bad := blockedBecause(a); bad {
		return fmt.Errorf("%w: %s is %s", ErrForbidden, addr, why)
	}
	return nil
}

// DialContext resolves address with d's resolver and connects, refusing
// every IP that is not allowed; when a name has several addresses, the
// allowed ones are tried in order. Only the networks "tcp", "tcp4" and
// "tcp6" are dialed. Use it as http.Transport.DialContext; a refusal wraps
// ErrForbidden, inside a *net.OpError.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("%w: network %q", ErrForbidden, network)
	}
	return d.net.DialContext(ctx, network, address)
}

// control is net.Dialer.Control: it runs after resolution, before connect,
// with the literal remote address ("ip:port", the IP possibly zoned).
func (d *Dialer) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read dialed address %q: %v", ErrForbidden, address, err)
	}
	return d.refusal(ap.Addr())
}
