package edge

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// travelHost is a custom domain of acme that shows the brand travelBrand.
const (
	travelHost  = "login.acme-travel.example"
	travelBrand = "Acme Travel"
)

// brandDomain gives acme a brand and binds it to an active custom domain.
func (w *siteWorld) brandDomain(t *testing.T) tenant.Domain {
	t.Helper()
	var d tenant.Domain
	err := w.st.Tx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		b, err := w.tenants.CreateBrand(ctx, tx, w.acme.ID, tenant.BrandInput{Name: travelBrand})
		if err != nil {
			return err
		}
		if d, err = w.tenants.CreateDomain(ctx, tx, w.acme.ID, tenant.DomainInput{Hostname: travelHost, BrandID: b.ID}); err != nil {
			return err
		}
		d, err = w.tenants.SetDomainState(ctx, tx, d.ID, tenant.DomainActive, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// handlers builds the site handlers of the world's edge, for tests that
// call them directly.
func (w *siteWorld) handlers(t *testing.T) *siteHandlers {
	t.Helper()
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSiteHandlers(Config{Engine: w.engine, OIDC: w.oidc, Tenants: w.tenants, Locales: cat,
		Logger: slog.New(slog.NewJSONHandler(w.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestErrorPagesGolden renders each status's page in English and Arabic,
// for a tenant's own host and for a custom domain with a brand, against
// golden files (go test -update rewrites them).
func TestErrorPagesGolden(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	s := w.handlers(t)
	domain := w.brandDomain(t)
	const reqID = "REQUESTID0000000000000000A"
	sitesByName := []struct {
		name string
		site Site
		want string
	}{
		{"tenant", Site{Tenant: w.acme, Base: w.srv.URL, Secure: true}, w.acme.Name},
		{"brand", Site{Tenant: w.acme, Domain: &domain, Base: "https://" + travelHost, Secure: true}, travelBrand},
	}
	for _, status := range []int{400, 403, 404, 405, 429, 500, 502, 503} {
		for _, lang := range []string{"en", "ar"} {
			for _, sc := range sitesByName {
				name := strconv.Itoa(status) + "-" + lang + "-" + sc.name
				t.Run(name, func(t *testing.T) {
					r := httptest.NewRequest(http.MethodGet, sc.site.Base+"/somewhere?ui_locales="+lang, nil)
					r = r.WithContext(requestid.With(context.WithValue(r.Context(), siteKey{}, sc.site), reqID))
					rec := httptest.NewRecorder()
					if status == http.StatusTooManyRequests {
						s.tooManyRequests(rec, r, 29500*time.Millisecond)
					} else {
						s.errorPage(rec, r, status, "")
					}
					h := rec.Header()
					if rec.Code != status || h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Cache-Control") != "no-store" ||
						!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
						t.Fatalf("%d %v", rec.Code, h)
					}
					if (status == http.StatusTooManyRequests) != (h.Get("Retry-After") == "30") {
						t.Errorf("Retry-After %q", h.Get("Retry-After"))
					}
					body := rec.Body.String()
					if !strings.Contains(body, `<html lang="`+lang+`"`) || !strings.Contains(body, ">"+sc.want+"<") || !strings.Contains(body, reqID) {
						t.Errorf("not the %s page of %q with the request ID:\n%s", lang, sc.want, body)
					}
					golden(t, "errors/"+name+".golden", normalizePage(body))
				})
			}
		}
	}
}

// TestSiteFallbacks requests what no route of a site takes: people get
// the branded page in their language, with the security headers; machine
// clients get JSON; an unknown host still gets an empty 404.
func TestSiteFallbacks(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	w.brandDomain(t)
	c := w.browser(t)
	type want struct {
		status int
		kind   string // "html", "json" or "empty"
		lang   string
		texts  []string // in the page, or the JSON error code
		allow  string
	}
	cases := []struct {
		name, method, path, host string
		header                   []string
		want                     want
	}{
		{"unknown path gets the branded 404 in the person's language", "GET", "/no/such/page", "", []string{"Accept-Language", "ar-EG,ar;q=0.9"},
			want{404, "html", "ar", []string{"الصفحة غير موجودة", ">Acme<"}, ""}},
		{"ui_locales picks the language", "GET", "/no/such/page?ui_locales=en", "", []string{"Accept-Language", "ar"},
			want{404, "html", "en", []string{"Page not found", "There is no page at this address."}, ""}},
		{"a custom domain shows its brand", "GET", "/nowhere", travelHost, nil,
			want{404, "html", "en", []string{">" + travelBrand + "<", "Page not found"}, ""}},
		{"a path deeper than a route is unknown", "GET", "/signin/a/b", "", nil,
			want{404, "html", "en", []string{"Page not found"}, ""}},
		{"a wrong method gets the branded 405", "POST", "/assets/lintel.css", "", []string{"Accept", "text/html"},
			want{405, "html", "en", []string{"This action isn't available here"}, "GET, HEAD"}},
		{"a wrong method on a page's path gets the branded 405", "OPTIONS", "/signin/flw_x", "", nil,
			want{405, "html", "en", []string{"This action isn't available here"}, "GET, HEAD, POST"}},
		{"a JSON client gets JSON", "GET", "/no/such/page", "", []string{"Accept", "application/json"},
			want{404, "json", "", []string{"not_found"}, ""}},
		{"a script's fetch of JSON gets JSON", "GET", "/no/such/page", "", []string{"Accept", "application/json, text/plain, */*"},
			want{404, "json", "", []string{"not_found"}, ""}},
		{"an unknown path of the flow API gets JSON", "GET", "/api/v1/nothing", "", nil,
			want{404, "json", "", []string{"not_found"}, ""}},
		{"an unknown machine endpoint gets JSON", "GET", "/oauth2/default/v1/nothing", "", []string{"Accept", "text/html"},
			want{404, "json", "", []string{"not_found"}, ""}},
		{"a wrong method on a machine endpoint gets JSON", "GET", "/oauth2/default/v1/token", "", nil,
			want{405, "json", "", []string{"method_not_allowed"}, "POST"}},
		{"an unknown host gets an empty 404", "GET", "/no/such/page", "nope.example", nil,
			want{404, "empty", "", nil, ""}},
	}
	nonces := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, w.srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			for i := 0; i+1 < len(tc.header); i += 2 {
				req.Header.Set(tc.header[i], tc.header[i+1])
			}
			status, h, body := do(t, c, req)
			if status != tc.want.status || h.Get("Allow") != tc.want.allow {
				t.Fatalf("%d, Allow %q: %s", status, h.Get("Allow"), body)
			}
			switch tc.want.kind {
			case "empty":
				if body != "" || h.Get("Content-Security-Policy") != "" {
					t.Fatalf("an unknown host learned something: %v %q", h, body)
				}
			case "json":
				var got struct{ Error, Message string }
				if err := json.Unmarshal([]byte(body), &got); err != nil || h.Get("Content-Type") != "application/json" ||
					got.Error != tc.want.texts[0] || got.Message != statusPageOf(tc.want.status).text {
					t.Fatalf("JSON %v %q (%v)", h, body, err)
				}
			case "html":
				csp := h.Get("Content-Security-Policy")
				if h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(csp, "default-src 'none'") ||
					!strings.Contains(csp, "frame-ancestors 'none'") || h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" {
					t.Fatalf("headers %v", h)
				}
				nonce := csp[strings.Index(csp, "'nonce-"):]
				if nonces[nonce] {
					t.Errorf("nonce reused: %q", csp)
				}
				nonces[nonce] = true
				if !strings.Contains(body, `<html lang="`+tc.want.lang+`"`) || !strings.Contains(body, h.Get(requestIDHeader)) || h.Get(requestIDHeader) == "" {
					t.Errorf("not a %s page with request ID %q:\n%s", tc.want.lang, h.Get(requestIDHeader), body)
				}
				for _, text := range tc.want.texts {
					if !strings.Contains(html.UnescapeString(body), text) {
						t.Errorf("page lacks %q:\n%s", text, body)
					}
				}
				if tc.method != http.MethodOptions && len(h.Values("Set-Cookie")) != 0 {
					t.Errorf("an error page set cookies: %v", h.Values("Set-Cookie"))
				}
			}
		})
	}
}

// TestErrorPagesLinkHome: on a site with a start page (the demo's), error
// pages link to it, except the 429 page and the start page itself.
func TestErrorPagesLinkHome(t *testing.T) {
	w := newDemoWorld(t, storetest.SQLite(), clock.System())
	s := w.handlers(t)
	s.home = "/" // as mountSites sets it for the demo
	c := w.browser(t)
	if _, _, body := get(t, c, w.srv.URL+"/no/such/page"); !strings.Contains(body, `<a href="/">Go to the start page</a>`) {
		t.Fatalf("the 404 page has no link home:\n%s", body)
	}
	site := Site{Tenant: w.acme, Base: w.srv.URL}
	for _, tc := range []struct {
		name, path string
		limited    bool
		link       bool
	}{
		{"a page elsewhere links home", "/elsewhere", false, true},
		{"the start page does not link to itself", "/", false, false},
		{"the 429 page does not", "/elsewhere", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			r = r.WithContext(context.WithValue(r.Context(), siteKey{}, site))
			rec := httptest.NewRecorder()
			if tc.limited {
				s.tooManyRequests(rec, r, time.Second)
			} else {
				s.errorPage(rec, r, http.StatusServiceUnavailable, "")
			}
			if got := strings.Contains(rec.Body.String(), `<a href="/">`); got != tc.link {
				t.Fatalf("link home %v, want %v:\n%s", got, tc.link, rec.Body.String())
			}
		})
	}
}

// TestPanicOnASite makes a site's handler panic: the person gets the
// branded 500 with the request ID and nothing of the panic or of what the
// handler had set; instrument still logs and counts the panic, with the
// stack where it happened.
func TestPanicOnASite(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	s := w.handlers(t)
	public, _ := url.Parse(w.srv.URL)
	router := &sites{store: w.st, tenants: w.tenants, public: public, defaultTenant: "acme"}
	site := http.NewServeMux()
	site.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=HALFDONE")
		w.Header().Set("Content-Type", "application/octet-stream")
		panic("secret-panic-value")
	})
	site.HandleFunc("GET /late", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		panic("late")
	})
	outer := http.NewServeMux()
	outer.Handle("/", router.route(s.serveSite(site), func(err error) { t.Errorf("routing: %v", err) }))
	te := newTestWrapped(t, outer)
	serve := func(path string, header ...string) (*httptest.ResponseRecorder, any) {
		r := httptest.NewRequest(http.MethodGet, w.srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		var repanic any
		func() {
			defer func() { repanic = recover() }()
			te.handler.ServeHTTP(rec, r)
		}()
		return rec, repanic
	}

	t.Run("people get the branded 500", func(t *testing.T) {
		rec, repanic := serve("/boom", "Accept-Language", "ar")
		if repanic != nil {
			t.Fatalf("re-panicked with %v", repanic)
		}
		h, body := rec.Result().Header, rec.Body.String()
		id := h.Get(requestIDHeader)
		if rec.Code != http.StatusInternalServerError || h.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %v", rec.Code, h)
		}
		if !strings.Contains(body, `<html lang="ar"`) || !strings.Contains(body, ">Acme<") || id == "" || !strings.Contains(body, id) {
			t.Fatalf("not the branded page with request ID %q:\n%s", id, body)
		}
		if strings.Contains(body, "secret-panic-value") || strings.Contains(body, "goroutine") || h.Get("Set-Cookie") != "" {
			t.Fatalf("leaked: %v\n%s", h, body)
		}
		logs := te.logs.withMsg(t, "handler panicked")
		if len(logs) != 1 || logs[0]["panic"] != "secret-panic-value" || logs[0]["request_id"] != id ||
			!strings.Contains(logs[0]["stack"].(string), "TestPanicOnASite") {
			t.Fatalf("panic log %v", logs)
		}
		if m := te.scrape(t); !strings.Contains(m, "lintel_http_panics_total 1") ||
			!strings.Contains(m, `lintel_http_requests_total{code="500",method="GET",route="/"} 1`) {
			t.Fatalf("metrics:\n%s", m)
		}
	})
	t.Run("a JSON client gets JSON", func(t *testing.T) {
		rec, repanic := serve("/boom", "Accept", "application/json")
		var got struct{ Error string }
		if repanic != nil || rec.Code != http.StatusInternalServerError || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Error != "server_error" {
			t.Fatalf("%d %q (%v)", rec.Code, rec.Body.String(), repanic)
		}
	})
	t.Run("a panic after the response started aborts it", func(t *testing.T) {
		rec, repanic := serve("/late")
		if err, ok := repanic.(error); !ok || !errors.Is(err, http.ErrAbortHandler) || rec.Body.String() != "partial" {
			t.Fatalf("re-panicked with %v, body %q", repanic, rec.Body.String())
		}
	})
}

