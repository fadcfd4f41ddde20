package egress

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// CheckURL validates a URL that a tenant registers (a jwks_uri, a hook, a
// logo URL): it must be an absolute https URL with a host, no userinfo and
// no fragment; the host must be an IP address or an ASCII DNS name
// (internationalized names in their xn-- form), and a port, if any, must
// be 1–65535. It then resolves the host now and refuses the URL when it has
// no address or when any address is not allowed.
//
// Every refusal wraps ErrForbidden; a failed lookup also wraps the
// resolver's error (a cancelled ctx included).
//
// Registration-time checks are advisory: they give the tenant a clear
// error early, but the name may resolve elsewhere later (DNS rebinding).
// What protects is the check at dial time, in DialContext.
func (d *Dialer) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a URL: %v", ErrForbidden, err)
	}
	shown := u.Redacted()
	switch {
	case !u.IsAbs() || u.Opaque != "":
		return fmt.Errorf("%w: %q is not an absolute URL", ErrForbidden, shown)
	case u.Scheme != "https":
		return fmt.Errorf("%w: %q does not use https", ErrForbidden, shown)
	case u.User != nil:
		return fmt.Errorf("%w: %q has userinfo", ErrForbidden, shown)
	case strings.Contains(raw, "#"):
		return fmt.Errorf("%w: %q has a fragment", ErrForbidden, shown)
	case u.Host == "":
		return fmt.Errorf("%w: %q has no host", ErrForbidden, shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: %q has an invalid port", ErrForbidden, shown)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%w: %q has an empty port", ErrForbidden, shown)
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("%w: %q has a zoned address", ErrForbidden, shown)
		}
		return d.refusal(ip)
	}
	if strings.HasPrefix(u.Host, "[") {
		return fmt.Errorf("%w: %q has an invalid IP literal", ErrForbidden, shown)
	}
	if why := badHostname(host); why != "" {
		return fmt.Errorf("%w: host %q %s", ErrForbidden, host, why)
	}
	// The resolver races a done ctx against a quick answer; a cancelled
	// check must refuse every time.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: cannot resolve %q: %w", ErrForbidden, host, err)
	}
	addrs, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: cannot resolve %q: %w", ErrForbidden, host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%w: %q has no address", ErrForbidden, host)
	}
	for _, a := range addrs {
		if err := d.refusal(a); err != nil {
			return fmt.Errorf("host %q: %w", host, err)
		}
	}
	return nil
}

// badHostname says what is wrong with a DNS name, or "" when it is a
// valid one: at most 253 characters (one trailing dot aside), labels of
// 1–63 letters, digits, hyphens and underscores not starting or ending
// with a hyphen, and a last label that is not a number, which other
// software would read as an IPv4 address ("127.1", "0x7f.1").
func badHostname(host string) string {
	name := strings.TrimSuffix(host, ".")
	if name == "" {
		return "is empty"
	}
	if len(name) > 253 {
		return "is longer than 253 characters"
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "has an empty or over-long label"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "has a label starting or ending with a hyphen"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "is not an ASCII DNS name"
			}
		}
	}
	if numeric(labels[len(labels)-1]) {
		return "ends in a number"
	}
	return ""
}

// numeric reports whether a label reads as a number in the WHATWG IPv4
// parser's sense: decimal digits, or 0x followed by hex digits.
func numeric(l string) bool {
	digits := "0123456789"
	if len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		l, digits = l[2:], "0123456789abcdefABCDEF"
	}
	for i := 0; i < len(l); i++ {
		if !strings.ContainsRune(digits, rune(l[i])) {
			return false
		}
	}
	return true
}
