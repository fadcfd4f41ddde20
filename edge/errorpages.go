package edge

import (
	"context"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/store"
)

// Errors on a site (DESIGN "Failure and bad input"): people get a branded
// page in their language with a fixed title and text per status and the
// request ID; machine clients get a minimal JSON error of the flow API's
// shape. The protocol endpoints answer their own errors (OAuth errors,
// problem+json); only what no handler answers comes here: a path no route
// matches, a method no route takes, a handler's panic, and the rate
// limits (tooManyRequests, tooManyRequestsAPI).

// statusPage is what an error page of one status says (message IDs: the
// title, which is also the heading, and the text shown when the caller
// has none more precise) and the JSON error's code.
type statusPage struct{ title, text, code string }

// statusPages holds the statuses with pages of their own; the JSON codes
// follow OAuth's where it has one (server_error, temporarily_unavailable).
var statusPages = map[int]statusPage{
	http.StatusBadRequest:          {"error.http_400.title", "error.http_400.text", "bad_request"},
	http.StatusForbidden:           {"error.http_403.title", "error.http_403.text", "forbidden"},
	http.StatusNotFound:            {"error.http_404.title", "error.http_404.text", "not_found"},
	http.StatusMethodNotAllowed:    {"error.http_405.title", "error.http_405.text", "method_not_allowed"},
	http.StatusTooManyRequests:     {"error.http_429.title", "error.http_429.text", "too_many_requests"},
	http.StatusInternalServerError: {"error.http_500.title", "error.http_500.text", "server_error"},
	http.StatusBadGateway:          {"error.http_502.title", "error.http_502.text", "bad_gateway"},
	http.StatusServiceUnavailable:  {"error.http_503.title", "error.http_503.text", "temporarily_unavailable"},
}

// statusPageOf returns the page of status: its own, else the 500's for a
// server error, else the generic "something went wrong".
func statusPageOf(status int) statusPage {
	if p, ok := statusPages[status]; ok {
		return p
	}
	if status >= 500 {
		return statusPages[http.StatusInternalServerError]
	}
	return statusPage{"error.title", "error.help", strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")}
}

// brand is the brand a site's pages show: the brand bound to the site's
// custom domain, else the tenant (its display name). It is the one place
// pages take the brand from. A brand that cannot be read is logged and
// the tenant shown instead: an error page must not fail for it.
func (s *siteHandlers) brand(ctx context.Context) pages.Brand {
	site, ok := SiteFrom(ctx)
	if !ok {
		return pages.Brand{}
	}
	b := pages.Brand{Name: site.Tenant.Name, Home: s.home}
	if site.Domain == nil || site.Domain.BrandID == "" {
		return b
	}
	err := s.engine.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		br, err := s.tenants.Brand(ctx, tx, site.Tenant.ID, site.Domain.BrandID)
		if err == nil {
			b.Name = br.Name
		}
		return err
	})
	if err != nil {
		s.log.ErrorContext(ctx, "edge: brand of a page", "err", err)
	}
	return b
}

// errorPage shows the branded, localized error page of status with
// message (a message ID with name/value params) as its text, or the
// status's own text when message is empty.
func (s *siteHandlers) errorPage(w http.ResponseWriter, r *http.Request, status int, message string, params ...string) {
	s.problemPage(w, r, status, pages.Problem{Message: message, Params: params})
}

// problemPage renders the error page of status. Outside the security
// middleware (a route's fallback, a panic, a rate limit in front of a
// route) it sets the same headers (CSP with a nonce, no-store…) itself.
func (s *siteHandlers) problemPage(w http.ResponseWriter, r *http.Request, status int, e pages.Problem) {
	if pageFrom(r.Context()) == nil {
		site, _ := SiteFrom(r.Context())
		// No form on an error page: no CSRF token, no cookie.
		p := &page{nonce: randomToken(), secure: site.Secure}
		r = r.WithContext(context.WithValue(r.Context(), pageKey{}, p))
		w = &headerWriter{ResponseWriter: w, p: p}
	}
	sp := statusPageOf(status)
	if e.Message == "" {
		e.Message = sp.text
	}
	brand := s.brand(r.Context())
	// Going elsewhere does not lift a rate limit; a link to this very
	// page would go nowhere.
	if status != http.StatusTooManyRequests && brand.Home != r.URL.Path {
		e.Home = brand.Home
	}
	e.RequestID = requestid.From(r.Context())
	p := s.page(r.Context(), s.localizer(r), sp.title)
	p.Brand = brand
	s.render(w, r, status, pages.ErrorPage(p, e))
}

