package passkey

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"golang.org/x/net/publicsuffix"

	"github.com/lintel-id/lintel/internal/invalid"
)

// RPID returns the relying party ID for a page served on host (as in a
// URL: any case, with or without a port and a trailing dot), following
// DESIGN: "localhost" for localhost; the full host for publicHost (the
// instance's public domain, "id.example.com") and hosts under it, so that
// tenants there do not share passkeys; otherwise the registrable domain
// (eTLD+1 from the public suffix list), so that "login.acme.com" gets
// "acme.com" and passkeys work across the customer's own subdomains.
// publicHost may be empty (no public domain).
//
// It refuses an IP literal, a host that is itself a public suffix
// ("co.uk", "github.io"), and a host that is not a DNS name, with
// ErrNoRPID (and an *invalid.Error naming "host" for the last).
func RPID(host, publicHost string) (string, error) {
	h, err := normalizeHost(host)
	if err != nil {
		return "", err
	}
	if h == "localhost" {
		return h, nil
	}
	if publicHost != "" {
		p, err := normalizeHost(publicHost)
		if err != nil {
			return "", fmt.Errorf("passkey: public host: %w", err)
		}
		if h == p || strings.HasSuffix(h, "."+p) {
			return h, nil
		}
	}
	if suffix, _ := publicsuffix.PublicSuffix(h); suffix == h {
		return "", fmt.Errorf("%w: %q is a public suffix", ErrNoRPID, h)
	}
	rp, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrNoRPID, h, err)
	}
	return rp, nil
}

// normalizeHost lowercases host and strips a port and a trailing dot,
// refusing IP literals and what is not a DNS name.
func normalizeHost(host string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(host))
	if strings.HasPrefix(h, "[") {
		return "", fmt.Errorf("%w: %q is an IP literal", ErrNoRPID, host)
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if strings.Count(h, ":") > 1 { // IPv6 without brackets
			return "", fmt.Errorf("%w: %q is an IP literal", ErrNoRPID, host)
		}
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if _, err := netip.ParseAddr(h); err == nil {
		return "", fmt.Errorf("%w: %q is an IP literal", ErrNoRPID, host)
	}
	if err := checkDomain(h); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoRPID, invalid.Field("host", "must be a DNS name (%v)", err))
	}
	return h, nil
}

// checkDomain refuses what cannot be an RP ID: RP ID hashes compare the
// exact string, so it must also be lowercase.
func checkDomain(d string) error {
	if err := protocol.ValidateRPID(d); err != nil {
		return err
	}
	if d != strings.ToLower(d) {
		return errors.New("must be lowercase")
	}
	return nil
}

// parseOrigin returns the serialized origin ("https://host[:port]",
// lowercase, default port dropped) of o, refusing what a browser would
// never report as an origin: other schemes, http other than on
// localhost, IP hosts, userinfo, a path (even "/"), query or fragment.
func parseOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "":
		return "", errors.New("must be an origin: scheme://host[:port]")
	case u.User != nil || u.Path != "" || strings.ContainsAny(o, "?#"):
		return "", errors.New("must be an origin without userinfo, path, query or fragment")
	}
	host := strings.ToLower(u.Hostname())
	if _, err := netip.ParseAddr(host); err == nil {
		return "", errors.New("must have a DNS name, not an IP address, as host")
	}
	if err := checkDomain(host); err != nil {
		return "", fmt.Errorf("must have a DNS name as host (%v)", err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "https":
	case scheme == "http" && host == "localhost":
	default:
		return "", errors.New("must be https (http only for localhost)")
	}
	port := u.Port()
	if port == "" && strings.HasSuffix(u.Host, ":") {
		return "", errors.New("must not end with an empty port")
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", errors.New("must have a port from 1 to 65535")
		}
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// label is what Chromium counts against its limit on related origins:
// the registrable domain's label before its public suffix ("acme" for
// https://login.acme.co.uk). A host without a registrable domain
// (localhost) is its own label.
func label(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", err
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(u.Hostname())
	if err != nil {
		return u.Hostname(), nil
	}
	l, _, _ := strings.Cut(d, ".")
	return l, nil
}

// RelatedOrigins returns the Related Origin Requests document that the
// customer serves (or proxies) at https://<rpID>/.well-known/webauthn, so
// that browsers let ceremonies for rpID run on the brand's other origins:
// {"origins": [...]}, the origins serialized (lowercase, default port
// dropped), sorted and deduplicated, indented, with a final newline. The
// same input always gives the same bytes.
//
// It refuses, with *invalid.Error values naming each field: an rpID that
// is not a lowercase DNS name; no origins; an origin that is not https
// (http only for localhost), has a path (even "/"), query, fragment,
// userinfo or an IP host; and origins spanning more registrable-domain
// labels than browsers honour (protocol.MaximumRelatedOriginLabels, 5 in
// Chromium: "acme" of acme.com and acme.co.uk counts once). Origins under
// rpID itself need no listing but may be listed; like every listed
// origin, they count.
func RelatedOrigins(rpID string, origins []string) ([]byte, error) {
	var errs []error
	if err := checkDomain(rpID); err != nil {
		errs = append(errs, invalid.Field("rp_id", "must be a DNS name (%v)", err))
	}
	if len(origins) == 0 {
		errs = append(errs, invalid.Field("origins", "must list at least one origin"))
	}
	norm := make([]string, 0, len(origins))
	for i, o := range origins {
		n, err := parseOrigin(o)
		if err != nil {
			errs = append(errs, invalid.Field(fmt.Sprintf("origins[%d]", i), "%s", err))
			continue
		}
		norm = append(norm, n)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(norm)
	norm = slices.Compact(norm)
	labels := map[string]bool{}
	for _, o := range norm {
		l, err := label(o)
		if err != nil {
			return nil, fmt.Errorf("passkey: related origins: %w", err)
		}
		labels[l] = true
	}
	if len(labels) > protocol.MaximumRelatedOriginLabels {
		return nil, invalid.Field("origins", "must span at most %d registrable domain labels, which is all browsers honour; they span %d",
			protocol.MaximumRelatedOriginLabels, len(labels))
	}
	// The library checks the document as browsers will read it.
	doc, err := protocol.NewRelatedOriginsWithLabeler(label, norm...)
	if err != nil {
		return nil, fmt.Errorf("passkey: related origins: %w", err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("passkey: related origins: %w", err)
	}
	return append(b, '\n'), nil
}

// AddRelated returns origins followed by those of extra that a Related
// Origin Requests document can also list: an origin RelatedOrigins would
// refuse is skipped, as is one whose registrable-domain label would take
// the labels past what browsers honour (protocol.MaximumRelatedOriginLabels),
// so that the earlier origins always keep their place. origins are
// returned as given; the added ones serialized. Duplicates are dropped.
func AddRelated(origins []string, extra ...string) []string {
	out := slices.Clone(origins)
	labels := map[string]bool{}
	for _, o := range origins {
		if l, err := label(o); err == nil {
			labels[l] = true
		}
	}
	for _, o := range extra {
		n, err := parseOrigin(o)
		if err != nil || slices.Contains(out, n) {
			continue
		}
		l, err := label(n)
		if err != nil || (!labels[l] && len(labels) >= protocol.MaximumRelatedOriginLabels) {
			continue
		}
		labels[l] = true
		out = append(out, n)
	}
	return out
}
