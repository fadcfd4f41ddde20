package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/logo"
)

// themeWorld is the test world with the themes routes: its API with a
// Branding service and a fake ThemePreviewer, served on its own.
type themeWorld struct {
	*world
	api      *API
	branding *branding.Service
	srv      *httptest.Server
}

func newThemeWorld(t *testing.T, backend storetest.Backend, previewer ThemePreviewer) *themeWorld {
	t.Helper()
	w := newWorld(t, backend)
	svc, err := branding.New(branding.Deps{Store: w.st, Tenants: w.tenants, Clock: w.clock, MAC: w.sec.MAC})
	if err != nil {
		t.Fatal(err)
	}
	d := w.api.Deps
	d.Branding, d.ThemePreviewer = svc, previewer
	api, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", api.Handler())
	tw := &themeWorld{world: w, api: api, branding: svc, srv: httptest.NewServer(mux)}
	t.Cleanup(tw.srv.Close)
	return tw
}

// call sends a request as role with a body of content type ct and
// decodes a JSON answer into out (when not nil).
func (tw *themeWorld) call(t *testing.T, method, path string, role Role, ct string, body []byte, out any) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, tw.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+tw.token[role])
	resp, err := tw.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header, string(b)
}

// json sends a JSON request as tenant-admin and wants status.
func (tw *themeWorld) json(t *testing.T, method, path, body string, status int, out any) string {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	got, _, resp := tw.call(t, method, path, RoleTenantAdmin, "application/json", b, out)
	if got != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, got, status, resp)
	}
	return resp
}

// themePath is the themes path of scope in tenant A.
func (tw *themeWorld) themePath(scope string) string {
	return Prefix + "/tenants/" + tw.a.ID + "/themes/" + scope
}

