package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// jwks fetches the JWK set of iss from p.
func jwks(t testing.TB, p *oidc.Provider, iss oidc.Issuer) (jose.JSONWebKeySet, *httptest.ResponseRecorder) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, iss.URL+oidc.PathKeys, nil)
	rec := httptest.NewRecorder()
	p.JWKS().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	if rec.Code != http.StatusOK {
		t.Errorf("JWKS: %d %s", rec.Code, rec.Body)
		return jose.JSONWebKeySet{}, rec
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Errorf("JWKS: %v", err) // not Fatal: called from goroutines
	}
	return set, rec
}

// kids lists the key IDs and algorithms of a set.
func kids(set jose.JSONWebKeySet) string {
	var s []string
	for _, k := range set.Keys {
		s = append(s, k.Algorithm+":"+k.KeyID)
	}
	return strings.Join(s, ",")
}

// keyCount counts the stored signing keys of every server.
func keyCount(t testing.TB, st store.Store) int {
	t.Helper()
	var n int
	err := st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_keys`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestKeys(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("serves the keys as public JSON, cacheable for the max-age the rotation lead counts on", func(t *testing.T) {
				w := newWorld(t, b)
				set, rec := jwks(t, w.p, w.iss)
				if got := strings.Split(kids(set), ","); len(got) != 3 || !strings.HasPrefix(got[0], "RS256:") ||
					!strings.HasPrefix(got[1], "ES256:") || !strings.HasPrefix(got[2], "EdDSA:") {
					t.Errorf("JWKS %s, want one key per algorithm", kids(set))
				}
				_, age, ok := strings.Cut(rec.Header().Get("Cache-Control"), "max-age=")
				if secs, err := strconv.Atoi(age); !ok || err != nil || time.Duration(secs)*time.Second != keyring.JWKSMaxAge {
					t.Errorf("JWKS Cache-Control %q, want max-age %v", rec.Header().Get("Cache-Control"), keyring.JWKSMaxAge)
				}
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("JWKS Access-Control-Allow-Origin %q", got)
				}
				var raw struct{ Keys []map[string]any }
				if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
					t.Fatal(err)
				}
				for _, k := range raw.Keys {
					if k["use"] != "sig" || k["d"] != nil || k["p"] != nil {
						t.Errorf("key served as %v", k)
					}
					if k["alg"] == "EdDSA" && (k["kty"] != "OKP" || k["crv"] != "Ed25519") {
						t.Errorf("EdDSA key served as %v", k)
					}
				}
				if n := keyCount(t, w.st); n != 3 {
					t.Errorf("%d key rows, want 3", n)
				}
			})
			t.Run("keeps its keys across restarts and separates tenants", func(t *testing.T) {
				open := b.New(t)
				w := newWorldOn(t, open)
				first, _ := jwks(t, w.p, w.iss)
				again, rec := jwks(t, w.provider(t, open(t)), w.iss)
				if kids(first) != kids(again) {
					t.Errorf("keys changed across a restart: %s then %s", kids(first), kids(again))
				}
				if !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=") {
					t.Errorf("JWKS Cache-Control %q", rec.Header().Get("Cache-Control"))
				}
				other, _ := jwks(t, w.p, w.other)
				if kids(other) == kids(first) || len(other.Keys) != 3 {
					t.Errorf("tenants share keys: %s and %s", kids(first), kids(other))
				}
				for _, k := range append(first.Keys, other.Keys...) {
					if !k.IsPublic() || k.Use != "sig" {
						t.Errorf("published key %s is not a public signing key", k.KeyID)
					}
				}
			})
		})
	}
}

// tokensOn redeems a code of app "web" at node p and returns the access
// token and the ID token.
func (w *world) tokensOn(t *testing.T, p *oidc.Provider) (access, id string) {
	t.Helper()
	req, code := w.code(t, w.iss, w.authQuery("web"))
	form := w.tokenForm("web", code, req)
	h := w.auth(form, "web")
	r := httptest.NewRequest(http.MethodPost, w.iss.URL+oidc.PathToken, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range h {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	p.Token().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), w.iss)))
	if rec.Code != http.StatusOK {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var resp struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp.AccessToken, resp.IDToken
}

// userinfoOn presents an access token to node p's userinfo endpoint and
// returns the status.
func (w *world) userinfoOn(p *oidc.Provider, access string) int {
	r := httptest.NewRequest(http.MethodGet, w.iss.URL+oidc.PathUserInfo, nil)
	r.Header.Set("Authorization", "Bearer "+access)
	rec := httptest.NewRecorder()
	p.UserInfo().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), w.iss)))
	return rec.Code
}

// kidOf returns the kid header of a JWT.
func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// verifyWith checks a token's signature and lifetime against a published
// JWK set, as a relying party does.
func verifyWith(set jose.JSONWebKeySet, token string, now time.Time) error {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}), jwt.WithTimeFunc(func() time.Time { return now }))
	_, err := p.Parse(token, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		keys := set.Key(kid)
		if len(keys) == 0 {
			return nil, fmt.Errorf("kid %q is not published", kid)
		}
		return keys[0].Key, nil
	})
	return err
}

// keyStates lists a server's keys as alg:status, in Keys order.
func keyStates(t *testing.T, w *world, p *oidc.Provider) string {
	t.Helper()
	infos, err := p.Keys(context.Background(), w.iss.TenantID, w.iss.Server)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, k := range infos {
		s = append(s, k.Alg+":"+k.Status)
	}
	return strings.Join(s, ",")
}

// rotation is the state a scheduled-rotation scenario carries from step
// to step.
type rotation struct {
	w                  *world
	node2              *oidc.Provider
	oldAccess, oldID   string // signed by the first keys
	lastAccess, lastID string // signed by the first keys just before the switch
	newAccess, newID   string // kids of the next keys
	activation         time.Time
}

func TestScheduledKeyRotation(t *testing.T) {
	period, lead := keyring.RotationPeriod, keyring.RotationLead
	retention := oidc.AccessTokenLifetime + 5*time.Minute
	ctx := context.Background()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			open := b.New(t)
			w := newWorldOn(t, open)
			r := &rotation{w: w, node2: w.provider(t, open(t)), activation: t0.Add(period)}
			jwks(t, w.p, w.iss) // every algorithm's key exists from here
			r.oldAccess, r.oldID = w.tokensOn(t, w.p)
			for _, step := range []struct {
				name string
				at   time.Duration // after t0
				run  func(t *testing.T, r *rotation)
			}{
				{"creates no next key before the lead time", period - lead - time.Second, func(t *testing.T, r *rotation) {
					if rep, err := r.w.p.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{}) {
						t.Errorf("RotateKeys: %+v, %v", rep, err)
					}
				}},
				{"creates the next keys a lead before they sign", period - lead, func(t *testing.T, r *rotation) {
					if rep, err := r.w.p.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{Created: 3}) {
						t.Errorf("RotateKeys: %+v, %v, want 3 created", rep, err)
					}
					if rep, err := r.node2.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{}) {
						t.Errorf("second run: %+v, %v, want nothing", rep, err)
					}
					infos, err := r.w.p.Keys(ctx, r.w.iss.TenantID, r.w.iss.Server)
					if err != nil {
						t.Fatal(err)
					}
					if got := keyStates(t, r.w, r.w.p); got != "ES256:next,ES256:current,EdDSA:next,EdDSA:current,RS256:next,RS256:current" {
						t.Errorf("keys %s", got)
					}
					for _, k := range infos {
						switch k.Status {
						case "next":
							if !k.ActivatesAt.Equal(r.activation) || k.RetiresAt != nil || !k.CreatedAt.Equal(r.w.clk.Now()) {
								t.Errorf("next key %+v, want it activating at %v", k, r.activation)
							}
						case "current":
							if k.RetiresAt == nil || !k.RetiresAt.Equal(r.activation) || !k.ActivatesAt.Equal(t0) {
								t.Errorf("current key %+v, want it retiring at %v", k, r.activation)
							}
						}
					}
				}},
				{"publishes the next keys before they sign, after the signing ones", period - lead, func(t *testing.T, r *rotation) {
					set, _ := jwks(t, r.node2, r.w.iss)
					first := kidOf(t, r.oldID) + "," + kidOf(t, r.oldAccess)
					if len(set.Keys) != 6 || set.Keys[0].KeyID+","+set.Keys[1].KeyID != first || set.Keys[2].Algorithm != "EdDSA" {
						t.Errorf("JWKS %s, want 6 keys starting with the signing ones %s", kids(set), first)
					}
				}},
				{"keeps signing with the current keys until the next ones activate", period - time.Minute, func(t *testing.T, r *rotation) {
					// node2 reads its keys now, and must switch a minute
					// later from its cache.
					a, _ := r.w.tokensOn(t, r.node2)
					if kidOf(t, a) != kidOf(t, r.oldAccess) {
						t.Errorf("node 2 signs with %s before the activation, want %s", kidOf(t, a), kidOf(t, r.oldAccess))
					}
				}},
				{"signs the last tokens of the old keys", period - time.Second, func(t *testing.T, r *rotation) {
					r.lastAccess, r.lastID = r.w.tokensOn(t, r.w.p)
					if kidOf(t, r.lastAccess) != kidOf(t, r.oldAccess) || kidOf(t, r.lastID) != kidOf(t, r.oldID) {
						t.Error("a token before the activation is signed by a next key")
					}
				}},
				{"switches every node to the next keys at their activation", period, func(t *testing.T, r *rotation) {
					r.newAccess, r.newID = r.w.tokensOn(t, r.w.p)
					a2, id2 := r.w.tokensOn(t, r.node2)
					if kidOf(t, r.newAccess) == kidOf(t, r.oldAccess) || kidOf(t, r.newID) == kidOf(t, r.oldID) {
						t.Fatal("the old keys still sign after the activation")
					}
					if kidOf(t, a2) != kidOf(t, r.newAccess) || kidOf(t, id2) != kidOf(t, r.newID) {
						t.Errorf("nodes disagree: %s/%s and %s/%s", kidOf(t, r.newAccess), kidOf(t, r.newID), kidOf(t, a2), kidOf(t, id2))
					}
					if got := keyStates(t, r.w, r.w.p); got != "ES256:current,ES256:retired,EdDSA:current,EdDSA:retired,RS256:current,RS256:retired" {
						t.Errorf("keys %s", got)
					}
				}},
				{"keeps verifying tokens of the old keys while they may be valid", period + 59*time.Minute, func(t *testing.T, r *rotation) {
					for _, p := range []*oidc.Provider{r.w.p, r.node2} {
						if code := r.w.userinfoOn(p, r.lastAccess); code != http.StatusOK {
							t.Errorf("userinfo refuses an access token of the old key: %d", code)
						}
						set, _ := jwks(t, p, r.w.iss)
						if err := verifyWith(set, r.lastID, r.w.clk.Now()); err != nil {
							t.Errorf("ID token of the old key: %v", err)
						}
						if err := verifyWith(set, r.newID, r.w.clk.Now()); err != nil {
							t.Errorf("ID token of the new key: %v", err)
						}
					}
				}},
				{"keeps the old keys published until their retention ends", period + retention - time.Second, func(t *testing.T, r *rotation) {
					if set, _ := jwks(t, r.w.p, r.w.iss); len(set.Keys) != 6 {
						t.Errorf("JWKS %s, want the old keys still", kids(set))
					}
					if rep, err := r.w.p.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{}) {
						t.Errorf("RotateKeys: %+v, %v, want nothing done", rep, err)
					}
				}},
				{"unpublishes and deletes the old keys when their retention ends", period + retention, func(t *testing.T, r *rotation) {
					set, _ := jwks(t, r.w.p, r.w.iss)
					if len(set.Keys) != 3 || len(set.Key(kidOf(t, r.oldAccess))) != 0 || len(set.Key(kidOf(t, r.oldID))) != 0 {
						t.Errorf("JWKS %s, want only the new keys", kids(set))
					}
					if rep, err := r.w.p.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{Deleted: 3}) {
						t.Errorf("RotateKeys: %+v, %v, want 3 deleted", rep, err)
					}
					if n := keyCount(t, r.w.st); n != 3 {
						t.Errorf("%d key rows, want 3", n)
					}
					if got := keyStates(t, r.w, r.w.p); got != "ES256:current,EdDSA:current,RS256:current" {
						t.Errorf("keys %s", got)
					}
					if code := r.w.userinfoOn(r.node2, r.lastAccess); code != http.StatusUnauthorized {
						t.Errorf("userinfo of a deleted key's token: %d", code)
					}
					if code := r.w.userinfoOn(r.node2, r.newAccess); code != http.StatusUnauthorized {
						t.Errorf("userinfo of an expired token: %d", code)
					}
				}},
				{"rotates again a period after the last activation", 2*period - lead, func(t *testing.T, r *rotation) {
					if rep, err := r.node2.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{Created: 3}) {
						t.Errorf("RotateKeys: %+v, %v, want 3 created", rep, err)
					}
				}},
			} {
				if !t.Run(step.name, func(t *testing.T) {
					w.clk.Set(t0.Add(step.at))
					step.run(t, r)
				}) {
					return // later steps build on this one
				}
			}
		})
	}
}

func TestOperatorKeyRotation(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				run  func(t *testing.T, w *world, node2 *oidc.Provider)
			}{
				{"publishes next keys a lead ahead and keeps a pending one", func(t *testing.T, w *world, _ *oidc.Provider) {
					access, id := w.tokensOn(t, w.p)
					infos, err := w.p.RotateNow(ctx, w.iss.TenantID, w.iss.Server, false)
					if err != nil {
						t.Fatal(err)
					}
					var states, next []string
					for _, k := range infos {
						states = append(states, k.Alg+":"+k.Status)
						if k.Status == "next" {
							next = append(next, k.ID)
							if !k.ActivatesAt.Equal(t0.Add(keyring.RotationLead)) {
								t.Errorf("next key activates at %v, want a lead from now", k.ActivatesAt)
							}
						}
					}
					// EdDSA had no key: it gets its first, signing at once.
					if got := strings.Join(states, ","); got != "ES256:next,ES256:current,EdDSA:current,RS256:next,RS256:current" {
						t.Errorf("keys %s", got)
					}
					// Again: the pending keys stay, EdDSA gets its next key.
					again, err := w.p.RotateNow(ctx, w.iss.TenantID, w.iss.Server, false)
					if err != nil || len(again) != len(infos)+1 {
						t.Fatalf("second rotation: %d keys, %v", len(again), err)
					}
					var ids []string
					for _, k := range again {
						ids = append(ids, k.ID)
					}
					for _, k := range infos {
						if !slices.Contains(ids, k.ID) {
							t.Errorf("a second rotation replaced key %s", k.ID)
						}
					}
					set, _ := jwks(t, w.p, w.iss)
					if len(set.Keys) != 6 || !slices.Contains(strings.Split(kids(set), ","), "ES256:"+next[0]) {
						t.Errorf("JWKS %s, want the 6 keys", kids(set))
					}
					if got := strings.Split(kids(set), ","); got[0] != "RS256:"+kidOf(t, id) || got[1] != "ES256:"+kidOf(t, access) || !strings.HasPrefix(got[2], "EdDSA:") {
						t.Errorf("JWKS %s, want the signing keys first", kids(set))
					}
					if a, _ := w.tokensOn(t, w.p); kidOf(t, a) != kidOf(t, access) {
						t.Error("a next key signs before its activation")
					}
					if rep, err := w.p.RotateKeys(ctx); err != nil || rep != (oidc.RotationReport{}) {
						t.Errorf("RotateKeys after RotateNow: %+v, %v", rep, err)
					}
				}},
				{"revokes the signing keys at once on an immediate rotation", func(t *testing.T, w *world, node2 *oidc.Provider) {
					access, id := w.tokensOn(t, w.p)
					if code := w.userinfoOn(node2, access); code != http.StatusOK {
						t.Fatalf("userinfo on node 2: %d", code)
					}
					// A pending next key, which would never sign after the
					// immediate rotation, is revoked too.
					if _, err := w.p.RotateNow(ctx, w.iss.TenantID, w.iss.Server, false); err != nil {
						t.Fatal(err)
					}
					infos, err := w.p.RotateNow(ctx, w.iss.TenantID, w.iss.Server, true)
					if err != nil {
						t.Fatal(err)
					}
					var states []string
					for _, k := range infos {
						states = append(states, k.Alg+":"+k.Status)
						if k.Status == "revoked" && (k.RetiresAt == nil || !k.RetiresAt.Equal(t0)) {
							t.Errorf("revoked key %+v, want it retired now", k)
						}
					}
					if got := strings.Join(states, ","); got != "ES256:current,ES256:revoked,ES256:revoked,EdDSA:current,EdDSA:revoked,RS256:current,RS256:revoked,RS256:revoked" {
						t.Errorf("keys %s", got)
					}
					set, _ := jwks(t, w.p, w.iss)
					if len(set.Keys) != 3 || len(set.Key(kidOf(t, access))) != 0 || len(set.Key(kidOf(t, id))) != 0 {
						t.Errorf("JWKS %s still publishes a revoked key", kids(set))
					}
					if err := verifyWith(set, id, w.clk.Now()); err == nil {
						t.Error("an ID token of a revoked key verifies")
					}
					if code := w.userinfoOn(w.p, access); code != http.StatusUnauthorized {
						t.Errorf("userinfo accepts a token of a revoked key: %d", code)
					}
					a, i := w.tokensOn(t, w.p)
					if kidOf(t, a) == kidOf(t, access) || kidOf(t, i) == kidOf(t, id) || w.userinfoOn(w.p, a) != http.StatusOK {
						t.Error("the new keys do not sign at once")
					}
					// Another node learns of the revocation when its cache
					// of the keys goes stale.
					w.clk.Advance(5 * time.Minute)
					if code := w.userinfoOn(node2, access); code != http.StatusUnauthorized {
						t.Errorf("node 2 accepts a token of a revoked key after its cache expired: %d", code)
					}
					if a2, _ := w.tokensOn(t, node2); kidOf(t, a2) != kidOf(t, a) {
						t.Error("node 2 signs with another key than node 1")
					}
				}},
				{"refuses an unknown tenant or server", func(t *testing.T, w *world, _ *oidc.Provider) {
					for _, c := range [][2]string{{"ten_unknown", oidc.DefaultServer}, {"acme", oidc.DefaultServer}, {w.iss.TenantID, "other"}, {"", ""}} {
						if _, err := w.p.RotateNow(ctx, c[0], c[1], true); !errors.Is(err, store.ErrNotFound) {
							t.Errorf("RotateNow(%q, %q): %v, want ErrNotFound", c[0], c[1], err)
						}
						if _, err := w.p.Keys(ctx, c[0], c[1]); !errors.Is(err, store.ErrNotFound) {
							t.Errorf("Keys(%q, %q): %v, want ErrNotFound", c[0], c[1], err)
						}
					}
					if n := keyCount(t, w.st); n != 0 {
						t.Errorf("%d keys created for unknown servers", n)
					}
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					open := b.New(t)
					w := newWorldOn(t, open)
					tc.run(t, w, w.provider(t, open(t)))
				})
			}
		})
	}
}

func TestNewPassesTheKeyRotationPolicyOn(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	deps := func(rotation, lead time.Duration) oidc.Deps {
		return oidc.Deps{Store: w.st, Secrets: w.sec, Tenants: w.ten, Servers: w.servers(), Users: w.users, Clock: w.clk,
			Events: events.New(w.st, w.sec, w.clk), KeyRotation: rotation, KeyLead: lead}
	}
	for _, bad := range [][2]time.Duration{{0, keyring.MinLead - time.Second}, {48 * time.Hour, 48 * time.Hour}, {-time.Hour, 0}} {
		if _, err := oidc.New(deps(bad[0], bad[1])); err == nil {
			t.Errorf("New accepts KeyRotation %v, KeyLead %v", bad[0], bad[1])
		}
	}
	p, err := oidc.New(deps(7*24*time.Hour, 2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	jwks(t, p, w.iss) // the first keys
	infos, err := p.RotateNow(context.Background(), w.iss.TenantID, w.iss.Server, false)
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	for _, k := range infos {
		if k.Status == "next" {
			next++
			if !k.ActivatesAt.Equal(t0.Add(2 * time.Hour)) {
				t.Errorf("next key activates at %v, want KeyLead from now", k.ActivatesAt)
			}
		}
	}
	if next != 3 {
		t.Errorf("%d next keys, want 3", next)
	}
}
