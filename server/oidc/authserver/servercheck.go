package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// checkServer checks every field of a server but its name and fills in
// the defaults (issuer mode, token size, non-nil audiences). All problems
// are reported at once.
func checkServer(srv *Server) error {
	var errs []error
	var err error
	srv.Description, err = checkDescription(srv.Description)
	errs = append(errs, err, checkAudiences(srv.Audiences))
	if srv.Audiences == nil {
		srv.Audiences = []string{}
	}
	switch srv.IssuerMode {
	case "", IssuerDynamic:
		srv.IssuerMode = IssuerDynamic
		if srv.IssuerHost != "" {
			errs = append(errs, invalid.Field("issuer_host", "must be empty for a dynamic issuer"))
		}
	case IssuerFixed:
		srv.IssuerHost, err = checkHost(srv.IssuerHost)
		errs = append(errs, err)
	default:
		errs = append(errs, invalid.Field("issuer_mode", "must be %q or %q", IssuerDynamic, IssuerFixed))
	}
	_, err = compilePattern(srv.ScopePattern)
	errs = append(errs, err)
	switch n := srv.MaxTokenBytes; {
	case n == 0:
		srv.MaxTokenBytes = DefaultMaxTokenBytes
	case n < MinTokenBytesLimit || n > MaxTokenBytesLimit:
		errs = append(errs, invalid.Field("max_token_bytes", "must be 0 (the default, %d) or %d–%d", DefaultMaxTokenBytes, MinTokenBytesLimit, MaxTokenBytesLimit))
	}
	return errors.Join(errs...)
}

// checkAudiences checks a server's audiences: URIs or other strings
// without spaces.
func checkAudiences(aud []string) error {
	if len(aud) > MaxAudiences {
		return invalid.Field("audiences", "must have at most %d entries, not %d", MaxAudiences, len(aud))
	}
	var errs []error
	for i, a := range aud {
		f := fmt.Sprintf("audiences[%d]", i)
		switch n := utf8.RuneCountInString(a); {
		case n == 0 || n > MaxAudienceLen || !utf8.ValidString(a):
			errs = append(errs, invalid.Field(f, "must be 1–%d characters of valid UTF-8", MaxAudienceLen))
		case strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
			errs = append(errs, invalid.Field(f, "must not contain spaces or control characters"))
		case slices.Index(aud, a) < i:
			errs = append(errs, invalid.Field(f, "%q appears twice", a))
		}
	}
	return errors.Join(errs...)
}

// checkIssuerHost asks s.Hosts, when set, whether a fixed issuer's host
// belongs to the tenant.
func (s *Service) checkIssuerHost(ctx context.Context, tx store.Tx, srv Server) error {
	if srv.IssuerMode != IssuerFixed || s.Hosts == nil {
		return nil
	}
	ok, err := s.Hosts.TenantHasHost(ctx, tx, srv.TenantID, srv.IssuerHost)
	switch {
	case err != nil:
		return fmt.Errorf("authserver: check issuer host: %w", err)
	case !ok:
		return invalid.Field("issuer_host", "%q is neither the instance's host nor a verified domain of the tenant", srv.IssuerHost)
	}
	return nil
}

// checkPatternFits refuses a scope pattern that an existing non-system
// scope of the server does not match, naming the scopes.
func (s *Service) checkPatternFits(ctx context.Context, tx store.Tx, srv Server) error {
	re, err := compilePattern(srv.ScopePattern)
	if err != nil || re == nil {
		return err
	}
	scopes, err := s.scopesOf(ctx, tx, srv.TenantID, srv.ID)
	if err != nil {
		return err
	}
	var misfits []string
	for _, sc := range scopes {
		if !sc.System && !re.MatchString(sc.Name) {
			misfits = append(misfits, fmt.Sprintf("%q", sc.Name))
		}
	}
	if len(misfits) > 0 {
		return invalid.Field("scope_pattern", "existing scopes do not match it: %s", strings.Join(misfits, ", "))
	}
	return nil
}
