package federation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/internal/invalid"
)

// checkKind checks what each kind needs, and that settings of another
// kind are not given.
func checkKind(k Kind, c Config, secret string) []error {
	var errs []error
	need := func(field, value string) {
		if value == "" {
			errs = append(errs, invalid.Field(field, "is required for %s identity providers", k))
		}
	}
	refuse := func(field string, given bool) {
		if given {
			errs = append(errs, invalid.Field(field, "applies only to another kind of identity provider"))
		}
	}
	if k != KindSAML {
		need("config.client_id", c.ClientID)
	}
	switch k {
	case KindOIDC:
		if c.Issuer == "" && (c.AuthorizationURL == "" || c.TokenURL == "" || c.JWKSURL == "") {
			errs = append(errs, invalid.Field("config.issuer", "is required unless authorization_url, token_url and jwks_url are all given"))
		}
	case KindOAuth2:
		need("config.authorization_url", c.AuthorizationURL)
		need("config.token_url", c.TokenURL)
		need("config.userinfo_url", c.UserinfoURL)
	case KindSAML:
		errs = append(errs, checkSAML(c)...)
	case KindApple:
		if !appleIDRE.MatchString(c.AppleTeamID) {
			errs = append(errs, invalid.Field("config.apple_team_id", "must be Apple's 10-character team ID"))
		}
		if !appleIDRE.MatchString(c.AppleKeyID) {
			errs = append(errs, invalid.Field("config.apple_key_id", "must be Apple's 10-character key ID"))
		}
		errs = append(errs, checkAppleKey(secret))
	case KindMicrosoft:
		if t := c.MicrosoftTenant; t != "" && !slices.Contains(microsoftAuthorities, strings.ToLower(t)) && !guidRE.MatchString(t) {
			errs = append(errs, invalid.Field("config.microsoft_tenant", "must be common, organizations, consumers or a tenant ID (a GUID)"))
		}
		if len(c.AllowedTenants) > MaxAllowedTenants {
			errs = append(errs, invalid.Field("config.allowed_tenants", "must have at most %d entries", MaxAllowedTenants))
		}
		for i, t := range c.AllowedTenants {
			if !guidRE.MatchString(t) {
				errs = append(errs, invalid.Field(fmt.Sprintf("config.allowed_tenants[%d]", i), "must be a tenant ID (a GUID)"))
			}
		}
	}
	if k != KindOIDC && k != KindOAuth2 && k != KindSAML && k != KindApple {
		need("secret", secret)
	}
	if k != KindMicrosoft {
		refuse("config.microsoft_tenant", c.MicrosoftTenant != "")
		refuse("config.allowed_tenants", len(c.AllowedTenants) > 0)
	}
	if k != KindApple {
		refuse("config.apple_team_id", c.AppleTeamID != "")
		refuse("config.apple_key_id", c.AppleKeyID != "")
	}
	if k != KindSAML {
		refuse("config.saml_metadata", c.SAMLMetadata != "")
		refuse("config.saml_metadata_url", c.SAMLMetadataURL != "")
		refuse("config.saml_idp_initiated", c.SAMLIdPInitiated)
		refuse("config.saml_initiate_app", c.SAMLInitiateApp != "")
		refuse("config.saml_email_attribute", c.SAMLEmailAttribute != "")
		refuse("config.saml_email_verified", c.SAMLEmailVerified)
	}
	return errs
}

// checkSAML checks a SAML identity provider's metadata and options.
func checkSAML(c Config) []error {
	var errs []error
	switch {
	case c.SAMLMetadata == "":
		errs = append(errs, invalid.Field("config.saml_metadata", "is required for saml identity providers"))
	case len(c.SAMLMetadata) > MaxSAMLMetadataLen:
		errs = append(errs, invalid.Field("config.saml_metadata", "must be at most %d bytes", MaxSAMLMetadataLen))
	default:
		if _, err := parseIdPMetadata([]byte(c.SAMLMetadata)); err != nil {
			errs = append(errs, invalid.Field("config.saml_metadata", "%v", err))
		}
	}
	if c.SAMLIdPInitiated && c.SAMLInitiateApp == "" {
		errs = append(errs, invalid.Field("config.saml_initiate_app", "is required when saml_idp_initiated is set"))
	}
	return errs
}

// parseIdPMetadata parses SAML metadata as the SAML sign-in does
// (parseSAMLMetadata: an EntityDescriptor, or an EntitiesDescriptor
// holding one identity provider, with an entity ID) and checks it
// describes an identity provider Lintel can use: an IDPSSODescriptor
// with a SingleSignOnService and a signing certificate that parses.
func parseIdPMetadata(raw []byte) (*saml.EntityDescriptor, error) {
	ed, err := parseSAMLMetadata(string(raw))
	if err != nil {
		return nil, err
	}
	for _, d := range ed.IDPSSODescriptors {
		if len(d.SingleSignOnServices) > 0 && hasSigningCert(d.KeyDescriptors) {
			return ed, nil
		}
	}
	return nil, errors.New("has no IDPSSODescriptor with both a SingleSignOnService and a signing certificate")
}

// hasSigningCert reports whether one of kds is a signing key (use
// "signing" or unspecified) with an X.509 certificate that parses.
func hasSigningCert(kds []saml.KeyDescriptor) bool {
	for _, kd := range kds {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
			if err != nil {
				continue
			}
			if _, err := x509.ParseCertificate(der); err == nil {
				return true
			}
		}
	}
	return false
}

// checkAppleKey checks Apple's signing key: one PEM block of a PKCS #8
// EC P-256 private key, as Apple's developer site hands it out (.p8).
func checkAppleKey(secret string) error {
	if secret == "" {
		return invalid.Field("secret", "is required for apple identity providers (the .p8 key)")
	}
	block, rest := pem.Decode([]byte(secret))
	if block == nil || block.Type != "PRIVATE KEY" {
		return invalid.Field("secret", "must be a PEM PKCS #8 private key (-----BEGIN PRIVATE KEY-----)")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return invalid.Field("secret", "must hold one key only")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return invalid.Field("secret", "is not a PKCS #8 private key")
	}
	if ec, ok := k.(*ecdsa.PrivateKey); !ok || ec.Curve != elliptic.P256() {
		return invalid.Field("secret", "must be an EC P-256 key (ES256)")
	}
	return nil
}
