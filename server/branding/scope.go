package branding

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

// Kinds of scopes.
const (
	kindTenant = "tenant"
	kindBrand  = "brand"
	kindApp    = "app"
)

// scope is a checked scope of a tenant.
type scope struct {
	tenantID, id, kind string
}

// brandID and appID fill the columns that tie a row to its brand or app,
// so that deleting one deletes its themes (ON DELETE CASCADE).
func (sc scope) brandID() any { return nullIf(sc.kind != kindBrand, sc.id) }
func (sc scope) appID() any   { return nullIf(sc.kind != kindApp, sc.id) }

func nullIf(null bool, s string) any {
	if null {
		return nil
	}
	return s
}

// chain is the scope's levels above the instance, in cascade order: the
// tenant, then the brand or app itself. An app's chain has no brand: the
// same app appears on several domains.
func (sc scope) chain() []string {
	if sc.kind == kindTenant {
		return []string{sc.tenantID}
	}
	return []string{sc.tenantID, sc.id}
}

// scope checks that id names the tenant itself, or a brand or an app of
// the tenant.
func (s *Service) scope(ctx context.Context, tx store.Tx, tenantID, id string) (scope, error) {
	var err error
	sc := scope{tenantID: tenantID, id: id}
	switch {
	case id == tenantID:
		sc.kind = kindTenant
		_, err = s.tenants.Tenant(ctx, tx, tenantID)
	case strings.HasPrefix(id, "brand_"):
		sc.kind = kindBrand
		_, err = s.tenants.Brand(ctx, tx, tenantID, id)
	case strings.HasPrefix(id, "app_"):
		sc.kind = kindApp
		_, err = s.tenants.App(ctx, tx, tenantID, id)
	default:
		return scope{}, notFound("theme scope %q: neither the tenant nor a brand or app of it", id)
	}
	if err != nil {
		return scope{}, fmt.Errorf("branding: theme scope %q: %w", id, err)
	}
	return sc, nil
}

// layers returns the cascade for the levels ids (in order) of a tenant:
// the instance first, then each level's live document, or its document
// in over when over has one. A level without either is left out.
func (s *Service) layers(ctx context.Context, tx store.Tx, tenantID string, ids []string, over map[string]themes.Document) ([]themes.Document, error) {
	live, err := s.liveDocuments(ctx, tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	out := []themes.Document{s.instance}
	for _, id := range ids {
		if d, ok := over[id]; ok {
			out = append(out, d)
		} else if d, ok := live[id]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// liveDocuments reads the live documents of the levels ids of a tenant in
// one query; levels of other tenants are not found.
func (s *Service) liveDocuments(ctx context.Context, tx store.Tx, tenantID string, ids []string) (map[string]themes.Document, error) {
	args := []any{tenantID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.Query(ctx, `SELECT l.scope_id, v.document FROM theme_live l JOIN theme_versions v ON v.id = l.version_id
		WHERE l.tenant_id = ? AND l.scope_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	type row struct {
		id  string
		doc themes.Document
	}
	list, err := store.Collect(rows, err, func(r store.Scanner) (row, error) {
		var x row
		var raw string
		if err := r.Scan(&x.id, &raw); err != nil {
			return x, err
		}
		x.doc, err = decodeDocument(raw)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("branding: live documents: %w", err)
	}
	out := make(map[string]themes.Document, len(list))
	for _, x := range list {
		out[x.id] = x.doc
	}
	return out, nil
}

// decodeDocument reads a stored document.
func decodeDocument(raw string) (themes.Document, error) {
	var d themes.Document
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return d, fmt.Errorf("branding: stored document: %w", err)
	}
	return d, nil
}
