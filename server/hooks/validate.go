package hooks

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits of a hook's settings.
const (
	maxNameLen  = 100
	maxURLLen   = 2048
	maxPriority = 1_000_000
)

// check normalizes in and refuses what is wrong with it, every field at
// once (errors.Join of *invalid.Error). old is the hook being updated,
// nil on create. A WASM module given is validated by Deps.WASM.
func (s *Service) check(ctx context.Context, in HookInput, old *Hook) (HookInput, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.URL = strings.TrimSpace(in.URL)
	if in.Timeout == 0 {
		in.Timeout = DefaultTimeout
	}
	if in.FailurePolicy == "" {
		in.FailurePolicy = FailDeny
	}
	var errs []error
	if err := checkText(in.Name, maxNameLen); err != "" {
		errs = append(errs, invalid.Field("name", "%s", err))
	}
	if !slices.Contains(Points, in.Point) {
		errs = append(errs, invalid.Field("point", "must be one of %s", joinPoints()))
	}
	switch {
	case in.Timeout < time.Millisecond || in.Timeout > MaxTimeout:
		errs = append(errs, invalid.Field("timeout", "must be between 1ms and %s", MaxTimeout))
	case in.Timeout%time.Millisecond != 0:
		errs = append(errs, invalid.Field("timeout", "must be whole milliseconds"))
	}
	if in.FailurePolicy != FailDeny && in.FailurePolicy != FailContinue {
		errs = append(errs, invalid.Field("failure_policy", `must be "deny" or "continue"`))
	}
	if in.Priority < 0 || in.Priority > maxPriority {
		errs = append(errs, invalid.Field("priority", "must be between 0 and %d", maxPriority))
	}
	switch in.Runtime {
	case RuntimeHTTP:
		if err := s.checkURL(in.URL); err != "" {
			errs = append(errs, invalid.Field("url", "%s", err))
		}
		if in.Module != nil {
			errs = append(errs, invalid.Field("module", "must be empty for an http hook"))
		}
	case RuntimeWASM:
		if in.URL != "" {
			errs = append(errs, invalid.Field("url", "must be empty for a wasm hook"))
		}
		switch {
		case s.d.WASM == nil:
			errs = append(errs, invalid.Field("runtime", "wasm hooks are not available on this server"))
		case in.Module == nil && old == nil:
			errs = append(errs, invalid.Field("module", "is required for a wasm hook"))
		case in.Module == nil:
		case len(in.Module) > MaxModuleSize:
			errs = append(errs, invalid.Field("module", "must be at most %d bytes", MaxModuleSize))
		default:
			if err := s.d.WASM.Validate(ctx, in.Module); err != nil {
				if ctx.Err() != nil {
					return in, err
				}
				errs = append(errs, invalid.Field("module", "is refused: %v", err))
			}
		}
	default:
		errs = append(errs, invalid.Field("runtime", `must be "http" or "wasm"`))
	}
	return in, errors.Join(errs...)
}

// checkURL returns why u cannot be an HTTP hook's URL, or "".
func (s *Service) checkURL(raw string) string {
	if raw == "" {
		return "is required for an http hook"
	}
	if len(raw) > maxURLLen {
		return "is too long"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return "must be an absolute https URL"
	case u.User != nil:
		// Credentials in a URL end up in logs and proxies; the request
		// signature is how a receiver authenticates Lintel.
		return "must not contain user information"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not contain a fragment"
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && s.d.AllowInsecureLoopback && isLoopback(u.Hostname()):
		return ""
	default:
		return "must use https"
	}
}

// isLoopback reports whether host names the machine itself.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkText returns why s is not 1–max printable characters, or "".
func checkText(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case s == "":
		return "must not be empty"
	case utf8.RuneCountInString(s) > max:
		return "must be at most " + strconv.Itoa(max) + " characters"
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0:
		return "must contain only printable characters"
	}
	return ""
}

func joinPoints() string {
	var b strings.Builder
	for i, p := range Points {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(p))
	}
	return b.String()
}
