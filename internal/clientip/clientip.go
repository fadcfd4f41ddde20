// Package clientip carries the address of the client a request came from
// through its context, so that the server's packages (which never import
// the edge) can match it against network zones and rate limits.
//
// The edge sets it per request. DESIGN: client IPs come from the
// connection unless a trusted-proxy list says otherwise. OfRequest reads
// the connection alone; a [Proxies] built from the operator's list of
// trusted proxy networks also reads X-Forwarded-For, but only as far as
// those proxies vouch for it, so a client cannot choose its own address.
package clientip

import (
	"context"
	"net"
	"net/http"
	"net/netip"
)

type key struct{}

// With returns ctx carrying addr.
func With(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, key{}, addr)
}

// From returns the client address in ctx; the zero Addr (which matches no
// network zone) when there is none.
func From(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(key{}).(netip.Addr)
	return a
}

// OfRequest returns the address of the connection r came on, with an
// IPv4-mapped IPv6 address unmapped and any zone dropped; the zero Addr
// when RemoteAddr is not an IP (a test or a Unix socket). It reads no
// header: it is the OfRequest of a Proxies that trusts nothing.
func OfRequest(r *http.Request) netip.Addr {
	return parseRemote(r.RemoteAddr)
}

// parseRemote reads a RemoteAddr: host:port, or a bare address.
func parseRemote(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}
