package clientip

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOfRequest(t *testing.T) {
	for _, tc := range []struct {
		name, remote, want string
	}{
		{"reads an IPv4 address", "192.0.2.7:4321", "192.0.2.7"},
		{"reads an IPv6 address", "[2001:db8::1]:443", "2001:db8::1"},
		{"unmaps an IPv4-mapped address", "[::ffff:192.0.2.7]:80", "192.0.2.7"},
		{"drops a zone", "[fe80::1%eth0]:80", "fe80::1"},
		{"accepts an address without a port", "198.51.100.2", "198.51.100.2"},
		{"gives nothing for a socket path", "@", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			got := OfRequest(r)
			if tc.want == "" {
				if got.IsValid() {
					t.Fatalf("got %v, want none", got)
				}
				return
			}
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

func TestContextRoundTrip(t *testing.T) {
	if From(context.Background()).IsValid() {
		t.Fatal("an empty context has an address")
	}
	a := netip.MustParseAddr("203.0.113.9")
	if got := From(With(context.Background(), a)); got != a {
		t.Fatalf("got %v", got)
	}
}
