package branding

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/logo"
)

var blue = color.NRGBA{R: 0x1f, G: 0x4f, B: 0xd8, A: 0xff}

const svgWithScript = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">` +
	`<script>alert(1)</script><rect width="40" height="20" fill="#e05a1c" onclick="alert(2)"/></svg>`

func (e *env) put(t *testing.T, tenantID, declared string, data []byte) (Asset, []logo.Proposal, error) {
	t.Helper()
	var a Asset
	var ps []logo.Proposal
	err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		a, ps, err = e.svc.PutAsset(ctx, tx, tenantID, declared, data)
		return err
	})
	return a, ps, err
}

func TestPutAsset(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		img := pngOf(t, blue, 32, 16)
		a, ps, err := e.put(t, e.a.ID, "image/png", img)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(a.ID, "ast_") || a.ContentType != logo.PNG || a.Width != 32 || a.Height != 16 || len(a.SHA256) != 64 || !bytes.Equal(a.Data, img) {
			t.Fatalf("asset %+v", a)
		}
		if len(a.Palette) == 0 || len(ps) != 2 {
			t.Fatalf("palette %v, %d proposals", a.Palette, len(ps))
		}
		for _, p := range ps {
			if err := themes.FailureError(p.Findings); err != nil {
				t.Errorf("proposal %s: %v", p.Name, err)
			}
		}
		t.Run("dedupes the same image of one tenant", func(t *testing.T) {
			again, _, err := e.put(t, e.a.ID, "image/png", img)
			if err != nil || again.ID != a.ID || !again.Reused || a.Reused {
				t.Fatalf("again %s %v, first %s", again.ID, err, a.ID)
			}
			other, _, err := e.put(t, e.b.ID, "image/png", img)
			if err != nil || other.ID == a.ID {
				t.Fatalf("other tenant %s %v", other.ID, err)
			}
		})
		t.Run("reads an asset by ID for anyone", func(t *testing.T) {
			got, err := e.svc.Asset(context.Background(), a.ID)
			if err != nil || got.TenantID != e.a.ID || !bytes.Equal(got.Data, img) || got.SHA256 != a.SHA256 || !got.CreatedAt.Equal(a.CreatedAt) {
				t.Fatalf("asset %+v %v", got, err)
			}
			if _, err := e.svc.Asset(context.Background(), "ast_nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown: %v", err)
			}
		})
		t.Run("stores an SVG sanitised", func(t *testing.T) {
			s, _, err := e.put(t, e.a.ID, "image/svg+xml", []byte(svgWithScript))
			if err != nil {
				t.Fatal(err)
			}
			if s.ContentType != logo.SVG || bytes.Contains(s.Data, []byte("script")) || bytes.Contains(s.Data, []byte("onclick")) {
				t.Fatalf("stored %s %q", s.ContentType, s.Data)
			}
		})
		t.Run("an asset can be used in a draft", func(t *testing.T) {
			e.save(t, e.a.ID, themes.Document{Tokens: themes.Tokens{"logo": a.ID}})
		})
		before := e.count(t, "theme_assets")
		for _, tc := range []struct {
			name     string
			declared string
			data     []byte
			field    string
			kind     error
		}{
			{"refuses a declared type the bytes are not", "image/jpeg", img, "content_type", nil},
			{"refuses SVG declared as PNG", "image/png", []byte(svgWithScript), "content_type", nil},
			{"refuses bytes of no image format", "image/png", []byte("GIF89a...."), "data", logo.ErrFormat},
			{"refuses a PNG that does not decode", "image/png", img[:40], "data", logo.ErrFormat},
			{"refuses an SVG with a DOCTYPE", "image/svg+xml", []byte(`<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>`), "data", logo.ErrUnsafe},
			{"refuses more than MaxBytes", "image/png", append(bytes.Clone(img), make([]byte, logo.MaxBytes)...), "data", logo.ErrTooLarge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := e.put(t, e.a.ID, tc.declared, tc.data)
				wantFields(t, err, tc.field)
				if tc.kind != nil && !errors.Is(err, tc.kind) {
					t.Fatalf("%v is not %v", err, tc.kind)
				}
			})
		}
		if n := e.count(t, "theme_assets"); n != before {
			t.Fatalf("%d assets after refusals, %d before", n, before)
		}
	})
}
