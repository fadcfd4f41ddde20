package terms

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

const documentCols = `id, tenant_id, kind, version, title, url, required, published_at`

func scanDocument(r store.Scanner) (Document, error) {
	var d Document
	err := r.Scan(&d.ID, &d.TenantID, &d.Kind, &d.Version, &d.Title, &d.URL, &d.Required, &d.PublishedAt)
	return d, err
}

// Publish publishes a new version of a document of the tenant, which
// becomes the current one of its kind, and records "terms.published".
// in is checked, every problem reported at once as *invalid.Error naming
// the field: kind is KindTerms or KindPrivacy; version 1 to
// MaxVersionLen printable characters, not one the kind already has (that
// is a conflict: store.ErrConflict with an *invalid.Error naming
// "version"); title 1 to MaxTitleLen printable characters; url an
// absolute https URL (http only on localhost, 127.0.0.0/8 or ::1) with a
// host and no userinfo, of at most MaxURLLen bytes. Version and title are
// trimmed of surrounding white space. Earlier versions and their
// acceptances are kept.
func (s *Service) Publish(ctx context.Context, tx store.Tx, tenantID string, in DocumentInput) (Document, error) {
	d, err := checkDocument(in)
	if err != nil {
		return Document{}, err
	}
	var n int
	err = tx.QueryRow(ctx, `SELECT COUNT(*) FROM terms_documents WHERE tenant_id = ? AND kind = ? AND version = ?`,
		tenantID, d.Kind, d.Version).Scan(&n)
	if err != nil {
		return Document{}, fmt.Errorf("terms: publish: %w", err)
	}
	if n > 0 {
		return Document{}, conflictVersion(d.Kind)
	}
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM terms_documents WHERE tenant_id = ?`, tenantID).Scan(&seq); err != nil {
		return Document{}, fmt.Errorf("terms: publish: %w", err)
	}
	d.PublishedAt = s.now()
	d.ID, d.TenantID = ident.New("tdoc", d.PublishedAt), tenantID
	_, err = tx.Exec(ctx, `INSERT INTO terms_documents (`+documentCols+`, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, d.Kind, d.Version, d.Title, d.URL, d.Required, d.PublishedAt, seq+1)
	if errors.Is(err, store.ErrConflict) {
		return Document{}, fmt.Errorf("%w: %w", conflictVersion(d.Kind), err)
	}
	if err != nil {
		return Document{}, fmt.Errorf("terms: publish: %w", err)
	}
	actor := in.Actor
	if actor == (events.Ref{}) {
		actor = events.Ref{Type: "system"}
	}
	_, err = s.ev.Append(ctx, tx, events.Event{
		Type: "terms.published", TenantID: tenantID, Actor: actor, Target: events.Ref{Type: "terms_document", ID: d.ID},
		Outcome: events.Success, RequestID: requestid.From(ctx),
		Details: map[string]any{"kind": d.Kind, "version": d.Version, "required": d.Required},
	})
	if err != nil {
		return Document{}, fmt.Errorf("terms: record terms.published: %w", err)
	}
	return d, nil
}

func conflictVersion(kind string) error {
	return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field("version", "the %s document already has this version", kind))
}

// Document returns a document of the tenant by ID; one of another tenant
// is not found.
func (s *Service) Document(ctx context.Context, tx store.Tx, tenantID, id string) (Document, error) {
	d, err := scanDocument(tx.QueryRow(ctx, `SELECT `+documentCols+` FROM terms_documents WHERE tenant_id = ? AND id = ?`, tenantID, id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Document{}, notFound("terms document %q", id)
	case err != nil:
		return Document{}, fmt.Errorf("terms: document: %w", err)
	}
	return d, nil
}

// Current returns the current version of each kind the tenant has
// published (the newest one), in the order of Kinds; none when it has
// published nothing.
func (s *Service) Current(ctx context.Context, tx store.Tx, tenantID string) ([]Document, error) {
	rows, err := tx.Query(ctx, `SELECT `+documentCols+` FROM terms_documents d
		WHERE tenant_id = ? AND seq = (SELECT MAX(seq) FROM terms_documents WHERE tenant_id = d.tenant_id AND kind = d.kind)`,
		tenantID)
	docs, err := store.Collect(rows, err, scanDocument)
	if err != nil {
		return nil, fmt.Errorf("terms: current documents: %w", err)
	}
	slices.SortFunc(docs, func(a, b Document) int { return slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind) })
	return docs, nil
}

// Documents returns every version the tenant has published, of every
// kind, newest first.
func (s *Service) Documents(ctx context.Context, tx store.Tx, tenantID string) ([]Document, error) {
	rows, err := tx.Query(ctx, `SELECT `+documentCols+` FROM terms_documents WHERE tenant_id = ? ORDER BY seq DESC`, tenantID)
	docs, err := store.Collect(rows, err, scanDocument)
	if err != nil {
		return nil, fmt.Errorf("terms: documents: %w", err)
	}
	return docs, nil
}

// checkDocument validates a document to publish and returns it
// normalized.
func checkDocument(in DocumentInput) (Document, error) {
	d := Document{Kind: in.Kind, Version: strings.TrimSpace(in.Version), Title: strings.TrimSpace(in.Title),
		URL: strings.TrimSpace(in.URL), Required: in.Required}
	var errs []error
	if !slices.Contains(Kinds, d.Kind) {
		errs = append(errs, invalid.Field("kind", "must be %q or %q", KindTerms, KindPrivacy))
	}
	errs = append(errs, checkText("version", d.Version, MaxVersionLen), checkText("title", d.Title, MaxTitleLen), checkURL("url", d.URL))
	return d, errors.Join(errs...)
}

// checkText checks that s is 1 to max printable characters of UTF-8.
func checkText(field, s string, max int) error {
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return invalid.Field(field, "must be valid UTF-8")
	case n == 0:
		return invalid.Field(field, "is required")
	case n > max:
		return invalid.Field(field, "must be at most %d characters, not %d", max, n)
	case strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }):
		return invalid.Field(field, "must contain only printable characters")
	}
	return nil
}

// checkURL checks the link to a document: an absolute https URL with a
// host and no userinfo, or http on a loopback host (for development);
// only printable ASCII (internationalized names in their xn-- form,
// other characters percent-encoded).
func checkURL(field, raw string) error {
	switch {
	case raw == "":
		return invalid.Field(field, "is required")
	case len(raw) > MaxURLLen:
		return invalid.Field(field, "must be at most %d bytes", MaxURLLen)
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		return invalid.Field(field, "must be printable ASCII without spaces (percent-encode other characters)")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return invalid.Field(field, "is not a URL")
	case !u.IsAbs() || u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return invalid.Field(field, "must be an absolute URL with a host")
	case u.User != nil:
		return invalid.Field(field, "must not hold a user name or password")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	}
	return invalid.Field(field, "must use https (http only on localhost)")
}

// loopback reports whether host (without brackets) is a loopback name or
// address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.IsLoopback()
}
