package oidc

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/pressly/goose/v3"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

var rt0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestKeySchedule(t *testing.T) {
	at := func(d time.Duration) time.Time { return rt0.Add(d) }
	key := func(gen int64, activates time.Duration, status string) keyRow {
		return keyRow{kid: "k" + strconv.FormatInt(gen, 10), generation: gen, activatesAt: at(activates), status: status}
	}
	h := time.Hour
	for _, tc := range []struct {
		name  string
		sched schedule
		now   time.Duration
		want  string // per key: status, published (+/-), retirement (hours from rt0 or "·")
		gone  string // keys RotateKeys may delete
	}{
		{name: "a first key signs and has no end",
			sched: schedule{key(1, 0, keyActive)}, now: 0,
			want: "current+·"},
		{name: "a next key is published before it signs",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 24 * h,
			want: "current+48 next+·"},
		{name: "the next key signs from its activation",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 48 * h,
			want: "retired+48 current+·"},
		{name: "a retired key stays published while its tokens may be valid",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 48*h + keyRetention - time.Nanosecond,
			want: "retired+48 current+·"},
		{name: "a retired key is unpublished and deletable after its retention",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 48*h + keyRetention,
			want: "retired-48 current+·", gone: "k1"},
		{name: "a revoked key is not published and not used",
			sched: schedule{key(1, 0, keyRevoked), key(2, 48*h, keyActive)}, now: 24 * h,
			want: "revoked-48 next+·"},
		{name: "an immediate rotation retires the revoked keys at once",
			sched: schedule{key(1, 0, keyRevoked), key(2, 48*h, keyRevoked), key(3, 24*h, keyActive)}, now: 24 * h,
			want: "revoked-24 revoked-24 current+·"},
		{name: "an immediate rotation keeps older keys until their tokens expire",
			sched: schedule{key(1, 0, keyActive), key(2, 24*h, keyRevoked), key(3, 36*h, keyActive)}, now: 36 * h,
			want: "retired+36 revoked-36 current+·"},
		{name: "revoked keys are deleted after the retention of the key they left",
			sched: schedule{key(1, 0, keyRevoked), key(2, 48*h, keyRevoked), key(3, 24*h, keyActive)}, now: 24*h + keyRetention,
			want: "revoked-24 revoked-24 current+·", gone: "k1 k2"},
		{name: "the current key is never deleted, even when a newer one was revoked",
			sched: schedule{key(1, 0, keyActive), key(2, 24*h, keyRevoked)}, now: 48 * h,
			want: "current+· revoked-·"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			var got, gone []string
			for i := range tc.sched {
				pub, end := "-", "·"
				if tc.sched.published(i, now) {
					pub = "+"
				}
				if e, ok := tc.sched.retiresAt(i); ok {
					end = strconv.Itoa(int(e.Sub(rt0) / h))
				}
				got = append(got, tc.sched.status(i, now)+pub+end)
			}
			for _, i := range tc.sched.expired(now) {
				gone = append(gone, tc.sched[i].kid)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("schedule %s, want %s", g, tc.want)
			}
			if g := strings.Join(gone, " "); g != tc.gone {
				t.Errorf("deletable %q, want %q", g, tc.gone)
			}
		})
	}
}

func TestRotationPolicy(t *testing.T) {
	for _, tc := range []struct {
		name               string
		period, lead       time.Duration
		wantPeriod, wantLd time.Duration
		ok                 bool
	}{
		{"defaults to 90 days and a day of lead", 0, 0, 90 * 24 * time.Hour, 24 * time.Hour, true},
		{"accepts a shorter period", 7 * 24 * time.Hour, 0, 7 * 24 * time.Hour, 24 * time.Hour, true},
		{"accepts a lead just above the caches", 0, jwksCacheAge + activeKeyTTL, KeyRotationPeriod, jwksCacheAge + activeKeyTTL, true},
		{"refuses a lead within the JWKS max-age and the node cache", 0, jwksCacheAge + activeKeyTTL - time.Second, 0, 0, false},
		{"refuses a lead as long as the period", 48 * time.Hour, 48 * time.Hour, 0, 0, false},
		{"refuses a default lead over a short period", 12 * time.Hour, 0, 0, 0, false},
		{"refuses a negative period", -time.Hour, 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			period, lead, err := rotationPolicy(tc.period, tc.lead)
			if (err == nil) != tc.ok || period != tc.wantPeriod || lead != tc.wantLd {
				t.Errorf("policy %v, %v, %v", period, lead, err)
			}
		})
	}
}

