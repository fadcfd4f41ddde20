package tenant

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/store"
)

// jwksOf returns a JWK Set of keys as JSON.
func jwksOf(t *testing.T, keys ...jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPrivateKeyJWTClients(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	pub := func(k any, kid string) jose.JSONWebKey { return jose.JSONWebKey{Key: k, KeyID: kid, Use: "sig"} }
	svc := func(mut func(*AppInput)) AppInput {
		in := AppInput{Name: "Robot", Type: AppService, TokenEndpointAuthMethod: AuthPrivateKeyJWT}
		mut(&in)
		return in
	}
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		t.Run("a service app with inline keys gets no secret and keeps only public members", func(t *testing.T) {
			in := svc(func(in *AppInput) {
				in.JWKS = jwksOf(t, pub(&ec.PublicKey, "a"), pub(ed, "b"))
				in.ManagementScopes = []string{"users:read", "apps:read"}
			})
			a, secret := e.app(t, ten.ID, in)
			if secret != "" {
				t.Fatal("a private_key_jwt client got a client secret")
			}
			set, err := ParseJWKS([]byte(a.JWKS))
			if err != nil || len(set.Keys) != 2 || set.Keys[1].KeyID != "b" {
				t.Fatalf("stored JWKS %s: %v", a.JWKS, err)
			}
			if !slices.Equal(a.ManagementScopes, []string{"apps:read", "users:read"}) || a.IDTokenAlg != "" {
				t.Fatalf("app %+v", a)
			}
		})
		t.Run("a web app may register a jwks_uri, an ID token algorithm and consent", func(t *testing.T) {
			a, _ := e.app(t, ten.ID, AppInput{Name: "Partner", Type: AppWeb, RedirectURIs: []string{"https://partner.example/cb"},
				TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKSURI: "https://partner.example/jwks.json", IDTokenAlg: AlgEdDSA, ConsentRequired: true})
			if a.JWKSURI == "" || a.IDTokenAlg != AlgEdDSA || !a.ConsentRequired {
				t.Fatalf("app %+v", a)
			}
		})
		t.Run("user-facing apps default to RS256 ID tokens", func(t *testing.T) {
			a, _ := e.app(t, ten.ID, webApp("Plain"))
			if a.IDTokenAlg != AlgRS256 {
				t.Fatalf("alg %q", a.IDTokenAlg)
			}
		})
		for _, tc := range []struct {
			name   string
			in     AppInput
			fields []string
		}{
			{"refuses private_key_jwt without keys", svc(func(*AppInput) {}), []string{"jwks"}},
			{"refuses both jwks and jwks_uri", svc(func(in *AppInput) {
				in.JWKS, in.JWKSURI = jwksOf(t, pub(ed, "")), "https://example.com/jwks"
			}), []string{"jwks_uri"}},
			{"refuses a private key", svc(func(in *AppInput) { in.JWKS = jwksOf(t, pub(edPriv, "")) }), []string{"jwks.keys[0]"}},
			{"refuses a small RSA key", svc(func(in *AppInput) { in.JWKS = jwksOf(t, pub(&small.PublicKey, "")) }), []string{"jwks.keys[0]"}},
			{"refuses several keys without kids", svc(func(in *AppInput) { in.JWKS = jwksOf(t, pub(ed, ""), pub(&ec.PublicKey, "")) }), []string{"jwks.keys[0]", "jwks.keys[1]"}},
			{"refuses a kid twice", svc(func(in *AppInput) { in.JWKS = jwksOf(t, pub(ed, "k"), pub(&ec.PublicKey, "k")) }), []string{"jwks.keys[1]"}},
			{"refuses an encryption key", svc(func(in *AppInput) {
				in.JWKS = jwksOf(t, jose.JSONWebKey{Key: ed, Use: "enc"})
			}), []string{"jwks.keys[0]"}},
			{"refuses an empty set", svc(func(in *AppInput) { in.JWKS = `{"keys":[]}` }), []string{"jwks"}},
			{"refuses JSON that is not a set", svc(func(in *AppInput) { in.JWKS = `{"keys":` }), []string{"jwks"}},
			{"refuses a huge set", svc(func(in *AppInput) { in.JWKS = `{"keys":[],"x":"` + strings.Repeat("a", MaxJWKSBytes) + `"}` }), []string{"jwks"}},
			{"refuses an http jwks_uri", svc(func(in *AppInput) { in.JWKSURI = "http://example.com/jwks" }), []string{"jwks_uri"}},
			{"refuses a jwks_uri with credentials", svc(func(in *AppInput) { in.JWKSURI = "https://u:p@example.com/jwks" }), []string{"jwks_uri"}},
			{"refuses keys on a secret client", AppInput{Name: "Robot", Type: AppService, JWKSURI: "https://example.com/jwks"}, []string{"jwks"}},
			{"refuses management scopes on a secret client", AppInput{Name: "Robot", Type: AppService, ManagementScopes: []string{"users:read"}}, []string{"management_scopes"}},
			{"refuses management scopes on a web app", AppInput{Name: "W", Type: AppWeb, RedirectURIs: []string{"https://e.example/cb"},
				TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKSURI: "https://e.example/jwks", ManagementScopes: []string{"users:read"}}, []string{"management_scopes"}},
			{"refuses a malformed management scope", svc(func(in *AppInput) {
				in.JWKS, in.ManagementScopes = jwksOf(t, pub(ed, "")), []string{"users:read", "Users Read", "users:read"}
			}), []string{"management_scopes[1]", "management_scopes[2]"}},
			{"refuses an ID token algorithm for a service app", svc(func(in *AppInput) { in.JWKS, in.IDTokenAlg = jwksOf(t, pub(ed, "")), AlgRS256 }), []string{"id_token_signed_response_alg"}},
			{"refuses consent for a service app", svc(func(in *AppInput) { in.JWKS, in.ConsentRequired = jwksOf(t, pub(ed, "")), true }), []string{"consent_required"}},
			{"refuses an unknown ID token algorithm", AppInput{Name: "W", Type: AppWeb, RedirectURIs: []string{"https://e.example/cb"}, IDTokenAlg: "HS256"}, []string{"id_token_signed_response_alg"}},
			{"refuses private_key_jwt for an spa", AppInput{Name: "S", Type: AppSPA, RedirectURIs: []string{"https://e.example/cb"},
				TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKSURI: "https://e.example/jwks"}, []string{"token_endpoint_auth_method"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := e.svc.CreateApp(ctx, tx, ten.ID, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("switching a client to private_key_jwt needs keys", func(t *testing.T) {
			a, _ := e.app(t, ten.ID, AppInput{Name: "Switch", Type: AppService})
			m := AuthPrivateKeyJWT
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, AppPatch{TokenEndpointAuthMethod: &m})
				return err
			}), "jwks")
			keys := jwksOf(t, pub(ed, ""))
			got := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) {
				return e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, AppPatch{TokenEndpointAuthMethod: &m, JWKS: &keys})
			})
			if got.TokenEndpointAuthMethod != AuthPrivateKeyJWT || got.JWKS == "" {
				t.Fatalf("updated %+v", got)
			}
		})
	})
}
