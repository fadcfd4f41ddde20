package egress

import (
	"net/netip"
)

// blockedRange is one range that is never dialed without an allowlist
// entry, with the reason that appears in a refusal.
type blockedRange struct {
	prefix netip.Prefix
	why    string
}

// blockedRanges lists the ranges Blocked refuses, most specific first where
// they overlap so the reason is the precise one. IPv4-mapped IPv6
// (::ffff:0:0/96) is not listed: addresses are unmapped before the lookup
// and then checked as IPv4. Documentation ranges are not blocked; nothing
// routes them.
var blockedRanges = []blockedRange{
	// IPv4.
	{netip.MustParsePrefix("0.0.0.0/8"), `in "this network" (0.0.0.0 reaches the local host)`},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT shared space (RFC 6598)"},
	// Link-local includes 169.254.169.254, the cloud metadata service.
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (RFC 6890)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking space (RFC 2544)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "limited broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (class E)"},

	// IPv6.
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	// IPv4-compatible addresses (deprecated, RFC 4291) embed an IPv4
	// address that some stacks still tunnel to.
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	// Site-local is deprecated (RFC 3879) but still private where used.
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (private)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	// The local-use NAT64 prefix (RFC 8215) is internal by definition.
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"},
	// Teredo (RFC 4380) reaches an IPv4 host, whose address is obfuscated
	// in the IPv6 one, through a relay: it cannot be checked, and no
	// service Lintel calls lives there.
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
}

// embedding is an IPv6 range whose addresses carry an IPv4 address that a
// translator or tunnel connects to; the embedded address is what is checked.
type embedding struct {
	prefix netip.Prefix
	name   string
	// at is the byte offset of the embedded IPv4 address.
	at int
}

var embeddings = []embedding{
	// NAT64 well-known prefix (RFC 6052): the last 32 bits.
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64", 12},
	// 6to4 (RFC 3056): bits 16–47.
	{netip.MustParsePrefix("2002::/16"), "6to4", 2},
}

// Blocked reports whether addr is in a range that is never dialed without
// an allowlist entry: loopback, private, link-local, shared, multicast,
// broadcast, reserved and unspecified addresses; IPv6 forms that embed
// such an IPv4 address (IPv4-mapped, NAT64, 6to4); and, outright, the IPv6
// forms whose IPv4 destination cannot be checked or is internal by
// definition (IPv4-compatible, Teredo, local-use NAT64). Zones are ignored.
// An invalid (zero) addr is blocked. Blocked is pure and safe for
// concurrent use.
func Blocked(addr netip.Addr) bool {
	_, bad := blockedBecause(normalize(addr))
	return bad
}

// normalize strips the zone and unmaps IPv4-mapped IPv6.
func normalize(addr netip.Addr) netip.Addr {
	return addr.WithZone("").Unmap()
}

// blockedBecause reports whether a normalized address is blocked, and why.
func blockedBecause(a netip.Addr) (string, bool) {
	if !a.IsValid() {
		return "invalid", true
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(a) {
			return r.why, true
		}
	}
	for _, e := range embeddings {
		if !e.prefix.Contains(a) {
			continue
		}
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte(b[e.at : e.at+4]))
		if why, bad := blockedBecause(v4); bad {
			return e.name + " for " + v4.String() + ", which is " + why, true
		}
	}
	return "", false
}