// eventsOf returns tenant A's events of a type.
func (tw *themeWorld) eventsOf(t *testing.T, typ string) []events.Event {
	t.Helper()
	evs, _, err := tw.events.Query(context.Background(), events.Query{TenantID: tw.a.ID, Types: []string{typ}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestThemeVersionsThroughAPI(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			tw := newThemeWorld(t, backend, nil)
			base := tw.themePath(tw.a.ID)
			var theme ThemeView
			tw.json(t, http.MethodGet, base, "", http.StatusOK, &theme)
			if theme.ScopeID != tw.a.ID || theme.Live != nil || theme.Draft != nil {
				t.Fatalf("empty theme %+v", theme)
			}
			var v ThemeVersionView
			tw.json(t, http.MethodPut, base+"/draft", `{"tokens":{"color-primary":"#123456"}}`, http.StatusOK, &v)
			if v.Number != 1 || v.State != "draft" || len(v.Contrast) == 0 || failing(v.Contrast) != 0 {
				t.Fatalf("draft %+v", v)
			}
			tw.json(t, http.MethodPost, base+"/draft/publish", "", http.StatusOK, &v)
			if !v.Live || v.State != "published" || v.PublishedAt == nil || v.ContrastOverride != nil {
				t.Fatalf("published %+v", v)
			}
			unreadable := `{"tokens":{"color-text":"#ffffff","color-surface":"#ffffff"}}`
			tw.json(t, http.MethodPut, base+"/draft", unreadable, http.StatusOK, &v)
			if v.Number != 2 || failing(v.Contrast) == 0 {
				t.Fatalf("a failing draft is saved with its findings: %+v", v)
			}

			t.Run("refuses a publish failing AA with the pairs, changing nothing", func(t *testing.T) {
				status, h, body := tw.call(t, http.MethodPost, base+"/draft/publish", RoleTenantAdmin, "application/json", []byte(`{}`), nil)
				if status != http.StatusUnprocessableEntity || h.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%d %s %s", status, h.Get("Content-Type"), body)
				}
				var p struct {
					Status   int                   `json:"status"`
					Contrast []ContrastFindingView `json:"contrast"`
					Errors   []struct{ Message string }
				}
				if err := json.Unmarshal([]byte(body), &p); err != nil {
					t.Fatal(err)
				}
				if p.Status != 422 || len(p.Contrast) == 0 || failing(p.Contrast) != len(p.Contrast) || len(p.Errors) != len(p.Contrast) {
					t.Fatalf("problem %s", body)
				}
				theme = ThemeView{}
				tw.json(t, http.MethodGet, base, "", http.StatusOK, &theme)
				if theme.Live == nil || theme.Live.Number != 1 || theme.Draft == nil || theme.Draft.Number != 2 {
					t.Fatalf("after refusal %+v", theme)
				}
				if n := len(tw.eventsOf(t, "theme.published")); n != 1 {
					t.Fatalf("%d publish events", n)
				}
			})
			t.Run("refuses an override without a reason", func(t *testing.T) {
				body := tw.json(t, http.MethodPost, base+"/draft/publish", `{"override_contrast":true}`, http.StatusUnprocessableEntity, nil)
				if !strings.Contains(body, "reason") {
					t.Fatalf("problem %s", body)
				}
			})
			t.Run("publishes with an override and shows it", func(t *testing.T) {
				tw.json(t, http.MethodPost, base+"/draft/publish", `{"override_contrast":true,"reason":"kiosk with its own contrast"}`, http.StatusOK, &v)
				want := "mgmt_token:" + tw.tokenRec[RoleTenantAdmin].ID
				if v.ContrastOverride == nil || v.ContrastOverride.Reason != "kiosk with its own contrast" || v.ContrastOverride.By != want {
					t.Fatalf("override %+v", v.ContrastOverride)
				}
				evs := tw.eventsOf(t, "theme.published")
				overridden := 0
				for _, ev := range evs {
					if ev.Details["contrast_override_reason"] == "kiosk with its own contrast" && ev.Details["number"] == float64(2) {
						overridden++
					}
				}
				if len(evs) != 2 || overridden != 1 {
					t.Fatalf("events %+v", evs)
				}
			})
			var list List[ThemeVersionView]
			tw.json(t, http.MethodGet, base+"/versions", "", http.StatusOK, &list)
			if len(list.Items) != 2 || list.Items[0].Number != 2 || !list.Items[0].Live || list.Items[1].State != "retired" || list.Items[0].Document != nil {
				t.Fatalf("versions %+v", list)
			}
			tw.json(t, http.MethodGet, base+"/versions/1", "", http.StatusOK, &v)
			if v.Document == nil || v.Document.Tokens["color-primary"] != "#123456" {
				t.Fatalf("version 1 %+v", v)
			}
			var res ResolvedThemeView
			tw.json(t, http.MethodGet, base+"/resolved", "", http.StatusOK, &res)
			if res.Tokens["color-text"] != "#ffffff" || failing(res.Contrast) == 0 || res.Hash == "" {
				t.Fatalf("resolved live %+v", res)
			}
			theme = ThemeView{}
			tw.json(t, http.MethodPost, base+"/versions/1/rollback", "", http.StatusOK, &theme)
			if theme.Live == nil || theme.Live.Number != 1 || theme.Draft != nil {
				t.Fatalf("after rollback %+v", theme)
			}
			tw.json(t, http.MethodGet, base+"/resolved", "", http.StatusOK, &res)
			if res.Tokens["color-primary"] != "#123456" || res.Tokens["color-text"] == "#ffffff" || failing(res.Contrast) != 0 {
				t.Fatalf("resolved after rollback %+v", res)
			}
			if evs := tw.eventsOf(t, "theme.rolled_back"); len(evs) != 1 || evs[0].Details["from"] != float64(2) || evs[0].Details["to"] != float64(1) {
				t.Fatalf("rollback events %+v", evs)
			}
			tw.json(t, http.MethodPost, base+"/versions/1/rollback", "", http.StatusConflict, nil)
			tw.json(t, http.MethodDelete, base+"/draft", "", http.StatusNotFound, nil)
			tw.json(t, http.MethodPut, base+"/draft", `{"tokens":{"radius":"2px"}}`, http.StatusOK, nil)
			tw.json(t, http.MethodGet, base+"/resolved?version=draft&locale=de", "", http.StatusOK, &res)
			if res.Tokens["radius"] != "2px" || res.Locale != "de" {
				t.Fatalf("resolved draft %+v", res)
			}
			tw.json(t, http.MethodDelete, base+"/draft", "", http.StatusNoContent, nil)
			tw.json(t, http.MethodPut, base+"/draft", `{"tokens":{"radius":"red","nope":"1"}}`, http.StatusUnprocessableEntity, nil)
			tw.json(t, http.MethodGet, base+"/resolved?version=latest", "", http.StatusUnprocessableEntity, nil)
			for typ, n := range map[string]int{"theme.draft.saved": 3, "theme.draft.discarded": 1} {
				evs := tw.eventsOf(t, typ)
				if len(evs) != n {
					t.Fatalf("%d %s events, want %d", len(evs), typ, n)
				}
				for _, ev := range evs {
					if _, ok := ev.Details["document"]; ok {
						t.Fatalf("event %s holds the document", typ)
					}
				}
			}
		})
	}
}

