package edge

import (
	"context"
	"net/http"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/internal/useragent"
)

// requestIDHeader carries the request ID on responses. On requests it is
// only a hint from upstream, never our ID.
const requestIDHeader = "X-Request-Id"

// maxUpstreamIDLen bounds an inbound X-Request-Id kept in the access log.
const maxUpstreamIDLen = 64

// RequestID returns the ID the edge gave the request whose context is ctx,
// or "" if ctx did not come from an edge request. IDs are 26 characters of
// base32 (RFC 4648 alphabet) carrying at least 128 random bits.
func RequestID(ctx context.Context) string {
	return requestid.From(ctx)
}

// withRequestID gives every request a fresh random ID, stored in its
// context and sent back in the X-Request-Id response header. An inbound
// X-Request-Id is not used as the ID: a client could otherwise choose the
// ID under which its request is logged and correlated. The client address
// is the connection's, or the one X-Forwarded-For names when the
// connection comes from one of proxies (nil trusts none).
func withRequestID(proxies *clientip.Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestid.New()
		w.Header().Set(requestIDHeader, id)
		// The client's address travels with the ID, for network zones;
		// address and User-Agent are what a session records of its browser.
		ctx := clientip.With(requestid.With(r.Context(), id), proxies.OfRequest(r))
		ctx = useragent.With(ctx, r.UserAgent())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// upstreamRequestID returns the inbound X-Request-Id if it is short and
// printable (at most 64 characters of [A-Za-z0-9._-]), else "". It is only
// logged, beside our own ID, to correlate with a proxy's logs.
func upstreamRequestID(r *http.Request) string {
	id := r.Header.Get(requestIDHeader)
	if id == "" || len(id) > maxUpstreamIDLen {
		return ""
	}
	for i := range len(id) {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return ""
		}
	}
	return id
}
