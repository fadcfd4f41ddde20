package mail

import (
	"errors"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/lintel-id/lintel/internal/dnsname"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
)

// Bounds of relay credentials.
const (
	// MaxUsernameLen bounds Relay.Username, in bytes.
	MaxUsernameLen = 256
	// MaxPasswordLen bounds Relay.Password, in bytes.
	MaxPasswordLen = 1024
)

// ErrNotConfigured is wrapped when a tenant has no relay (or no sender
// address) and the instance has no default either. A message that meets it
// stays queued and is tried again later, without counting an attempt.
var ErrNotConfigured = errors.New("mail: no SMTP relay configured for the tenant or the instance")

// Relay is an SMTP relay and the sender address of the mail it carries:
// a tenant's (see Settings) or the instance default from configuration.
type Relay struct {
	// Host is a DNS name or an IP address; Port is 1–65535.
	Host string
	Port int
	// Username and Password authenticate when Username is set. Password is
	// never logged, and never read back through Settings.
	Username, Password string
	// TLS is the TLS policy; "" means StartTLS.
	TLS TLSPolicy
	// From is the sender address (RFC 5322, display name allowed).
	From string
}

// configured reports whether r names a relay at all.
func (r Relay) configured() bool { return r.Host != "" }

// validate checks r field by field and returns it normalised (TLS filled
// in, From in one spelling), or an error holding an *invalid.Error per
// refused field. tenant selects the stricter rules for tenant-supplied
// relays: TLS may be none only for a relay on loopback, and an IP address
// (or localhost) that d refuses is refused now rather than at every send.
// Reasons never quote credentials.
func (r Relay) validate(tenant bool, d *egress.Dialer) (Relay, error) {
	var errs []error
	r.Host = strings.ToLower(strings.TrimSuffix(r.Host, "."))
	switch {
	case r.Host == "":
		errs = append(errs, invalid.Field("host", "must be set"))
	case !validHost(r.Host):
		errs = append(errs, invalid.Field("host", "must be a DNS name or an IP address, without a port"))
	case tenant && d != nil:
		if a, ok := literalAddr(r.Host); ok && !d.Allowed(a) {
			errs = append(errs, invalid.Field("host", "is an internal address that outbound connections may not reach"))
		}
	}
	if r.Port < 1 || r.Port > 65535 {
		errs = append(errs, invalid.Field("port", "must be from 1 to 65535"))
	}
	if r.TLS == "" {
		r.TLS = StartTLS
	}
	switch r.TLS {
	case StartTLS, ImplicitTLS:
	case NoTLS:
		if tenant && r.Host != "" && !loopback(r.Host) {
			errs = append(errs, invalid.Field("tls", "may be none only for a relay on loopback"))
		}
	default:
		errs = append(errs, invalid.Field("tls", "must be one of starttls, implicit, none"))
	}
	if len(r.Username) > MaxUsernameLen || strings.ContainsAny(r.Username, "\x00\r\n") {
		errs = append(errs, invalid.Field("username", "must be at most %d bytes without line breaks", MaxUsernameLen))
	}
	switch {
	case len(r.Password) > MaxPasswordLen || strings.ContainsAny(r.Password, "\x00\r\n"):
		errs = append(errs, invalid.Field("password", "must be at most %d bytes without line breaks", MaxPasswordLen))
	case r.Password != "" && r.Username == "":
		errs = append(errs, invalid.Field("password", "needs a username"))
	}
	switch a, err := mail.ParseAddress(r.From); {
	case r.From == "":
		errs = append(errs, invalid.Field("from", "must be set"))
	case len(r.From) > MaxAddressLen:
		errs = append(errs, invalid.Field("from", "must be at most %d bytes", MaxAddressLen))
	case err != nil:
		errs = append(errs, invalid.Field("from", "must be one email address"))
	default:
		r.From = a.String()
	}
	return r, errors.Join(errs...)
}

// validHost reports whether host is an IP address (without a zone) or a
// DNS name: at most 253 bytes of labels of 1–63 letters, digits and
// hyphens, not starting or ending with a hyphen, the last not a number.
func validHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Zone() == ""
	}
	return dnsname.Host(host)
}

// loopback reports whether host is localhost or a loopback address.
func loopback(host string) bool {
	a, ok := literalAddr(host)
	return ok && a.Unmap().IsLoopback()
}

// literalAddr returns the address host names without a lookup: an IP
// literal, or 127.0.0.1 for localhost and names under .localhost.
func literalAddr(host string) (netip.Addr, bool) {
	h := strings.ToLower(host)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), true
	}
	a, err := netip.ParseAddr(h)
	return a, err == nil
}
