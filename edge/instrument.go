package edge

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/lintel-id/lintel/internal/clock"
)

// instrument times, logs and counts every request and recovers handler
// panics. It must sit between withRequestID and the ServeMux, passing its
// request to the mux unchanged: the mux records the matched pattern on
// that request, and instrument reads it back after serving.
func instrument(next http.Handler, logger *slog.Logger, clk clock.Clock, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := clk.Now()
		rec := &responseRecorder{ResponseWriter: w}
		defer func() {
			var abort bool
			if p := recover(); p != nil {
				abort = handlePanic(logger, m, rec, r, p)
			}
			dur := max(clk.Now().Sub(start), 0) // a wall clock may step back
			route := r.Pattern
			if route == "" {
				route = unmatchedRoute
			}
			status := rec.statusCode()
			m.observe(r.Method, route, status, dur)
			logAccess(logger, r, route, status, rec.bytes, dur)
			if abort {
				// Let net/http cut the connection, so the client cannot
				// take a truncated response for a complete one.
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// handlePanic deals with a value recovered from a handler and reports
// whether the connection must be aborted. If nothing was sent yet, the
// client gets a plain 500 with none of the headers the handler had set
// (such as cookies). If the response had started, the connection is
// aborted. A panic a site already answered with its own 500 (an
// *answeredPanic, see recoverPanics) is logged and counted, and the
// response stands. http.ErrAbortHandler, which handlers use to abort on
// purpose, is passed on without being logged or counted as a panic.
func handlePanic(logger *slog.Logger, m *metrics, rec *responseRecorder, r *http.Request, p any) (abort bool) {
	if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		if !rec.wroteHeader {
			rec.status, rec.wroteHeader = http.StatusInternalServerError, true
		}
		return true
	}
	stack := debug.Stack()
	answered, ok := p.(*answeredPanic)
	if ok {
		p, stack = answered.value, answered.stack
	}
	m.panics.Inc()
	logger.LogAttrs(r.Context(), slog.LevelError, "handler panicked",
		slog.String("request_id", RequestID(r.Context())),
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.String("panic", fmt.Sprint(p)),
		slog.String("stack", string(stack)),
	)
	if answered != nil {
		return false
	}
	if rec.wroteHeader {
		return true
	}
	hdr := rec.Header()
	for k := range hdr {
		if k != requestIDHeader {
			delete(hdr, k)
		}
	}
	hdr.Set("Cache-Control", "no-store")
	http.Error(rec, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	return false
}
