package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes/logo"
)

// AssetsURLPrefix is where the edge serves theme assets by ID, to anyone.
const AssetsURLPrefix = "/branding/assets/"

// ThemeAssetView is an uploaded image of a tenant's themes.
type ThemeAssetView struct {
	ID          string              `json:"id" doc:"The value of an asset token (logo, favicon, background-image)"`
	ContentType string              `json:"content_type" enum:"image/png,image/jpeg,image/svg+xml"`
	SHA256      string              `json:"sha256" doc:"Hex digest of the bytes served"`
	Width       int                 `json:"width" doc:"Pixels; 0 when an SVG does not say"`
	Height      int                 `json:"height"`
	Palette     []string            `json:"palette" doc:"Up to 6 brand colours, most prominent first"`
	URL         string              `json:"url" doc:"Where the edge serves it"`
	Proposals   []ThemeProposalView `json:"proposals" doc:"Token overrides derived from the palette for the light and dark themes, each meeting WCAG 2.2 AA"`
	CreatedAt   time.Time           `json:"created_at"`
}

// ThemeProposalView is a set of token overrides derived from a logo.
type ThemeProposalView struct {
	Name     string                `json:"name" doc:"The built-in theme they apply to"`
	Tokens   map[string]string     `json:"tokens"`
	Contrast []ContrastFindingView `json:"contrast"`
}

func themeAssetView(a branding.Asset, ps []logo.Proposal) ThemeAssetView {
	v := ThemeAssetView{ID: a.ID, ContentType: a.ContentType, SHA256: a.SHA256, Width: a.Width, Height: a.Height,
		Palette: nonNil(a.Palette), URL: AssetsURLPrefix + a.ID, Proposals: []ThemeProposalView{}, CreatedAt: a.CreatedAt}
	for _, p := range ps {
		v.Proposals = append(v.Proposals, ThemeProposalView{Name: p.Name, Tokens: p.Tokens, Contrast: contrastViews(p.Findings)})
	}
	return v
}

// assetOut answers 201 for a new asset, 200 for one the tenant had.
type assetOut struct {
	Status int
	Body   ThemeAssetView
}

func (a *API) registerThemeAssets() {
	const tag = "Themes"
	base := Prefix + "/tenants/{tenant}/theme-assets"
	upload := Route{ID: "upload-theme-asset", Method: http.MethodPost, Path: base, Scope: ScopeThemesWrite, Status: http.StatusCreated,
		AlsoStatus: http.StatusOK, MaxBody: logo.MaxBytes}
	register(a, upload, tag,
		"Upload a logo or other image for the tenant's themes: the raw bytes of a PNG, JPEG or SVG (SVG is sanitised) as the body, its type as Content-Type. The answer proposes tokens from its colours. The same image uploaded again answers 200 with the asset the tenant has",
		func(ctx context.Context, in *struct {
			TenantPath
			ContentType string `header:"Content-Type" doc:"image/png, image/jpeg or image/svg+xml: what the bytes are"`
			RawBody     []byte `contentType:"image/png"`
		}) (*assetOut, error) {
			var out assetOut
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				asset, ps, err := a.Branding.PutAsset(ctx, tx, principal(ctx).Target.ID, in.ContentType, in.RawBody)
				if err != nil {
					return err
				}
				out = assetOut{Status: http.StatusCreated, Body: themeAssetView(asset, ps)}
				if asset.Reused {
					out.Status = http.StatusOK
					return nil // nothing changed, nothing to record
				}
				return a.appendEvent(ctx, tx, "theme.asset.created", events.Ref{Type: "theme_asset", ID: asset.ID},
					map[string]any{"content_type": asset.ContentType, "sha256": asset.SHA256})
			})
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			return &out, nil
		})
	if item := a.api.OpenAPI().Paths[upload.Path]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		// Bytes without a schema: huma's binary schema carries
		// contentMediaType, which OpenAPI 3.0 does not know.
		for _, ct := range []string{logo.PNG, logo.JPEG, logo.SVG} {
			item.Post.RequestBody.Content[ct] = &huma.MediaType{}
		}
	}
	register(a, Route{ID: "get-theme-asset", Method: http.MethodGet, Path: base + "/{asset}", Scope: ScopeThemesRead}, tag,
		"Get an asset of the tenant's themes (without its bytes, which the edge serves at url)",
		func(ctx context.Context, in *struct {
			TenantPath
			Asset string `path:"asset" maxLength:"64"`
		}) (*Out[ThemeAssetView], error) {
			asset, err := a.Branding.Asset(ctx, in.Asset)
			if err == nil && asset.TenantID != principal(ctx).Target.ID {
				err = store.ErrNotFound // another tenant's is no business of this one
			}
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			return &Out[ThemeAssetView]{Body: themeAssetView(asset, asset.Proposals())}, nil
		})
}

// appendEvent records a change the caller made in tx.
func (a *API) appendEvent(ctx context.Context, tx store.Tx, typ string, target events.Ref, details map[string]any) error {
	p := principal(ctx)
	_, err := a.Events.Append(ctx, tx, events.Event{Type: typ, TenantID: p.Target.ID, Actor: p.Actor(), Target: target,
		Outcome: events.Success, RequestID: requestid.From(ctx), Details: details})
	return err
}
