package autotls

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// challengePath is where HTTP-01 challenges are fetched (RFC 8555 §8.3).
const challengePath = "/.well-known/acme-challenge/"

// HTTPHandler returns the handler for the plain-HTTP listener (HTTPPort):
//
//   - GET /.well-known/acme-challenge/{token} answers an HTTP-01
//     challenge this node or, through Storage, another node started; an
//     unknown token gets 404.
//   - Any other request for a host the Manager serves (a configured Host,
//     or one Domains allows) gets a 308 redirect to
//     https://host[:PublicTLSPort]/ with the same path and query.
//   - Any other request (an unknown or invalid Host, an IP address) goes to
//     next, or gets 404 when next is nil. The redirect target is never
//     taken from a Host that was not allowed, so it is never an open
//     redirect.
//
// next is meant for what must answer over plain HTTP whatever the Host,
// such as a load balancer's health check by IP address; it must not serve
// pages. Allowed is asked on each redirect (Domains should cache).
func (m *Manager) HTTPHandler(next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, challengePath) {
			if !m.issuer.HandleHTTPChallenge(w, r) {
				http.NotFound(w, r)
			}
			return
		}
		host, err := normalizeHost(r.Host)
		if err == nil {
			err = m.allowed(r.Context(), host)
		}
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if m.publicPort != 443 {
			host = net.JoinHostPort(host, strconv.Itoa(m.publicPort))
		}
		// RequestURI is the escaped path and query only, even for a request
		// in absolute form (GET http://elsewhere/ HTTP/1.1).
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}
