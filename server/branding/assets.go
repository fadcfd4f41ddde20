package branding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/logo"
)

// Asset is an image of a tenant's themes: the value of the asset tokens
// (logo, favicon, background-image).
type Asset struct {
	// ID is "ast_…".
	ID, TenantID string
	// ContentType is logo.PNG, logo.JPEG or logo.SVG.
	ContentType string
	// SHA256 is the hex digest of Data.
	SHA256 string
	// Width and Height are in pixels; 0 when an SVG does not say.
	Width, Height int
	// Palette holds up to 6 brand colours "#rrggbb", most prominent
	// first.
	Palette []string
	// Data is what is served: a PNG or JPEG as uploaded, an SVG as
	// sanitised. Serve an SVG with Content-Security-Policy: sandbox.
	Data      []byte
	CreatedAt time.Time
	// Reused is set by PutAsset when the tenant already had the image:
	// nothing was written.
	Reused bool
}

// Proposals are light and dark token overrides derived from the asset's
// palette (logo.Propose), each meeting WCAG 2.2 AA.
func (a Asset) Proposals() []logo.Proposal {
	var palette []themes.Color
	for _, s := range a.Palette {
		if c, err := themes.ParseColor(s); err == nil {
			palette = append(palette, c)
		}
	}
	return logo.Propose(palette)
}

const assetCols = `id, tenant_id, content_type, sha256, width, height, palette, data, created_at`

func scanAsset(r store.Scanner) (Asset, error) {
	var a Asset
	var palette []byte
	if err := r.Scan(&a.ID, &a.TenantID, &a.ContentType, &a.SHA256, &a.Width, &a.Height, &palette, &a.Data, &a.CreatedAt); err != nil {
		return a, err
	}
	return a, store.ParseJSONList(palette, &a.Palette)
}

// PutAsset stores an uploaded image for the tenant's themes and returns
// it with the token overrides its palette suggests. The bytes must be a
// PNG, JPEG or SVG of at most logo.MaxBytes (larger wraps
// logo.ErrTooLarge), and declaredType (the upload's Content-Type) must
// name the format the bytes are; refusals are *invalid.Error naming
// "content_type" or "data" (also wrapping logo.ErrFormat, ErrTooLarge or
// ErrUnsafe). An SVG is stored as sanitised. The same image uploaded
// again by the tenant returns the asset it already has.
func (s *Service) PutAsset(ctx context.Context, tx store.Tx, tenantID, declaredType string, data []byte) (Asset, []logo.Proposal, error) {
	if len(data) > logo.MaxBytes {
		return Asset{}, nil, fmt.Errorf("%w: %w", invalid.Field("data", "must be at most %d bytes", logo.MaxBytes), logo.ErrTooLarge)
	}
	sniffed := logo.Sniff(data)
	switch {
	case sniffed == "":
		return Asset{}, nil, fmt.Errorf("%w: %w", invalid.Field("data", "must be a PNG, JPEG or SVG image"), logo.ErrFormat)
	case !logo.MatchesDeclared(declaredType, data):
		return Asset{}, nil, invalid.Field("content_type", "the image is %s, not what the request declares", sniffed)
	}
	img, err := logo.Read(data)
	if err != nil {
		return Asset{}, nil, fmt.Errorf("%w: %w", invalid.Field("data", "%s", readReason(err)), err)
	}
	sum := sha256.Sum256(img.Data)
	a := Asset{TenantID: tenantID, ContentType: img.ContentType, SHA256: hex.EncodeToString(sum[:]),
		Width: img.Width, Height: img.Height, Palette: []string{}, Data: bytes.Clone(img.Data)}
	for _, c := range img.Palette {
		a.Palette = append(a.Palette, c.String())
	}
	old, err := scanAsset(tx.QueryRow(ctx, `SELECT `+assetCols+` FROM theme_assets WHERE tenant_id = ? AND sha256 = ?`, tenantID, a.SHA256))
	switch {
	case err == nil:
		old.Reused = true
		return old, old.Proposals(), nil
	case !errors.Is(err, store.ErrNotFound):
		return Asset{}, nil, fmt.Errorf("branding: find asset: %w", err)
	}
	a.CreatedAt = s.now()
	a.ID = ident.New("ast", a.CreatedAt)
	palette, _ := json.Marshal(a.Palette) // strings always marshal
	_, err = tx.Exec(ctx, `INSERT INTO theme_assets (`+assetCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.TenantID, a.ContentType, a.SHA256, a.Width, a.Height, string(palette), a.Data, a.CreatedAt)
	if err != nil {
		return Asset{}, nil, fmt.Errorf("branding: store asset: %w", err)
	}
	return a, a.Proposals(), nil
}

// readReason says in English why logo.Read refused an image.
func readReason(err error) string {
	switch {
	case errors.Is(err, logo.ErrTooLarge):
		return fmt.Sprintf("the image is too large (at most %d bytes and %d pixels)", logo.MaxBytes, logo.MaxPixels)
	case errors.Is(err, logo.ErrUnsafe):
		return "the SVG cannot be made safe (it declares a DOCTYPE or entities)"
	}
	return "is not a readable PNG, JPEG or SVG image"
}

// Asset returns an asset by ID, whatever its tenant: the edge serves
// logos to anyone who has the page. It runs its own read-only
// transaction; an unknown ID wraps store.ErrNotFound.
func (s *Service) Asset(ctx context.Context, id string) (Asset, error) {
	var a Asset
	err := s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		a, err = s.AssetIn(ctx, tx, id)
		return err
	})
	return a, err
}

// AssetIn is Asset in the caller's transaction.
func (s *Service) AssetIn(ctx context.Context, tx store.Tx, id string) (Asset, error) {
	a, err := scanAsset(tx.QueryRow(ctx, `SELECT `+assetCols+` FROM theme_assets WHERE id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Asset{}, notFound("asset %q", id)
	}
	if err != nil {
		return Asset{}, fmt.Errorf("branding: asset: %w", err)
	}
	return a, nil
}
