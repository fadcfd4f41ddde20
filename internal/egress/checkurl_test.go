package egress_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/egress"
)

// testZone is what the fake DNS server knows: every other name does not
// exist, so no lookup in these tests leaves loopback.
func testZone() map[string][]netip.Addr {
	return map[string][]netip.Addr{
		"idp.test.":      {netip.MustParseAddr("93.184.216.34")},
		"internal.test.": {netip.MustParseAddr("10.1.2.3")},
		"loop.test.":     {netip.MustParseAddr("127.0.0.1")},
	}
}

func TestCheckURL(t *testing.T) {
	r, _ := startDNS(t, testZone())
	tests := []struct {
		name    string
		allow   []netip.Prefix
		url     string
		wantErr error
	}{
		{"passes an https URL whose host resolves to a public address", nil, "https://idp.test/.well-known/jwks.json", nil},
		{"passes a public IP literal with a port", nil, "https://93.184.216.34:8443/jwks", nil},
		{"passes a public IPv6 literal", nil, "https://[2606:4700::1111]/jwks", nil},
		{"passes an upper-case scheme", nil, "HTTPS://idp.test/jwks", nil},
		{"passes a fully qualified name", nil, "https://idp.test./jwks", nil},
		{"passes a loopback name on the allowlist", loopback4, "https://loop.test/jwks", nil},
		{"refuses the http scheme", nil, "http://idp.test/jwks", egress.ErrForbidden},
		{"refuses another scheme", nil, "file:///etc/passwd", egress.ErrForbidden},
		{"refuses userinfo", nil, "https://user:pw@idp.test/jwks", egress.ErrForbidden},
		{"refuses a user without password", nil, "https://user@idp.test/jwks", egress.ErrForbidden},
		{"refuses a fragment", nil, "https://idp.test/jwks#keys", egress.ErrForbidden},
		{"refuses an empty fragment", nil, "https://idp.test/jwks#", egress.ErrForbidden},
		{"refuses a relative URL", nil, "/jwks", egress.ErrForbidden},
		{"refuses a scheme-relative URL", nil, "//idp.test/jwks", egress.ErrForbidden},
		{"refuses an opaque URL", nil, "https:idp.test", egress.ErrForbidden},
		{"refuses a missing host", nil, "https:///jwks", egress.ErrForbidden},
		{"refuses a private IP literal", nil, "https://10.0.0.1/jwks", egress.ErrForbidden},
		{"refuses a loopback IPv6 literal", nil, "https://[::1]/jwks", egress.ErrForbidden},
		{"refuses an IPv4-mapped loopback literal", nil, "https://[::ffff:127.0.0.1]/jwks", egress.ErrForbidden},
		{"refuses a zoned IP literal", nil, "https://[fe80::1%25lo]/jwks", egress.ErrForbidden},
		{"refuses a name that resolves to a private address", nil, "https://internal.test/jwks", egress.ErrForbidden},
		{"refuses a name that resolves to loopback", nil, "https://loop.test/jwks", egress.ErrForbidden},
		{"refuses an unresolvable name", nil, "https://nowhere.test/jwks", egress.ErrForbidden},
		{"refuses a shorthand IPv4 address", nil, "https://127.1/jwks", egress.ErrForbidden},
		{"refuses a hexadecimal IPv4 address", nil, "https://0x7f.0.0.1/jwks", egress.ErrForbidden},
		{"refuses a non-ASCII name", nil, "https://bücher.test/jwks", egress.ErrForbidden},
		{"refuses a label starting with a hyphen", nil, "https://-idp.test/jwks", egress.ErrForbidden},
		{"refuses an empty label", nil, "https://idp..test/jwks", egress.ErrForbidden},
		{"refuses port zero", nil, "https://idp.test:0/jwks", egress.ErrForbidden},
		{"refuses an empty port", nil, "https://idp.test:/jwks", egress.ErrForbidden},
		{"refuses a port out of range", nil, "https://idp.test:65536/jwks", egress.ErrForbidden},
		{"refuses a malformed URL", nil, "https://idp.test/%zz", egress.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := egress.New(egress.Options{Resolver: r, Allow: tt.allow})
			err := d.CheckURL(t.Context(), tt.url)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("CheckURL(%q) = %v, want nil", tt.url, err)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckURL(%q) = %v, want %v", tt.url, err, tt.wantErr)
			}
		})
	}

	t.Run("wraps the resolver's error too", func(t *testing.T) {
		d := egress.New(egress.Options{Resolver: r})
		err := d.CheckURL(t.Context(), "https://nowhere.test/jwks")
		var dnsErr *net.DNSError
		if !errors.Is(err, egress.ErrForbidden) || !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Fatalf("err = %v, want ErrForbidden wrapping a not-found *net.DNSError", err)
		}
	})

	t.Run("refuses when the context is cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := egress.New(egress.Options{Resolver: r}).CheckURL(ctx, "https://idp.test/jwks")
		if !errors.Is(err, egress.ErrForbidden) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want ErrForbidden and context.Canceled", err)
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://idp.test/jwks", "https://93.184.216.34/", "http://idp.test/", "https://u@idp.test/",
		"https://[::ffff:10.0.0.1]:443/", "https://127.1/", "https://idp.test#x", "//idp.test",
		"https://loop.test/", "https://%41/", "https://[fe80::1%25lo]/", "https://idp.test:99999/",
	} {
		f.Add(s)
	}
	r, _ := startDNS(f, testZone())
	d := egress.New(egress.Options{Resolver: r})
	f.Fuzz(func(t *testing.T, raw string) {
		err := d.CheckURL(t.Context(), raw)
		if err == nil {
			u, perr := url.Parse(raw)
			if perr != nil || u.Scheme != "https" || u.User != nil || strings.Contains(raw, "#") || u.Hostname() == "" {
				t.Fatalf("CheckURL(%q) passed a URL that is not a bare https URL", raw)
			}
			return
		}
		if !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("CheckURL(%q) = %v, which does not wrap ErrForbidden", raw, err)
		}
	})
}
