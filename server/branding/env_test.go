package branding

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is one fresh database with tenants A and B, each with a brand and
// an app, and a Service over it.
type env struct {
	st      store.Store
	open    storetest.Opener
	svc     *Service
	tenants *tenant.Service
	clk     *clock.Fake
	// a and b are the tenants; brand and app map a tenant ID to its
	// fixture brand and app.
	a, b       tenant.Tenant
	brand, app map[string]string
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b)) })
	}
}

// testMAC stands for secrets.Service.MAC.
func testMAC(purpose string, value []byte) []byte {
	m := hmac.New(sha256.New, []byte("test key"))
	m.Write([]byte(purpose + "\x00"))
	m.Write(value)
	return m.Sum(nil)
}

func newEnv(t testing.TB, b storetest.Backend) *env {
	t.Helper()
	open := b.New(t)
	e := &env{open: open, st: open(t), clk: clock.NewFake(t0), brand: map[string]string{}, app: map[string]string{}}
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), e.st, secrets.Keyring{Current: kek}, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	e.tenants = tenant.New(sec, e.clk, tenant.Options{PublicHost: "id.example.com"})
	e.svc = e.service(t, e.st)
	err = e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, p := range []*tenant.Tenant{&e.a, &e.b} {
			slug := "tenant-a"
			if p == &e.b {
				slug = "tenant-b"
			}
			if *p, err = e.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: slug, Name: slug}); err != nil {
				return err
			}
			br, err := e.tenants.CreateBrand(ctx, tx, p.ID, tenant.BrandInput{Name: "Fixture"})
			if err != nil {
				return err
			}
			app, _, err := e.tenants.CreateApp(ctx, tx, p.ID, tenant.AppInput{Name: "Fixture", Type: "web", RedirectURIs: []string{"https://app.example.com/cb"}})
			if err != nil {
				return err
			}
			e.brand[p.ID], e.app[p.ID] = br.ID, app.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// service returns a new Service over st, as another node would have.
func (e *env) service(t testing.TB, st store.Store) *Service {
	t.Helper()
	svc, err := New(Deps{Store: st, Tenants: e.tenants, Clock: e.clk, MAC: testMAC,
		Instance: themes.Document{Tokens: themes.Tokens{"radius": "4px"}}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind.
func (e *env) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, e.st, fn)
}

// must runs fn in a transaction and fails the test on an error.
func (e *env) must(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := e.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// get runs fn in a transaction and returns its value, failing on an error.
func get[T any](t testing.TB, e *env, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	return storetest.Get(t, e.st, fn)
}

func (e *env) save(t testing.TB, scopeID string, doc themes.Document) Version {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
		v, _, err := e.svc.SaveDraft(ctx, tx, e.a.ID, scopeID, doc)
		return v, err
	})
}

func (e *env) publish(t testing.TB, scopeID string) Version {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
		return e.svc.Publish(ctx, tx, e.a.ID, scopeID, PublishInput{})
	})
}

// saveAndPublish publishes doc as the scope's next version.
func (e *env) saveAndPublish(t testing.TB, scopeID string, doc themes.Document) Version {
	t.Helper()
	e.save(t, scopeID, doc)
	return e.publish(t, scopeID)
}

func (e *env) resolve(t testing.TB, svc *Service, brandID, appID, locale string) themes.Resolved {
	t.Helper()
	r, err := svc.Resolve(context.Background(), e.a.ID, brandID, appID, locale)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		var n int
		return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	})
}

// rows counts the rows of every branding table, to show nothing changed.
func (e *env) rows(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range []string{"theme_versions", "theme_live", "theme_generations", "theme_assets"} {
		out[tbl] = e.count(t, tbl)
	}
	return out
}

// primary is a document that sets the primary colour.
func primary(c string) themes.Document {
	return themes.Document{Tokens: themes.Tokens{"color-primary": c}}
}

// unreadable fails AA: white text on white cards.
var unreadable = themes.Document{Tokens: themes.Tokens{"color-text": "#ffffff", "color-surface": "#ffffff"}}

// wantFields checks that err holds field errors naming exactly fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var got []string
	for _, e := range invalid.All(err) {
		got = append(got, e.Field)
	}
	if err == nil || !slices.Equal(got, fields) {
		t.Fatalf("error %v names fields %q, want %q", err, got, fields)
	}
}

// pngOf returns a w×h PNG of one colour.
func pngOf(t testing.TB, c color.Color, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
