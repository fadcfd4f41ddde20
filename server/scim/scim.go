package scim

// The Service serves SCIM over server/directory: every write goes through
// the directory, so its checks and system-log events apply, in one store
// transaction. The Handler serves the paths below /scim/v2 of a tenant's
// site; the edge mounts it, says which tenant a request is for, and
// authorizes it with OAuth access tokens through an Authorizer.

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// The scopes an access token needs, per resource type and access.
const (
	ScopeUsersRead   = "scim.users.read"
	ScopeUsersWrite  = "scim.users.write"
	ScopeGroupsRead  = "scim.groups.read"
	ScopeGroupsWrite = "scim.groups.write"
)

// The schema URNs of RFC 7643 and RFC 7644 this package speaks.
const (
	SchemaUser      = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup     = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaListResp  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaErrorResp = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig  = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResType   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema    = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// ProfileSchemaPrefix begins the URN of a user type's profile extension:
// ProfileSchemaPrefix + <type name> + ":2.0:User".
const ProfileSchemaPrefix = "urn:lintel:params:scim:schemas:extension:"

// Paging limits, also announced in the ServiceProviderConfig.
const (
	DefaultCount = 100
	MaxCount     = 200
)

// maxBody bounds a request body (the Bulk limit, which covers the others).
const maxBody = 1 << 20

// ErrUnauthenticated is wrapped by an Authorizer's error when the request
// carries no usable access token: the answer is 401 with a Bearer
// challenge. Any other error from an Authorizer is a 403.
var ErrUnauthenticated = errors.New("scim: no valid access token")

// Authorizer decides whether a request may act on a tenant with a scope.
// The edge implements it with OAuth access tokens.
type Authorizer interface {
	// Authorize returns nil when r may use scope on tenantID, an error
	// wrapping ErrUnauthenticated when r has no valid token, and another
	// error when the token lacks the scope.
	Authorize(r *http.Request, tenantID string, scope string) error
}

// Deps are what a Service uses.
type Deps struct {
	Store     store.Store
	Directory *directory.Directory
	Events    *events.Log
	Clock     clock.Clock
	Logger    *slog.Logger
	// Authorize decides who may call the endpoints but discovery; nil
	// refuses every caller.
	Authorize Authorizer
	// ScanLimit is the most users (or groups) of a tenant a list request
	// reads into memory, for a filter the directory cannot look up or a
	// sortBy; a tenant with more answers such a request 400 tooMany.
	// Zero means DefaultScanLimit.
	ScanLimit int
}

// Service serves SCIM. Create it with New; it is safe for concurrent use.
type Service struct {
	d Deps
}

// New returns a Service over d.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

// actor is who SCIM writes are recorded as in the system log.
var actor = events.Ref{Type: "scim"}

// request is what every handler needs of one request.
type request struct {
	*http.Request
	tenantID string
	base     string // the site's base URL + "/scim/v2", no trailing slash
	// typeNames caches the names of user types by ID, read once per
	// request however many users a list maps.
	typeNames map[string]string
}

func (q *request) location(kind, id string) string { return q.base + "/" + kind + "/" + id }

// Handler returns the http.Handler of the SCIM endpoints. tenantID says
// which tenant a request is for (false: none, a 404); base returns the
// site's base URL ("https://login.example.com"), from which meta.location
// is built as base + "/scim/v2/Users/<id>". Paths may keep or lose the
// /scim/v2 prefix.
func (s *Service) Handler(tenantID func(r *http.Request) (string, bool), base func(r *http.Request) string) http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, scope string, h func(w http.ResponseWriter, q *request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			tid, ok := tenantID(r)
			if !ok {
				writeError(w, http.StatusNotFound, "", "no such tenant")
				return
			}
			if scope != "" && !s.authorize(w, r, tid, scope) {
				return
			}
			h(w, &request{Request: r, tenantID: tid, base: strings.TrimSuffix(base(r), "/") + "/scim/v2"})
		})
	}
	route("GET /Users", ScopeUsersRead, s.listUsers)
	route("POST /Users", ScopeUsersWrite, s.createUser)
	route("GET /Users/{id}", ScopeUsersRead, s.getUser)
	route("PUT /Users/{id}", ScopeUsersWrite, s.replaceUser)
	route("PATCH /Users/{id}", ScopeUsersWrite, s.patchUser)
	route("DELETE /Users/{id}", ScopeUsersWrite, s.deleteUser)
	route("GET /Groups", ScopeGroupsRead, s.listGroups)
	route("POST /Groups", ScopeGroupsWrite, s.createGroup)
	route("GET /Groups/{id}", ScopeGroupsRead, s.getGroup)
	route("PUT /Groups/{id}", ScopeGroupsWrite, s.replaceGroup)
	route("PATCH /Groups/{id}", ScopeGroupsWrite, s.patchGroup)
	route("DELETE /Groups/{id}", ScopeGroupsWrite, s.deleteGroup)
	// Discovery is public (RFC 7644 §4): it says nothing about the tenant's
	// data, only what the service supports.
	route("GET /ServiceProviderConfig", "", s.serviceProviderConfig)
	route("GET /ResourceTypes", "", s.resourceTypes)
	route("GET /ResourceTypes/{id}", "", s.resourceType)
	route("GET /Schemas", "", s.schemas)
	route("GET /Schemas/{id}", "", s.schema)
	// Bulk authorizes each operation as its own request.
	route("POST /Bulk", "", s.bulk(mux))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such endpoint")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, "/scim/v2"); ok {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = p, ""
			r = r2
		}
		mux.ServeHTTP(w, r)
	})
}

// authorize asks the Authorizer and answers 401 or 403 when it refuses.
func (s *Service) authorize(w http.ResponseWriter, r *http.Request, tenantID, scope string) bool {
	err := ErrUnauthenticated // without an Authorizer nobody gets in
	if s.d.Authorize != nil {
		err = s.d.Authorize.Authorize(r, tenantID, scope)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(w, http.StatusUnauthorized, "", "a valid access token is required")
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="insufficient_scope", scope="`+scope+`"`)
		writeError(w, http.StatusForbidden, "", "the access token lacks the scope "+scope)
	}
	return false
}

// writeJSON answers v as application/scim+json with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers a SCIM error (RFC 7644 §3.12); status is a string
// there.
func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	body := map[string]any{"schemas": []string{SchemaErrorResp}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		body["scimType"] = scimType
	}
	writeJSON(w, status, body)
}

// decodeBody reads a JSON request body into v, bounded by maxBody.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/scim+json") && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("content type %q is not application/scim+json", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body is not a JSON object: %w", err)
	}
	return nil
}
