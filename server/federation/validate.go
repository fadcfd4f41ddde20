package federation

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on an identity provider's settings; exceeding one is refused,
// never truncated.
const (
	MaxIdPNameLen      = 100       // characters of a display name
	MaxIdPURLLen       = 2048      // bytes of an endpoint URL
	MaxSAMLMetadataLen = 256 << 10 // bytes of SAML metadata
	MaxIdPScopes       = 20        // scopes asked for
	MaxIdPScopeLen     = 100       // characters of a scope
	MaxIdPSecretLen    = 8 << 10   // bytes of a client secret or Apple key
	MaxAllowedTenants  = 100       // Microsoft tenants allowed
	maxIdPSettingLen   = 255       // characters of a client ID, claim name…
)

// Microsoft's multi-tenant authorities.
var microsoftAuthorities = []string{"common", "organizations", "consumers"}

var (
	guidRE          = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	appleIDRE       = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	attributeNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// Validate checks in as CreateIdP does before it touches the store (a
// nil Secret counts as none; the stored secret a nil Secret keeps on
// UpdateIdP is checked there). It reports every problem at once: each an
// *invalid.Error naming its JSON field ("config.token_url",
// "config.mapping.given_name"), the whole wrapping ErrConfig.
func (in IdPInput) Validate() error {
	if errs := in.problems(); len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// normalize trims the name and lowercases Microsoft tenant IDs, as they
// are stored.
func (in IdPInput) normalize() IdPInput {
	in.Name = strings.TrimSpace(in.Name)
	in.Config.MicrosoftTenant = strings.ToLower(in.Config.MicrosoftTenant)
	if in.Config.AllowedTenants != nil {
		in.Config.AllowedTenants = slices.Clone(in.Config.AllowedTenants)
		for i, t := range in.Config.AllowedTenants {
			in.Config.AllowedTenants[i] = strings.ToLower(t)
		}
	}
	return in
}

// problems lists what is wrong with in.
func (in IdPInput) problems() []error {
	c := in.Config
	errs := []error{checkIdPName("name", in.Name)}
	if !slices.Contains(Kinds, in.Kind) {
		return append(errs, invalid.Field("kind", "must be one of %v", Kinds))
	}
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
	}
	errs = append(errs, checkSecret(in.Kind, secret))
	for _, u := range []struct {
		field, value string
		query        bool
	}{
		{"config.issuer", c.Issuer, false},
		{"config.authorization_url", c.AuthorizationURL, true},
		{"config.token_url", c.TokenURL, true},
		{"config.userinfo_url", c.UserinfoURL, true},
		{"config.jwks_url", c.JWKSURL, true},
		{"config.saml_metadata_url", c.SAMLMetadataURL, true},
	} {
		if u.value != "" {
			errs = append(errs, checkIdPURL(u.field, u.value, u.query))
		}
	}
	for _, f := range []struct{ field, value string }{
		{"config.client_id", c.ClientID},
		{"config.subject_claim", c.SubjectClaim},
		{"config.email_verified_claim", c.EmailVerifiedClaim},
		{"config.saml_email_attribute", c.SAMLEmailAttribute},
		{"config.saml_initiate_app", c.SAMLInitiateApp},
		{"config.user_type", c.UserType},
	} {
		errs = append(errs, checkSetting(f.field, f.value))
	}
	errs = append(errs, checkScopes(c.Scopes), checkPolicies(in.Kind, c))
	if !slices.Contains([]string{"", "client_secret_basic", "client_secret_post"}, c.TokenAuth) {
		errs = append(errs, invalid.Field("config.token_auth", "must be client_secret_basic or client_secret_post"))
	}
	errs = append(errs, checkKind(in.Kind, c, secret)...)
	if len(c.Mapping) > MaxMappings {
		errs = append(errs, invalid.Field("config.mapping", "must have at most %d entries, not %d", MaxMappings, len(c.Mapping)))
	} else {
		for attr := range c.Mapping {
			if !validAttributeName(attr) {
				errs = append(errs, invalid.Field("config.mapping", "%q is not an attribute name (letters, digits, _ and -, at most %d)", attr, MaxAttributeNameLen))
			}
		}
		if _, err := compileMapping(in.Kind, c); err != nil {
			errs = append(errs, err)
		}
	}
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// checkIdPName checks a display name: 1–MaxIdPNameLen printable
// characters once trimmed.
func checkIdPName(field, name string) error {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return invalid.Field(field, "must be valid UTF-8")
	case n == 0:
		return invalid.Field(field, "is required")
	case n > MaxIdPNameLen:
		return invalid.Field(field, "must be at most %d characters, not %d", MaxIdPNameLen, n)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return invalid.Field(field, "must contain only printable characters (found %U)", r)
		}
	}
	return nil
}

