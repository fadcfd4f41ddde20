package egress_test

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/lintel-id/lintel/internal/egress"
)

var loopback4 = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func TestBlocked(t *testing.T) {
	blocked := []string{
		"0.0.0.0", "0.1.2.3", // this network
		"127.0.0.1", "127.255.255.254", // loopback
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", // RFC 1918
		"100.64.0.1", "100.127.255.255", // CGNAT
		"169.254.169.254",                           // link-local: cloud metadata
		"192.0.0.8", "198.18.0.1", "198.19.255.255", // special purpose, benchmarking
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", // multicast, broadcast, class E
		"::1", "::", "::127.0.0.1", // loopback, unspecified, IPv4-compatible
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", // IPv4-mapped
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::808:808", // NAT64
		"2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", // 6to4
		"2001:0:4136:e378:8000:63bf:3fff:fdd2",                      // Teredo
		"fe80::1", "fe80::1%eth0", "::ffff:127.0.0.1%lo", "fec0::1", // link-local, zones, site-local
		"fc00::1", "fd12:3456:789a::1", // unique local
		"ff02::1", "ff05::1:3", // multicast
	}
	allowed := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "11.0.0.1",
		"172.32.0.1", "172.15.255.255", "100.128.0.1", "169.255.0.1", "192.0.1.1", "198.20.0.1",
		"198.51.100.7", "2001:db8::1", // documentation ranges are not blocked
		"2606:4700:4700::1111", "2001:4860:4860::8888", "2606:4700::1111%eth0",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", // IPv4 forms of a public address
	}
	for _, s := range blocked {
		t.Run("blocks "+s, func(t *testing.T) {
			if !egress.Blocked(netip.MustParseAddr(s)) {
				t.Errorf("Blocked(%s) = false, want true", s)
			}
		})
	}
	for _, s := range allowed {
		t.Run("passes "+s, func(t *testing.T) {
			if egress.Blocked(netip.MustParseAddr(s)) {
				t.Errorf("Blocked(%s) = true, want false", s)
			}
		})
	}
	t.Run("blocks the zero Addr", func(t *testing.T) {
		if !egress.Blocked(netip.Addr{}) {
			t.Error("Blocked(netip.Addr{}) = false, want true")
		}
	})
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		addr  string
		want  bool
	}{
		{"refuses loopback without allowlist", nil, "127.0.0.1", false},
		{"passes a public address without allowlist", nil, "8.8.8.8", true},
		{"passes an allowlisted address", []string{"127.0.0.1/32"}, "127.0.0.1", true},
		{"refuses a neighbour of an allowlisted address", []string{"127.0.0.1/32"}, "127.0.0.2", false},
		{"passes the IPv4-mapped form of an allowlisted address", []string{"127.0.0.1/32"}, "::ffff:127.0.0.1", true},
		{"reads a mapped allowlist prefix as IPv4", []string{"::ffff:127.0.0.0/104"}, "127.9.9.9", true},
		{"passes an allowlisted IPv6 address with a zone", []string{"::1/128"}, "::1%lo", true},
		{"masks a sloppy prefix", []string{"10.1.2.3/8"}, "10.200.0.1", true},
		{"keeps public addresses allowed beside an allowlist", []string{"::1/128"}, "1.1.1.1", true},
		{"refuses the zero Addr", []string{"0.0.0.0/0"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var allow []netip.Prefix
			for _, p := range tt.allow {
				allow = append(allow, netip.MustParsePrefix(p))
			}
			var addr netip.Addr
			if tt.addr != "" {
				addr = netip.MustParseAddr(tt.addr)
			}
			if got := egress.New(egress.Options{Allow: allow}).Allowed(addr); got != tt.want {
				t.Errorf("Allowed(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestDialContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	tests := []struct {
		name    string
		allow   []netip.Prefix
		network string
		address string
		wantErr error
	}{
		{"refuses loopback", nil, "tcp", "127.0.0.1:" + port, egress.ErrForbidden},
		{"refuses IPv4-mapped loopback", nil, "tcp", "[::ffff:127.0.0.1]:" + port, egress.ErrForbidden},
		{"refuses IPv6 loopback", nil, "tcp6", "[::1]:" + port, egress.ErrForbidden},
		{"refuses a zoned link-local address", nil, "tcp", "[fe80::1%lo]:" + port, egress.ErrForbidden},
		{"refuses the unspecified address", nil, "tcp4", "0.0.0.0:" + port, egress.ErrForbidden},
		{"refuses a network other than tcp", loopback4, "udp", "127.0.0.1:" + port, egress.ErrForbidden},
		{"connects to an allowlisted address", loopback4, "tcp", "127.0.0.1:" + port, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := egress.New(egress.Options{Allow: tt.allow})
			c, err := d.DialContext(t.Context(), tt.network, tt.address)
			if c != nil {
				c.Close()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DialContext(%s, %s): err = %v, want %v", tt.network, tt.address, err, tt.wantErr)
			}
		})
	}
}

func TestClient(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {})

	t.Run("refuses a loopback server without allowlist", func(t *testing.T) {
		resp, err := egress.New(egress.Options{}).Client().Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("err = %v, want ErrForbidden", err)
		}
		if n := srv.conns.Load(); n != 0 {
			t.Errorf("server accepted %d connections, want 0", n)
		}
	})

	t.Run("reaches a loopback server on the allowlist", func(t *testing.T) {
		resp, err := egress.New(egress.Options{Allow: loopback4}).Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("ignores environment proxies", func(t *testing.T) {
		tr := egress.New(egress.Options{}).Client().Transport.(*http.Transport)
		if tr.Proxy != nil {
			t.Error("Transport.Proxy is set; a proxy would dial unchecked")
		}
	})

	t.Run("raises TLS MinVersion to 1.2 on a copy of the caller's config", func(t *testing.T) {
		mine := &tls.Config{MinVersion: tls.VersionTLS10, ServerName: "idp.example"}
		tr := egress.New(egress.Options{TLS: mine}).Client().Transport.(*http.Transport)
		if got := tr.TLSClientConfig.MinVersion; got != tls.VersionTLS12 {
			t.Errorf("MinVersion = %x, want TLS 1.2", got)
		}
		if tr.TLSClientConfig.ServerName != "idp.example" {
			t.Error("the caller's TLS settings were dropped")
		}
		if mine.MinVersion != tls.VersionTLS10 {
			t.Error("the caller's TLS config was modified")
		}
	})
}
