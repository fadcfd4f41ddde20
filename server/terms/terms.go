// Package terms holds the versioned terms-of-service and privacy
// documents of each tenant and the record of which versions each person
// accepted.
//
// A tenant publishes a document as a new version of its kind (KindTerms,
// KindPrivacy); the newest version of each kind is the current one, and
// when it is required every person who has not accepted that very
// version is asked to (Pending), so a new version asks again. Documents
// are links to the tenant's own pages (https), never their text.
// Acceptances are kept as a record of consent when newer versions are
// published; they go only with the person (ForgetUser) or the tenant
// (ForgetTenant). Publishing and accepting are recorded in the system log
// (server/events) in the same transaction.
//
// Every method takes the caller's store.Tx and writes nothing outside it.
// Errors come in these kinds, compared with errors.Is:
//   - refused input holds one or more *invalid.Error naming the field
//     (joined with errors.Join so all problems show at once); nothing is
//     written;
//   - a version the kind already has wraps store.ErrConflict together
//     with an *invalid.Error naming "version";
//   - a document that does not exist, or belongs to another tenant,
//     wraps store.ErrNotFound;
//   - anything else is an internal error, wrapped with %w.
//
// tenantID and userID arguments are trusted: the caller resolved the
// tenant and the person. A Service is safe for concurrent use; it holds
// no state of its own.
package terms

import (
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// Kinds of documents.
const (
	// KindTerms is the terms of service.
	KindTerms = "terms"
	// KindPrivacy is the privacy policy.
	KindPrivacy = "privacy"
)

// Kinds lists every kind, in the order Current and Pending return them.
var Kinds = []string{KindTerms, KindPrivacy}

// Limits of a document.
const (
	MaxVersionLen = 50   // characters of a version
	MaxTitleLen   = 200  // characters of a title
	MaxURLLen     = 2048 // bytes of a URL
	// MaxAccept is the most documents one Accept call records.
	MaxAccept = 10
)

// Document is one published version of a tenant's document.
type Document struct {
	ID       string // "tdoc_…"
	TenantID string
	// Kind is KindTerms or KindPrivacy.
	Kind string
	// Version is the tenant's name of the version ("2026-03", "v2"),
	// unique within the kind.
	Version string
	// Title is what the consent checkbox shows, linking to URL.
	Title string
	// URL is where the document is read: https, or http on a loopback
	// host.
	URL string
	// Required documents must be accepted to register or sign in.
	Required    bool
	PublishedAt time.Time
}

// DocumentInput describes a new version to publish.
type DocumentInput struct {
	Kind, Version, Title, URL string
	Required                  bool
	// Actor is who publishes, for the system log; the zero Ref means the
	// system.
	Actor events.Ref
}

// Acceptance records that a person accepted one version of a document.
type Acceptance struct {
	// DocumentID, Kind and Version name the version accepted.
	DocumentID, Kind, Version string
	UserID                    string
	AcceptedAt                time.Time
}

// Service publishes documents and records acceptances. Create it with
// New.
type Service struct {
	clk clock.Clock
	ev  *events.Log
}

// New returns a Service that reads the time from clk and records
// publications and acceptances in ev.
func New(clk clock.Clock, ev *events.Log) *Service {
	return &Service{clk: clk, ev: ev}
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time {
	return s.clk.Now().UTC().Truncate(time.Microsecond)
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}