// The lead floor and KeyRotationLead's comment rely on the JWK set's
// max-age.
func TestJWKSMaxAgeIsTheOneTheLeadFloorAssumes(t *testing.T) {
	_, after, ok := strings.Cut(keysMaxAge, "max-age=")
	secs, err := strconv.Atoi(after)
	if !ok || err != nil || time.Duration(secs)*time.Second != jwksCacheAge {
		t.Errorf("keysMaxAge %q, jwksCacheAge %v", keysMaxAge, jwksCacheAge)
	}
	if KeyRotationLead < 10*(jwksCacheAge+activeKeyTTL) {
		t.Errorf("KeyRotationLead %v leaves no wide margin over the caches", KeyRotationLead)
	}
}

// keyProvider is a Provider with only what signing keys need.
func keyProvider(t *testing.T, st store.Store, clk clock.Clock) *Provider {
	t.Helper()
	kek, err := secrets.GenerateKEK(rt0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	return &Provider{st: st, sec: sec, clk: clk, log: slog.New(slog.DiscardHandler),
		rotation: KeyRotationPeriod, lead: KeyRotationLead,
		byKID: map[string]*signingKey{}, active: map[keySlot]slotKeys{}}
}

func TestSigner(t *testing.T) {
	iss := Issuer{TenantID: "ten_1", Server: DefaultServer, URL: "https://login.example.com/oauth2/default"}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("signs with EdDSA keys that verify with the published OKP key", func(t *testing.T) {
				clk := clock.NewFake(rt0)
				p := keyProvider(t, b.Open(t), clk)
				k, err := p.signer(context.Background(), iss, algEdDSA)
				if err != nil {
					t.Fatal(err)
				}
				claims := jwt.RegisteredClaims{Subject: "usr_1", ExpiresAt: jwt.NewNumericDate(rt0.Add(time.Hour))}
				unsigned := jwt.NewWithClaims(jwt.GetSigningMethod(k.slot.alg), claims)
				unsigned.Header["kid"] = k.kid
				tok, err := unsigned.SignedString(k.private)
				if err != nil {
					t.Fatal(err)
				}
				pub, err := p.publishedKeys(context.Background(), iss)
				if err != nil || len(pub) != 1 {
					t.Fatalf("published %d keys, %v", len(pub), err)
				}
				raw, _ := pub[0].MarshalJSON()
				if !strings.Contains(string(raw), `"kty":"OKP"`) || !strings.Contains(string(raw), `"crv":"Ed25519"`) {
					t.Errorf("published %s", raw)
				}
				checkVerifies(t, pub, tok, clk.Now())
				found, err := p.keyByKID(context.Background(), iss, k.kid)
				if err != nil || found.slot.alg != algEdDSA {
					t.Errorf("keyByKID: %v", err)
				}
			})
			t.Run("switches to the next key from its cache, without reading the database", func(t *testing.T) {
				clk := clock.NewFake(rt0)
				p := keyProvider(t, b.Open(t), clk)
				ctx := context.Background()
				old, err := p.signer(ctx, iss, algES256)
				if err != nil {
					t.Fatal(err)
				}
				clk.Set(rt0.Add(KeyRotationPeriod - KeyRotationLead))
				if rep, err := p.RotateKeys(ctx); err != nil || rep.Created != 1 {
					t.Fatalf("RotateKeys: %+v, %v", rep, err)
				}
				clk.Set(rt0.Add(KeyRotationPeriod - time.Minute))
				if k, err := p.signer(ctx, iss, algES256); err != nil || k != old {
					t.Fatalf("before the activation: %v, %v", k, err)
				}
				clk.Set(rt0.Add(KeyRotationPeriod))
				dead, cancel := context.WithCancel(ctx) // any database read fails
				cancel()
				next, err := p.signer(dead, iss, algES256)
				if err != nil || next == old {
					t.Fatalf("at the activation: %v, %v", next, err)
				}
				if k, err := p.keyByKID(dead, iss, old.kid); err != nil || k != old {
					t.Errorf("the old key does not verify from the cache: %v", err)
				}
			})
		})
	}
}

