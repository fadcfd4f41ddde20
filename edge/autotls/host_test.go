package autotls

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"keeps a plain host", "login.acme.com", "login.acme.com"},
		{"lower-cases", "Login.ACME.com", "login.acme.com"},
		{"drops a port", "login.acme.com:8080", "login.acme.com"},
		{"drops a trailing dot", "login.acme.com.", "login.acme.com"},
		{"keeps punycode", "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"keeps digits and inner hyphens", "a-1.b2.example", "a-1.b2.example"},
		{"refuses an IPv4 address", "192.0.2.1", ""},
		{"refuses an IPv4 address with a port", "192.0.2.1:80", ""},
		{"refuses an IPv6 address", "[2001:db8::1]", ""},
		{"refuses a bare IPv6 address", "2001:db8::1", ""},
		{"refuses an empty name", "", ""},
		{"refuses a single label", "localhost", ""},
		{"refuses a wildcard", "*.acme.com", ""},
		{"refuses an underscore", "_acme.example.com", ""},
		{"refuses a leading hyphen", "-a.example.com", ""},
		{"refuses an empty label", "a..example.com", ""},
		{"refuses a numeric top-level label", "1.2.3.4.5", ""},
		{"refuses non-ASCII", "bücher.example", ""},
		{"refuses a label over 63 bytes", strings.Repeat("a", 64) + ".example", ""},
		{"refuses a name over 253 bytes", strings.Repeat("abcdefghi.", 26) + "example", ""},
		{"refuses a slash", "a/b.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeHost(tc.in)
			if tc.want == "" {
				if !errors.Is(err, ErrInvalidHost) {
					t.Fatalf("normalizeHost(%q) = %q, %v; want ErrInvalidHost", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("normalizeHost(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
