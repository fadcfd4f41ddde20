package federation

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

// testCertificate is a self-signed certificate, base64 DER as in SAML
// metadata. It is the same in every process (an Ed25519 key from a fixed
// seed signs deterministically), as the fuzzer's seed corpus must be.
func testCertificate(t testing.TB) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.example"},
		NotBefore: fedT0, NotAfter: fedT0.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// metadataXML is SAML metadata of an identity provider with a
// KeyDescriptor of use (none when use is "-") holding cert, and a
// SingleSignOnService unless sso is false.
func metadataXML(use, cert string, sso bool) string {
	kd := ""
	if use != "-" {
		attr := ""
		if use != "" {
			attr = fmt.Sprintf(` use="%s"`, use)
		}
		kd = fmt.Sprintf(`<md:KeyDescriptor%s><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`, attr, cert)
	}
	svc := ""
	if sso {
		svc = `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>`
	}
	return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/metadata">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kd + svc + `</md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// testMetadata is valid SAML metadata of an identity provider.
func testMetadata(t testing.TB) string { return metadataXML("signing", testCertificate(t), true) }

// pemKey is key in a PEM PKCS #8 block.
func pemKey(t testing.TB, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestValidate(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	appleKey := pemKey(t, p256)
	meta := testMetadata(t)
	cert := testCertificate(t)
	const guid = "72F988BF-86F1-41AF-91AB-2D7CD011DB47"

	oidc := func(f func(*IdPInput)) IdPInput {
		in := IdPInput{Name: "Acme", Kind: KindOIDC, Config: Config{Issuer: "https://login.acme.example", ClientID: "lintel"}}
		f(&in)
		return in
	}
	kind := func(k Kind, secret *string, c Config) IdPInput {
		return IdPInput{Name: "Provider", Kind: k, Config: c, Secret: secret}
	}
	apple := Config{ClientID: "com.acme.web", AppleTeamID: "ABCDE12345", AppleKeyID: "KEY1234567"}
	saml := func(f func(*Config)) IdPInput {
		c := Config{SAMLMetadata: meta}
		f(&c)
		return kind(KindSAML, nil, c)
	}

	valid := []struct {
		name string
		in   IdPInput
	}{
		{"oidc by discovery", oidc(func(*IdPInput) {})},
		{"oidc by endpoints", oidc(func(in *IdPInput) {
			in.Config.Issuer = ""
			in.Config.AuthorizationURL, in.Config.TokenURL, in.Config.JWKSURL = "https://a.example/auth", "https://a.example/token", "https://a.example/jwks"
		})},
		{"oidc on loopback http (tests)", oidc(func(in *IdPInput) { in.Config.Issuer = "http://127.0.0.1:8080/realm" })},
		{"oidc on localhost and ::1", oidc(func(in *IdPInput) {
			in.Config.Issuer, in.Config.JWKSURL = "http://localhost:9000", "http://[::1]:9000/jwks"
		})},
		{"oauth2", kind(KindOAuth2, nil, Config{ClientID: "c", AuthorizationURL: "https://gh.example/auth?x=1",
			TokenURL: "https://gh.example/token", UserinfoURL: "https://gh.example/user", TokenAuth: "client_secret_post"})},
		{"google", kind(KindGoogle, ptr("s"), Config{ClientID: "c", Scopes: []string{"openid", "email"}})},
		{"microsoft, common by default", kind(KindMicrosoft, ptr("s"), Config{ClientID: "c"})},
		{"microsoft, a tenant GUID", kind(KindMicrosoft, ptr("s"), Config{ClientID: "c", MicrosoftTenant: guid, AllowedTenants: []string{guid}})},
		{"microsoft, organizations", kind(KindMicrosoft, ptr("s"), Config{ClientID: "c", MicrosoftTenant: "organizations"})},
		{"apple", kind(KindApple, &appleKey, apple)},
		{"facebook, linkedin, github", kind(KindGitHub, ptr("s"), Config{ClientID: "c", JIT: JITDeny, Link: LinkNever})},
		{"saml", saml(func(*Config) {})},
		{"saml with IdP-initiated sign-in", saml(func(c *Config) { c.SAMLIdPInitiated, c.SAMLInitiateApp = true, "app_x" })},
		{"saml with an unspecified key use", kind(KindSAML, nil, Config{SAMLMetadata: metadataXML("", cert, true)})},
		{"saml metadata of an aggregate", kind(KindSAML, nil, Config{SAMLMetadata: `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
			strings.TrimPrefix(meta, `<?xml version="1.0"?>`) + `</md:EntitiesDescriptor>`})},
		{"sync of default attributes", oidc(func(in *IdPInput) {
			in.Config.Sync = map[string]Source{"given_name": SourceIdP, "email": SourceLintel}
		})},
		{"custom mapping and its sync", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{"department": `claims[?"dept"]`, "is_admin": `"admins" in claims`}
			in.Config.Sync = map[string]Source{"department": SourceIdP}
		})},
	}
	for _, c := range valid {
		t.Run("accepts "+c.name, func(t *testing.T) {
			if err := c.in.Validate(); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}

	long := strings.Repeat("a", 101)
	refused := []struct {
		name, field string
		in          IdPInput
	}{
		{"an empty name", "name", oidc(func(in *IdPInput) { in.Name = "  " })},
		{"a name too long", "name", oidc(func(in *IdPInput) { in.Name = long })},
		{"a control character in the name", "name", oidc(func(in *IdPInput) { in.Name = "Ac\x07me" })},
		{"an unknown kind", "kind", oidc(func(in *IdPInput) { in.Kind = "ldap" })},
		{"an unknown JIT policy", "config.jit", oidc(func(in *IdPInput) { in.Config.JIT = "maybe" })},
		{"an unknown link policy", "config.link", oidc(func(in *IdPInput) { in.Config.Link = "always" })},
		{"an unknown sync source", "config.sync.given_name", oidc(func(in *IdPInput) { in.Config.Sync = map[string]Source{"given_name": "ldap"} })},
		{"sync of an unmapped attribute", "config.sync.department", oidc(func(in *IdPInput) { in.Config.Sync = map[string]Source{"department": SourceIdP} })},
		{"sync of a default the custom mapping drops", "config.sync.given_name", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{"email": "email"}
			in.Config.Sync = map[string]Source{"given_name": SourceIdP}
		})},
		{"an http issuer", "config.issuer", oidc(func(in *IdPInput) { in.Config.Issuer = "http://login.acme.example" })},
		{"http on a private address", "config.issuer", oidc(func(in *IdPInput) { in.Config.Issuer = "http://10.0.0.1" })},
		{"a relative URL", "config.token_url", oidc(func(in *IdPInput) { in.Config.TokenURL = "/token" })},
		{"a URL with credentials", "config.jwks_url", oidc(func(in *IdPInput) { in.Config.JWKSURL = "https://u:p@a.example/jwks" })},
		{"a URL with a fragment", "config.userinfo_url", oidc(func(in *IdPInput) { in.Config.UserinfoURL = "https://a.example/u#x" })},
		{"an empty fragment", "config.userinfo_url", oidc(func(in *IdPInput) { in.Config.UserinfoURL = "https://a.example/u#" })},
		{"an issuer with a query", "config.issuer", oidc(func(in *IdPInput) { in.Config.Issuer = "https://a.example/?tenant=1" })},
		{"a URL too long", "config.authorization_url", oidc(func(in *IdPInput) {
			in.Config.AuthorizationURL = "https://a.example/" + strings.Repeat("x", MaxIdPURLLen)
		})},
		{"a mailto URL", "config.saml_metadata_url", saml(func(c *Config) { c.SAMLMetadataURL = "mailto:a@b.example" })},
		{"oidc without issuer or endpoints", "config.issuer", oidc(func(in *IdPInput) {
			in.Config.Issuer, in.Config.AuthorizationURL, in.Config.TokenURL = "", "https://a.example/a", "https://a.example/t"
		})},
		{"oidc without client ID", "config.client_id", oidc(func(in *IdPInput) { in.Config.ClientID = "" })},
		{"oauth2 without userinfo", "config.userinfo_url", kind(KindOAuth2, nil, Config{ClientID: "c",
			AuthorizationURL: "https://a.example/a", TokenURL: "https://a.example/t"})},
		{"oauth2 without token endpoint", "config.token_url", kind(KindOAuth2, nil, Config{ClientID: "c",
			AuthorizationURL: "https://a.example/a", UserinfoURL: "https://a.example/u"})},
		{"oauth2 without authorization endpoint", "config.authorization_url", kind(KindOAuth2, nil, Config{ClientID: "c",
			TokenURL: "https://a.example/t", UserinfoURL: "https://a.example/u"})},
		{"a preset without client ID", "config.client_id", kind(KindFacebook, ptr("s"), Config{})},
		{"a preset without secret", "secret", kind(KindLinkedIn, nil, Config{ClientID: "c"})},
		{"a secret with a newline", "secret", kind(KindGoogle, ptr("a\nb"), Config{ClientID: "c"})},
		{"a secret too long", "secret", kind(KindGoogle, ptr(strings.Repeat("s", MaxIdPSecretLen+1)), Config{ClientID: "c"})},
		{"a SAML secret", "secret", kind(KindSAML, ptr("s"), Config{SAMLMetadata: meta})},
		{"an unknown token auth", "config.token_auth", oidc(func(in *IdPInput) { in.Config.TokenAuth = "private_key_jwt" })},
		{"a client ID with a control character", "config.client_id", oidc(func(in *IdPInput) { in.Config.ClientID = "a\x00b" })},
		{"a claim name too long", "config.subject_claim", oidc(func(in *IdPInput) { in.Config.SubjectClaim = strings.Repeat("c", 256) })},
		{"too many scopes", "config.scopes", oidc(func(in *IdPInput) { in.Config.Scopes = make([]string, MaxIdPScopes+1) })},
		{"a scope too long", "config.scopes[1]", oidc(func(in *IdPInput) { in.Config.Scopes = []string{"openid", long} })},
		{"a scope with a space", "config.scopes[0]", oidc(func(in *IdPInput) { in.Config.Scopes = []string{"openid email"} })},
		{"a scope twice", "config.scopes[1]", oidc(func(in *IdPInput) { in.Config.Scopes = []string{"openid", "openid"} })},
		{"apple without team ID", "config.apple_team_id", kind(KindApple, &appleKey, Config{ClientID: "c", AppleKeyID: "KEY1234567"})},
		{"apple with a bad key ID", "config.apple_key_id", kind(KindApple, &appleKey, Config{ClientID: "c", AppleTeamID: "ABCDE12345", AppleKeyID: "k"})},
		{"apple without key", "secret", kind(KindApple, nil, apple)},
		{"apple with a key that is not PEM", "secret", kind(KindApple, ptr("MIGHAgEAMBMGByqGSM49"), apple)},
		{"apple with a P-384 key", "secret", kind(KindApple, ptr(pemKey(t, p384)), apple)},
		{"apple with an RSA key", "secret", kind(KindApple, ptr(pemKey(t, rsaKey)), apple)},
		{"apple with two keys", "secret", kind(KindApple, ptr(appleKey+appleKey), apple)},
		{"apple with an EC key not in PKCS #8", "secret", kind(KindApple, ptr(func() string {
			der, _ := x509.MarshalECPrivateKey(p256)
			return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
		}()), apple)},
		{"apple settings on another kind", "config.apple_team_id", oidc(func(in *IdPInput) { in.Config.AppleTeamID = "ABCDE12345" })},
		{"an unknown Microsoft authority", "config.microsoft_tenant", kind(KindMicrosoft, ptr("s"), Config{ClientID: "c", MicrosoftTenant: "acme.com"})},
		{"an allowed tenant that is not a GUID", "config.allowed_tenants[1]", kind(KindMicrosoft, ptr("s"),
			Config{ClientID: "c", AllowedTenants: []string{guid, "contoso"}})},
		{"Microsoft settings on another kind", "config.microsoft_tenant", kind(KindGoogle, ptr("s"), Config{ClientID: "c", MicrosoftTenant: "common"})},
		{"saml without metadata", "config.saml_metadata", kind(KindSAML, nil, Config{})},
		{"saml metadata too large", "config.saml_metadata", saml(func(c *Config) { c.SAMLMetadata = strings.Repeat(" ", MaxSAMLMetadataLen+1) })},
		{"saml metadata that is not XML", "config.saml_metadata", saml(func(c *Config) { c.SAMLMetadata = "{}" })},
		{"saml metadata of a service provider", "config.saml_metadata", saml(func(c *Config) {
			c.SAMLMetadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>`
		})},
		{"saml metadata without entity ID", "config.saml_metadata", saml(func(c *Config) {
			c.SAMLMetadata = strings.Replace(meta, `entityID="https://idp.example/metadata"`, "", 1)
		})},
		{"saml metadata without SSO service", "config.saml_metadata", saml(func(c *Config) { c.SAMLMetadata = metadataXML("signing", cert, false) })},
		{"saml metadata without key", "config.saml_metadata", saml(func(c *Config) { c.SAMLMetadata = metadataXML("-", "", true) })},
		{"saml metadata with an encryption key only", "config.saml_metadata", saml(func(c *Config) { c.SAMLMetadata = metadataXML("encryption", cert, true) })},
		{"saml metadata with a broken certificate", "config.saml_metadata", saml(func(c *Config) { c.SAMLMetadata = metadataXML("signing", "AAAA", true) })},
		{"IdP-initiated saml without app", "config.saml_initiate_app", saml(func(c *Config) { c.SAMLIdPInitiated = true })},
		{"saml settings on another kind", "config.saml_metadata", oidc(func(in *IdPInput) { in.Config.SAMLMetadata = meta })},
		{"too many mappings", "config.mapping", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{}
			for i := range MaxMappings + 1 {
				in.Config.Mapping[fmt.Sprintf("a%d", i)] = "email"
			}
		})},
		{"a bad attribute name", "config.mapping", oidc(func(in *IdPInput) { in.Config.Mapping = map[string]string{"given name": "email"} })},
		{"an expression too long", "config.mapping.note", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{"note": `"` + strings.Repeat("x", MaxMappingExpressionLen) + `"`}
		})},
		{"an expression that does not compile", "config.mapping.given_name", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{"email": "email", "given_name": "claims.given_name +"}
		})},
		{"an expression of a map", "config.mapping.address", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{"address": `{"a": 1}`}
		})},
		{"an expression over the cost limit", "config.mapping.groups", oidc(func(in *IdPInput) {
			in.Config.Mapping = map[string]string{"groups": `claims.groups.map(g, claims.groups.map(h, string(g) + string(h))).map(l, l.join(","))`}
		})},
	}
	for _, c := range refused {
		t.Run("refuses "+c.name, func(t *testing.T) {
			err := c.in.Validate()
			if !errors.Is(err, ErrConfig) || !invalid.Is(err) {
				t.Fatalf("got %v, want ErrConfig with an invalid.Error", err)
			}
			if !hasField(err, c.field) {
				t.Errorf("got %v, want the field %s named", err, c.field)
			}
		})
	}
}

// FuzzIdPMetadata checks that parsing SAML metadata from an admin never
// panics and only accepts what has a SingleSignOnService and a signing
// certificate.
func FuzzIdPMetadata(f *testing.F) {
	cert := testCertificate(f)
	f.Add(metadataXML("signing", cert, true))
	f.Add(metadataXML("", cert, false))
	f.Add(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		strings.TrimPrefix(metadataXML("signing", cert, true), `<?xml version="1.0"?>`) + `</md:EntitiesDescriptor>`)
	f.Add("<x/>")
	f.Fuzz(func(t *testing.T, raw string) {
		ed, err := parseIdPMetadata([]byte(raw))
		if err != nil {
			return
		}
		ok := false
		for _, d := range ed.IDPSSODescriptors {
			ok = ok || len(d.SingleSignOnServices) > 0 && hasSigningCert(d.KeyDescriptors)
		}
		if !ok {
			t.Errorf("accepted metadata without SSO service and signing certificate: %q", raw)
		}
	})
}
