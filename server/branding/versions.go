package branding

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

// Version is one version of a scope's theme document.
type Version struct {
	ID, TenantID, ScopeID string
	// Number counts the scope's versions from 1. A discarded draft's
	// number goes to the next draft.
	Number int
	// State is StateDraft, StatePublished or StateRetired.
	State    string
	Document themes.Document
	// CreatedAt is when the draft was started; UpdatedAt when the version
	// last changed (draft saved, published, retired).
	CreatedAt, UpdatedAt time.Time
	// PublishedAt is when the version last became live; nil for a draft.
	PublishedAt *time.Time
	// OverrideReason and OverrideBy record a publish that failed the
	// contrast check and went ahead: why, and who. Empty otherwise.
	OverrideReason, OverrideBy string
	// Live is true for the scope's live version (State is
	// StatePublished).
	Live bool
}

const versionCols = `id, tenant_id, scope_id, number, document, state, created_at, updated_at, published_at,
	contrast_override_reason, contrast_override_by`

func scanVersion(r store.Scanner) (Version, error) {
	var v Version
	var raw string
	var published sql.NullTime
	var reason, by sql.NullString
	err := r.Scan(&v.ID, &v.TenantID, &v.ScopeID, &v.Number, &raw, &v.State, &v.CreatedAt, &v.UpdatedAt, &published, &reason, &by)
	if err != nil {
		return v, err
	}
	if published.Valid {
		t := published.Time
		v.PublishedAt = &t
	}
	v.OverrideReason, v.OverrideBy, v.Live = reason.String, by.String, v.State == StatePublished
	v.Document, err = decodeDocument(raw)
	return v, err
}

// Draft returns the scope's draft; ErrNoDraft when it has none.
func (s *Service) Draft(ctx context.Context, tx store.Tx, tenantID, scopeID string) (Version, error) {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return Version{}, err
	}
	return s.draft(ctx, tx, sc)
}

func (s *Service) draft(ctx context.Context, tx store.Tx, sc scope) (Version, error) {
	v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionCols+` FROM theme_versions WHERE tenant_id = ? AND scope_id = ? AND state = ?`,
		sc.tenantID, sc.id, StateDraft))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Version{}, ErrNoDraft
	case err != nil:
		return Version{}, fmt.Errorf("branding: draft: %w", err)
	}
	return v, nil
}

// SaveDraft makes doc the scope's draft, replacing the draft it has or
// starting one numbered after its newest version. doc is checked first,
// every problem reported at once as *invalid.Error naming its field:
// doc.Validate with Deps.Checks, every asset token (in tokens and in
// locales) naming an asset of the tenant, and at most MaxDocumentBytes
// as JSON. It returns the contrast of every colour pair the draft yields
// along the scope's chain (see Publish); failing pairs are warnings here,
// not errors.
func (s *Service) SaveDraft(ctx context.Context, tx store.Tx, tenantID, scopeID string, doc themes.Document) (Version, []themes.Finding, error) {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return Version{}, nil, err
	}
	raw, err := s.checkDocument(ctx, tx, tenantID, doc)
	if err != nil {
		return Version{}, nil, err
	}
	layers, err := s.layers(ctx, tx, tenantID, sc.chain(), map[string]themes.Document{sc.id: doc})
	if err != nil {
		return Version{}, nil, err
	}
	findings := themes.CheckLayers(layers...)
	now := s.now()
	v, err := s.draft(ctx, tx, sc)
	switch {
	case err == nil:
		v.Document, v.UpdatedAt = doc, now
		if _, err := tx.Exec(ctx, `UPDATE theme_versions SET document = ?, updated_at = ? WHERE id = ?`, raw, now, v.ID); err != nil {
			return Version{}, nil, fmt.Errorf("branding: save draft: %w", err)
		}
		return v, findings, nil
	case !errors.Is(err, ErrNoDraft):
		return Version{}, nil, err
	}
	var newest int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(number), 0) FROM theme_versions WHERE scope_id = ?`, sc.id).Scan(&newest); err != nil {
		return Version{}, nil, fmt.Errorf("branding: save draft: %w", err)
	}
	v = Version{ID: ident.New("thv", now), TenantID: tenantID, ScopeID: sc.id, Number: newest + 1, State: StateDraft,
		Document: doc, CreatedAt: now, UpdatedAt: now}
	_, err = tx.Exec(ctx, `INSERT INTO theme_versions (id, tenant_id, scope_id, brand_id, app_id, number, document, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.TenantID, v.ScopeID, sc.brandID(), sc.appID(), v.Number, raw, v.State, v.CreatedAt, v.UpdatedAt)
	if err != nil {
		// A conflict is a concurrent draft of the same scope.
		return Version{}, nil, fmt.Errorf("branding: save draft: %w", err)
	}
	return v, findings, nil
}

