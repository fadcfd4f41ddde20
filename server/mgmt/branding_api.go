package mgmt

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

// ThemeVersionView is one version of a scope's theme document.
type ThemeVersionView struct {
	ID          string     `json:"id"`
	ScopeID     string     `json:"scope_id" doc:"The tenant, brand or app the document belongs to"`
	Number      int        `json:"number" doc:"Counts the scope's versions from 1"`
	State       string     `json:"state" enum:"draft,published,retired"`
	Live        bool       `json:"live" doc:"The version pages show now"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty" doc:"When the version last became live; absent for a draft"`
	// ContrastOverride is present when the version was published although
	// it fails the contrast check.
	ContrastOverride *ContrastOverrideView `json:"contrast_override,omitempty" doc:"Who published the version although it fails WCAG 2.2 AA, and why; absent otherwise"`
	Document         *themes.Document      `json:"document,omitempty" doc:"The theme document; absent in lists"`
	Contrast         []ContrastFindingView `json:"contrast,omitempty" doc:"After saving a draft: the contrast of every colour pair the draft yields, failing ones to fix before publishing"`
}

// ContrastOverrideView records a publish past the contrast check.
type ContrastOverrideView struct {
	Reason string `json:"reason"`
	By     string `json:"by" doc:"The credential that published (type:id)"`
}

// ContrastFindingView is the contrast of one pair of colour tokens.
type ContrastFindingView struct {
	Foreground string  `json:"fg" doc:"Token of the foreground colour"`
	Background string  `json:"bg" doc:"Token of the background colour"`
	Ratio      float64 `json:"ratio" doc:"WCAG contrast ratio, rounded down to 2 decimals"`
	Min        float64 `json:"min" doc:"What WCAG 2.2 AA asks: 4.5 for text, 3 for interface components"`
	Use        string  `json:"use" enum:"text,ui"`
	Why        string  `json:"why" doc:"Where the pair appears"`
	Locale     string  `json:"locale" doc:"Empty for the base tokens, else the locale whose overrides give the pair"`
	Pass       bool    `json:"pass"`
}

// ThemeView is a scope's live version and draft.
type ThemeView struct {
	ScopeID string            `json:"scope_id"`
	Live    *ThemeVersionView `json:"live,omitempty" doc:"Absent until the scope publishes"`
	Draft   *ThemeVersionView `json:"draft,omitempty" doc:"Absent when the scope has no draft"`
}

// ResolvedThemeView is what a page shows: the cascade resolved.
type ResolvedThemeView struct {
	Base     string                `json:"base" doc:"The built-in theme the tokens start from"`
	Tokens   map[string]string     `json:"tokens" doc:"Every design token"`
	Locale   string                `json:"locale"`
	Hash     string                `json:"hash" doc:"Changes if and only if the resolved theme does"`
	Contrast []ContrastFindingView `json:"contrast"`
}

func themeVersionView(v branding.Version, withDocument bool) ThemeVersionView {
	out := ThemeVersionView{ID: v.ID, ScopeID: v.ScopeID, Number: v.Number, State: v.State, Live: v.Live,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, PublishedAt: v.PublishedAt}
	if v.OverrideReason != "" {
		out.ContrastOverride = &ContrastOverrideView{Reason: v.OverrideReason, By: v.OverrideBy}
	}
	if withDocument {
		d := v.Document
		out.Document = &d
	}
	return out
}

func contrastViews(fs []themes.Finding) []ContrastFindingView {
	out := []ContrastFindingView{}
	for _, f := range fs {
		out = append(out, ContrastFindingView{Foreground: f.Foreground, Background: f.Background, Ratio: f.Ratio, Min: f.Min,
			Use: f.Use, Why: f.Why, Locale: f.Locale, Pass: f.Pass()})
	}
	return out
}

// ThemeScopePath names a theme scope of a tenant.
type ThemeScopePath struct {
	TenantPath
	Scope string `path:"scope" maxLength:"64" doc:"The tenant's own ID, or the ID of one of its brands or apps"`
}

