package eventhooks

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits of Input.
const (
	// MaxTypes is how many type patterns one hook may hold.
	MaxTypes = 50
	// maxNameLen is in characters.
	maxNameLen = 100
	maxURLLen  = 2048
	// maxTypeLen matches the log's limit on types (and patterns).
	maxTypeLen = 64
	// queryTypes is how many patterns events.Query takes at once; a hook
	// with more reads every type and filters here.
	queryTypes = 32
)

// AllTypes is the pattern that selects every event type.
const AllTypes = "*"

// normalize trims the name and URL and sorts and dedupes the types, so
// that equal subscriptions store equally.
func (in Input) normalize() Input {
	in.Name = strings.TrimSpace(in.Name)
	in.URL = strings.TrimSpace(in.URL)
	in.Types = slices.Clone(in.Types)
	slices.Sort(in.Types)
	in.Types = slices.Compact(in.Types)
	return in
}

// validate checks a normalized input; errors are *invalid.Error naming
// each field, joined.
func (s *Service) validate(in Input) error {
	var errs []error
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		errs = append(errs, invalid.Field("name", "must be set"))
	case n > maxNameLen:
		errs = append(errs, invalid.Field("name", "must be at most %d characters", maxNameLen))
	case !utf8.ValidString(in.Name) || strings.ContainsFunc(in.Name, unicode.IsControl):
		errs = append(errs, invalid.Field("name", "must be text without control characters"))
	}
	if reason := s.urlProblem(in.URL); reason != "" {
		errs = append(errs, invalid.Field("url", "%s", reason))
	}
	switch {
	case len(in.Types) == 0:
		errs = append(errs, invalid.Field("types", `must list at least one event type, prefix ("user.*") or "*"`))
	case len(in.Types) > MaxTypes:
		errs = append(errs, invalid.Field("types", "must hold at most %d patterns", MaxTypes))
	default:
		for i, t := range in.Types {
			if reason := patternProblem(t); reason != "" {
				errs = append(errs, invalid.Field(fmt.Sprintf("types[%d]", i), "%s", reason))
			}
		}
	}
	return errors.Join(errs...)
}

// urlProblem explains why raw cannot be a hook's URL, or returns "". The
// egress client checks the address again at every dial; this gives the
// tenant an early, clear answer for what can be told without DNS.
func (s *Service) urlProblem(raw string) string {
	if raw == "" {
		return "must be set"
	}
	if len(raw) > maxURLLen {
		return fmt.Sprintf("must be at most %d bytes", maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "must be an absolute https URL"
	}
	host := u.Hostname()
	loopback := isLoopback(host)
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback && s.opts.AllowInsecureLoopback:
	default:
		return "must be an https URL"
	}
	switch {
	case host == "":
		return "must name a host"
	case u.User != nil:
		// Credentials in the URL would be stored and shown in clear; the
		// signature is how a receiver knows the sender.
		return "must not hold credentials (user:password@)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case loopback && !s.opts.AllowInsecureLoopback:
		return "must not be a loopback address"
	}
	if a, err := netip.ParseAddr(host); err == nil && egress.Blocked(a) && !(loopback && s.opts.AllowInsecureLoopback) {
		return "must not be a private, loopback or reserved address"
	}
	return ""
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// patternProblem explains why p is not a type pattern, or returns "".
// The rules are the system log's (events.Query.Types): an exact type is
// two or more dot-separated words of lowercase letters, digits and
// underscores, each starting with a letter; a prefix is one or more such
// words followed by ".*"; at most 64 bytes. "*" selects every type.
func patternProblem(p string) string {
	if p == AllTypes {
		return ""
	}
	const shape = `must be an event type ("user.created"), a prefix of one followed by ".*" ("user.*"), or "*"`
	if len(p) > maxTypeLen {
		return fmt.Sprintf("must be at most %d bytes", maxTypeLen)
	}
	if prefix, ok := strings.CutSuffix(p, ".*"); ok {
		if _, ok := dottedWords(prefix); !ok {
			return shape
		}
		return ""
	}
	if n, ok := dottedWords(p); !ok || n < 2 {
		return shape
	}
	return ""
}

// dottedWords counts the words of s if it is words (a-z, 0-9, _, each
// starting with a letter) joined by single dots.
func dottedWords(s string) (int, bool) {
	n := 0
	for _, w := range strings.Split(s, ".") {
		if w == "" || w[0] < 'a' || w[0] > 'z' {
			return 0, false
		}
		for i := 1; i < len(w); i++ {
			if c := w[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return 0, false
			}
		}
		n++
	}
	return n, true
}

// matches reports whether an event of type typ is selected by patterns.
func matches(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == AllTypes || p == typ {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(typ, prefix+".") {
			return true
		}
	}
	return false
}

// queryPatterns is what to hand events.Query for patterns: nil (every
// type) when they hold "*" or more than the query takes, in which case
// matches filters the page.
func queryPatterns(patterns []string) []string {
	if len(patterns) > queryTypes || slices.Contains(patterns, AllTypes) {
		return nil
	}
	return patterns
}
