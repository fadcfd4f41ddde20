package edge

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/themes"
)

// studio is GET /studio, the designer studio (issue 14): an instance-level
// page, like the API's documentation, on which staff edit a tenant's,
// brand's or app's theme through the management API. The page holds no
// tenant data and needs no session: its script asks for a management
// token and sends it as a bearer token, so the page is rendered the same
// for everyone, in English (it is for staff, not for the people who sign
// in), with a fresh nonce each time.
//
// It sets its own headers instead of going through secure: it is not a
// site's page (no CSRF cookie, no brand), and its policy differs: it
// frames the previews (same-origin), shows uploaded logos from blob: URLs
// and allows no form to submit anywhere, since every action is a fetch.
type studio struct {
	assets pages.Assets
	// form is the token editor, built once from the token contract.
	form pages.Studio
}

// studioHandler returns the studio's handler; assets names the hashed URLs
// of studio.css and studio.js (nil serves them at their plain names).
func studioHandler(assets pages.Assets) http.Handler {
	return &studio{assets: assets, form: studioForm()}
}

// studioCSP is the page's Content-Security-Policy around a nonce. Styles
// come only from studio.css ('self'): the script sets colours through the
// CSSOM, which style-src does not govern, and never writes a style
// attribute.
func studioCSP(nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "' 'strict-dynamic'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

func (s *studio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nonce := randomToken()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", studioCSP(nonce))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	page := s.form
	page.Nonce, page.Assets = nonce, s.assets
	// A failed write is the client gone; there is nothing to tell it.
	_ = pages.StudioPage(page).Render(r.Context(), w)
}

// studioGroups are the editor's fieldsets by kind, in this order; a kind
// added to the contract later lands in "Other" until it is named here.
var studioGroups = []struct {
	legend string
	kinds  []themes.Kind
}{
	{"Colours", []themes.Kind{themes.KindColor}},
	{"Type", []themes.Kind{themes.KindFont, themes.KindWeight}},
	{"Sizes", []themes.Kind{themes.KindLength}},
	{"Images (set by uploading a logo)", []themes.Kind{themes.KindAsset}},
}

// studioForm builds the token editor from themes.Defs(), so that every
// token of the contract has a control: each kind's input, the light
// theme's value as the placeholder and every built-in theme's value for
// the script to show when the base changes.
func studioForm() pages.Studio {
	form := pages.Studio{Bases: themes.BuiltinNames()}
	builtin := map[string]themes.Tokens{}
	for _, b := range form.Bases {
		builtin[b], _ = themes.Builtin(b)
	}
	grouped := map[themes.Kind]bool{}
	for _, g := range studioGroups {
		group := pages.StudioGroup{Legend: g.legend}
		for _, k := range g.kinds {
			grouped[k] = true
		}
		for _, d := range themes.Defs() {
			if slices.Contains(g.kinds, d.Kind) {
				group.Tokens = append(group.Tokens, studioToken(d, form.Bases, builtin))
			}
		}
		form.Groups = append(form.Groups, group)
	}
	other := pages.StudioGroup{Legend: "Other"}
	for _, d := range themes.Defs() {
		if !grouped[d.Kind] {
			other.Tokens = append(other.Tokens, studioToken(d, form.Bases, builtin))
		}
	}
	if len(other.Tokens) > 0 {
		form.Groups = append(form.Groups, other)
	}
	return form
}

func studioToken(d themes.Def, bases []string, builtin map[string]themes.Tokens) pages.StudioToken {
	t := pages.StudioToken{Name: d.Name, Control: d.Kind.String(), Doc: d.Doc, Default: d.Light}
	for _, b := range bases {
		t.Defaults = append(t.Defaults, pages.StudioDefault{Base: b, Value: builtin[b][d.Name]})
	}
	switch d.Kind {
	case themes.KindWeight:
		for w := 100; w <= 900; w += 100 {
			t.Options = append(t.Options, strconv.Itoa(w))
		}
	case themes.KindColor, themes.KindLength, themes.KindFont, themes.KindAsset:
	default:
		// A kind this page does not know yet is edited as text; the
		// server validates it.
		t.Control = "text"
	}
	return t
}
