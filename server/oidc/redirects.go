package oidc

import (
	"net/url"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/tenant"
)

// redirectAllowed reports whether uri may receive the authorization
// response of app: it must equal one of the app's registered redirect URIs
// byte for byte, except that a native app's loopback redirect matches on
// any port (RFC 8252 §7.3).
func redirectAllowed(app tenant.App, uri string) bool {
	if slices.Contains(app.RedirectURIs, uri) {
		return true
	}
	if app.Type != tenant.AppNative {
		return false
	}
	return slices.ContainsFunc(app.RedirectURIs, func(r string) bool { return loopbackMatch(r, uri) })
}

// loopbackMatch reports whether uri is the registered loopback redirect on
// some port: same host literal, same path and query, any valid port.
func loopbackMatch(registered, uri string) bool {
	rh, rr, ok := splitLoopback(registered)
	if !ok {
		return false
	}
	h, r, ok := splitLoopback(uri)
	return ok && h == rh && r == rr
}

// splitLoopback splits an http URI on a loopback host (127.0.0.1, [::1],
// localhost) into the host and what follows the authority, dropping a
// valid port. ok is false for any other URI, and for an authority with user
// information or an invalid port.
func splitLoopback(s string) (host, rest string, ok bool) {
	after, ok := strings.CutPrefix(s, "http://")
	if !ok {
		return "", "", false
	}
	authority := after
	if i := strings.IndexAny(after, "/?#"); i >= 0 {
		authority, rest = after[:i], after[i:]
	}
	host, port := authority, ""
	hasPort := false
	if strings.HasPrefix(authority, "[") {
		j := strings.IndexByte(authority, ']')
		if j < 0 {
			return "", "", false
		}
		host = authority[:j+1]
		if tail := authority[j+1:]; tail != "" {
			port, hasPort = strings.CutPrefix(tail, ":")
			if !hasPort {
				return "", "", false
			}
		}
	} else {
		host, port, hasPort = strings.Cut(authority, ":")
	}
	switch host {
	case "127.0.0.1", "[::1]", "localhost":
	default:
		return "", "", false
	}
	if hasPort && !validPort(port) {
		return "", "", false
	}
	return host, rest, true
}

// validPort reports whether s is a port number 1–65535 in plain decimal
// without leading zeros.
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// SuccessRedirect returns the URL that sends the authorization code to
// the client: req.RedirectURI with code, state (when the client sent one)
// and iss (RFC 9207) added to its query, which is otherwise kept as
// registered.
func SuccessRedirect(iss Issuer, req AuthRequest, code string) string {
	v := url.Values{"code": {code}, "iss": {iss.URL}}
	if req.State != "" {
		v.Set("state", req.State)
	}
	return appendQuery(req.RedirectURI, v)
}

// ErrorRedirect returns the URL that sends a protocol error to the
// client: req.RedirectURI with error, error_description (when set), state
// and iss. Only call it for an AuthorizeError whose Redirect is true, or
// for an error met later in a request that ValidateAuthorize accepted.
func ErrorRedirect(iss Issuer, req AuthRequest, e Error) string {
	v := url.Values{"error": {e.Code}, "iss": {iss.URL}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	if req.State != "" {
		v.Set("state", req.State)
	}
	return appendQuery(req.RedirectURI, v)
}

// appendQuery adds v to the query of uri, keeping the registered query
// text as it is (RFC 6749 §3.1.2).
func appendQuery(uri string, v url.Values) string {
	sep := "?"
	switch {
	case strings.HasSuffix(uri, "?") || strings.HasSuffix(uri, "&"):
		sep = ""
	case strings.Contains(uri, "?"):
		sep = "&"
	}
	return uri + sep + v.Encode()
}
