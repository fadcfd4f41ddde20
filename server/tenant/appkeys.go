package tenant

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits of a client's key material and management scopes.
const (
	MaxJWKSBytes        = 16 << 10
	MaxJWKSKeys         = 10
	MaxManagementScopes = 50
	minRSABits          = 2048
)

// ID token signing algorithms a client may register.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// IDTokenAlgs lists the id_token_signed_response_alg values, default first.
var IDTokenAlgs = []string{AlgRS256, AlgES256, AlgEdDSA}

// checkKeys checks the JWKS or jwks_uri of a private_key_jwt client, and
// that other clients register neither. The stored JWKS is re-encoded so
// that only public members of known keys are kept.
func (a *appSpec) checkKeys() error {
	if a.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
		if a.JWKS != "" || a.JWKSURI != "" {
			return invalid.Field("jwks", "only private_key_jwt clients register keys")
		}
		return nil
	}
	switch {
	case a.JWKS == "" && a.JWKSURI == "":
		return invalid.Field("jwks", "private_key_jwt clients need jwks or jwks_uri")
	case a.JWKS != "" && a.JWKSURI != "":
		return invalid.Field("jwks_uri", "give jwks or jwks_uri, not both")
	case a.JWKSURI != "":
		return checkJWKSURI(a.JWKSURI)
	}
	set, err := ParseJWKS([]byte(a.JWKS))
	if err != nil {
		return err
	}
	b, err := json.Marshal(set)
	if err != nil {
		return invalid.Field("jwks", "cannot be encoded: %v", err)
	}
	a.JWKS = string(b)
	return nil
}

// ParseJWKS parses a client's JWK Set (RFC 7517) and checks every key: a
// public signing key (RSA of at least 2048 bits, EC P-256/P-384/P-521 or
// Ed25519), use "sig" or none, a kid on each key when there are several,
// no kid twice. Errors are *invalid.Error on field jwks.
func ParseJWKS(raw []byte) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if len(raw) > MaxJWKSBytes {
		return set, invalid.Field("jwks", "must be at most %d bytes", MaxJWKSBytes)
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return set, invalid.Field("jwks", "is not a JWK Set: %v", jsonProblem(err))
	}
	switch n := len(set.Keys); {
	case n == 0:
		return set, invalid.Field("jwks", "has no keys")
	case n > MaxJWKSKeys:
		return set, invalid.Field("jwks", "must have at most %d keys, not %d", MaxJWKSKeys, n)
	}
	var errs []error
	for i, k := range set.Keys {
		f := fmt.Sprintf("jwks.keys[%d]", i)
		switch {
		case !k.IsPublic():
			errs = append(errs, invalid.Field(f, "must be a public key (never send a private key)"))
		case !k.Valid():
			errs = append(errs, invalid.Field(f, "is not a valid key"))
		case k.Use != "" && k.Use != "sig":
			errs = append(errs, invalid.Field(f, "use must be sig"))
		case len(set.Keys) > 1 && k.KeyID == "":
			errs = append(errs, invalid.Field(f, "needs a kid when the set has several keys"))
		case k.KeyID != "" && slices.IndexFunc(set.Keys[:i], func(o jose.JSONWebKey) bool { return o.KeyID == k.KeyID }) >= 0:
			errs = append(errs, invalid.Field(f, "kid %q appears twice", k.KeyID))
		default:
			if err := checkKeyType(f, k.Key); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return set, errors.Join(errs...)
}

// checkKeyType accepts the key types a client may sign assertions with.
func checkKeyType(field string, key any) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return invalid.Field(field, "RSA keys must have at least %d bits", minRSABits)
		}
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
		default:
			return invalid.Field(field, "EC keys must be on P-256, P-384 or P-521")
		}
	case ed25519.PublicKey:
	default:
		return invalid.Field(field, "must be an RSA, EC or Ed25519 key")
	}
	return nil
}

// jsonProblem describes a JSON error without echoing input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at offset %d", syn.Offset)
	}
	return "unexpected content"
}

// checkJWKSURI checks a jwks_uri: an absolute https URL without userinfo
// or fragment. Whether its host may be reached is decided when it is
// fetched, by the egress dialer.
func checkJWKSURI(raw string) error {
	const f = "jwks_uri"
	if len(raw) > MaxURILen || !uriChars(raw) {
		return invalid.Field(f, "must be a URI of at most %d characters", MaxURILen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return invalid.Field(f, "must be an absolute URL")
	case u.Scheme != "https":
		return invalid.Field(f, "must use https")
	case u.User != nil:
		return invalid.Field(f, "must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return invalid.Field(f, "must not have a fragment")
	}
	return checkHostPort(f, u)
}

// checkTokens checks what an app asks of its tokens: the ID token
// algorithm, consent and management scopes.
func (a *appSpec) checkTokens() error {
	var errs []error
	if a.Type == AppService {
		if a.IDTokenAlg != "" {
			errs = append(errs, invalid.Field("id_token_signed_response_alg", "service apps get no ID tokens"))
		}
		if a.ConsentRequired {
			errs = append(errs, invalid.Field("consent_required", "service apps act for no user"))
		}
	} else {
		if a.IDTokenAlg == "" {
			a.IDTokenAlg = AlgRS256
		}
		if !slices.Contains(IDTokenAlgs, a.IDTokenAlg) {
			errs = append(errs, invalid.Field("id_token_signed_response_alg", "must be one of %v", IDTokenAlgs))
		}
	}
	if len(a.ManagementScopes) == 0 {
		return errors.Join(errs...)
	}
	if a.Type != AppService || a.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
		errs = append(errs, invalid.Field("management_scopes", "only service apps that use private_key_jwt may hold management scopes"))
	}
	if len(a.ManagementScopes) > MaxManagementScopes {
		errs = append(errs, invalid.Field("management_scopes", "must have at most %d entries", MaxManagementScopes))
	}
	for i, s := range a.ManagementScopes {
		if !isScopeName(s) || slices.Index(a.ManagementScopes, s) < i {
			errs = append(errs, invalid.Field(fmt.Sprintf("management_scopes[%d]", i), "must be a scope name (a-z, ':', '_', '-') given once"))
		}
	}
	a.ManagementScopes = slices.Clone(a.ManagementScopes)
	slices.Sort(a.ManagementScopes)
	return errors.Join(errs...)
}

// isScopeName reports whether s is 1–64 of [a-z:_-].
func isScopeName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c == ':' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
