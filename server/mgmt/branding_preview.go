package mgmt

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/themes"
)

// ThemePreviewer renders screens and emails with a resolved theme (the
// edge implements it; the server never imports the edge). It is safe for
// concurrent use.
type ThemePreviewer interface {
	// Screens names the screens a preview shows.
	Screens() []string
	// Emails names the email kinds a preview shows.
	Emails() []string
	// Screen renders one screen as a whole, standalone HTML page (styles
	// inline) for the tenant with r.
	Screen(ctx context.Context, tenantID string, r themes.Resolved, screen string) ([]byte, error)
	// Email renders one email of the tenant with r.
	Email(ctx context.Context, tenantID string, r themes.Resolved, kind string) (subject, html, text string, err error)
}

// previewCSP keeps a previewed page from running scripts or reaching
// out: it is a tenant's page shown inside the management studio. It may
// load Lintel's own stylesheet ('self'), which the page links to.
const previewCSP = "sandbox; default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'"

// EdgePreviewPrefix is where the edge serves previews to ticket holders:
// {prefix}{ticket}/screens/{name} and {prefix}{ticket}/emails/{kind}.
const EdgePreviewPrefix = "/branding/preview/"

// ThemeQuery selects the page a theme is resolved for.
type ThemeQuery struct {
	Brand  string `query:"brand" maxLength:"64" doc:"The brand whose domain the page is on; a brand scope stands for it when empty"`
	App    string `query:"app" maxLength:"64" doc:"The app the page is for; an app scope stands for it when empty"`
	Locale string `query:"locale" maxLength:"35" doc:"BCP 47 language tag; empty for none"`
}

