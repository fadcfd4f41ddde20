package clientip

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// testProxies trusts a private network, a documentation network, an IPv6
// /48 and, written IPv4-mapped, 172.16.0.0/12.
func testProxies(t testing.TB) *Proxies {
	t.Helper()
	p, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.0/24", "2001:db8:ffff::/48", "::ffff:172.16.0.0/108"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// request returns a request from remote carrying one X-Forwarded-For line
// per entry of xff (none when xff is nil).
func request(remote string, xff []string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	for _, line := range xff {
		r.Header.Add("X-Forwarded-For", line)
	}
	return r
}

// chain returns n trusted addresses 10.0.0.1 … 10.0.0.n joined as a list,
// the last written by the proxy nearest Lintel.
func chain(n int) string {
	hops := make([]string, n)
	for i := range hops {
		hops[i] = fmt.Sprintf("10.0.%d.%d", (i+1)/256, (i+1)%256)
	}
	return strings.Join(hops, ", ")
}

func TestProxiesOfRequest(t *testing.T) {
	// A header of exactly MaxForwardedBytes: the client, padding (an
	// empty element) and the proxy.
	const client, proxy = "198.51.100.7", "10.0.0.2"
	pad := strings.Repeat(" ", MaxForwardedBytes-len(client)-len(proxy)-2)
	full := client + "," + pad + "," + proxy
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"ignores X-Forwarded-For from an untrusted peer", "203.0.113.5:1234", []string{"198.51.100.7"}, "203.0.113.5"},
		{"ignores trusted addresses an untrusted peer claims", "203.0.113.5:1234", []string{"10.0.0.1, 10.0.0.2"}, "203.0.113.5"},
		{"takes the address a trusted proxy appended", "10.0.0.1:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"skips a chain of trusted proxies", "10.0.0.1:443", []string{"198.51.100.7, 10.0.0.2, 192.0.2.9"}, "198.51.100.7"},
		{"ignores what the client wrote left of its address", "10.0.0.1:443", []string{"203.0.113.1, 10.0.0.3, 198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"reads lines in order, the last rightmost", "10.0.0.1:443", []string{"203.0.113.1", "198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"reads on into earlier lines", "10.0.0.1:443", []string{"198.51.100.7", "10.0.0.2", "10.0.0.3"}, "198.51.100.7"},
		{"answers the leftmost address when every one is trusted", "10.0.0.1:443", []string{"10.0.0.9, 10.0.0.2"}, "10.0.0.9"},
		{"answers the proxy without the header", "10.0.0.1:443", nil, "10.0.0.1"},
		{"answers the proxy for an empty header", "10.0.0.1:443", []string{""}, "10.0.0.1"},
		{"ignores empty list elements", "10.0.0.1:443", []string{" , 198.51.100.7,, \t,10.0.0.2, "}, "198.51.100.7"},
		{"answers the proxy garbage came through", "10.0.0.1:443", []string{"198.51.100.7, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"answers the peer for garbage it sent", "10.0.0.1:443", []string{"198.51.100.7, garbage"}, "10.0.0.1"},
		{"stops at unknown", "10.0.0.1:443", []string{"198.51.100.7, unknown"}, "10.0.0.1"},
		{"stops at an obfuscated identifier", "10.0.0.1:443", []string{"198.51.100.7, _hidden, 10.0.0.2"}, "10.0.0.2"},
		{"stops at garbage in an earlier line", "10.0.0.1:443", []string{"198.51.100.7, nope", "10.0.0.2"}, "10.0.0.2"},
		{"reads an IPv6 peer and entry", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"skips trusted IPv6 proxies", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::5, 2001:db8:ffff:2::9"}, "2001:db8:1::5"},
		{"ignores IPv6 outside the trusted /48", "[2001:db8:fffe::1]:443", []string{"2001:db8:1::5"}, "2001:db8:fffe::1"},
		{"reads an IPv4 entry with a port", "10.0.0.1:443", []string{"198.51.100.7:5123"}, "198.51.100.7"},
		{"reads an IPv6 entry with a port", "10.0.0.1:443", []string{"[2001:db8:1::5]:5123"}, "2001:db8:1::5"},
		{"reads a bracketed IPv6 entry", "10.0.0.1:443", []string{"[2001:db8:1::5]"}, "2001:db8:1::5"},
		{"reads a trusted entry with a port", "10.0.0.1:443", []string{"198.51.100.7, 10.0.0.2:80"}, "198.51.100.7"},
		{"refuses a bracketed IPv4 entry", "10.0.0.1:443", []string{"[198.51.100.7]"}, "10.0.0.1"},
		{"refuses a port out of range", "10.0.0.1:443", []string{"198.51.100.7:70000"}, "10.0.0.1"},
		{"refuses a port that is not a number", "10.0.0.1:443", []string{"198.51.100.7:_p"}, "10.0.0.1"},
		{"unmaps an IPv4-mapped entry", "10.0.0.1:443", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"trusts an IPv4-mapped entry in an IPv4 network", "10.0.0.1:443", []string{"198.51.100.7, ::ffff:10.0.0.2"}, "198.51.100.7"},
		{"trusts an IPv4-mapped peer in an IPv4 network", "[::ffff:10.0.0.1]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"takes an IPv4-mapped network as the IPv4 one", "172.16.5.5:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"drops a zone", "10.0.0.1:443", []string{"fe80::1%eth0"}, "fe80::1"},
		{"reads MaxForwardedHops addresses", "10.0.0.1:443", []string{"198.51.100.7, " + chain(MaxForwardedHops-1)}, "198.51.100.7"},
		{"stops after MaxForwardedHops addresses", "10.0.0.1:443", []string{"198.51.100.7, " + chain(MaxForwardedHops)}, "10.0.0.1"},
		{"reads a header of MaxForwardedBytes", "10.0.0.1:443", []string{full}, "198.51.100.7"},
		{"stops at an entry reaching past MaxForwardedBytes", "10.0.0.1:443", []string{"1" + full}, "10.0.0.2"},
		{"counts spaces against MaxForwardedBytes", "10.0.0.1:443", []string{" " + full}, "10.0.0.2"},
		{"reads MaxForwardedBytes across lines", "10.0.0.1:443", []string{client, pad, proxy}, "198.51.100.7"},
		{"counts line joins against MaxForwardedBytes", "10.0.0.1:443", []string{client, pad + " ", proxy}, "10.0.0.2"},
		{"gives nothing for a peer that is not an IP", "@", []string{"198.51.100.7"}, ""},
	}
	p := testProxies(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := p.OfRequest(request(tc.remote, tc.xff))
			if tc.want == "" {
				if got.IsValid() {
					t.Fatalf("got %v, want none", got)
				}
				return
			}
			if want := netip.MustParseAddr(tc.want); got != want {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func TestProxiesThatTrustNothing(t *testing.T) {
	empty, err := NewProxies(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := request("10.0.0.1:443", []string{"198.51.100.7"})
	for name, p := range map[string]*Proxies{"nil": nil, "zero": {}, "empty list": empty} {
		t.Run(name, func(t *testing.T) {
			if got, want := p.OfRequest(r), netip.MustParseAddr("10.0.0.1"); got != want {
				t.Errorf("OfRequest = %v, want the connection's %v", got, want)
			}
			if p.Trusts(netip.MustParseAddr("10.0.0.1")) {
				t.Error("Trusts an address")
			}
		})
	}
	if got := OfRequest(r); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("package OfRequest = %v, want the connection's", got)
	}
}

func TestParseProxies(t *testing.T) {
	tests := []struct {
		name     string
		in       []string
		trusts   []string
		distrust []string
	}{
		{"reads networks", []string{"10.0.0.0/8", "2001:db8::/32"}, []string{"10.255.0.1", "2001:db8:1::1", "::ffff:10.0.0.1"}, []string{"11.0.0.1", "2001:db9::1"}},
		{"reads a single address as itself", []string{"192.0.2.10", "2001:db8::7"}, []string{"192.0.2.10", "2001:db8::7"}, []string{"192.0.2.11", "2001:db8::8"}},
		{"masks a network written with host bits", []string{"10.1.2.3/8"}, []string{"10.200.0.1"}, []string{"11.0.0.1"}},
		{"takes an IPv4-mapped network as IPv4", []string{"::ffff:192.0.2.0/120"}, []string{"192.0.2.200", "::ffff:192.0.2.1"}, []string{"192.0.3.1"}},
		{"matches addresses without their zone", []string{"fe80::/10"}, []string{"fe80::1%eth0"}, []string{"2001:db8::1"}},
		{"trusts everything under /0", []string{"0.0.0.0/0"}, []string{"203.0.113.1"}, []string{"2001:db8::1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseProxies(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.trusts {
				if !p.Trusts(netip.MustParseAddr(a)) {
					t.Errorf("does not trust %s", a)
				}
			}
			for _, a := range tc.distrust {
				if p.Trusts(netip.MustParseAddr(a)) {
					t.Errorf("trusts %s", a)
				}
			}
		})
	}
}

func TestParseProxiesRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"a name", "proxy.internal"},
		{"an empty entry", ""},
		{"a prefix too long", "10.0.0.0/33"},
		{"an address with a zone", "fe80::1%eth0"},
		{"a range", "10.0.0.1-10.0.0.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseProxies([]string{"10.0.0.0/8", tc.in}); !errors.Is(err, ErrInvalidPrefix) {
				t.Errorf("ParseProxies(%q) error = %v, want ErrInvalidPrefix", tc.in, err)
			}
		})
	}
	if _, err := NewProxies([]netip.Prefix{{}}); !errors.Is(err, ErrInvalidPrefix) {
		t.Errorf("NewProxies of the zero Prefix: error = %v, want ErrInvalidPrefix", err)
	}
}
