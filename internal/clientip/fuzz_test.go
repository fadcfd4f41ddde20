package clientip

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// FuzzXForwardedFor feeds OfRequest any connection address and any
// X-Forwarded-For (lines split at "\n") and checks what must hold for
// outside input: it never panics; an untrusted peer's headers are never
// read; the answer is the peer or an address in the header; every entry
// right of the answer is a trusted address; and, within the bounds, the
// answer is the one a plain reading of the rules gives.
func FuzzXForwardedFor(f *testing.F) {
	for _, seed := range [][2]string{
		{"10.0.0.1:443", "198.51.100.7"},
		{"10.0.0.1:443", "198.51.100.7, 10.0.0.2, 192.0.2.9"},
		{"10.0.0.1:443", "203.0.113.1, 10.0.0.3\n198.51.100.7, 10.0.0.2"},
		{"10.0.0.1:443", "198.51.100.7, unknown, 10.0.0.2"},
		{"10.0.0.1:443", "_hidden,, 10.0.0.2:80,"},
		{"203.0.113.5:1234", "10.0.0.1"},
		{"[2001:db8:ffff::1]:443", "[2001:db8:1::5]:5123, 2001:db8:ffff::2"},
		{"[::ffff:10.0.0.1]:443", "::ffff:198.51.100.7, fe80::1%eth0"},
		{"10.0.0.1:443", "[198.51.100.7], 198.51.100.7:70000"},
		{"10.0.0.1:443", "10.0.0.9, 10.0.0.2"},
		{"10.0.0.1:443", ""},
		{"@", "198.51.100.7"},
	} {
		f.Add(seed[0], seed[1])
	}
	// At the bounds, so that mutations start there.
	pad := strings.Repeat(" ", MaxForwardedBytes-len("198.51.100.7,,10.0.0.2"))
	f.Add("10.0.0.1:443", "198.51.100.7,"+pad+",10.0.0.2")
	f.Add("10.0.0.1:443", "198.51.100.7,"+pad+"\n10.0.0.2")
	f.Add("10.0.0.1:443", "198.51.100.7, "+chain(MaxForwardedHops-1))
	f.Add("10.0.0.1:443", "198.51.100.7, "+chain(MaxForwardedHops))
	p := testProxies(f)
	f.Fuzz(func(t *testing.T, remote, xff string) {
		lines := strings.Split(xff, "\n")
		got := p.OfRequest(request(remote, lines))

		peer := parseRemote(remote)
		if !p.Trusts(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %v: got %v", peer, got)
			}
			return
		}
		// The entries, left to right; garbage as the zero Addr.
		var hops []netip.Addr
		for _, line := range lines {
			for e := range strings.SplitSeq(line, ",") {
				if e = strings.Trim(e, " \t"); e != "" {
					a, _ := parseHop(e)
					hops = append(hops, a)
				}
			}
		}
		if len(xff) <= MaxForwardedBytes && len(hops) <= MaxForwardedHops {
			if want := readRules(p, peer, hops); got != want {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
		if got == peer {
			return
		}
		at := -1 // the rightmost entry that is the answer
		for j := len(hops) - 1; j >= 0 && at < 0; j-- {
			if hops[j] == got {
				at = j
			}
		}
		if at < 0 {
			t.Fatalf("got %v, neither the peer %v nor in the header", got, peer)
		}
		for _, h := range hops[at+1:] {
			if !h.IsValid() || !p.Trusts(h) {
				t.Fatalf("got %v, left of %v", got, h)
			}
		}
	})
}

// readRules applies Proxies' rules to every entry, unbounded: from the
// right, the first untrusted address; the last trusted one read when
// garbage comes first or the entries run out.
func readRules(p *Proxies, peer netip.Addr, hops []netip.Addr) netip.Addr {
	last := peer
	for _, h := range slices.Backward(hops) {
		if !h.IsValid() {
			return last
		}
		if !p.Trusts(h) {
			return h
		}
		last = h
	}
	return last
}
