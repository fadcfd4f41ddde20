package edge

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// Page security (CONVENTIONS #13): every page the edge renders passes
// through secure, which sets the Content-Security-Policy with a fresh nonce,
// HSTS on HTTPS, framing and referrer rules, and checks the CSRF token of
// every unsafe method. A page cannot opt out: the only knob is the list of
// extra form targets a flow page may redirect to after a POST.

// csrfField and csrfCookie carry the double-submit CSRF token; a script's
// fetch of JSON, which has no form field, sends it in csrfHeader instead
// (a header that another site's page cannot set without a preflight).
const (
	csrfField  = "csrf"
	csrfHeader = "X-Lintel-CSRF"
)

type pageKey struct{}

// page is the per-request security state a page renders with.
type page struct {
	nonce  string
	csrf   string
	secure bool
	// formTargets are origins a form on this page may end up at (the
	// client's redirect URI after a flow ends): CSP form-action governs
	// redirects that follow a form submission too.
	formTargets []string
	// wasm lets the page compile WebAssembly ('wasm-unsafe-eval'): only a
	// page that embeds the sign-in widget needs it.
	wasm bool
	// styleOrigins and scriptOrigins are the https origins a brand's own
	// page template loads its stylesheets (with their images and fonts)
	// and scripts from; its script elements carry the nonce, and the
	// origins are listed besides for browsers without 'strict-dynamic'.
	styleOrigins, scriptOrigins []string
}

func pageFrom(ctx context.Context) *page {
	p, _ := ctx.Value(pageKey{}).(*page)
	return p
}

// Nonce returns the CSP nonce of the page being rendered.
func Nonce(ctx context.Context) string {
	if p := pageFrom(ctx); p != nil {
		return p.nonce
	}
	return ""
}

// CSRF returns the CSRF token to put in the page's forms.
func CSRF(ctx context.Context) string {
	if p := pageFrom(ctx); p != nil {
		return p.csrf
	}
	return ""
}

// allowFormTarget lets the page's forms end at origin (scheme://host).
func allowFormTarget(ctx context.Context, origin string) {
	if p := pageFrom(ctx); p != nil && origin != "" {
		p.formTargets = append(p.formTargets, origin)
	}
}

// allowWasm lets the page compile WebAssembly, for the sign-in widget it
// embeds. It allows nothing else: no eval, no inline script.
func allowWasm(ctx context.Context) {
	if p := pageFrom(ctx); p != nil {
		p.wasm = true
	}
}

// allowBrandOrigins lets the page load the stylesheets and scripts of a
// brand's page template from the template's declared origins (validated
// https origins, themes.Document).
func allowBrandOrigins(ctx context.Context, styles, scripts []string) {
	if p := pageFrom(ctx); p != nil {
		p.styleOrigins = append(p.styleOrigins, styles...)
		p.scriptOrigins = append(p.scriptOrigins, scripts...)
	}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// cookieName prefixes names with __Host- on HTTPS, which browsers accept
// only for Secure, host-only, Path=/ cookies.
func cookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// setCookie writes a cookie with Lintel's rules: HttpOnly, SameSite=Lax,
// Path=/, Secure and __Host- on HTTPS.
func setCookie(w http.ResponseWriter, secure bool, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(name, secure), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

func readCookie(r *http.Request, secure bool, name string) string {
	c, err := r.Cookie(cookieName(name, secure))
	if err != nil {
		return ""
	}
	return c.Value
}

// secure wraps page handlers. refuse renders the branded "form expired"
// page when a CSRF check fails. renderOnly, when not nil, names the
// non-GET requests other sites may send, which therefore skip the
// cross-origin and CSRF checks: those that only render a page and change
// nothing (an RP's logout POST, which gets the confirmation page), and
// those that carry a proof of their own instead (an identity provider's
// callback with its state, a widget's handover with the flow secret).
// Nothing else does.
func secure(next http.Handler, refuse func(w http.ResponseWriter, r *http.Request), renderOnly func(r *http.Request) bool) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site, _ := SiteFrom(r.Context())
		p := &page{nonce: randomToken(), secure: site.Secure}
		p.csrf = readCookie(r, p.secure, "lintel-csrf")
		if p.csrf == "" {
			p.csrf = randomToken()
			setCookie(w, p.secure, "lintel-csrf", p.csrf, 0)
		}
		ctx := context.WithValue(r.Context(), pageKey{}, p)
		r = r.WithContext(ctx)
		if !safeMethod(r.Method) && (renderOnly == nil || !renderOnly(r)) {
			// Browsers tell where a request came from; a cross-site POST is
			// refused before the token is even looked at.
			if err := cop.Check(r); err != nil || !validCSRF(r, p) {
				headers(w, p)
				refuse(w, r)
				return
			}
		}
		next.ServeHTTP(&headerWriter{ResponseWriter: w, p: p}, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func validCSRF(r *http.Request, p *page) bool {
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostForm.Get(csrfField)
	if got == "" {
		got = r.Header.Get(csrfHeader)
	}
	cookie := readCookie(r, p.secure, "lintel-csrf")
	return got != "" && cookie != "" && subtle.ConstantTimeCompare([]byte(got), []byte(cookie)) == 1
}

// headerWriter sets the security headers just before the first write, so
// that handlers can still add form targets while deciding what to render.
type headerWriter struct {
	http.ResponseWriter
	p    *page
	done bool
}

func (h *headerWriter) WriteHeader(code int) {
	if !h.done {
		h.done = true
		headers(h.ResponseWriter, h.p)
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerWriter) Write(b []byte) (int, error) {
	if !h.done {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (h *headerWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func headers(w http.ResponseWriter, p *page) {
	h := w.Header()
	formAction := "'self'"
	if len(p.formTargets) > 0 {
		formAction += " " + strings.Join(p.formTargets, " ")
	}
	scripts := "'nonce-" + p.nonce + "' 'strict-dynamic'"
	if p.wasm {
		scripts += " 'wasm-unsafe-eval'"
	}
	for _, o := range p.scriptOrigins {
		scripts += " " + o
	}
	// A brand's style origins serve its template's stylesheets, and the
	// images and fonts those and the template refer to.
	brand := ""
	for _, o := range p.styleOrigins {
		brand += " " + o
	}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src "+scripts+"; style-src 'self' 'nonce-"+p.nonce+"'"+brand+"; img-src 'self' data:"+brand+"; font-src 'self'"+brand+"; connect-src 'self'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	if p.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cache-Control", "no-store")
}
