// Package tenant holds Lintel's tenants and sub-tenants, the delegations
// that let a parent tenant administer a child, apps (OAuth clients) with
// their client secrets and trusted origins, brands, and custom-domain
// records.
//
// Every method takes the caller's store.Tx and writes nothing outside it,
// so the management API can combine several calls in one transaction.
// Errors follow three kinds, compared with errors.Is:
//   - refused input holds one or more *invalid.Error naming the field
//     (joined with errors.Join so all problems show at once); nothing is
//     written;
//   - a duplicate (tenant slug, app/brand/origin name within a tenant,
//     domain hostname) wraps store.ErrConflict together with an
//     *invalid.Error naming the field;
//   - a record that does not exist, or belongs to another tenant, wraps
//     store.ErrNotFound.
//
// A Service is safe for concurrent use; it holds no state of its own.
package tenant

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrHasChildren is returned by DeleteTenant while the tenant has
	// sub-tenants. It comes together with an *invalid.Error.
	ErrHasChildren = errors.New("tenant: tenant has sub-tenants")
	// ErrInUse is returned when deleting a record that another one still
	// refers to (a brand bound to a domain). It comes together with an
	// *invalid.Error.
	ErrInUse = errors.New("tenant: still in use")
	// ErrBadSecret is returned by VerifyAppSecret when the client is
	// unknown or public, or the secret is wrong or expired.
	ErrBadSecret = errors.New("tenant: bad client credentials")
)

// Options configure a Service.
type Options struct {
	// MaxDepth bounds the nesting of sub-tenants: a top-level tenant has
	// depth 1, its child 2, and so on. Zero means 3.
	MaxDepth int
	// PublicHost is the host of the instance's public URL ("localhost",
	// "id.example.com"). Custom domains equal to it or under it are
	// refused. A port, if present, is ignored. When it is empty, the host
	// of PublicURL stands for it.
	PublicHost string
	// PublicURL is the instance's public URL ("https://id.example.com",
	// "http://localhost:8080"). SiteBase builds the links of tenants
	// without an active custom domain on its scheme, host and port; its
	// path is ignored. Empty: links use https on PublicHost.
	PublicURL string
	// DefaultTenant is the tenant (slug or ID) that the public URL's host
	// itself serves (the setting default_tenant); "" for none. Every
	// other tenant is served on {slug}.{public host}.
	DefaultTenant string
}

// DefaultMaxDepth is the nesting bound when Options.MaxDepth is zero.
const DefaultMaxDepth = 3

// Service manages tenants and what they own. Create it with New.
type Service struct {
	sec        *secrets.Service
	clk        clock.Clock
	maxDepth   int
	publicHost string
	// site is what SiteBase builds links on (site.go).
	site publicSite
}

// New returns a Service that hashes client secrets with sec and reads the
// time from clk.
func New(sec *secrets.Service, clk clock.Clock, opts Options) *Service {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	site := newPublicSite(opts)
	host := strings.ToLower(strings.TrimSuffix(opts.PublicHost, "."))
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	if host == "" {
		host = site.host
	}
	if site.host == "" {
		site.host = host
	}
	return &Service{sec: sec, clk: clk, maxDepth: opts.MaxDepth, publicHost: host, site: site}
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time {
	return s.clk.Now().UTC().Truncate(time.Microsecond)
}

// Page selects one page of a list: the records after the cursor After (the
// last ID of the previous page; "" for the first page), at most Limit of
// them (0 means DefaultLimit; more than MaxLimit is refused).
type Page struct {
	After string
	Limit int
}

// Limits of a list page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// check validates the page and returns its effective limit.
func (p Page) check() (int, error) {
	var errs []error
	switch {
	case p.Limit < 0:
		errs = append(errs, invalid.Field("limit", "must not be negative"))
	case p.Limit > MaxLimit:
		errs = append(errs, invalid.Field("limit", "must be at most %d", MaxLimit))
	}
	if len(p.After) > 64 {
		errs = append(errs, invalid.Field("after", "is not a cursor from a previous page"))
	}
	if p.Limit == 0 {
		return DefaultLimit, errors.Join(errs...)
	}
	return p.Limit, errors.Join(errs...)
}

// cut trims a page fetched with limit+1 rows and returns the next cursor.
func cut[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, id(items[limit-1])
}

// scanner is a store.Row or store.Rows.
type scanner = store.Scanner

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(kind, id string) error {
	return fmt.Errorf("%w: %s %q", store.ErrNotFound, kind, id)
}

// conflict wraps store.ErrConflict with a field error.
func conflict(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field(field, format, args...))
}

// placeholders returns "?, ?, …" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
