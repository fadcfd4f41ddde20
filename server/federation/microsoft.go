package federation

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Microsoft Entra ID (and personal Microsoft accounts) through the v2.0
// endpoint. One authority serves many tenants, so the issuer is checked
// per token against the token's own tenant (tid), and the person is tid +
// "/" + oid: sub is pairwise and oid alone is unique only in its tenant.
// The email is never the subject and never verified: a tenant's admins
// may set any address on an account (nOAuth). Entra's optional xms_edov
// claim (the email's domain is verified) is deliberately not honoured:
// it needs the app registration to ask for it, says nothing of the
// mailbox, and an unverified email only means the person proves an
// existing account before linking.

// microsoftIssuer is the public cloud's authority base.
const microsoftIssuer = "https://login.microsoftonline.com"

// guid matches a tenant or object ID.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// microsoftTenant matches Config.MicrosoftTenant: common, organizations,
// consumers, a tenant ID or one of its domain names.
var microsoftTenant = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)

// microsoftBase is the authority base: Config.Issuer or the public cloud.
func microsoftBase(c Config) string {
	return strings.TrimSuffix(or(c.Issuer, microsoftIssuer), "/")
}

// microsoftAuthority is base + "/" + tenant + "/v2.0", whose discovery
// document names the endpoints (and, for multi-tenant authorities, an
// issuer template "…/{tenantid}/v2.0").
func microsoftAuthority(c Config) (string, error) {
	t := or(c.MicrosoftTenant, "common")
	if !microsoftTenant.MatchString(t) || strings.Contains(t, "..") {
		return "", fmt.Errorf("%w: microsoft_tenant %q is not a tenant", ErrConfig, clip(t, 100))
	}
	return microsoftBase(c) + "/" + t + "/v2.0", nil
}

// checkMicrosoftIssuer requires iss == base + "/" + tid + "/v2.0" for the
// token's tid; a single-tenant authority's discovered issuer exactly; and
// tid among AllowedTenants when they are set.
func checkMicrosoftIssuer(c Config, ep endpoints, claims map[string]any) error {
	tid := strings.ToLower(stringClaim(claims, "tid"))
	if !guid.MatchString(tid) {
		return fmt.Errorf("%w: ID token has no tenant ID (tid)", ErrInvalid)
	}
	iss := stringClaim(claims, "iss")
	if want := microsoftBase(c) + "/" + tid + "/v2.0"; !strings.EqualFold(iss, want) {
		return fmt.Errorf("%w: ID token issued by %q, not by its tenant's issuer %q", ErrInvalid, clip(iss, 100), want)
	}
	if d := ep.discovered; d != "" && !strings.Contains(d, "{tenantid}") && !strings.EqualFold(iss, d) {
		return fmt.Errorf("%w: ID token issued by %q, not by the authority's tenant %q", ErrInvalid, clip(iss, 100), d)
	}
	if len(c.AllowedTenants) > 0 && !slices.ContainsFunc(c.AllowedTenants, func(t string) bool { return strings.EqualFold(t, tid) }) {
		return fmt.Errorf("%w: tenant %s is not among the allowed tenants", ErrInvalid, tid)
	}
	return nil
}

// identifyMicrosoft names the person tid/oid; the email is never
// verified.
func identifyMicrosoft(_ Config, claims map[string]any) (identity, error) {
	tid := strings.ToLower(stringClaim(claims, "tid"))
	oid := strings.ToLower(stringClaim(claims, "oid"))
	if !guid.MatchString(tid) || !guid.MatchString(oid) {
		return identity{}, fmt.Errorf("%w: ID token lacks tid or oid", ErrInvalid)
	}
	return identity{subject: tid + "/" + oid, email: stringClaim(claims, "email")}, nil
}