// checkSetting checks a short free-text setting: at most
// maxIdPSettingLen characters, no control characters.
func checkSetting(field, s string) error {
	switch {
	case !utf8.ValidString(s):
		return invalid.Field(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > maxIdPSettingLen:
		return invalid.Field(field, "must be at most %d characters", maxIdPSettingLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return invalid.Field(field, "must not contain control characters")
	}
	return nil
}

func validAttributeName(s string) bool {
	return len(s) <= MaxAttributeNameLen && attributeNameRE.MatchString(s)
}

// checkIdPURL checks an endpoint: an absolute https URL (http only on a
// loopback host, for tests) without credentials or fragment, and for the
// issuer without a query either (OpenID Connect Discovery §3).
func checkIdPURL(field, raw string, query bool) error {
	if len(raw) > MaxIdPURLLen {
		return invalid.Field(field, "must be at most %d bytes", MaxIdPURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return invalid.Field(field, "must be an absolute URL")
	case u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname())):
		return invalid.Field(field, "must use https")
	case u.User != nil:
		return invalid.Field(field, "must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return invalid.Field(field, "must not have a fragment")
	case !query && (u.RawQuery != "" || u.ForceQuery):
		return invalid.Field(field, "must not have a query")
	}
	return nil
}

// loopbackHost reports whether host is localhost, 127.0.0.0/8 or ::1.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// checkScopes checks scope tokens (RFC 6749 §3.3), each given once.
func checkScopes(scopes []string) error {
	if len(scopes) > MaxIdPScopes {
		return invalid.Field("config.scopes", "must have at most %d entries, not %d", MaxIdPScopes, len(scopes))
	}
	var errs []error
	for i, sc := range scopes {
		f := fmt.Sprintf("config.scopes[%d]", i)
		switch {
		case sc == "" || len(sc) > MaxIdPScopeLen || strings.IndexFunc(sc, notScopeChar) >= 0:
			errs = append(errs, invalid.Field(f, "must be 1–%d printable ASCII characters, no space, quote or backslash", MaxIdPScopeLen))
		case slices.Index(scopes, sc) < i:
			errs = append(errs, invalid.Field(f, "appears twice"))
		}
	}
	return errors.Join(errs...)
}

func notScopeChar(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }

// checkPolicies checks JIT, Link and Sync; Sync may name only attributes
// of the effective mapping.
func checkPolicies(k Kind, c Config) error {
	var errs []error
	if !slices.Contains([]JIT{"", JITCreate, JITRequireExisting, JITDeny}, c.JIT) {
		errs = append(errs, invalid.Field("config.jit", "must be %s, %s or %s", JITCreate, JITRequireExisting, JITDeny))
	}
	if !slices.Contains([]LinkPolicy{"", LinkAuto, LinkProve, LinkNever}, c.Link) {
		errs = append(errs, invalid.Field("config.link", "must be %s, %s or %s", LinkAuto, LinkProve, LinkNever))
	}
	if len(c.Sync) > MaxMappings {
		return errors.Join(append(errs, invalid.Field("config.sync", "must have at most %d entries", MaxMappings))...)
	}
	mapped := effectiveMapping(k, c)
	for _, attr := range slices.Sorted(maps.Keys(c.Sync)) {
		f := "config.sync." + attr
		if _, ok := mapped[attr]; !ok {
			errs = append(errs, invalid.Field(f, "is not an attribute the mapping sets"))
		} else if src := c.Sync[attr]; src != SourceIdP && src != SourceLintel {
			errs = append(errs, invalid.Field(f, "must be %s or %s", SourceIdP, SourceLintel))
		}
	}
	return errors.Join(errs...)
}

// checkSecret checks a secret's size and characters: a client secret is
// one line; Apple's key is PEM (checked with the kind).
func checkSecret(k Kind, secret string) error {
	switch {
	case len(secret) > MaxIdPSecretLen:
		return invalid.Field("secret", "must be at most %d bytes", MaxIdPSecretLen)
	case !utf8.ValidString(secret):
		return invalid.Field("secret", "must be valid UTF-8")
	case k != KindApple && strings.IndexFunc(secret, unicode.IsControl) >= 0:
		return invalid.Field("secret", "must not contain control characters")
	case k == KindSAML && secret != "":
		return invalid.Field("secret", "SAML identity providers have no client secret")
	}
	return nil
}