// failing counts the findings that fail.
func failing(fs []ContrastFindingView) int {
	n := 0
	for _, f := range fs {
		if !f.Pass {
			n++
		}
	}
	return n
}

func TestThemeScopesAndAccess(t *testing.T) {
	tw := newThemeWorld(t, storetest.SQLite(), nil)
	fa, fb := tw.fixture[tw.a.ID], tw.fixture[tw.b.ID]
	draft := []byte(`{"tokens":{"radius":"2px"}}`)
	for _, tc := range []struct {
		name   string
		role   Role
		method string
		path   string
		status int
	}{
		{"a brand of the tenant is a scope", RoleTenantAdmin, http.MethodPut, tw.themePath(fa["brand"]) + "/draft", http.StatusOK},
		{"an app of the tenant is a scope", RoleTenantAdmin, http.MethodPut, tw.themePath(fa["app"]) + "/draft", http.StatusOK},
		{"another tenant's brand is not found", RoleTenantAdmin, http.MethodPut, tw.themePath(fb["brand"]) + "/draft", http.StatusNotFound},
		{"another tenant's app is not found", RoleTenantAdmin, http.MethodGet, tw.themePath(fb["app"]), http.StatusNotFound},
		{"another tenant is not a scope", RoleTenantAdmin, http.MethodGet, tw.themePath(tw.b.ID) + "/versions", http.StatusNotFound},
		{"an unknown scope is not found", RoleTenantAdmin, http.MethodGet, tw.themePath("nope"), http.StatusNotFound},
		{"read-only reads", RoleReadOnly, http.MethodGet, tw.themePath(fa["brand"]), http.StatusOK},
		{"read-only cannot save", RoleReadOnly, http.MethodPut, tw.themePath(tw.a.ID) + "/draft", http.StatusForbidden},
		{"read-only cannot publish", RoleReadOnly, http.MethodPost, tw.themePath(fa["brand"]) + "/draft/publish", http.StatusForbidden},
		{"read-only cannot roll back", RoleReadOnly, http.MethodPost, tw.themePath(fa["brand"]) + "/versions/1/rollback", http.StatusForbidden},
		{"read-only cannot upload", RoleReadOnly, http.MethodPost, Prefix + "/tenants/" + tw.a.ID + "/theme-assets", http.StatusForbidden},
		{"help-desk cannot read themes", RoleHelpDesk, http.MethodGet, tw.themePath(tw.a.ID), http.StatusForbidden},
		{"tenant admins act on another tenant's themes only as instance admins", RoleTenantAdmin, http.MethodGet,
			Prefix + "/tenants/" + tw.b.ID + "/themes/" + tw.b.ID, http.StatusForbidden},
		{"instance admins do", RoleInstanceAdmin, http.MethodGet, Prefix + "/tenants/" + tw.b.ID + "/themes/" + tw.b.ID, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.method != http.MethodGet {
				body = draft
			}
			if status, _, resp := tw.call(t, tc.method, tc.path, tc.role, "application/json", body, nil); status != tc.status {
				t.Fatalf("%d, want %d: %s", status, tc.status, resp)
			}
		})
	}
}

