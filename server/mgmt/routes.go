package mgmt

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Target says which tenant a route acts on.
type Target int

const (
	// TargetTenant: the tenant named by the {tenant} path parameter.
	TargetTenant Target = iota
	// TargetInstance: the instance itself (top-level tenants, instance-wide
	// queries); only instance admins pass.
	TargetInstance
)

// Route is one operation and its access rule.
type Route struct {
	// ID is the OpenAPI operation ID.
	ID     string
	Method string
	// Path is the full path pattern, e.g. /api/v1/mgmt/tenants/{tenant}/apps.
	Path  string
	Scope Scope
	// Target names the tenant the route acts on.
	Target Target
	// Direct refuses admins who reach the tenant only through a
	// delegation: a parent must not widen its own delegation.
	Direct bool
	// Status is the success status (200 when zero).
	Status int
	// AlsoStatus is another success status the handler may answer, with
	// the same body schema (0 for none); the handler's output sets it.
	AlsoStatus int
	// Secret marks a request body that holds a secret (a password):
	// error answers never echo input values (see redactSecrets).
	Secret bool
	// Optional marks a route that answers 501 when the server lacks the
	// dependency it needs.
	Optional bool
	// MaxBody lifts the request body limit for the route (uploads); 0
	// keeps maxBody.
	MaxBody int64
	// BodyTimeout lifts the time allowed to read the request body
	// (uploads of megabytes); 0 keeps huma's default of 5 seconds.
	BodyTimeout time.Duration
}

// register adds an operation with its access rule.
func register[I, O any](a *API, r Route, tag, summary string, h func(context.Context, *I) (*O, error)) {
	op := huma.Operation{
		OperationID:   r.ID,
		Method:        r.Method,
		Path:          r.Path,
		Summary:       summary,
		Description:   summary + ". Needs scope `" + string(r.Scope) + "`" + targetDoc(r) + ".",
		Tags:          []string{tag},
		Security:      []map[string][]string{{"bearer": {string(r.Scope)}}},
		MaxBodyBytes:  cmp.Or(r.MaxBody, maxBody),
		DefaultStatus: r.Status,
		Metadata:      map[string]any{routeKey: r},
		Errors:        errorStatuses(r),
	}
	if r.BodyTimeout > 0 {
		op.BodyReadTimeout = r.BodyTimeout
	}
	huma.Register(a.api, op, h)
	if r.AlsoStatus != 0 {
		documentAlso(a.api.OpenAPI(), r)
	}
	a.routes = append(a.routes, r)
}

// documentAlso adds r.AlsoStatus to the responses of r's operation in
// the document, with the body of its default success status.
func documentAlso(doc *huma.OpenAPI, r Route) {
	item := doc.Paths[r.Path]
	if item == nil {
		return
	}
	op := map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPut: item.Put,
		http.MethodPatch: item.Patch, http.MethodDelete: item.Delete}[r.Method]
	if op == nil {
		return
	}
	dflt := op.Responses[strconv.Itoa(op.DefaultStatus)]
	if dflt == nil {
		return
	}
	op.Responses[strconv.Itoa(r.AlsoStatus)] = &huma.Response{Description: http.StatusText(r.AlsoStatus), Content: dflt.Content}
}

const routeKey = "lintel.route"

func targetDoc(r Route) string {
	switch {
	case r.Target == TargetInstance:
		return " as an instance admin"
	case r.Direct:
		return " on the tenant itself (not through a delegation)"
	}
	return " on the tenant or a parent holding a delegation"
}

func errorStatuses(r Route) []int {
	s := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	if r.Method != http.MethodGet {
		s = append(s, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge)
	}
	if r.Optional {
		s = append(s, http.StatusNotImplemented)
	}
	return s
}

// Page is the common cursor pagination input.
type Page struct {
	After string `query:"after" doc:"Cursor from the previous page's next field" maxLength:"64"`
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
}

// pageLimit applies the default when huma left it zero (no query value).
func (p Page) limit() int {
	if p.Limit <= 0 {
		return 50
	}
	return p.Limit
}

// List is a page of items and the cursor of the next page.
type List[T any] struct {
	Items []T `json:"items" doc:"This page's items"`
	// Next is "" on the last page.
	Next string `json:"next" doc:"Cursor for the next page; empty on the last page"`
}