// TestTooManyRequests: the page and the JSON answer carry Retry-After in
// whole seconds, rounded up and at least 1; the page says when to retry.
func TestTooManyRequests(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	s := w.handlers(t)
	site := Site{Tenant: w.acme, Base: w.srv.URL, Secure: true}
	for _, tc := range []struct {
		name  string
		retry time.Duration
		want  string
		text  string
	}{
		{"rounds a fraction up", 1500 * time.Millisecond, "2", "You can try again in 2 seconds."},
		{"waits at least a second", 0, "1", "You can try again in 1 second."},
		{"waits at least a second for a negative wait", -time.Second, "1", "You can try again in 1 second."},
		{"keeps whole seconds", time.Minute, "60", "You can try again in 60 seconds."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, accept := range []string{"text/html", "application/json"} {
				r := httptest.NewRequest(http.MethodGet, "/signin/flw_x", nil)
				r.Header.Set("Accept", accept)
				r = r.WithContext(context.WithValue(r.Context(), siteKey{}, site))
				rec := httptest.NewRecorder()
				s.rateLimited(rec, r, tc.retry)
				body := rec.Body.String()
				if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != tc.want {
					t.Fatalf("%s: %d, Retry-After %q", accept, rec.Code, rec.Header().Get("Retry-After"))
				}
				if accept == "text/html" && (!strings.Contains(body, tc.text) || !strings.Contains(body, "Too many requests")) {
					t.Fatalf("page lacks %q:\n%s", tc.text, body)
				}
				if accept == "application/json" && body != `{"error":"too_many_requests","message":"error.http_429.text"}`+"\n" {
					t.Fatalf("JSON %q", body)
				}
			}
		})
	}
}

