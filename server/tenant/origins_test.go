package tenant

import (
	"context"
	"slices"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://example.com", "https://example.com"},
		{"HTTPS://Example.COM", "https://example.com"},
		{"https://example.com:443", "https://example.com"},
		{"https://example.com:8443", "https://example.com:8443"},
		{"https://example.com:08443", "https://example.com:8443"},
		{"https://example.com:", "https://example.com"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://127.0.0.1:80", "http://127.0.0.1"},
		{"http://[::1]:3000", "http://[::1]:3000"},
		{"http://[0:0:0:0:0:0:0:1]", "http://[::1]"},
		{"https://[2001:DB8::1]", "https://[2001:db8::1]"},
		{"https://intranet", "https://intranet"},
	} {
		t.Run("normalizes "+tc.in, func(t *testing.T) {
			got, err := normalizeOrigin("origin", tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, in := range []string{
		"", "example.com", "//example.com", "https://example.com/", "https://example.com/path", "https://example.com?q",
		"https://example.com#f", "https://*.example.com", "https://user@example.com", "http://example.com",
		"ftp://example.com", "https://example.com.", "https://exa mple.com", "https://%65xample.com", "https://example.com:99999",
		"https://[::1%25eth0]", "https:example.com", "https://ex_ample.com", "https://", "null",
	} {
		t.Run("refuses "+in, func(t *testing.T) {
			if got, err := normalizeOrigin("origin", in); !invalid.Is(err) {
				t.Fatalf("accepted as %q", got)
			}
		})
	}
}

func TestTrustedOrigins(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme", ""), e.tenant(t, "other", "")
		a, _ := e.app(t, ten.ID, webApp("A"))
		b, _ := e.app(t, ten.ID, webApp("B"))
		foreign, _ := e.app(t, other.ID, webApp("Foreign"))
		create := func(tenantID string, in OriginInput) (TrustedOrigin, error) {
			var o TrustedOrigin
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				var err error
				o, err = e.svc.CreateOrigin(ctx, tx, tenantID, in)
				return err
			})
			return o, err
		}
		site, err := create(ten.ID, OriginInput{Name: "Site", Origin: "HTTPS://WWW.Acme.com:443"})
		if err != nil {
			t.Fatal(err)
		}
		if site.Origin != "https://www.acme.com" || !slices.Equal(site.Purposes, []string{PurposeCORS, PurposeEmbed}) || len(site.AppIDs) != 0 {
			t.Fatalf("created %+v", site)
		}
		if _, err := create(ten.ID, OriginInput{Name: "Embed for A", Origin: "https://shop.acme.com", Purposes: []string{PurposeEmbed}, AppIDs: []string{a.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := create(other.ID, OriginInput{Name: "Theirs", Origin: "https://theirs.example.com"}); err != nil {
			t.Fatal(err)
		}
		before := e.count(t, "trusted_origins")
		for _, tc := range []struct {
			name   string
			in     OriginInput
			fields []string
		}{
			{"refuses an origin with a path", OriginInput{Name: "X", Origin: "https://x.com/"}, []string{"origin"}},
			{"refuses a wildcard origin", OriginInput{Name: "X", Origin: "https://*.x.com"}, []string{"origin"}},
			{"refuses http on a public host", OriginInput{Name: "X", Origin: "http://x.com"}, []string{"origin"}},
			{"refuses an unknown purpose", OriginInput{Name: "X", Origin: "https://x.com", Purposes: []string{"cors", "frame"}}, []string{"purposes[1]"}},
			{"refuses a duplicate purpose", OriginInput{Name: "X", Origin: "https://x.com", Purposes: []string{"cors", "cors"}}, []string{"purposes[1]"}},
			{"refuses another tenant's app", OriginInput{Name: "X", Origin: "https://x.com", AppIDs: []string{a.ID, foreign.ID}}, []string{"app_ids[1]"}},
			{"refuses a duplicate app", OriginInput{Name: "X", Origin: "https://x.com", AppIDs: []string{a.ID, a.ID}}, []string{"app_ids[1]"}},
			{"reports every problem at once", OriginInput{Origin: "ftp://x.com", AppIDs: []string{"app_nope"}}, []string{"name", "origin", "app_ids[0]"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := create(ten.ID, tc.in)
				wantFields(t, err, tc.fields...)
			})
		}
		t.Run("refuses a duplicate name", func(t *testing.T) {
			_, err := create(ten.ID, OriginInput{Name: "site", Origin: "https://x.com"})
			wantConflict(t, err, "name")
		})
		if n := e.count(t, "trusted_origins"); n != before {
			t.Fatalf("refused creations left %d origins, want %d", n, before)
		}
		for _, tc := range []struct {
			name                           string
			tenantID, app, origin, purpose string
			want                           bool
		}{
			{"allows an origin for every app", ten.ID, b.ID, "https://www.acme.com", PurposeCORS, true},
			{"compares the normalized origin", ten.ID, b.ID, "https://WWW.ACME.COM:443", PurposeEmbed, true},
			{"allows a restricted origin for its app", ten.ID, a.ID, "https://shop.acme.com", PurposeEmbed, true},
			{"refuses a restricted origin for another app", ten.ID, b.ID, "https://shop.acme.com", PurposeEmbed, false},
			{"refuses a purpose the origin lacks", ten.ID, a.ID, "https://shop.acme.com", PurposeCORS, false},
			{"refuses another port", ten.ID, b.ID, "https://www.acme.com:8443", PurposeCORS, false},
			{"refuses http for an https origin", ten.ID, b.ID, "http://www.acme.com", PurposeCORS, false},
			{"refuses another tenant's origin", ten.ID, b.ID, "https://theirs.example.com", PurposeCORS, false},
			{"refuses an origin for another tenant", other.ID, foreign.ID, "https://www.acme.com", PurposeCORS, false},
			{"refuses a malformed origin", ten.ID, b.ID, "null", PurposeCORS, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
					return e.svc.OriginAllowed(ctx, tx, tc.tenantID, tc.app, tc.origin, tc.purpose)
				})
				if got != tc.want {
					t.Fatalf("OriginAllowed = %v, want %v", got, tc.want)
				}
			})
		}
		t.Run("refuses an unknown purpose to check", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.OriginAllowed(ctx, tx, ten.ID, a.ID, "https://www.acme.com", "frame")
				return err
			}), "purpose")
		})
		for _, tc := range []struct {
			name                      string
			tenantID, origin, purpose string
			want                      bool
		}{
			{"trusts an origin some app may use", ten.ID, "https://shop.acme.com", PurposeEmbed, true},
			{"trusts an origin of every app", ten.ID, "https://www.acme.com", PurposeCORS, true},
			{"does not trust a purpose no app has", ten.ID, "https://shop.acme.com", PurposeCORS, false},
			{"does not trust another tenant's origin", ten.ID, "https://theirs.example.com", PurposeCORS, false},
			{"does not trust a malformed origin", ten.ID, "null", PurposeCORS, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
					return e.svc.OriginTrusted(ctx, tx, tc.tenantID, tc.origin, tc.purpose)
				})
				if got != tc.want {
					t.Fatalf("OriginTrusted = %v, want %v", got, tc.want)
				}
			})
		}
		t.Run("lists the origins trusted for a purpose", func(t *testing.T) {
			for purpose, want := range map[string][]string{
				PurposeCORS:  {"https://www.acme.com"},
				PurposeEmbed: {"https://shop.acme.com", "https://www.acme.com"},
			} {
				got := get(t, e, func(ctx context.Context, tx store.Tx) ([]string, error) {
					return e.svc.TrustedOrigins(ctx, tx, ten.ID, purpose)
				})
				if !slices.Equal(got, want) {
					t.Errorf("TrustedOrigins(%s) = %q, want %q", purpose, got, want)
				}
			}
		})
		t.Run("updates, lists and deletes", func(t *testing.T) {
			origin, purposes := "https://acme.com:8443", []string{PurposeCORS}
			up := get(t, e, func(ctx context.Context, tx store.Tx) (TrustedOrigin, error) {
				return e.svc.UpdateOrigin(ctx, tx, ten.ID, site.ID, OriginPatch{Origin: &origin, Purposes: &purposes})
			})
			if up.Origin != origin || !slices.Equal(up.Purposes, purposes) || up.Name != "Site" {
				t.Fatalf("updated %+v", up)
			}
			bad := "https://acme.com/x"
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateOrigin(ctx, tx, ten.ID, site.ID, OriginPatch{Origin: &bad})
				return err
			}), "origin")
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Origin(ctx, tx, other.ID, site.ID)
				return err
			}))
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteOrigin(ctx, tx, other.ID, site.ID) }))
			ids := walk(t, e, func(o TrustedOrigin) string { return o.ID }, func(ctx context.Context, tx store.Tx, after string) ([]TrustedOrigin, string, error) {
				return e.svc.ListOrigins(ctx, tx, ten.ID, Page{After: after, Limit: 1})
			})
			if len(ids) != 2 || !slices.Contains(ids, site.ID) {
				t.Fatalf("listed %q", ids)
			}
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteOrigin(ctx, tx, ten.ID, site.ID) })
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Origin(ctx, tx, ten.ID, site.ID)
				return err
			}))
		})
	})
}
