package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// The lookups a provisioning client (SCIM) makes of groups: by name and
// by external ID before it creates one, and pages by position
// (startIndex), each reading only the rows it answers.

// SetGroupExternalID sets what a provisioning client calls a group of
// tenantID ("" for nothing): at most MaxExternalIDLen printable
// characters, kept as given, not unique. A change moves UpdatedAt; no
// change writes nothing. An unknown group is not found.
func (d *Directory) SetGroupExternalID(ctx context.Context, tx store.Tx, tenantID, id, externalID string) (Group, error) {
	if err := checkText("external_id", externalID, MaxExternalIDLen, false); err != nil {
		return Group{}, err
	}
	g, err := d.Group(ctx, tx, tenantID, id)
	if err != nil || g.ExternalID == externalID {
		return g, err
	}
	g.ExternalID, g.UpdatedAt = externalID, d.now()
	if _, err := tx.Exec(ctx, `UPDATE groups SET external_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		g.ExternalID, g.UpdatedAt, tenantID, id); err != nil {
		return Group{}, fmt.Errorf("directory: set group external ID: %w", err)
	}
	return g, nil
}

// GroupByName returns the group of tenantID named name, ignoring case as
// the uniqueness of names does; none is not found (store.ErrNotFound).
func (d *Directory) GroupByName(ctx context.Context, tx store.Tx, tenantID, name string) (Group, error) {
	g, err := scanGroup(tx.QueryRow(ctx, `SELECT `+groupCols+` FROM groups WHERE tenant_id = ? AND name_fold = ?`,
		tenantID, foldGroupName(name)))
	if errors.Is(err, store.ErrNotFound) {
		return Group{}, fmt.Errorf("%w: group named %q", store.ErrNotFound, name)
	}
	if err != nil {
		return Group{}, fmt.Errorf("directory: group by name: %w", err)
	}
	return g, nil
}

// GroupsByExternalID returns the groups of tenantID whose external ID is
// externalID, compared exactly, in ID order; at most limit of them when
// limit > 0. An empty externalID matches no group.
func (d *Directory) GroupsByExternalID(ctx context.Context, tx store.Tx, tenantID, externalID string, limit int) ([]Group, error) {
	if externalID == "" {
		return nil, nil
	}
	q := `SELECT ` + groupCols + ` FROM groups WHERE tenant_id = ? AND external_id = ? ORDER BY id`
	args := []any{tenantID, externalID}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := tx.Query(ctx, q, args...)
	list, err := collectGroupRows(rows, err, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("directory: groups by external ID: %w", err)
	}
	return list, nil
}

// CountGroups returns how many groups tenantID has.
func (d *Directory) CountGroups(ctx context.Context, tx store.Tx, tenantID string) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM groups WHERE tenant_id = ?`, tenantID).Scan(&n); err != nil {
		return 0, fmt.Errorf("directory: count groups: %w", err)
	}
	return n, nil
}

// GroupsAt lists at most limit (1 to MaxGroupPageLimit) groups of
// tenantID in ID (creation) order, skipping the first offset: the paging
// by position SCIM's startIndex asks for. ListGroups' cursor is the
// better way to walk every group; the store still reads skipped rows.
func (d *Directory) GroupsAt(ctx context.Context, tx store.Tx, tenantID string, offset, limit int) ([]Group, error) {
	var errs []error
	if offset < 0 {
		errs = append(errs, invalid.Field("offset", "must not be negative"))
	}
	if limit < 1 || limit > MaxGroupPageLimit {
		errs = append(errs, invalid.Field("limit", "must be between 1 and %d", MaxGroupPageLimit))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+groupCols+` FROM groups WHERE tenant_id = ? ORDER BY id LIMIT ? OFFSET ?`,
		tenantID, limit, offset)
	list, err := collectGroupRows(rows, err, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("directory: groups at: %w", err)
	}
	return list, nil
}