// versionNumber turns the version parameter into a branding version number.
func versionNumber(s, dflt string) (int, error) {
	if s == "" {
		s = dflt
	}
	switch s {
	case "draft":
		return 0, nil
	case "live":
		return branding.LiveVersion, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && len(s) <= 10 {
		return n, nil
	}
	return 0, invalid.Field("version", "must be draft, live or a version number")
}

// resolveFor resolves the scope's theme for the query.
func (a *API) resolveFor(ctx context.Context, scopeID, version, dflt string, q ThemeQuery) (themes.Resolved, int, error) {
	n, err := versionNumber(version, dflt)
	if err != nil {
		return themes.Resolved{}, 0, err
	}
	r, err := a.Branding.Preview(ctx, principal(ctx).Target.ID, q.Brand, q.App, q.Locale, scopeID, n)
	return r, n, err
}

// PreviewLinkView is one screen or email of a preview.
type PreviewLinkView struct {
	Name string `json:"name" doc:"Screen name or email kind"`
	URL  string `json:"url" doc:"Edge path that serves it to the ticket holder, for a sandboxed iframe"`
}

// ThemePreviewView lists what a preview shows, with a ticket for the edge.
type ThemePreviewView struct {
	Screens   []PreviewLinkView `json:"screens"`
	Emails    []PreviewLinkView `json:"emails"`
	Ticket    string            `json:"ticket" doc:"Lets whoever holds it load these previews until expires_at; keep it out of logs"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// EmailPreviewView is one email rendered with a theme.
type EmailPreviewView struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// ThemePreviewInput selects what a preview shows.
type ThemePreviewInput struct {
	ThemeScopePath
	ThemeQuery
	Version string `query:"version" maxLength:"10" doc:"draft (the default), live or a version number"`
}

// htmlOut is an HTML page answered as it is.
type htmlOut struct {
	ContentType string `header:"Content-Type"`
	CSP         string `header:"Content-Security-Policy"`
	NoSniff     string `header:"X-Content-Type-Options"`
	Body        []byte
}

func (a *API) registerThemeResolved(tag, base string) {
	register(a, Route{ID: "get-resolved-theme", Method: http.MethodGet, Path: base + "/resolved", Scope: ScopeThemesRead}, tag,
		"Resolve the theme a page shows with the scope's live version, draft or an earlier version: every token, after the instance, tenant, brand and app levels and the locale's overrides, with the contrast of every colour pair",
		func(ctx context.Context, in *struct {
			ThemeScopePath
			ThemeQuery
			Version string `query:"version" maxLength:"10" doc:"draft, live (the default) or a version number"`
		}) (*Out[ResolvedThemeView], error) {
			r, _, err := a.resolveFor(ctx, in.Scope, in.Version, "live", in.ThemeQuery)
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			fs := themes.Check(r.Tokens)
			for i := range fs {
				fs[i].Locale = r.Locale
			}
			return &Out[ResolvedThemeView]{Body: ResolvedThemeView{Base: r.Base, Tokens: r.Tokens, Locale: r.Locale, Hash: r.Hash,
				Contrast: contrastViews(fs)}}, nil
		})
}

func (a *API) registerThemePreview(tag, base string) {
	notImplemented := huma.Error501NotImplemented("this server renders no theme previews")
	register(a, Route{ID: "preview-theme", Method: http.MethodGet, Path: base + "/preview", Scope: ScopeThemesRead, Optional: true}, tag,
		"List the screens and emails of a preview of the scope's draft (or a version), with edge URLs that serve them for a short-lived ticket",
		func(ctx context.Context, in *ThemePreviewInput) (*Out[ThemePreviewView], error) {
			if a.ThemePreviewer == nil {
				return nil, notImplemented
			}
			_, n, err := a.resolveFor(ctx, in.Scope, in.Version, "draft", in.ThemeQuery)
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			exp := a.Clock.Now().Add(branding.MaxTicketAge).Truncate(time.Second)
			ticket := a.Branding.IssueTicket(branding.Ticket{TenantID: principal(ctx).Target.ID, ScopeID: in.Scope, Number: n,
				BrandID: in.Brand, AppID: in.App, Expires: exp})
			out := ThemePreviewView{Screens: []PreviewLinkView{}, Emails: []PreviewLinkView{}, Ticket: ticket, ExpiresAt: exp.UTC()}
			link := func(kind, name string) PreviewLinkView {
				return PreviewLinkView{Name: name, URL: EdgePreviewPrefix + ticket + "/" + kind + "/" + url.PathEscape(name) + "?locale=" + url.QueryEscape(in.Locale)}
			}
			for _, s := range a.ThemePreviewer.Screens() {
				out.Screens = append(out.Screens, link("screens", s))
			}
			for _, k := range a.ThemePreviewer.Emails() {
				out.Emails = append(out.Emails, link("emails", k))
			}
			return &Out[ThemePreviewView]{Body: out}, nil
		})
	screen := Route{ID: "preview-theme-screen", Method: http.MethodGet, Path: base + "/preview/screens/{screen}", Scope: ScopeThemesRead, Optional: true}
	register(a, screen, tag,
		"Render one screen with the scope's draft (or a version) as a standalone HTML page, sandboxed by its Content-Security-Policy",
		func(ctx context.Context, in *struct {
			ThemePreviewInput
			Screen string `path:"screen" maxLength:"64"`
		}) (*htmlOut, error) {
			if a.ThemePreviewer == nil {
				return nil, notImplemented
			}
			if !slices.Contains(a.ThemePreviewer.Screens(), in.Screen) {
				return nil, huma.Error404NotFound("no such screen")
			}
			r, _, err := a.resolveFor(ctx, in.Scope, in.Version, "draft", in.ThemeQuery)
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			page, err := a.ThemePreviewer.Screen(ctx, principal(ctx).Target.ID, r, in.Screen)
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			return &htmlOut{ContentType: "text/html; charset=utf-8", CSP: previewCSP, NoSniff: "nosniff", Body: page}, nil
		})
	documentContent(a.api.OpenAPI(), screen, "text/html", &huma.Schema{Type: "string"})
	register(a, Route{ID: "preview-theme-email", Method: http.MethodGet, Path: base + "/preview/emails/{kind}", Scope: ScopeThemesRead, Optional: true}, tag,
		"Render one email with the scope's draft (or a version): subject, HTML and text",
		func(ctx context.Context, in *struct {
			ThemePreviewInput
			Kind string `path:"kind" maxLength:"64"`
		}) (*Out[EmailPreviewView], error) {
			if a.ThemePreviewer == nil {
				return nil, notImplemented
			}
			if !slices.Contains(a.ThemePreviewer.Emails(), in.Kind) {
				return nil, huma.Error404NotFound("no such email kind")
			}
			r, _, err := a.resolveFor(ctx, in.Scope, in.Version, "draft", in.ThemeQuery)
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			var v EmailPreviewView
			v.Subject, v.HTML, v.Text, err = a.ThemePreviewer.Email(ctx, principal(ctx).Target.ID, r, in.Kind)
			if err != nil {
				return nil, a.themeProblem(ctx, err)
			}
			return &Out[EmailPreviewView]{Body: v}, nil
		})
}

// documentContent states in the document that r's success answer is of
// content type ct (huma documents a []byte body as JSON).
func documentContent(doc *huma.OpenAPI, r Route, ct string, schema *huma.Schema) {
	item := doc.Paths[r.Path]
	if item == nil || item.Get == nil {
		return
	}
	resp := item.Get.Responses[strconv.Itoa(item.Get.DefaultStatus)]
	if resp == nil {
		return
	}
	resp.Content = map[string]*huma.MediaType{ct: {Schema: schema}}
}