// statusJSON answers a machine client with status's minimal JSON error,
// the flow API's shape: {"error": code, "message": message ID}, the code
// readable as an OAuth error code too.
func statusJSON(w http.ResponseWriter, status int) {
	sp := statusPageOf(status)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	apiError(w, status, sp.code, sp.text)
}

// fallback answers status for what no handler answered: JSON for machine
// clients (wantsJSON), else the branded page with the status's text.
func (s *siteHandlers) fallback(w http.ResponseWriter, r *http.Request, status int) {
	if wantsJSON(r) {
		statusJSON(w, status)
		return
	}
	s.errorPage(w, r, status, "")
}

// notFound is the site's 404.
func (s *siteHandlers) notFound(w http.ResponseWriter, r *http.Request) {
	s.fallback(w, r, http.StatusNotFound)
}

// tooManyRequests answers a person whom a rate limit stopped: the branded
// 429 page saying when to try again, with Retry-After in whole seconds
// (rounded up, at least 1). Machine clients get tooManyRequestsAPI.
func (s *siteHandlers) tooManyRequests(w http.ResponseWriter, r *http.Request, retryAfter time.Duration) {
	secs := setRetryAfter(w, retryAfter)
	s.problemPage(w, r, http.StatusTooManyRequests, pages.Problem{
		Retry: "error.http_429.retry", RetryParams: []string{"count", secs},
	})
}

// rateLimited answers a request on a site that a rate limit stopped:
// tooManyRequestsAPI for a machine client (wantsJSON), else
// tooManyRequests.
func (s *siteHandlers) rateLimited(w http.ResponseWriter, r *http.Request, retryAfter time.Duration) {
	if wantsJSON(r) {
		tooManyRequestsAPI(w, retryAfter)
		return
	}
	s.tooManyRequests(w, r, retryAfter)
}

// tooManyRequestsAPI is tooManyRequests for machine clients (the flow
// API, the protocol endpoints): Retry-After as there, and the JSON error
// {"error": "too_many_requests", "message": "error.http_429.text"}.
func tooManyRequestsAPI(w http.ResponseWriter, retryAfter time.Duration) {
	setRetryAfter(w, retryAfter)
	statusJSON(w, http.StatusTooManyRequests)
}

// setRetryAfter sets Retry-After to d in whole seconds (retryAfterSeconds)
// and returns that number as written.
func setRetryAfter(w http.ResponseWriter, d time.Duration) string {
	secs := strconv.Itoa(retryAfterSeconds(d))
	w.Header().Set("Retry-After", secs)
	return secs
}

// retryAfterSeconds is d in whole seconds, rounded up, at least 1 (Retry-After
// has no fractions, and 0 would invite an immediate retry).
func retryAfterSeconds(d time.Duration) int {
	secs := math.Ceil(d.Seconds())
	if secs < 1 || math.IsNaN(secs) {
		return 1
	}
	if secs > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(secs)
}

// wantsJSON reports whether a request that no handler answered comes from
// a machine client: a path of the flow API (/api/), of an authorization
// server's machine endpoints (everything under /oauth2/{server}/ but the
// authorize and logout pages) or of a /.well-known/ document, or an
// Accept header that names JSON and not HTML ("application/json, */*"
// is a script's fetch; a browser's navigation names text/html).
func wantsJSON(r *http.Request) bool {
	p := strings.TrimPrefix(r.URL.Path, SystemPrefix)
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, SCIMPrefix+"/") {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "/oauth2/"); ok {
		_, endpoint, _ := strings.Cut(rest, "/")
		return endpoint != "v1/authorize" && endpoint != "v1/logout"
	}
	var jsonOK, htmlOK bool
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] != "" && strings.Trim(params["q"], "0.") == "" {
			continue // malformed, or refused with q=0
		}
		switch {
		case mt == "application/json", strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
			jsonOK = true
		case mt == "text/html", mt == "application/xhtml+xml":
			htmlOK = true
		}
	}
	return jsonOK && !htmlOK
}
