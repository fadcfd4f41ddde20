package edge

import (
	"errors"
	"net/http"
	"runtime/debug"
)

// serveSite serves a site's mux with the site's own answers for what no
// route takes (fallbacks) and for a handler's panic (recoverPanics). The
// request's context must carry the Site.
func (s *siteHandlers) serveSite(mux *http.ServeMux) http.Handler {
	return s.recoverPanics(s.fallbacks(mux))
}

// fallbacks serves mux, answering a request no pattern matches with the
// site's 404 or 405 (the latter with the mux's Allow header) instead of
// net/http's plain text. ServeMux.Handler returns the empty pattern
// exactly then, or for a redirect to the cleaned path, which mux still
// serves.
func (s *siteHandlers) fallbacks(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own handler tells 404 from 405 and which methods the
		// path takes; what it writes is dropped.
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusNotFound:
			s.notFound(w, r)
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			s.fallback(w, r, http.StatusMethodNotAllowed)
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// statusProbe is a ResponseWriter that keeps the headers and status a
// handler sets and drops its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

// answeredPanic is a handler's panic that its site already answered with
// the site's 500, re-panicked so that instrument logs and counts it as it
// does every panic, with the stack of where it happened, and leaves the
// connection alone.
type answeredPanic struct {
	value any
	stack []byte
}

// recoverPanics gives a handler's panic on a site the site's 500 (the
// branded page, or JSON for a machine client) when nothing was sent yet,
// without any header the handler had set (cookies) but the request ID,
// and without a word of the panic. The panic then goes on to instrument
// (as an *answeredPanic), which logs and counts it; a panic after the
// response started, or an http.ErrAbortHandler, goes on unchanged, and
// instrument aborts the connection.
func (s *siteHandlers) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &responseRecorder{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) || rec.wroteHeader {
				panic(p)
			}
			stack := debug.Stack()
			hdr := w.Header()
			for k := range hdr {
				if k != requestIDHeader {
					delete(hdr, k)
				}
			}
			s.fallback(w, r, http.StatusInternalServerError)
			panic(&answeredPanic{value: p, stack: stack})
		}()
		next.ServeHTTP(rec, r)
	})
}

var _ http.ResponseWriter = (*statusProbe)(nil)
