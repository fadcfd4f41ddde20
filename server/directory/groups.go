package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Limits on groups, group rules and their pages; exceeding one is refused,
// never truncated.
const (
	MaxGroupNameLen        = 100  // characters of a group or rule name
	MaxGroupDescriptionLen = 1000 // characters of a group description
	DefaultGroupPageLimit  = 100  // items of a page when the limit is 0
	MaxGroupPageLimit      = 500  // items of a page at most
)

// Group is a named set of users of a tenant. Groups do not nest.
type Group struct {
	ID          string // "grp_…"
	TenantID    string
	Name        string // unique within the tenant, ignoring case
	Description string
	// ExternalID is what a provisioning client (SCIM's externalId) calls
	// the group, "" if none: compared exactly, not unique. It is set by
	// SetGroupExternalID; UpdateGroup keeps it.
	ExternalID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// GroupInput describes a group to create or the new state of one.
type GroupInput struct {
	// Name is required, 1–MaxGroupNameLen printable characters once
	// trimmed, unique within the tenant ignoring case.
	Name string
	// Description is optional, at most MaxGroupDescriptionLen characters.
	Description string
}

const groupCols = `id, tenant_id, name, description, created_at, updated_at, external_id`

// groupRowScanner is a *store.Row or *store.Rows.
type groupRowScanner interface{ Scan(dest ...any) error }

func scanGroup(r groupRowScanner) (Group, error) {
	var g Group
	err := r.Scan(&g.ID, &g.TenantID, &g.Name, &g.Description, &g.CreatedAt, &g.UpdatedAt, &g.ExternalID)
	return g, err
}

// checkGroup trims and checks a GroupInput.
func checkGroup(in GroupInput) (GroupInput, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	return in, errors.Join(
		checkText("name", in.Name, MaxGroupNameLen, true),
		checkText("description", in.Description, MaxGroupDescriptionLen, false),
	)
}

// foldGroupName is the form of a group name compared for uniqueness.
func foldGroupName(name string) string { return strings.ToLower(name) }

// checkGroupPage checks a page cursor of IDs with prefix and returns the limit
// to use.
func checkGroupPage(prefix, after string, limit int) (int, error) {
	var err error
	if after != "" && !ident.Valid(prefix, after) {
		err = invalid.Field("after", "is not a cursor of this list")
	}
	switch {
	case limit < 0 || limit > MaxGroupPageLimit:
		err = errors.Join(err, invalid.Field("limit", "must be between 0 and %d", MaxGroupPageLimit))
	case limit == 0:
		limit = DefaultGroupPageLimit
	}
	return limit, err
}

// cutGroupPage cuts list (queried with limit+1) to limit and returns the
// cursor of the next page, "" after the last.
func cutGroupPage[T any](list []T, limit int, key func(T) string) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, key(list[limit-1])
}

