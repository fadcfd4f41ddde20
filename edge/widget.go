package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/edge/assets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/widget/loader"
)

// WidgetPrefix is where every site serves the embeddable widget: the
// loader at WidgetPrefix+"lintel.js" (a stable URL a host page includes)
// and the files it loads under content-hashed names.
const WidgetPrefix = "/widget/"

// loaderCache is the cache lifetime of the loader, whose URL host pages
// include and which therefore never changes name.
const loaderCache = plainCache

// widgetFiles are the widget's files, built once at start-up: the loader
// with the manifest filled in, and under content-hashed names the
// stylesheet (tokens, the widget's frame and the components the hosted
// pages share) and from the build output (Config.Widget) wasm_exec.js and
// the WebAssembly module.
type widgetFiles struct {
	loader *staticFile
	hashed *fileSet // under WidgetPrefix, by hashed name only
}

// buildOutput names the files of `make widget` the edge serves, with the
// manifest key and the type.
var buildOutput = []struct{ file, key, contentType string }{
	{"wasm_exec.js", "runtime", "text/javascript; charset=utf-8"},
	{"lintel.wasm", "wasm", "application/wasm"},
}

// newWidgetFiles reads and compresses the widget's files. dist is the
// build output (nil: none); a missing WebAssembly module is logged once
// and leaves the widget server-rendered.
func newWidgetFiles(dist fs.FS, log *slog.Logger) (*widgetFiles, error) {
	// Host pages on other sites load these files, also under COEP.
	wf := &widgetFiles{hashed: newFileSet(WidgetPrefix, "cross-origin")}
	manifest := map[string]string{}
	add := func(key, name, contentType string, data []byte, pre map[string][]byte) error {
		if _, err := wf.hashed.add(name, contentType, data, pre, false); err != nil {
			return err
		}
		manifest[key] = wf.hashed.URL(name)
		return nil
	}
	css, err := widgetStylesheet()
	if err != nil {
		return nil, err
	}
	if err := add("css", "lintel.css", "text/css; charset=utf-8", css, nil); err != nil {
		return nil, err
	}
	for _, b := range buildOutput {
		if dist == nil {
			break
		}
		data, err := fs.ReadFile(dist, b.file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		pre := map[string][]byte{}
		for enc, suffix := range map[string]string{"br": ".br", "gzip": ".gz"} {
			if v, err := fs.ReadFile(dist, b.file+suffix); err == nil {
				pre[enc] = v
			}
		}
		if err := add(b.key, b.file, b.contentType, data, pre); err != nil {
			return nil, err
		}
	}
	if manifest["wasm"] == "" || manifest["runtime"] == "" {
		log.Warn("edge: the widget's WebAssembly is not built (run make widget); the widget serves server-rendered steps only")
		delete(manifest, "wasm")
		delete(manifest, "runtime")
	}
	js, err := loaderScript(manifest)
	if err != nil {
		return nil, err
	}
	if wf.loader, err = newStaticFile("text/javascript; charset=utf-8", js, nil); err != nil {
		return nil, err
	}
	return wf, nil
}

// loaderScript is lintel.js with the manifest in its placeholder.
func loaderScript(manifest map[string]string) ([]byte, error) {
	m, err := json.Marshal(manifest)
	if err != nil {
		return nil, err
	}
	src := loader.Script()
	if bytes.Count(src, []byte(loader.ManifestPlaceholder)) != 1 {
		return nil, errors.New("edge: lintel.js must hold the manifest placeholder exactly once")
	}
	return bytes.Replace(src, []byte(loader.ManifestPlaceholder), m, 1), nil
}

// widgetStylesheet is the widget's CSS: the design tokens, the widget's
// frame, then the components, the same rules the hosted pages use.
func widgetStylesheet() ([]byte, error) {
	return joinCSS(assets.FS(), [][]byte{loader.Stylesheet()}, "tokens.css", "", "components.css")
}

// pageStylesheet is the hosted pages' lintel.css: the design tokens, the
// page's frame, then the components the widget shares.
func pageStylesheet() ([]byte, error) {
	return joinCSS(assets.FS(), nil, "tokens.css", "page.css", "components.css")
}

// joinCSS concatenates the named files of fsys; an empty name takes the
// next of extra instead.
func joinCSS(fsys fs.FS, extra [][]byte, names ...string) ([]byte, error) {
	var out []byte
	for _, n := range names {
		var b []byte
		if n == "" {
			b, extra = extra[0], extra[1:]
		} else {
			var err error
			if b, err = fs.ReadFile(fsys, n); err != nil {
				return nil, err
			}
		}
		out = append(out, b...)
	}
	return out, nil
}

// widgetHandlers serve the widget's files on every site and on the
// public host.
type widgetHandlers struct {
	files   *widgetFiles
	store   store.Store
	tenants *tenant.Service
	log     *slog.Logger
}

// loaderJS is GET /widget/lintel.js.
func (h *widgetHandlers) loaderJS(w http.ResponseWriter, r *http.Request) {
	if !h.cors(w, r) {
		return
	}
	h.files.loader.serve(w, r, loaderCache, "cross-origin")
}

// asset is GET /widget/{name}: a content-hashed file.
func (h *widgetHandlers) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !h.files.hashed.has(name) {
		http.NotFound(w, r)
		return
	}
	if !h.cors(w, r) {
		return
	}
	h.files.hashed.serve(w, r, name)
}

