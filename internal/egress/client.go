package egress

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"time"
)

const (
	// idleConnTimeout is how long a pooled connection may sit unused.
	idleConnTimeout = 90 * time.Second
	// maxResponseHeaderBytes bounds the headers a remote may send back;
	// bodies are bounded by callers.
	maxResponseHeaderBytes = 1 << 20
)

// newTransport builds the one transport that every Client of d shares.
func (d *Dialer) newTransport(base *tls.Config) *http.Transport {
	var tc *tls.Config
	if base != nil {
		tc = base.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	return &http.Transport{
		// No proxy, whatever the environment says: a proxy would make the
		// connection to itself and dial the destination unchecked.
		Proxy:       nil,
		DialContext: d.DialContext,
		// DialTLSContext stays nil: TLS runs over a connection from
		// DialContext, with SNI and verification from the URL's host.
		TLSClientConfig:        tc,
		TLSHandshakeTimeout:    d.dialTimeout,
		ResponseHeaderTimeout:  d.timeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        idleConnTimeout,
		MaxIdleConns:           100,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		// A custom DialContext or TLS config turns HTTP/2 off unless asked.
		ForceAttemptHTTP2: true,
	}
}

// Client returns a new *http.Client whose transport dials only through d.
// Environment proxies are ignored (a proxy would bypass the check); TLS
// uses Options.TLS with at least TLS 1.2; the whole request is bounded by
// Options.Timeout, connect and TLS handshake by Options.DialTimeout.
//
// Redirects: at most Options.MaxRedirects are followed, and only to http
// or https URLs; once a request in the chain was https, a redirect to http
// is refused. Every redirect target is dialed through d, so its address is
// checked again. Refusals wrap ErrForbidden (inside a *url.Error).
//
// All Clients of d share one connection pool; CloseIdleConnections on any
// of them closes the pool's idle connections.
func (d *Dialer) Client() *http.Client {
	return &http.Client{
		Transport:     d.transport,
		CheckRedirect: d.checkRedirect,
		Timeout:       d.timeout,
	}
}

// checkRedirect is the http.Client redirect policy; via holds the requests
// made so far, oldest first.
func (d *Dialer) checkRedirect(req *http.Request, via []*http.Request) error {
	if d.maxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > d.maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrForbidden, d.maxRedirects)
	}
	switch req.URL.Scheme {
	case "https":
	case "http":
		for _, r := range via {
			if r.URL.Scheme == "https" {
				return fmt.Errorf("%w: redirect from https to http (%s)", ErrForbidden, req.URL.Redacted())
			}
		}
	default:
		return fmt.Errorf("%w: redirect to scheme %q", ErrForbidden, req.URL.Scheme)
	}
	return nil
}