// collectGroupRows scans every row of a query, closing them.
func collectGroupRows[T any](rows *store.Rows, err error, scan func(groupRowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// groupNameTaken is the conflict of a duplicate group name.
func groupNameTaken(name string) error {
	return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field("name", "a group named %q already exists", name))
}

// uniqueGroupName refuses a name used (ignoring case) by another group of
// the tenant than selfID.
func uniqueGroupName(ctx context.Context, tx store.Tx, tenantID, selfID, name string) error {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM groups WHERE tenant_id = ? AND name_fold = ? AND id <> ?`,
		tenantID, foldGroupName(name), selfID).Scan(&n)
	if err != nil {
		return fmt.Errorf("directory: check group name: %w", err)
	}
	if n > 0 {
		return groupNameTaken(name)
	}
	return nil
}

// CreateGroup creates a group of tenantID. A name another group of the
// tenant has, ignoring case, is a conflict (store.ErrConflict with an
// *invalid.Error naming "name").
func (d *Directory) CreateGroup(ctx context.Context, tx store.Tx, tenantID string, in GroupInput) (Group, error) {
	in, err := checkGroup(in)
	if tenantID == "" {
		err = errors.Join(invalid.Field("tenant_id", "is required"), err)
	}
	if err != nil {
		return Group{}, err
	}
	if err := uniqueGroupName(ctx, tx, tenantID, "", in.Name); err != nil {
		return Group{}, err
	}
	now := d.now()
	g := Group{ID: ident.New("grp", now), TenantID: tenantID, Name: in.Name, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	_, err = tx.Exec(ctx, `INSERT INTO groups (`+groupCols+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.TenantID, g.Name, g.Description, g.CreatedAt, g.UpdatedAt, g.ExternalID, foldGroupName(g.Name))
	if errors.Is(err, store.ErrConflict) {
		return Group{}, fmt.Errorf("%w: %w", groupNameTaken(g.Name), err)
	}
	if err != nil {
		return Group{}, fmt.Errorf("directory: create group: %w", err)
	}
	return g, nil
}

// Group returns a group of tenantID by ID. A group of another tenant is not
// found (store.ErrNotFound).
func (d *Directory) Group(ctx context.Context, tx store.Tx, tenantID, id string) (Group, error) {
	g, err := scanGroup(tx.QueryRow(ctx, `SELECT `+groupCols+` FROM groups WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, store.ErrNotFound) {
		return Group{}, fmt.Errorf("%w: group %q", store.ErrNotFound, id)
	}
	return g, err
}

// ListGroups lists the groups of tenantID in ID (creation) order, at most
// limit (0 means DefaultGroupPageLimit) after the cursor after ("" for the first
// page), and returns the cursor of the next page ("" after the last).
func (d *Directory) ListGroups(ctx context.Context, tx store.Tx, tenantID, after string, limit int) ([]Group, string, error) {
	limit, err := checkGroupPage("grp", after, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+groupCols+` FROM groups WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
		tenantID, after, limit+1)
	list, err := collectGroupRows(rows, err, scanGroup)
	if err != nil {
		return nil, "", fmt.Errorf("directory: list groups: %w", err)
	}
	list, next := cutGroupPage(list, limit, func(g Group) string { return g.ID })
	return list, next, nil
}

// UpdateGroup replaces the name and description of a group of tenantID.
// Renaming to the name of another group, ignoring case, is a conflict.
func (d *Directory) UpdateGroup(ctx context.Context, tx store.Tx, tenantID, id string, in GroupInput) (Group, error) {
	in, err := checkGroup(in)
	if err != nil {
		return Group{}, err
	}
	g, err := d.Group(ctx, tx, tenantID, id)
	if err != nil {
		return Group{}, err
	}
	if err := uniqueGroupName(ctx, tx, tenantID, id, in.Name); err != nil {
		return Group{}, err
	}
	g.Name, g.Description, g.UpdatedAt = in.Name, in.Description, d.now()
	_, err = tx.Exec(ctx, `UPDATE groups SET name = ?, name_fold = ?, description = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		g.Name, foldGroupName(g.Name), g.Description, g.UpdatedAt, tenantID, id)
	if errors.Is(err, store.ErrConflict) {
		return Group{}, fmt.Errorf("%w: %w", groupNameTaken(g.Name), err)
	}
	if err != nil {
		return Group{}, fmt.Errorf("directory: update group: %w", err)
	}
	return g, nil
}

// DeleteGroup deletes a group of tenantID and its memberships. A group
// that rules add members to is not deleted: the error wraps
// store.ErrConflict with an *invalid.Error naming "group_id"; delete the
// rules first, so no access rule vanishes silently.
func (d *Directory) DeleteGroup(ctx context.Context, tx store.Tx, tenantID, id string) error {
	if _, err := d.Group(ctx, tx, tenantID, id); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM group_rules WHERE tenant_id = ? AND group_id = ?`, tenantID, id).Scan(&n); err != nil {
		return fmt.Errorf("directory: delete group: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field("group_id", "%d rules add members to this group; delete them first", n))
	}
	if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE tenant_id = ? AND group_id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("directory: delete group members: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM groups WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("directory: delete group: %w", err)
	}
	return nil
}

// GroupsOf lists the groups of tenantID that a user is a member of
// (manually or through a rule), in ID order. A user of no group, or
// unknown, has none.
func (d *Directory) GroupsOf(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Group, error) {
	rows, err := tx.Query(ctx, `SELECT `+prefixed("g.", groupCols)+`
		FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.tenant_id = ? AND m.user_id = ? AND g.tenant_id = ? ORDER BY g.id`, tenantID, userID, tenantID)
	list, err := collectGroupRows(rows, err, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("directory: groups of user: %w", err)
	}
	return list, nil
}