func TestWantsJSON(t *testing.T) {
	for _, tc := range []struct {
		path, accept string
		want         bool
	}{
		{"/signin/x", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"/signin/x", "", false},
		{"/signin/x", "*/*", false},
		{"/signin/x", "application/json", true},
		{"/signin/x", "application/problem+json", true},
		{"/signin/x", "application/json, text/html", false},
		{"/signin/x", "application/json;q=0, text/html", false},
		{"/signin/x", "application/json, text/html;q=0", true},
		{"/api/v1/flows/x", "text/html", true},
		{"/.well-known/webauthn", "", true},
		{"/oauth2/default/v1/token", "", true},
		{"/oauth2/default/.well-known/openid-configuration", "", true},
		{"/oauth2/default/v1/authorize", "", false},
		{"/oauth2/default/v1/logout", "", false},
		{"/system/oauth2/default/v1/nothing", "", true},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		r.Header.Set("Accept", tc.accept)
		if got := wantsJSON(r); got != tc.want {
			t.Errorf("%s with Accept %q: %v, want %v", tc.path, tc.accept, got, tc.want)
		}
	}
}

// TestBrandOnEveryPageOfACustomDomain signs in on a custom domain bound
// to a brand: the sign-in page shows the brand, while the same step on the
// tenant's own host does not.
func TestBrandOnEveryPageOfACustomDomain(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	w.brandDomain(t)
	step := func(host string) string {
		t.Helper()
		c := w.browser(t)
		_, challenge := pkce("brand")
		req, _ := http.NewRequest(http.MethodGet, w.authorizeURL(challenge), nil)
		req.Host = host
		code, h, _ := do(t, c, req)
		if code != http.StatusSeeOther {
			t.Fatalf("authorize on %s: %d", host, code)
		}
		req, _ = http.NewRequest(http.MethodGet, w.srv.URL+h.Get("Location"), nil)
		req.Host = host
		code, _, page := do(t, c, req)
		if code != http.StatusOK {
			t.Fatalf("sign-in page on %s: %d", host, code)
		}
		return page
	}
	if page := step(travelHost); !strings.Contains(page, `<p class="lt-brand" dir="auto">`+travelBrand+`</p>`) {
		t.Fatalf("the custom domain's sign-in page does not show %q:\n%.800s", travelBrand, page)
	}
	if page := step(w.srv.Listener.Addr().String()); strings.Contains(page, "lt-brand") {
		t.Fatal("the tenant's own host shows a brand")
	}
}
