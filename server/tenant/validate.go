package tenant

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on input; exceeding one is refused, never truncated.
const (
	MaxNameLen      = 100 // characters of a name
	MaxTags         = 20  // tags of an app
	MaxTagLen       = 40  // characters of a tag
	MaxRedirectURIs = 50  // redirect URIs (and post-logout URIs) of an app
	MaxURILen       = 2000
	MaxOriginApps   = 100 // apps a trusted origin is restricted to
	MaxHostnameLen  = 253
	MaxLastErrorLen = 1000
	MaxFilterIDs    = 1000 // IDs a TenantFilter may restrict a list to
)

// SystemSlug is the slug of the instance's own tenant, reserved.
const SystemSlug = "system"

// checkName trims a display name and checks it is 1–MaxNameLen printable
// characters.
func checkName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return name, invalid.Field(field, "must be valid UTF-8")
	case n == 0:
		return name, invalid.Field(field, "is required")
	case n > MaxNameLen:
		return name, invalid.Field(field, "must be at most %d characters, not %d", MaxNameLen, n)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return name, invalid.Field(field, "must contain only printable characters (found %U)", r)
		}
	}
	return name, nil
}

// fold is the form of a name compared for uniqueness and search.
func fold(name string) string { return strings.ToLower(name) }

// IsDNSLabel reports whether s is a DNS label in lowercase:
// [a-z0-9]([a-z0-9-]{0,61}[a-z0-9])? — the form of tenant slugs and of
// names that become path segments or host labels.
func IsDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkSlug checks a new tenant's slug.
func checkSlug(slug string) error {
	switch {
	case slug == "":
		return invalid.Field("slug", "is required")
	case !IsDNSLabel(slug):
		return invalid.Field("slug", "must be a DNS label: lowercase letters, digits and inner hyphens, at most 63")
	case slug == SystemSlug:
		return invalid.Field("slug", "%q is reserved", slug)
	}
	return nil
}

// checkTags checks an app's tags and returns them as a non-nil list.
func checkTags(tags []string) ([]string, error) {
	var errs []error
	if len(tags) > MaxTags {
		errs = append(errs, invalid.Field("tags", "must have at most %d entries, not %d", MaxTags, len(tags)))
	}
	seen := map[string]bool{}
	for i, t := range tags {
		field := fmt.Sprintf("tags[%d]", i)
		switch {
		case !isTag(t):
			errs = append(errs, invalid.Field(field, "must be 1–%d of a-z 0-9 . _ - starting with a letter or digit", MaxTagLen))
		case seen[t]:
			errs = append(errs, invalid.Field(field, "%q appears twice", t))
		}
		seen[t] = true
	}
	return nonNil(tags), errors.Join(errs...)
}

// isTag reports whether t matches [a-z0-9][a-z0-9._-]{0,39}.
func isTag(t string) bool {
	if len(t) == 0 || len(t) > MaxTagLen {
		return false
	}
	for i := range len(t) {
		c := t[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// checkHostname lowercases a custom domain's hostname and checks it is a
// fully qualified DNS name outside the instance's public host.
func (s *Service) checkHostname(field, h string) (string, error) {
	h = strings.ToLower(h)
	if h == "" {
		return h, invalid.Field(field, "is required")
	}
	if len(h) > MaxHostnameLen {
		return h, invalid.Field(field, "must be at most %d characters", MaxHostnameLen)
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return h, invalid.Field(field, "must be a DNS name, not an IP address")
	}
	if strings.HasSuffix(h, ".") {
		return h, invalid.Field(field, "must not end with a dot")
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return h, invalid.Field(field, "must be a fully qualified name with at least two labels")
	}
	for _, l := range labels {
		if !IsDNSLabel(l) {
			return h, invalid.Field(field, "label %q is not a DNS label (a-z, 0-9, inner hyphens, at most 63)", l)
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return h, invalid.Field(field, "must not end in an all-numeric label")
	}
	if p := s.publicHost; p != "" && (h == p || strings.HasSuffix(h, "."+p)) {
		return h, invalid.Field(field, "must not be the instance's own host %q or a name under it", p)
	}
	return h, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// nonNil returns v, or an empty list for nil.
func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
