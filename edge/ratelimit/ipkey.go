package ratelimit

import "net/netip"

// IPKey returns the part of a rate-limit key that stands for a client
// address: an IPv4 address limits that address alone ("203.0.113.7"), an
// IPv6 address its /64 ("2001:db8:1:2::/64"), because one subscriber is
// usually given a whole /64 and could otherwise rotate through it. An
// IPv4-mapped IPv6 address counts as the IPv4 address it maps, and zones
// are dropped. The two forms cannot collide (only the IPv6 one contains a
// colon). The zero Addr, which a connection that is not IP gives, returns
// "", which Allow refuses with ErrInvalid: the caller decides how to limit
// such clients.
//
// Prefix the result with what is being limited: "signin:ip:" + IPKey(a).
func IPKey(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	switch {
	case addr.Is4():
		return addr.String()
	case addr.Is6():
		p, _ := addr.Prefix(64) // cannot fail: 64 fits an IPv6 address
		return p.String()
	}
	return ""
}
