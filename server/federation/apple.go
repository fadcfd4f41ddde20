package federation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// Sign in with Apple. Apple posts the callback (response_mode=form_post,
// required when the scope asks for name or email), authenticates clients
// with a short-lived JWT signed by the team's key instead of a secret,
// has no userinfo endpoint, sends email_verified and is_private_email as
// the strings "true"/"false" (or booleans), and sends the person's name
// once, in the callback's user field, outside of any signature.

// appleIssuer is Apple's issuer and the audience of the client secret.
const appleIssuer = "https://appleid.apple.com"

// appleSecretLife is how long a client-secret JWT is valid (Apple allows
// six months; one exchange needs seconds).
const appleSecretLife = 5 * time.Minute

// maxAppleUser bounds the user field read; a longer one is ignored.
const maxAppleUser = 4 << 10

// appleClientSecret signs the client-secret JWT: ES256 with the PKCS #8
// P-256 key in IdP.Secret, kid = AppleKeyID, iss = AppleTeamID, sub = the
// Services ID, aud = the issuer.
func appleClientSecret(s *Service, idp IdP) (string, error) {
	c := idp.Config
	if c.AppleTeamID == "" || c.AppleKeyID == "" {
		return "", fmt.Errorf("%w: identity provider %s needs apple_team_id and apple_key_id", ErrConfig, idp.ID)
	}
	key, err := appleKey(idp.Secret)
	if err != nil {
		return "", fmt.Errorf("%w: identity provider %s: %v", ErrConfig, idp.ID, err)
	}
	now := s.d.Clock.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    c.AppleTeamID,
		Subject:   c.ClientID,
		Audience:  jwt.ClaimStrings{or(c.Issuer, appleIssuer)},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(appleSecretLife)),
	})
	tok.Header["kid"] = c.AppleKeyID
	signed, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("%w: signing the client secret: %v", ErrConfig, err)
	}
	return signed, nil
}

// appleKey parses a PEM PKCS #8 P-256 private key. Its errors never quote
// the key.
func appleKey(pemText string) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, fmt.Errorf("the Apple key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the Apple key is not PKCS #8")
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("the Apple key is not a P-256 key")
	}
	return ec, nil
}

// appleFromCallback adds the name of the callback's user field to the
// claims as given_name and family_name, unless the ID token named them.
// Its email is ignored: only the signed token's counts.
func appleFromCallback(cb url.Values, claims map[string]any) {
	given, family, ok := parseAppleUser(cb.Get("user"))
	if !ok {
		return
	}
	if _, set := claims["given_name"]; !set && given != "" {
		claims["given_name"] = given
	}
	if _, set := claims["family_name"]; !set && family != "" {
		claims["family_name"] = family
	}
}

// parseAppleUser reads the names of Apple's user field
// ({"name":{"firstName":…,"lastName":…},"email":…}); ok is false when it
// is empty, too long or malformed.
func parseAppleUser(raw string) (given, family string, ok bool) {
	if raw == "" || len(raw) > maxAppleUser || !utf8.ValidString(raw) {
		return "", "", false
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &u) != nil {
		return "", "", false
	}
	given, family = strings.TrimSpace(u.Name.FirstName), strings.TrimSpace(u.Name.LastName)
	if len(given) > 200 || len(family) > 200 {
		return "", "", false
	}
	return given, family, given != "" || family != ""
}

// identifyApple reads sub and email; email_verified and is_private_email
// count as true when they are true or "true", and become booleans in the
// claims.
func identifyApple(_ Config, claims map[string]any) (identity, error) {
	for _, name := range []string{"email_verified", "is_private_email"} {
		if _, ok := claims[name]; ok {
			claims[name] = appleBool(claims[name])
		}
	}
	return identity{
		subject:  stringClaim(claims, "sub"),
		email:    stringClaim(claims, "email"),
		verified: claims["email_verified"] == true,
	}, nil
}

// appleBool is v as Apple means it: true or "true".
func appleBool(v any) bool {
	return v == true || v == "true"
}
