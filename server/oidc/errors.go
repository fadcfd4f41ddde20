package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Error is an OAuth 2 / OpenID Connect protocol error (RFC 6749 §4.1.2.1
// and §5.2, RFC 6750 §3.1, OIDC Core §3.1.2.6): what a client is told.
//
// Use the Err… values and refine them by copying (WithDescription,
// WithStatus). Description is fixed text for the client developer: it never
// carries secrets, user data or the text of an internal error. errors.Is
// matches two Errors with the same Code.
type Error struct {
	// Code is the error code ("invalid_request", …).
	Code string
	// Description is the optional error_description.
	Description string
	// Status is the HTTP status the error is answered with.
	Status int
}

// The protocol errors the provider answers with.
var (
	ErrInvalidRequest          = Error{Code: "invalid_request", Status: http.StatusBadRequest}
	ErrInvalidClient           = Error{Code: "invalid_client", Status: http.StatusUnauthorized}
	ErrInvalidGrant            = Error{Code: "invalid_grant", Status: http.StatusBadRequest}
	ErrUnauthorizedClient      = Error{Code: "unauthorized_client", Status: http.StatusBadRequest}
	ErrUnsupportedGrantType    = Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest}
	ErrInvalidScope            = Error{Code: "invalid_scope", Status: http.StatusBadRequest}
	ErrAccessDenied            = Error{Code: "access_denied", Status: http.StatusForbidden}
	ErrUnsupportedResponseType = Error{Code: "unsupported_response_type", Status: http.StatusBadRequest}
	ErrServerError             = Error{Code: "server_error", Status: http.StatusInternalServerError}
	ErrLoginRequired           = Error{Code: "login_required", Status: http.StatusBadRequest}
	ErrConsentRequired         = Error{Code: "consent_required", Status: http.StatusBadRequest}
	ErrInteractionRequired     = Error{Code: "interaction_required", Status: http.StatusBadRequest}
	ErrRequestNotSupported     = Error{Code: "request_not_supported", Status: http.StatusBadRequest}
	ErrRequestURINotSupported  = Error{Code: "request_uri_not_supported", Status: http.StatusBadRequest}
	// ErrInvalidToken and ErrInsufficientScope are the bearer-token errors
	// of RFC 6750 §3.1, answered by the userinfo endpoint.
	ErrInvalidToken      = Error{Code: "invalid_token", Status: http.StatusUnauthorized}
	ErrInsufficientScope = Error{Code: "insufficient_scope", Status: http.StatusForbidden}
)

// Error returns the code and the description.
func (e Error) Error() string {
	if e.Description == "" {
		return "oidc: " + e.Code
	}
	return "oidc: " + e.Code + ": " + e.Description
}

// Is reports whether target is an Error with the same code.
func (e Error) Is(target error) bool {
	t, ok := target.(Error)
	return ok && t.Code == e.Code
}

// WithDescription returns a copy of e with the error_description d.
func (e Error) WithDescription(d string) Error {
	e.Description = d
	return e
}

// WithStatus returns a copy of e answered with HTTP status s.
func (e Error) WithStatus(s int) Error {
	e.Status = s
	return e
}

// AuthorizeError is a refused authorization request.
//
// Redirect tells whether the error may be sent to Request.RedirectURI
// (with ErrorRedirect): only once the client and its redirect URI are
// proven. When it is false the edge must show an error page and never
// redirect (RFC 6749 §4.1.2.1).
type AuthorizeError struct {
	Err      Error
	Redirect bool
	// Request holds what was read of the request before the error: for a
	// redirectable error at least ClientID, RedirectURI, ResponseMode and
	// State.
	Request AuthRequest
}

// Error describes the refusal.
func (e *AuthorizeError) Error() string { return e.Err.Error() }

// Unwrap returns the protocol error.
func (e *AuthorizeError) Unwrap() error { return e.Err }

// errorBody is the JSON form of an Error (RFC 6749 §5.2).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers a protocol error as JSON.
func writeError(w http.ResponseWriter, e Error) {
	writeJSON(w, e.Status, errorBody{Error: e.Code, Description: e.Description})
}

// noStore marks a response that carries tokens or personal data as not to
// be cached (RFC 6749 §5.1).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// quoted returns s as an HTTP quoted-string (RFC 9110 §5.6.4). Error codes
// and descriptions are fixed ASCII text; anything else is dropped.
func quoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// allowMethods refuses a request whose method is not one of methods with
// 405 and an Allow header, and reports whether it may go on.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, ErrInvalidRequest.WithStatus(http.StatusMethodNotAllowed).WithDescription("method not allowed"))
	return false
}

// issuerOf returns the request's issuer, or answers server_error when the
// edge did not set one (a wiring bug) or named a server that does not exist.
func (p *Provider) issuerOf(w http.ResponseWriter, r *http.Request) (Issuer, bool) {
	iss, ok := IssuerFrom(r.Context())
	switch {
	case !ok:
		p.log.ErrorContext(r.Context(), "no issuer in the request context: the edge must call oidc.WithIssuer")
		writeError(w, ErrServerError)
		return Issuer{}, false
	case !iss.valid():
		writeError(w, ErrInvalidRequest.WithStatus(http.StatusNotFound).WithDescription("unknown authorization server"))
		return Issuer{}, false
	}
	// The edge resolved the server; checking again (cached) keeps a
	// handler from serving one that was deleted or never existed.
	if _, err := p.server(r.Context(), iss.TenantID, iss.Server); errors.Is(err, ErrUnknownServer) {
		writeError(w, ErrInvalidRequest.WithStatus(http.StatusNotFound).WithDescription("unknown authorization server"))
		return Issuer{}, false
	} else if err != nil {
		p.log.ErrorContext(r.Context(), "authorization server", "tenant", iss.TenantID, "server", iss.Server, "err", err)
		writeError(w, ErrServerError)
		return Issuer{}, false
	}
	return iss, true
}

var (
	_ error = Error{}
	_ error = (*AuthorizeError)(nil)
)
