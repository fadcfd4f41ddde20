package branding

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/themes"
)

func TestResolveCascade(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		brand, app := e.brand[e.a.ID], e.app[e.a.ID]
		e.saveAndPublish(t, e.a.ID, themes.Document{
			Tokens:  themes.Tokens{"color-primary": "#111111", "color-link": "#111111", "space": "10px"},
			Texts:   map[string]map[string]string{"de": {"title": "Tenant"}},
			Locales: map[string]themes.Tokens{"de": {"space": "12px"}},
		})
		e.saveAndPublish(t, brand, themes.Document{
			Tokens: themes.Tokens{"color-primary": "#222222", "radius": "6px"},
			Texts:  map[string]map[string]string{"de": {"title": "Brand"}},
		})
		e.saveAndPublish(t, app, themes.Document{
			Tokens:  themes.Tokens{"color-link": "#333333"},
			Locales: map[string]themes.Tokens{"de-AT": {"color-primary": "#444444"}},
		})
		// A draft of a level changes nothing that is resolved.
		e.save(t, app, primary("#555555"))
		for _, tc := range []struct {
			name, brand, app, locale string
			want                     map[string]string
			title                    string
		}{
			{"the instance and tenant alone", "", "", "",
				map[string]string{"color-primary": "#111111", "color-link": "#111111", "radius": "4px", "space": "10px"}, ""},
			{"the brand over the tenant", brand, "", "",
				map[string]string{"color-primary": "#222222", "color-link": "#111111", "radius": "6px"}, ""},
			{"the app over the brand", brand, app, "",
				map[string]string{"color-primary": "#222222", "color-link": "#333333", "radius": "6px"}, ""},
			{"the app without a brand", "", app, "",
				map[string]string{"color-primary": "#111111", "color-link": "#333333", "radius": "4px"}, ""},
			{"a language's overrides after every level", brand, app, "de",
				map[string]string{"color-primary": "#222222", "space": "12px"}, "Brand"},
			{"a region's overrides on top of its language's", brand, app, "de-AT",
				map[string]string{"color-primary": "#444444", "space": "12px"}, "Brand"},
			{"another tenant's brand and app are left out", e.brand[e.b.ID], e.app[e.b.ID], "",
				map[string]string{"color-primary": "#111111", "radius": "4px"}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.resolve(t, e.svc, tc.brand, tc.app, tc.locale)
				for k, v := range tc.want {
					if r.Tokens[k] != v {
						t.Errorf("%s = %q, want %q", k, r.Tokens[k], v)
					}
				}
				if r.Texts["title"] != tc.title {
					t.Errorf("title %q, want %q", r.Texts["title"], tc.title)
				}
				if r.Locale != tc.locale || r.Hash == "" {
					t.Errorf("locale %q hash %q", r.Locale, r.Hash)
				}
			})
		}
		if _, err := e.svc.Resolve(context.Background(), e.a.ID, "", "", string(make([]byte, 100))); !invalid.Is(err) {
			t.Fatalf("long locale: %v", err)
		}
	})
}

// TestResolveSeesAnotherNodesPublish runs two Services on one database:
// B's cache drops what it resolved as soon as A publishes or rolls back.
func TestResolveSeesAnotherNodesPublish(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		nodeB := e.service(t, e.open(t))
		e.saveAndPublish(t, e.a.ID, primary("#123456"))
		if got := e.resolve(t, nodeB, "", "", "").Tokens["color-primary"]; got != "#123456" {
			t.Fatalf("B resolved %q", got)
		}
		e.saveAndPublish(t, e.a.ID, primary("#654321"))
		if got := e.resolve(t, nodeB, "", "", "").Tokens["color-primary"]; got != "#654321" {
			t.Fatalf("B resolved %q after A's publish", got)
		}
		get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
			return e.svc.Rollback(ctx, tx, e.a.ID, e.a.ID, 1)
		})
		if got := e.resolve(t, nodeB, "", "", "").Tokens["color-primary"]; got != "#123456" {
			t.Fatalf("B resolved %q after A's rollback", got)
		}
		// B serves from its cache while the generation stands: a change
		// behind the service's back is not seen until the next bump.
		e.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE theme_versions SET document = ? WHERE scope_id = ? AND number = 1`, `{"tokens":{"color-primary":"#000000"}}`, e.a.ID)
			return err
		})
		if got := e.resolve(t, nodeB, "", "", "").Tokens["color-primary"]; got != "#123456" {
			t.Fatalf("B did not serve its cache: %q", got)
		}
		e.must(t, func(ctx context.Context, tx store.Tx) error { return e.svc.bump(ctx, tx, e.a.ID) })
		if got := e.resolve(t, nodeB, "", "", "").Tokens["color-primary"]; got != "#000000" {
			t.Fatalf("B kept its cache past a new generation: %q", got)
		}
	})
}

func TestCacheIsBounded(t *testing.T) {
	e := newEnv(t, storetest.SQLite())
	svc, err := New(Deps{Store: e.st, Tenants: e.tenants, Clock: e.clk, MAC: testMAC, CacheSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		e.resolve(t, svc, "", "", fmt.Sprintf("x%d", i))
	}
	if n := svc.cache.len(); n != 3 {
		t.Fatalf("cache holds %d", n)
	}
}

func TestPreview(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		brand := e.brand[e.a.ID]
		e.saveAndPublish(t, brand, primary("#111111"))
		e.saveAndPublish(t, brand, primary("#222222"))
		e.save(t, brand, primary("#333333"))
		preview := func(brandID, appID, scope string, number int) (themes.Resolved, error) {
			return e.svc.Preview(context.Background(), e.a.ID, brandID, appID, "", scope, number)
		}
		for _, tc := range []struct {
			name, brand string
			number      int
			want        string
		}{
			{"shows the draft", "", 0, "#333333"},
			{"shows an earlier version", brand, 1, "#111111"},
			{"shows the live version", "", 2, "#222222"},
			{"shows what is live", "", LiveVersion, "#222222"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, err := preview(tc.brand, "", brand, tc.number)
				if err != nil || r.Tokens["color-primary"] != tc.want {
					t.Fatalf("primary %q, %v; want %q", r.Tokens["color-primary"], err, tc.want)
				}
			})
		}
		if got := e.resolve(t, e.svc, brand, "", "").Tokens["color-primary"]; got != "#222222" {
			t.Fatalf("preview changed what is live: %q", got)
		}
		if _, err := preview(e.brand[e.b.ID], "", brand, 0); !invalid.Is(err) {
			t.Fatalf("another brand in the brand slot: %v", err)
		}
		if _, err := preview("", e.app[e.b.ID], brand, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's app: %v", err)
		}
		if _, err := preview("", "", brand, 9); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing version: %v", err)
		}
		if _, err := preview("", "", e.a.ID, 0); !errors.Is(err, ErrNoDraft) {
			t.Fatalf("tenant without a draft: %v", err)
		}
	})
}

func BenchmarkResolveCached(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := newEnv(b, backend)
			e.saveAndPublish(b, e.a.ID, primary("#123456"))
			e.saveAndPublish(b, e.brand[e.a.ID], themes.Document{Tokens: themes.Tokens{"radius": "2px"}})
			ctx := context.Background()
			if _, err := e.svc.Resolve(ctx, e.a.ID, e.brand[e.a.ID], "", "de"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.Resolve(ctx, e.a.ID, e.brand[e.a.ID], "", "de"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