// checkVerifies verifies a token against published keys.
func checkVerifies(t *testing.T, keys []jose.JSONWebKey, token string, now time.Time) {
	t.Helper()
	_, err := jwt.NewParser(jwt.WithTimeFunc(func() time.Time { return now })).Parse(token, func(tok *jwt.Token) (any, error) {
		set := jose.JSONWebKeySet{Keys: keys}
		kid, _ := tok.Header["kid"].(string)
		if found := set.Key(kid); len(found) == 1 && found[0].Algorithm == tok.Method.Alg() {
			return found[0].Key, nil
		}
		return nil, jwt.ErrTokenUnverifiable
	})
	if err != nil {
		t.Errorf("token does not verify: %v", err)
	}
}

// TestKeyMigrationActivatesExistingKeysAtTheirCreation migrates a database
// back to before key rotation, stores a key as that schema did, and checks
// that migrating forward makes it sign from its creation.
func TestKeyMigrationActivatesExistingKeysAtTheirCreation(t *testing.T) {
	ctx := context.Background()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			opts := store.Options{Dialect: d, Migrate: true}
			driver, gd := "sqlite", goose.DialectSQLite3
			if d == store.Postgres {
				opts.URL = storetest.NewPostgresDatabase(t)
				driver, gd = "pgx", goose.DialectPostgres
			} else {
				opts.Path = filepath.Join(t.TempDir(), "lintel.db")
			}
			st, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			dsn := opts.URL
			if d == store.SQLite {
				dsn = opts.Path
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			fsys, err := store.Migrations(d)
			if err != nil {
				t.Fatal(err)
			}
			g, err := goose.NewProvider(gd, db, fsys, goose.WithTableName("schema_version"), goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			var before int64
			for _, s := range g.ListSources() {
				if s.Version < 14 {
					before = s.Version
				}
			}
			if _, err := g.DownTo(ctx, before); err != nil {
				t.Fatalf("migrate down to %d: %v", before, err)
			}
			created := rt0.Add(-30 * 24 * time.Hour)
			stamp := any(created)
			if d == store.SQLite {
				stamp = created.Format("2006-01-02 15:04:05.000000+00:00")
			}
			q := `INSERT INTO oidc_keys (id, tenant_id, server, alg, generation, public_jwk, private_sealed, status, created_at)
				VALUES ('kid-old', 'ten_1', 'default', 'RS256', 1, '{}', $1, 'active', $2)`
			if d == store.SQLite {
				q = strings.NewReplacer("$1", "?", "$2", "?").Replace(q)
			}
			if _, err := db.ExecContext(ctx, q, []byte{1}, stamp); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			st, err = store.Open(ctx, opts)
			if err != nil {
				t.Fatalf("migrate up: %v", err)
			}
			defer st.Close()
			var activates time.Time
			err = st.View(ctx, func(ctx context.Context, tx store.Tx) error {
				return tx.QueryRow(ctx, `SELECT activates_at FROM oidc_keys WHERE id = 'kid-old'`).Scan(&activates)
			})
			if err != nil || !activates.Equal(created) {
				t.Errorf("activates_at %v, %v, want the creation %v", activates, err, created)
			}
		})
	}
}
