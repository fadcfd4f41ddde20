package edge

import (
	"log/slog"
	"net/http"
	"time"
)

// maxLoggedPathLen bounds the path in an access log line; request lines
// may be up to the server's header limit.
const maxLoggedPathLen = 512

// responseRecorder notes the status and size of a response as it passes
// through to the client.
type responseRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

// WriteHeader records the first final status code and passes every call
// on. Informational (1xx) headers other than 101 Switching Protocols are
// not final and are not recorded.
func (rw *responseRecorder) WriteHeader(code int) {
	if !rw.wroteHeader && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
		rw.wroteHeader = true
	}
	rw.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and the bytes written.
func (rw *responseRecorder) Write(b []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client, if the underlying writer can.
func (rw *responseRecorder) Flush() {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(rw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *responseRecorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// statusCode is the status the client got: the recorded one, or the
// implicit 200 of a handler that wrote nothing.
func (rw *responseRecorder) statusCode() int {
	if !rw.wroteHeader {
		return http.StatusOK
	}
	return rw.status
}

// logAccess writes the access log line of one request. It logs the path
// without the query string, which may carry authorization codes or
// tokens, and never logs headers or bodies.
func logAccess(logger *slog.Logger, r *http.Request, route string, status int, bytes int64, dur time.Duration) {
	path := r.URL.EscapedPath()
	if len(path) > maxLoggedPathLen {
		path = path[:maxLoggedPathLen] + "…"
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("bytes", bytes),
		slog.Duration("duration", dur),
		slog.String("request_id", RequestID(r.Context())),
	}
	if up := upstreamRequestID(r); up != "" {
		attrs = append(attrs, slog.String("upstream_request_id", up))
	}
	logger.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
}

// The recorder must satisfy the interfaces handlers look for.
var (
	_ http.ResponseWriter = (*responseRecorder)(nil)
	_ http.Flusher        = (*responseRecorder)(nil)
)
