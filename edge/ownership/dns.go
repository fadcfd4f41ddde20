package ownership

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"strings"

	"github.com/lintel-id/lintel/server/tenant"
)

// checkDNS looks for the domain's TXT record. Its errors name the record
// and the expected form, never the values found: they could hold another
// domain's token.
func (c *Checker) checkDNS(ctx context.Context, d tenant.Domain) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	name, want := d.ChallengeName(), d.ChallengeValue()
	values, err := c.resolver.LookupTXT(ctx, name)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return because(ErrNoTXTRecord, err, "no TXT record %q at %s", tenant.ChallengePrefix+"…", name)
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout, errors.Is(err, context.DeadlineExceeded):
		return because(ErrDNSLookup, err, "DNS lookup of %s timed out", name)
	case errors.As(err, &dnsErr):
		return because(ErrDNSLookup, err, "DNS lookup of %s failed: %s", name, clip(dnsErr.Err, 80))
	case err != nil:
		return because(ErrDNSLookup, err, "DNS lookup of %s failed", name)
	case len(values) == 0:
		return because(ErrNoTXTRecord, nil, "no TXT record %q at %s", tenant.ChallengePrefix+"…", name)
	}
	for _, v := range values {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(v)), []byte(want)) == 1 {
			return nil
		}
	}
	return because(ErrTXTMismatch, nil, "no TXT record at %s holds this domain's %q", name, tenant.ChallengePrefix+"…")
}

// clip bounds a text from elsewhere that goes into a reason.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