// checkDocument validates a document to store and returns its JSON.
func (s *Service) checkDocument(ctx context.Context, tx store.Tx, tenantID string, doc themes.Document) (string, error) {
	errs := []error{doc.Validate(s.checks)}
	missing, err := s.missingAssets(ctx, tx, tenantID, doc)
	if err != nil {
		return "", err
	}
	errs = append(errs, missing...)
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("branding: encode document: %w", err)
	}
	if len(b) > MaxDocumentBytes {
		errs = append(errs, invalid.Field("document", "must be at most %d bytes as JSON, not %d", MaxDocumentBytes, len(b)))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return string(b), nil
}

// missingAssets refuses asset tokens that name no asset of the tenant.
// Values that are not asset IDs at all are Validate's to refuse.
func (s *Service) missingAssets(ctx context.Context, tx store.Tx, tenantID string, doc themes.Document) ([]error, error) {
	var errs []error
	check := func(field string, t themes.Tokens) error {
		for _, d := range themes.Defs() {
			id := t[d.Name]
			if d.Kind != themes.KindAsset || id == "" || !ident.Valid("ast", id) {
				continue
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM theme_assets WHERE id = ? AND tenant_id = ?`, id, tenantID).Scan(&n); err != nil {
				return fmt.Errorf("branding: check assets: %w", err)
			}
			if n == 0 {
				errs = append(errs, invalid.Field(field+"."+d.Name, "names no asset of the tenant: upload it first"))
			}
		}
		return nil
	}
	if err := check("tokens", doc.Tokens); err != nil {
		return nil, err
	}
	for _, lang := range slices.Sorted(maps.Keys(doc.Locales)) {
		if len(lang) > themes.MaxLocaleTag || !utf8.ValidString(lang) {
			continue // Validate refuses the key; it is not fit for a field name
		}
		if err := check("locales."+lang, doc.Locales[lang]); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

// DiscardDraft deletes the scope's draft; ErrNoDraft when it has none.
func (s *Service) DiscardDraft(ctx context.Context, tx store.Tx, tenantID, scopeID string) error {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return err
	}
	n, err := tx.Exec(ctx, `DELETE FROM theme_versions WHERE tenant_id = ? AND scope_id = ? AND state = ?`, tenantID, sc.id, StateDraft)
	switch {
	case err != nil:
		return fmt.Errorf("branding: discard draft: %w", err)
	case n == 0:
		return ErrNoDraft
	}
	return nil
}

// Version returns version number of the scope.
func (s *Service) Version(ctx context.Context, tx store.Tx, tenantID, scopeID string, number int) (Version, error) {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return Version{}, err
	}
	return s.version(ctx, tx, sc, number)
}

func (s *Service) version(ctx context.Context, tx store.Tx, sc scope, number int) (Version, error) {
	v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionCols+` FROM theme_versions WHERE tenant_id = ? AND scope_id = ? AND number = ?`,
		sc.tenantID, sc.id, number))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Version{}, notFound("version %d of theme scope %q", number, sc.id)
	case err != nil:
		return Version{}, fmt.Errorf("branding: version: %w", err)
	}
	return v, nil
}

// Versions lists the scope's versions, the draft included, newest first,
// one page at a time, and returns the cursor of the next page ("" on the
// last). The cursor is a version number: p.After lists the versions
// below it.
func (s *Service) Versions(ctx context.Context, tx store.Tx, tenantID, scopeID string, p tenant.Page) ([]Version, string, error) {
	limit, below, err := checkPage(p)
	if err != nil {
		return nil, "", err
	}
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+versionCols+` FROM theme_versions WHERE tenant_id = ? AND scope_id = ? AND number < ?
		ORDER BY number DESC LIMIT ?`, tenantID, sc.id, below, limit+1)
	list, err := store.Collect(rows, err, scanVersion)
	if err != nil {
		return nil, "", fmt.Errorf("branding: versions: %w", err)
	}
	if len(list) <= limit {
		return list, "", nil
	}
	list = list[:limit]
	return list, strconv.Itoa(list[limit-1].Number), nil
}

// checkPage validates a page of versions: its limit, and the version
// number below which it starts.
func checkPage(p tenant.Page) (limit, below int, err error) {
	limit, below = p.Limit, 1<<31-1
	var errs []error
	switch {
	case limit == 0:
		limit = tenant.DefaultLimit
	case limit < 0:
		errs = append(errs, invalid.Field("limit", "must not be negative"))
	case limit > tenant.MaxLimit:
		errs = append(errs, invalid.Field("limit", "must be at most %d", tenant.MaxLimit))
	}
	if p.After != "" {
		n, err := strconv.Atoi(p.After)
		if err != nil || n < 1 || len(p.After) > 10 {
			errs = append(errs, invalid.Field("after", "is not a cursor from a previous page"))
		}
		below = n
	}
	return limit, below, errors.Join(errs...)
}
