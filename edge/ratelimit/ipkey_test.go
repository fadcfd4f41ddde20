package ratelimit_test

import (
	"net/netip"
	"testing"

	"github.com/lintel-id/lintel/edge/ratelimit"
)

func TestIPKey(t *testing.T) {
	tests := []struct {
		name, addr, want string
	}{
		{"keeps an IPv4 address whole", "203.0.113.7", "203.0.113.7"},
		{"keeps IPv4 neighbours apart", "203.0.113.8", "203.0.113.8"},
		{"groups an IPv6 address by its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"puts another host of the /64 in the same group", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"keeps the next /64 apart", "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"unmaps an IPv4-mapped IPv6 address", "::ffff:203.0.113.7", "203.0.113.7"},
		{"drops a zone", "fe80::1%eth0", "fe80::/64"},
		{"groups loopback IPv6", "::1", "::/64"},
		{"keeps IPv4 loopback", "127.0.0.1", "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ratelimit.IPKey(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("IPKey(%s) = %q, want %q", tc.addr, got, tc.want)
			}
		})
	}
}

func TestIPKeyOfZeroAddrIsRefused(t *testing.T) {
	key := ratelimit.IPKey(netip.Addr{})
	if key != "" {
		t.Fatalf("IPKey(zero Addr) = %q, want \"\"", key)
	}
	if err := ratelimit.ValidateKey(key); err == nil {
		t.Error("ValidateKey accepts the zero Addr's key")
	}
}
