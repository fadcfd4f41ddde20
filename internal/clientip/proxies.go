package clientip

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ErrInvalidPrefix is wrapped by the error NewProxies and ParseProxies
// return for a trusted network they cannot use.
var ErrInvalidPrefix = errors.New("clientip: invalid trusted-proxy network")

// Bounds on the X-Forwarded-For a Proxies reads. The header comes from
// outside; the walk reads it from its right end and stops at whichever
// bound it reaches first, as it stops at garbage.
const (
	// MaxForwardedHops is how many addresses the walk reads at most.
	MaxForwardedHops = 64
	// MaxForwardedBytes is how much of the header, counted from its
	// right end, the walk reads at most.
	MaxForwardedBytes = 8 << 10
)

// Proxies finds the client address of a request that may have come
// through reverse proxies of the operator's (load balancers, CDNs), given
// the networks those proxies send from.
//
// A request whose connection comes from outside the trusted networks is
// answered with the connection's address, whatever its headers say: a
// client cannot spoof its address by sending X-Forwarded-For itself. A
// request from a trusted proxy is answered from X-Forwarded-For (all its
// lines, joined in order), read from the right, where each proxy appended
// the address it received the request from: the first address outside
// the trusted networks is the client. If every address is trusted, the
// leftmost is. The walk stops at an entry that is not an IP address
// (garbage, "unknown", an obfuscated identifier), and at the bounds
// MaxForwardedHops and MaxForwardedBytes, and then answers with the last
// trusted address it read (the proxy the unreadable entry came through),
// because nothing to the left of such an entry can be trusted. Empty list
// elements are ignored, as HTTP's list syntax asks.
//
// Entries may be addresses ("192.0.2.7", "2001:db8::1"), with a port
// ("192.0.2.7:4711", "[2001:db8::1]:443") or bracketed ("[2001:db8::1]").
// Addresses are returned, and matched against the trusted networks, with
// IPv4-mapped IPv6 addresses unmapped and zones dropped.
//
// The RFC 7239 Forwarded header and X-Real-IP are ignored: a proxy that
// writes one header passes the others through from the client unchanged,
// so reading a second header would let the client choose its address;
// X-Forwarded-For is the one every common proxy writes.
//
// The zero or nil Proxies trusts no network: it always answers with the
// connection's address, as OfRequest does. A Proxies is immutable and safe
// for concurrent use.
type Proxies struct {
	trusted []netip.Prefix
}

// NewProxies returns a Proxies that trusts the networks in trusted, each
// an address with a prefix length ("10.0.0.0/8", "2001:db8::/32",
// "192.0.2.10/32"). An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) is
// taken as the IPv4 network it maps. It returns an error wrapping
// ErrInvalidPrefix for a zero Prefix.
func NewProxies(trusted []netip.Prefix) (*Proxies, error) {
	p := &Proxies{trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, n := range trusted {
		if !n.IsValid() {
			return nil, fmt.Errorf("%w: %q", ErrInvalidPrefix, n)
		}
		if a := n.Addr(); a.Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(a.Unmap(), n.Bits()-96)
		}
		p.trusted = append(p.trusted, n.Masked())
	}
	return p, nil
}

// ParseProxies is NewProxies for networks written as text, as
// configuration holds them: each in CIDR notation ("10.0.0.0/8"), or a
// single address that stands for itself ("192.0.2.10"). It returns an
// error wrapping ErrInvalidPrefix, naming the entry, for one it cannot
// parse.
func ParseProxies(trusted []string) (*Proxies, error) {
	prefixes := make([]netip.Prefix, 0, len(trusted))
	for _, s := range trusted {
		n, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%w: %q: %v", ErrInvalidPrefix, s, err)
			}
			n = netip.PrefixFrom(a, a.BitLen())
		}
		prefixes = append(prefixes, n)
	}
	return NewProxies(prefixes)
}

// Trusts reports whether a is in one of p's trusted networks, after
// unmapping and dropping its zone.
func (p *Proxies) Trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, n := range p.trusted {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// OfRequest returns the address of the client r came from, as Proxies
// describes: the connection's address unless it is trusted, in which case
// the one X-Forwarded-For gives. It returns the zero Addr when RemoteAddr
// is not an IP (a test or a Unix socket).
func (p *Proxies) OfRequest(r *http.Request) netip.Addr {
	peer := parseRemote(r.RemoteAddr)
	if !p.Trusts(peer) {
		return peer
	}
	return p.walk(peer, r.Header.Values("X-Forwarded-For"))
}

// walk reads the X-Forwarded-For lines from the right, as Proxies
// describes, starting from the trusted peer. Its work is bounded by
// MaxForwardedBytes, whatever the lines' length.
func (p *Proxies) walk(peer netip.Addr, lines []string) netip.Addr {
	last := peer // the last trusted address read
	budget, hops := MaxForwardedBytes, MaxForwardedHops
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for {
			// The element after the last comma, looked for only in the
			// part of the line the budget still covers.
			from := max(0, len(line)-budget-1)
			j := strings.LastIndexByte(line[from:], ',')
			if j >= 0 {
				j += from
			}
			elem := line[j+1:]
			if len(elem) > budget {
				return last
			}
			budget -= len(elem) + 1 // the comma, or the join between lines
			if elem = strings.Trim(elem, " \t"); elem != "" {
				if hops == 0 {
					return last
				}
				hops--
				a, ok := parseHop(elem)
				if !ok {
					return last
				}
				if !p.Trusts(a) {
					return a
				}
				last = a
			}
			if j < 0 {
				break
			}
			line = line[:j]
		}
	}
	return last
}

// parseHop reads one X-Forwarded-For entry: an address, an address with a
// port, or a bracketed IPv6 address; unmapped and without its zone.
func parseHop(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			a = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}
