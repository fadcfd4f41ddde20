package mgmt

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/logo"
)

// registerThemeChanges serves the routes that change a scope's theme:
// its draft, publishing and rollback.
func (a *API) registerThemeChanges(tag, base string) {
	register(a, Route{ID: "save-theme-draft", Method: http.MethodPut, Path: base + "/draft", Scope: ScopeThemesWrite, MaxBody: branding.MaxDocumentBytes}, tag,
		"Save the scope's draft, replacing the draft it has or starting one; the answer lists the contrast of every colour pair the draft yields (failing pairs block publishing, not saving)",
		func(ctx context.Context, in *struct {
			ThemeScopePath
			Body themes.Document
		}) (*Out[ThemeVersionView], error) {
			var out ThemeVersionView
			err := a.themeChange(ctx, "theme.draft.saved", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				v, findings, err := a.Branding.SaveDraft(ctx, tx, principal(ctx).Target.ID, in.Scope, in.Body)
				if err != nil {
					return err
				}
				// The document itself stays out of the log.
				ev.Target, ev.Details = events.Ref{Type: "theme_version", ID: v.ID}, map[string]any{"scope_id": v.ScopeID, "number": v.Number}
				out = themeVersionView(v, true)
				out.Contrast = contrastViews(findings)
				return nil
			})
			return &Out[ThemeVersionView]{Body: out}, err
		})
	register(a, Route{ID: "discard-theme-draft", Method: http.MethodDelete, Path: base + "/draft", Scope: ScopeThemesWrite, Status: http.StatusNoContent}, tag,
		"Discard the scope's draft",
		func(ctx context.Context, in *ThemeScopePath) (*struct{}, error) {
			return &struct{}{}, a.themeChange(ctx, "theme.draft.discarded", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "theme_scope", ID: in.Scope}
				return a.Branding.DiscardDraft(ctx, tx, principal(ctx).Target.ID, in.Scope)
			})
		})
	register(a, Route{ID: "publish-theme-draft", Method: http.MethodPost, Path: base + "/draft/publish", Scope: ScopeThemesWrite}, tag,
		"Publish the scope's draft: it becomes live on every node at once and the previous version is retired. A draft whose colour pairs fail WCAG 2.2 AA (with the levels above it, in every locale it or they override) is refused with 422 listing them in contrast, unless override_contrast is set with a reason",
		func(ctx context.Context, in *struct {
			ThemeScopePath
			Body *publishBody // optional: no body publishes without override
		}) (*Out[ThemeVersionView], error) {
			body := publishBody{}
			if in.Body != nil {
				body = *in.Body
			}
			var out ThemeVersionView
			err := a.themeChange(ctx, "theme.published", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				actor := principal(ctx).Actor()
				v, err := a.Branding.Publish(ctx, tx, principal(ctx).Target.ID, in.Scope, branding.PublishInput{
					OverrideContrast: body.OverrideContrast, Reason: body.Reason, By: actor.Type + ":" + actor.ID,
				})
				if err != nil {
					return err
				}
				ev.Target, ev.Details = events.Ref{Type: "theme_version", ID: v.ID}, map[string]any{"scope_id": v.ScopeID, "number": v.Number}
				if v.OverrideReason != "" {
					ev.Details["contrast_override_reason"] = v.OverrideReason
				}
				out = themeVersionView(v, true)
				return nil
			})
			return &Out[ThemeVersionView]{Body: out}, err
		})
	register(a, Route{ID: "rollback-theme", Method: http.MethodPost, Path: base + "/versions/{number}/rollback", Scope: ScopeThemesWrite}, tag,
		"Make an earlier published version of the scope live again, on every node at once; the draft stays as it is",
		func(ctx context.Context, in *struct {
			ThemeScopePath
			Number int `path:"number" minimum:"1"`
		}) (*Out[ThemeView], error) {
			var out ThemeView
			err := a.themeChange(ctx, "theme.rolled_back", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				from := 0
				if l, err := a.Branding.Live(ctx, tx, tenantID, in.Scope); err == nil {
					from = l.Number
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				v, err := a.Branding.Rollback(ctx, tx, tenantID, in.Scope, in.Number)
				if err != nil {
					return err
				}
				ev.Target, ev.Details = events.Ref{Type: "theme_version", ID: v.ID}, map[string]any{"scope_id": v.ScopeID, "from": from, "to": v.Number}
				out, err = a.themeView(ctx, tx, in.Scope)
				return err
			})
			return &Out[ThemeView]{Body: out}, err
		})
}

// contrastProblem is the 422 answer to a publish refused for contrast:
// problem+json with the failing pairs as the extension member contrast
// (and, for generic clients, as errors).
type contrastProblem struct {
	huma.ErrorModel
	Contrast []ContrastFindingView `json:"contrast"`
}

// themeProblem maps the errors of branding: contrast refusals and
// oversized images, then what problem maps.
func (a *API) themeProblem(ctx context.Context, err error) error {
	var ce *branding.ContrastError
	switch {
	case errors.As(err, &ce):
		p := &contrastProblem{
			ErrorModel: huma.ErrorModel{Status: http.StatusUnprocessableEntity, Title: http.StatusText(http.StatusUnprocessableEntity),
				Detail: "colour pairs fail WCAG 2.2 AA: fix them, or publish with override_contrast and a reason"},
			Contrast: contrastViews(ce.Failures),
		}
		for _, f := range ce.Failures {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Location: "body.override_contrast",
				Message: themes.FailureError([]themes.Finding{f}).Error()})
		}
		return p
	case errors.Is(err, logo.ErrTooLarge):
		return huma.Error413RequestEntityTooLarge("the image is too large: at most 1 MiB and 4096×4096 pixels")
	}
	return a.problem(ctx, err)
}