// cors allows a page on an origin the site's tenant trusts for CORS (for
// any of its apps) to read the response; other origins get none of the
// CORS headers (a <script> or <link> needs none). It returns false when
// it already answered with an error.
func (h *widgetHandlers) cors(w http.ResponseWriter, r *http.Request) bool {
	origin, err := trustedOrigin(w, r, h.store, h.tenants)
	if !slices.Contains(w.Header().Values("Vary"), "Origin") {
		// Cached files vary by Origin even for same-origin callers.
		w.Header().Add("Vary", "Origin")
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "edge: widget origin", "err", err)
		http.Error(w, "", http.StatusInternalServerError)
		return false
	}
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
	return true
}

// trustedOrigin returns the request's Origin when it is another origin
// than the site's own and the site's tenant trusts it for CORS with any
// of its apps; "" for same-origin, non-browser and untrusted callers. A
// cross-origin caller's answer varies by Origin, which it adds to Vary.
func trustedOrigin(w http.ResponseWriter, r *http.Request, st store.Store, tenants *tenant.Service) (string, error) {
	origin := r.Header.Get("Origin")
	site, ok := SiteFrom(r.Context())
	if origin == "" || !ok || origin == site.Base {
		return "", nil
	}
	w.Header().Add("Vary", "Origin")
	var trusted bool
	err := st.View(r.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		trusted, err = tenants.OriginTrusted(ctx, tx, site.Tenant.ID, origin, tenant.PurposeCORS)
		return err
	})
	if err != nil || !trusted {
		return "", err
	}
	return origin, nil
}

// routeOrPublic is route for the widget's files, which the public host
// serves as well when it is no tenant's site (the files are the same on
// every host; only the CORS answer depends on the site's tenant).
func (s *sites) routeOrPublic(next http.Handler, internal func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site, err := s.resolve(r.Context(), r.Host, r.TLS != nil)
		switch {
		case err == nil:
			r = r.WithContext(context.WithValue(r.Context(), siteKey{}, site))
		case !errors.Is(err, errUnknownHost):
			internal(err)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case !strings.EqualFold(strings.TrimSuffix(hostname(r.Host), "."), s.public.Hostname()):
			w.WriteHeader(http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// catalog is GET /api/v1/locales/{lang}: the messages of the language
// that best matches lang (English when none does), for the widget's
// WebAssembly, which renders steps itself.
func (s *siteHandlers) catalog(w http.ResponseWriter, r *http.Request) {
	if !s.corsTrusted(w, r) {
		return
	}
	l := s.locales.Localizer(s.locales.Match(r.PathValue("lang"), "", ""))
	f, ok := s.catalogs.Load(l.Lang())
	if !ok {
		// Brotli and gzip take a 15 KB catalog to under 4 KB, on the
		// path from the wasm's start to its takeover.
		nf, err := newStaticFile("application/json", l.Catalog().AppendJSON(nil), nil)
		if err != nil {
			s.log.ErrorContext(r.Context(), "edge: catalog", "err", err)
			apiError(w, http.StatusInternalServerError, "server_error", "error.server")
			return
		}
		f, _ = s.catalogs.LoadOrStore(l.Lang(), nf)
	}
	w.Header().Set("Content-Language", l.Lang())
	f.(*staticFile).serve(w, r, plainCache, "cross-origin")
}
