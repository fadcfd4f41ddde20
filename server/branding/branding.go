// Package branding keeps the versioned theme documents of the branding
// cascade (instance → tenant → brand → app → locale, Lintel issue 14) and
// resolves what a page shows.
//
// A theme document (themes.Document) hangs on a scope of a tenant: the
// tenant itself (scope ID = tenant ID "ten_…"), one of its brands
// ("brand_…", the look of its custom domains) or one of its apps
// ("app_…"). The instance's own level is configuration (Deps.Instance).
// Changes to a scope form its draft; publishing makes the draft the live
// version, after a WCAG 2.2 AA contrast check that only a recorded
// override can pass by; any earlier version can be made live again
// (Rollback). Every change of what is live bumps the tenant's generation
// in the same transaction, and Resolve, which caches resolved themes in
// memory, reads that generation on every call, so a publish on one node
// is seen by every node at once.
//
// Logos and other images are assets (PutAsset), deduplicated per tenant
// by digest; an SVG is stored only as sanitised by themes/logo. Preview
// tickets are short-lived MACed capabilities that let the studio's
// sandboxed iframes load previews without a bearer token.
//
// Methods that take a store.Tx write nothing outside it; Resolve,
// Preview and Asset run their own read-only transactions. Errors come in
// these kinds, compared with errors.Is:
//   - refused input holds one or more *invalid.Error naming the field
//     (joined, so all problems show at once); nothing is written;
//   - a scope, version, draft (ErrNoDraft) or asset that does not exist,
//     or belongs to another tenant, wraps store.ErrNotFound;
//   - a publish that fails the contrast check wraps ErrContrast and is a
//     *ContrastError listing the failing pairs;
//   - a bad, tampered or expired preview ticket is ErrTicket;
//   - anything else is an internal error, wrapped with %w.
//
// tenantID arguments are trusted (the caller resolved the tenant); scope
// IDs are not: each is checked to be the tenant, or a brand or an app of
// it. A Service is safe for concurrent use.
package branding

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNoDraft is returned when a scope has no draft. It wraps
	// store.ErrNotFound.
	ErrNoDraft = fmt.Errorf("branding: the scope has no draft: %w", store.ErrNotFound)
	// ErrContrast is wrapped by a publish refused for contrast; it is
	// themes.ErrContrast, so either name matches.
	ErrContrast = themes.ErrContrast
	// ErrTicket is returned for a preview ticket that is malformed,
	// tampered with or expired.
	ErrTicket = errors.New("branding: invalid or expired preview ticket")
)

// Version states.
const (
	// StateDraft is a scope's work in progress; at most one per scope.
	StateDraft = "draft"
	// StatePublished is the scope's live version; at most one per scope.
	StatePublished = "published"
	// StateRetired is a version that was live and is no longer.
	StateRetired = "retired"
)

// Limits.
const (
	// MaxDocumentBytes bounds a document as stored (its JSON), so that a
	// version stays cheap to load and resolve.
	MaxDocumentBytes = 1 << 20
	// MaxReason bounds the reason of a contrast override, in bytes.
	MaxReason = 500
	// DefaultCacheSize is how many resolved themes a Service keeps when
	// Deps.CacheSize is zero.
	DefaultCacheSize = 10000
)

// Deps are a Service's dependencies; Store, Tenants, Clock and MAC are
// required.
type Deps struct {
	Store store.Store
	// Tenants checks that scopes (brands, apps) belong to the tenant.
	Tenants *tenant.Service
	Clock   clock.Clock
	// Logger records overridden contrast checks; nil discards.
	Logger *slog.Logger
	// MAC keys preview tickets (secrets.Service.MAC).
	MAC func(purpose string, value []byte) []byte
	// Instance is the instance's own level of the cascade, first in every
	// chain. It must be valid (the caller validated the configuration).
	Instance themes.Document
	// Checks validate texts, email templates and page templates of
	// drafts; nil fields skip their check.
	Checks themes.Checks
	// CacheSize bounds the resolved themes kept in memory; 0 means
	// DefaultCacheSize.
	CacheSize int
}

// Service keeps theme versions and assets and resolves themes. Create it
// with New.
type Service struct {
	st       store.Store
	tenants  *tenant.Service
	clk      clock.Clock
	log      *slog.Logger
	mac      func(purpose string, value []byte) []byte
	instance themes.Document
	checks   themes.Checks
	cache    *cache
}

// New returns a Service over d.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Tenants == nil || d.Clock == nil || d.MAC == nil {
		return nil, errors.New("branding: Store, Tenants, Clock and MAC are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.CacheSize <= 0 {
		d.CacheSize = DefaultCacheSize
	}
	return &Service{st: d.Store, tenants: d.Tenants, clk: d.Clock, log: d.Logger, mac: d.MAC,
		instance: d.Instance, checks: d.Checks, cache: newCache(d.CacheSize)}, nil
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time {
	return s.clk.Now().UTC().Truncate(time.Microsecond)
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}
