package autotls

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// normalizeHost returns name lower-cased, without a port or a trailing
// dot, if it is a DNS host name a public CA could certify: two labels at
// least, each 1–63 letters, digits or inner hyphens, 253 bytes in all, and
// a top-level label that is not all digits. IP addresses, wildcards,
// underscores and non-ASCII names (clients send punycode) are refused with
// ErrInvalidHost, before anything is looked up.
func normalizeHost(name string) (string, error) {
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		return "", fmt.Errorf("%w: %q is an IP address", ErrInvalidHost, name)
	}
	if len(name) == 0 || len(name) > 253 {
		return "", fmt.Errorf("%w: %q has a bad length", ErrInvalidHost, name)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("%w: %q has a single label", ErrInvalidHost, name)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", fmt.Errorf("%w: %q", ErrInvalidHost, name)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("%w: %q has a numeric top-level label", ErrInvalidHost, name)
	}
	return name, nil
}

// validLabel reports whether l is an LDH label (RFC 1123): 1–63 of a-z,
// 0-9 and '-', not starting or ending with '-'. l is lower-case already.
func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