func TestThemeAssetsThroughAPI(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			tw := newThemeWorld(t, backend, nil)
			path := Prefix + "/tenants/" + tw.a.ID + "/theme-assets"
			img := solidPNG(t, color.NRGBA{R: 0xe0, G: 0x5a, B: 0x1c, A: 0xff})
			var a ThemeAssetView
			if status, _, body := tw.call(t, http.MethodPost, path, RoleTenantAdmin, "image/png", img, &a); status != http.StatusCreated {
				t.Fatalf("upload: %d %s", status, body)
			}
			if a.URL != "/branding/assets/"+a.ID || a.ContentType != logo.PNG || a.Width != 8 || len(a.Palette) == 0 || len(a.Proposals) != 2 ||
				failing(a.Proposals[0].Contrast) != 0 || a.Proposals[0].Tokens["color-primary"] == "" {
				t.Fatalf("asset %+v", a)
			}
			var again ThemeAssetView
			if status, _, body := tw.call(t, http.MethodPost, path, RoleTenantAdmin, "image/png", img, &again); status != http.StatusOK || again.ID != a.ID {
				t.Fatalf("same image again: %d %s", status, body)
			}
			svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><circle r="4" fill="#1f4fd8"/></svg>`)
			var s ThemeAssetView
			if status, _, body := tw.call(t, http.MethodPost, path, RoleTenantAdmin, "image/svg+xml", svg, &s); status != http.StatusCreated {
				t.Fatalf("svg: %d %s", status, body)
			}
			stored, err := tw.branding.Asset(context.Background(), s.ID)
			if err != nil || bytes.Contains(stored.Data, []byte("script")) {
				t.Fatalf("stored svg %q %v", stored.Data, err)
			}
			for _, tc := range []struct {
				name, ct string
				body     []byte
				status   int
			}{
				{"refuses a declared type the bytes are not", "image/jpeg", img, http.StatusUnprocessableEntity},
				{"refuses bytes of no image format", "image/png", []byte("not an image"), http.StatusUnprocessableEntity},
				{"refuses more than logo.MaxBytes", "image/png", append(bytes.Clone(img), make([]byte, logo.MaxBytes)...), http.StatusRequestEntityTooLarge},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if status, _, body := tw.call(t, http.MethodPost, path, RoleTenantAdmin, tc.ct, tc.body, nil); status != tc.status {
						t.Fatalf("%d, want %d: %s", status, tc.status, body)
					}
				})
			}
			if n := len(tw.eventsOf(t, "theme.asset.created")); n != 2 {
				t.Fatalf("%d asset events, want 2 (none for the duplicate)", n)
			}
			var got ThemeAssetView
			if status, _, body := tw.call(t, http.MethodGet, path+"/"+a.ID, RoleReadOnly, "", nil, &got); status != http.StatusOK || got.SHA256 != a.SHA256 {
				t.Fatalf("get: %d %s", status, body)
			}
			var b ThemeAssetView
			bpath := Prefix + "/tenants/" + tw.b.ID + "/theme-assets"
			if status, _, body := tw.call(t, http.MethodPost, bpath, RoleInstanceAdmin, "image/png", solidPNG(t, color.NRGBA{G: 0x80, A: 0xff}), &b); status != http.StatusCreated {
				t.Fatalf("upload to B: %d %s", status, body)
			}
			if status, _, _ := tw.call(t, http.MethodGet, path+"/"+b.ID, RoleTenantAdmin, "", nil, nil); status != http.StatusNotFound {
				t.Fatalf("B's asset through A: %d", status)
			}
			draft := fmt.Sprintf(`{"tokens":{"logo":%q}}`, a.ID)
			tw.json(t, http.MethodPut, tw.themePath(tw.a.ID)+"/draft", draft, http.StatusOK, nil)
			draft = fmt.Sprintf(`{"tokens":{"logo":%q}}`, b.ID)
			tw.json(t, http.MethodPut, tw.themePath(tw.a.ID)+"/draft", draft, http.StatusUnprocessableEntity, nil)
		})
	}
}

func solidPNG(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	for y := range 4 {
		for x := range 8 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakePreviewer renders the primary colour, so tests see which theme.
type fakeThemePreviewer struct{}

func (fakeThemePreviewer) Screens() []string { return []string{"identify", "password"} }
func (fakeThemePreviewer) Emails() []string  { return []string{"verify-email"} }
func (fakeThemePreviewer) Screen(_ context.Context, tenantID string, r themes.Resolved, screen string) ([]byte, error) {
	return []byte("<!doctype html><p>" + screen + " " + r.Tokens["color-primary"]), nil
}
func (fakeThemePreviewer) Email(_ context.Context, tenantID string, r themes.Resolved, kind string) (string, string, string, error) {
	return kind + " " + r.Tokens["color-primary"], "<p>html</p>", "text", nil
}

var _ ThemePreviewer = fakeThemePreviewer{}

func TestThemePreviewThroughAPI(t *testing.T) {
	tw := newThemeWorld(t, storetest.SQLite(), fakeThemePreviewer{})
	brand := tw.fixture[tw.a.ID]["brand"]
	base := tw.themePath(brand)
	tw.json(t, http.MethodPut, base+"/draft", `{"tokens":{"color-primary":"#123456"}}`, http.StatusOK, nil)
	var pv ThemePreviewView
	tw.json(t, http.MethodGet, base+"/preview?locale=pt-BR", "", http.StatusOK, &pv)
	if len(pv.Screens) != 2 || len(pv.Emails) != 1 || !pv.ExpiresAt.Equal(tw.clock.Now().Add(branding.MaxTicketAge)) {
		t.Fatalf("preview %+v", pv)
	}
	if want := "/branding/preview/" + pv.Ticket + "/screens/identify?locale=pt-BR"; pv.Screens[0].URL != want {
		t.Fatalf("screen URL %q, want %q", pv.Screens[0].URL, want)
	}
	tk, err := tw.branding.OpenTicket(pv.Ticket)
	if err != nil || tk.TenantID != tw.a.ID || tk.ScopeID != brand || tk.Number != 0 {
		t.Fatalf("ticket %+v %v", tk, err)
	}
	status, h, body := tw.call(t, http.MethodGet, base+"/preview/screens/identify", RoleReadOnly, "", nil, nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Content-Security-Policy") != previewCSP ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(body, "identify #123456") {
		t.Fatalf("screen: %d %v %s", status, h, body)
	}
	var em EmailPreviewView
	tw.json(t, http.MethodGet, base+"/preview/emails/verify-email?version=draft", "", http.StatusOK, &em)
	if em.Subject != "verify-email #123456" {
		t.Fatalf("email %+v", em)
	}
	tw.json(t, http.MethodGet, base+"/preview/screens/nope", "", http.StatusNotFound, nil)
	tw.json(t, http.MethodGet, base+"/preview/emails/verify-email?version=3", "", http.StatusNotFound, nil)

	without := newThemeWorld(t, storetest.SQLite(), nil)
	if status, _, body := without.call(t, http.MethodGet, without.themePath(without.a.ID)+"/preview", RoleTenantAdmin, "", nil, nil); status != http.StatusNotImplemented {
		t.Fatalf("without a previewer: %d %s", status, body)
	}
}

// mailPreviewer renders emails as the edge's previewer does: the
// resolved theme's overrides through branding.Mail, a kind's sample view.
type mailPreviewer struct {
	fakeThemePreviewer
	mail *branding.Mail
}

func (mailPreviewer) Emails() []string { return []string{"welcome"} }
func (p mailPreviewer) Email(ctx context.Context, tenantID string, r themes.Resolved, kind string) (string, string, string, error) {
	set, err := p.mail.Set(ctx, nil, r, "Acme", "https://login.acme.example")
	if err != nil {
		return "", "", "", err
	}
	m, err := set.SampleFor(r.Locale, emailtemplates.Kind(kind), emailtemplates.Site{Brand: "Acme"})
	return m.Subject, m.HTML, m.Text, err
}

// A language-neutral ("*") email override is saved as the draft, comes
// back as saved, is published and renders in every language a preview
// asks for, its t texts in that language.
func TestLanguageNeutralEmailThroughAPI(t *testing.T) {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	set, err := emailtemplates.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	mail := &branding.Mail{Templates: set, Logger: slog.New(slog.DiscardHandler)}
	tw := newThemeWorld(t, storetest.SQLite(), mailPreviewer{mail: mail})
	mail.Themes = tw.branding
	base := tw.themePath(tw.a.ID)
	doc := `{"emails":{"*":{"welcome":{"text":"{{t \"mail.welcome.heading\"}} (*) {{.Link}}\n"}},` +
		`"fr":{"welcome":{"text":"Bienvenue chez nous {{.Link}}\n"}}}}`
	tw.json(t, http.MethodPut, base+"/draft", doc, http.StatusOK, nil)
	var theme ThemeView
	tw.json(t, http.MethodGet, base, "", http.StatusOK, &theme)
	if theme.Draft == nil || theme.Draft.Document == nil || theme.Draft.Document.Emails["*"]["welcome"].Text == "" {
		t.Fatalf("draft %+v", theme.Draft)
	}
	tw.json(t, http.MethodPost, base+"/draft/publish", "", http.StatusOK, nil)
	for _, c := range []struct{ locale, want string }{
		{"de", "Willkommen (*) https://"},
		{"en", "Welcome (*) https://"},
		{"ar", "مرحبًا بك (*) https://"},
		{"fr", "Bienvenue chez nous https://"},
	} {
		var em EmailPreviewView
		tw.json(t, http.MethodGet, base+"/preview/emails/welcome?version=live&locale="+c.locale, "", http.StatusOK, &em)
		if !strings.HasPrefix(em.Text, c.want) || em.Subject == "" || em.HTML == "" {
			t.Errorf("%s: %+v", c.locale, em)
		}
	}
	// Other keys that are no canonical language tag stay refused.
	for _, key := range []string{"**", "pt-br", "*-DE"} {
		tw.json(t, http.MethodPut, base+"/draft", `{"emails":{"`+key+`":{"welcome":{"text":"x"}}}}`, http.StatusUnprocessableEntity, nil)
	}
}

// TestThemeRoutesInOpenAPI checks that both documents validate with the
// themes routes, list every one of them, and state the upload's and the
// HTML preview's content types.
func TestThemeRoutesInOpenAPI(t *testing.T) {
	tw := newThemeWorld(t, storetest.SQLite(), fakeThemePreviewer{})
	get := func(path string) []byte {
		t.Helper()
		resp, err := tw.srv.Client().Get(tw.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return b
	}
	doc30, doc31 := get(Prefix+"/openapi-3.0.json"), get(Prefix+"/openapi.json")
	d30, err := openapi3.NewLoader().LoadFromData(doc30)
	if err != nil {
		t.Fatal(err)
	}
	if err := d30.Validate(context.Background()); err != nil {
		t.Fatalf("3.0: %v", err)
	}
	d31, err := libopenapi.NewDocument(doc31)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(d31)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("3.1: %s: %s", e.Message, e.Reason)
		}
	}
	ops := operations(t, doc31)
	n := 0
	for _, r := range tw.api.Routes() {
		if strings.Contains(r.Path, "/themes/") || strings.Contains(r.Path, "/theme-assets") {
			n++
			if !ops[r.Method+" "+r.Path] {
				t.Errorf("%s %s is not in the document", r.Method, r.Path)
			}
		}
	}
	if n != 13 {
		t.Errorf("%d themes routes, want 13", n)
	}
	paths := d30.Paths
	upload := paths.Find(Prefix + "/tenants/{tenant}/theme-assets").Post.RequestBody.Value.Content
	for _, ct := range []string{"image/png", "image/jpeg", "image/svg+xml"} {
		if upload.Get(ct) == nil {
			t.Errorf("upload does not take %s", ct)
		}
	}
	screen := paths.Find(Prefix + "/tenants/{tenant}/themes/{scope}/preview/screens/{screen}").Get.Responses.Status(200).Value.Content
	if screen.Get("text/html") == nil || screen.Get("application/json") != nil {
		t.Errorf("screen preview answers %v", screen)
	}
}
