package authserver

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/tenant"
)

// Limits on input; exceeding one is refused, never truncated.
const (
	MaxNameLen         = 100 // characters of a policy or rule name
	MaxDescriptionLen  = 500 // characters of a description
	MaxAudiences       = 10  // audiences of a server
	MaxAudienceLen     = 200 // characters of one audience
	MaxScopePatternLen = 200 // characters of a server's scope pattern
	MaxScopeNameLen    = 128 // characters of a scope name
	MaxClients         = 100 // client IDs of a scope or policy
	MaxGroups          = 100 // group IDs of a rule
	MaxZones           = 50  // zone IDs of a rule, included or excluded
	MinPriority        = 1
	MaxPriority        = 1000
	// MinTokenBytesLimit and MaxTokenBytesLimit bound Server.MaxTokenBytes.
	MinTokenBytesLimit = 1024
	MaxTokenBytesLimit = 65536
	maxIDLen           = 100 // characters of one ID in a list
	maxHostLen         = 253
)

// Bounds of a rule's token lifetimes (zero takes the default).
const (
	MinAccessTokenLifetime  = 5 * time.Minute
	MaxAccessTokenLifetime  = 24 * time.Hour
	MinRefreshTokenLifetime = time.Hour
	MaxRefreshTokenLifetime = 3650 * 24 * time.Hour
	MinRefreshTokenIdle     = 5 * time.Minute
)

// reservedNames are server names an admin may not take: "default" is
// made by EnsureDefault, "v1" would read as an endpoint version.
var reservedNames = []string{DefaultServer, "v1"}

// checkServerName checks the name of a new server.
func checkServerName(name string) error {
	switch {
	case name == "":
		return invalid.Field("name", "is required")
	case !tenant.IsDNSLabel(name):
		return invalid.Field("name", "must be a DNS label: lowercase letters, digits and inner hyphens, at most 63")
	case slices.Contains(reservedNames, name):
		return invalid.Field("name", "%q is reserved", name)
	}
	return nil
}

// checkName trims a policy or rule name and checks it is 1–MaxNameLen
// printable characters.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return name, invalid.Field("name", "must be valid UTF-8")
	case n == 0:
		return name, invalid.Field("name", "is required")
	case n > MaxNameLen:
		return name, invalid.Field("name", "must be at most %d characters, not %d", MaxNameLen, n)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return name, invalid.Field("name", "must contain only printable characters")
	}
	return name, nil
}

// checkDescription trims a description and checks its length.
func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	switch n := utf8.RuneCountInString(d); {
	case !utf8.ValidString(d):
		return d, invalid.Field("description", "must be valid UTF-8")
	case n > MaxDescriptionLen:
		return d, invalid.Field("description", "must be at most %d characters, not %d", MaxDescriptionLen, n)
	}
	return d, nil
}

// isToken reports whether s is 1–max printable ASCII characters without
// spaces: the form of IDs in lists and of audiences.
func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := range len(s) {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// checkIDs checks a list of IDs: at most max, each a token, none twice.
// It returns the list, never nil.
func checkIDs(field string, ids []string, max int) ([]string, error) {
	if len(ids) > max {
		return ids, invalid.Field(field, "must have at most %d entries, not %d", max, len(ids))
	}
	var errs []error
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !isToken(id, maxIDLen):
			errs = append(errs, invalid.Field(f, "must be an ID of 1–%d printable characters without spaces", maxIDLen))
		case slices.Index(ids, id) < i:
			errs = append(errs, invalid.Field(f, "%q appears twice", id))
		}
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, errors.Join(errs...)
}

// checkPriority checks a policy's or rule's priority.
func checkPriority(p int) error {
	if p < MinPriority || p > MaxPriority {
		return invalid.Field("priority", "must be %d–%d", MinPriority, MaxPriority)
	}
	return nil
}

// isScopeToken reports whether s is 1–MaxScopeNameLen characters of an
// RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
func isScopeToken(s string) bool {
	if s == "" || len(s) > MaxScopeNameLen {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

// compilePattern anchors and compiles a server's scope pattern; "" is nil.
func compilePattern(p string) (*regexp.Regexp, error) {
	if p == "" {
		return nil, nil
	}
	if len(p) > MaxScopePatternLen {
		return nil, invalid.Field("scope_pattern", "must be at most %d characters, not %d", MaxScopePatternLen, len(p))
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, invalid.Field("scope_pattern", "is not a valid regular expression (RE2): %v", err)
	}
	return re, nil
}

// checkHost lowercases a fixed issuer's host and checks its syntax: a DNS
// name of labels, with an optional port; not an IP address.
func checkHost(h string) (string, error) {
	h = strings.ToLower(h)
	name, port, hasPort := strings.Cut(h, ":")
	switch {
	case h == "":
		return h, invalid.Field("issuer_host", "is required for a fixed issuer")
	case len(h) > maxHostLen:
		return h, invalid.Field("issuer_host", "must be at most %d characters", maxHostLen)
	case hasPort && !validPort(port):
		return h, invalid.Field("issuer_host", "has a port that is not 1–65535")
	}
	labels := strings.Split(name, ".")
	if _, err := netip.ParseAddr(name); err == nil || strings.HasPrefix(h, "[") || allDigits(labels[len(labels)-1]) {
		return h, invalid.Field("issuer_host", "must be a DNS name, not an IP address")
	}
	for _, l := range labels {
		if !tenant.IsDNSLabel(l) {
			return h, invalid.Field("issuer_host", "label %q is not a DNS label (a-z, 0-9, inner hyphens, at most 63)", l)
		}
	}
	return h, nil
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

// checkLifetime checks a rule's token lifetime: zero (the default) or a
// whole number of seconds within [min, max].
func checkLifetime(field string, d, min, max time.Duration) error {
	switch {
	case d == 0:
		return nil
	case d%time.Second != 0:
		return invalid.Field(field, "must be a whole number of seconds")
	case d < min || d > max:
		return invalid.Field(field, "must be 0 (the default) or %v–%v, not %v", min, max, d)
	}
	return nil
}