// publishBody asks to publish a draft.
type publishBody struct {
	OverrideContrast bool   `json:"override_contrast,omitempty" doc:"Publish even though colour pairs fail WCAG 2.2 AA; needs a reason, recorded on the version"`
	Reason           string `json:"reason,omitempty" maxLength:"500" doc:"Why failing pairs are acceptable"`
}

// registerThemes serves theme versions and assets when the API has a
// Branding dependency.
func (a *API) registerThemes() {
	if a.Branding == nil {
		return
	}
	const tag = "Themes"
	base := Prefix + "/tenants/{tenant}/themes/{scope}"
	register(a, Route{ID: "get-theme", Method: http.MethodGet, Path: base, Scope: ScopeThemesRead}, tag,
		"Get the live version and the draft of a scope's theme (the tenant's, a brand's or an app's)",
		func(ctx context.Context, in *ThemeScopePath) (*Out[ThemeView], error) {
			var v ThemeView
			err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				v, err = a.themeView(ctx, tx, in.Scope)
				return err
			})
			return &Out[ThemeView]{Body: v}, err
		})
	register(a, Route{ID: "list-theme-versions", Method: http.MethodGet, Path: base + "/versions", Scope: ScopeThemesRead}, tag,
		"List a scope's theme versions, the draft included, newest first",
		func(ctx context.Context, in *struct {
			ThemeScopePath
			Page
		}) (*Out[List[ThemeVersionView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]branding.Version, string, error) {
				return a.Branding.Versions(ctx, tx, principal(ctx).Target.ID, in.Scope, tenant.Page{After: in.After, Limit: in.limit()})
			}, func(v branding.Version) ThemeVersionView { return themeVersionView(v, false) })
		})
	register(a, Route{ID: "get-theme-version", Method: http.MethodGet, Path: base + "/versions/{number}", Scope: ScopeThemesRead}, tag,
		"Get one version of a scope's theme with its document",
		func(ctx context.Context, in *struct {
			ThemeScopePath
			Number int `path:"number" minimum:"1"`
		}) (*Out[ThemeVersionView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (branding.Version, error) {
				return a.Branding.Version(ctx, tx, principal(ctx).Target.ID, in.Scope, in.Number)
			}, func(v branding.Version) ThemeVersionView { return themeVersionView(v, true) })
		})
	a.registerThemeChanges(tag, base)
	a.registerThemeResolved(tag, base)
	a.registerThemePreview(tag, base)
	a.registerThemeAssets()
}

// themeView reads a scope's live version and draft.
func (a *API) themeView(ctx context.Context, tx store.Tx, scopeID string) (ThemeView, error) {
	tenantID := principal(ctx).Target.ID
	v := ThemeView{ScopeID: scopeID}
	d, err := a.Branding.Draft(ctx, tx, tenantID, scopeID)
	switch {
	case err == nil:
		dv := themeVersionView(d, true)
		v.Draft = &dv
	case !errors.Is(err, branding.ErrNoDraft):
		return v, err // an unknown scope among others
	}
	l, err := a.Branding.Live(ctx, tx, tenantID, scopeID)
	switch {
	case err == nil:
		lv := themeVersionView(l, true)
		v.Live = &lv
	case !errors.Is(err, store.ErrNotFound):
		return v, err
	}
	return v, nil
}

// themeChange runs fn in one transaction with the system-log event
// describing it, as change does, and answers a refused publish with the
// failing pairs.
func (a *API) themeChange(ctx context.Context, typ string, fn func(ctx context.Context, tx store.Tx, ev *events.Event) error) error {
	p := principal(ctx)
	err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		ev := events.Event{Type: typ, TenantID: p.Target.ID, Actor: p.Actor(), Outcome: events.Success, RequestID: requestid.From(ctx)}
		if err := fn(ctx, tx, &ev); err != nil {
			return err
		}
		_, err := a.Events.Append(ctx, tx, ev)
		return err
	})
	if err != nil {
		return a.themeProblem(ctx, err)
	}
	return nil
}
