package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// MemberSource says how a user became a member of a group.
type MemberSource string

// The sources of a membership.
const (
	// SourceManual members were added by an admin; rules never remove them.
	SourceManual MemberSource = "manual"
	// SourceRule members were added by a group rule, and only rules
	// remove them.
	SourceRule MemberSource = "rule"
)

// Member is one user's membership of a group.
type Member struct {
	UserID string
	Source MemberSource
	// RuleID is the rule that added a SourceRule member, "" for a manual one.
	RuleID  string
	AddedAt time.Time
}

const memberCols = `user_id, source, rule_id, added_at`

func scanMember(r groupRowScanner) (Member, error) {
	var m Member
	var rule sql.NullString
	err := r.Scan(&m.UserID, &m.Source, &rule, &m.AddedAt)
	m.RuleID = rule.String
	return m, err
}

// membership returns the membership of a user in a group, store.ErrNotFound
// if there is none.
func membership(ctx context.Context, tx store.Tx, tenantID, groupID, userID string) (Member, error) {
	return scanMember(tx.QueryRow(ctx, `SELECT `+memberCols+` FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?`,
		tenantID, groupID, userID))
}

// groupUserExists reports whether tenantID has a user userID.
func groupUserExists(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE tenant_id = ? AND id = ?`, tenantID, userID).Scan(&one)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: user %q", store.ErrNotFound, userID)
	}
	return err
}

// AddMember makes a user of tenantID a manual member of a group of the
// same tenant. Adding a manual member again changes nothing; adding a
// member a rule added makes it manual, so rules no longer remove it. A
// group or user that does not exist in the tenant wraps store.ErrNotFound.
func (d *Directory) AddMember(ctx context.Context, tx store.Tx, tenantID, groupID, userID string) error {
	if _, err := d.Group(ctx, tx, tenantID, groupID); err != nil {
		return err
	}
	if err := groupUserExists(ctx, tx, tenantID, userID); err != nil {
		return err
	}
	m, err := membership(ctx, tx, tenantID, groupID, userID)
	switch {
	case err == nil && m.Source == SourceManual:
		return nil
	case err == nil:
		_, err = tx.Exec(ctx, `UPDATE group_members SET source = ?, rule_id = NULL WHERE tenant_id = ? AND group_id = ? AND user_id = ?`,
			string(SourceManual), tenantID, groupID, userID)
	case errors.Is(err, store.ErrNotFound):
		_, err = tx.Exec(ctx, `INSERT INTO group_members (tenant_id, group_id, user_id, source, rule_id, added_at) VALUES (?, ?, ?, ?, NULL, ?)`,
			tenantID, groupID, userID, string(SourceManual), d.now())
	}
	if err != nil {
		return fmt.Errorf("directory: add member: %w", err)
	}
	return nil
}

// RemoveMember removes a manual member from a group of tenantID. Removing a
// user who is not a member changes nothing. A member a rule added is not
// removed: the error wraps store.ErrConflict with an *invalid.Error naming
// "user_id" (change the rule, or the user's attributes, instead). A group
// that does not exist in the tenant wraps store.ErrNotFound.
func (d *Directory) RemoveMember(ctx context.Context, tx store.Tx, tenantID, groupID, userID string) error {
	if _, err := d.Group(ctx, tx, tenantID, groupID); err != nil {
		return err
	}
	m, err := membership(ctx, tx, tenantID, groupID, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("directory: remove member: %w", err)
	case m.Source == SourceRule:
		return fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field("user_id", "is a member through rule %s", m.RuleID))
	}
	if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?`, tenantID, groupID, userID); err != nil {
		return fmt.Errorf("directory: remove member: %w", err)
	}
	return nil
}

// Members lists the members of a group of tenantID in user ID order, at
// most limit (0 means DefaultGroupPageLimit) after the user ID after ("" for the
// first page), and returns the cursor of the next page ("" after the
// last). A group that does not exist in the tenant wraps store.ErrNotFound.
func (d *Directory) Members(ctx context.Context, tx store.Tx, tenantID, groupID, after string, limit int) ([]Member, string, error) {
	limit, err := checkGroupPage("usr", after, limit)
	if err != nil {
		return nil, "", err
	}
	if _, err := d.Group(ctx, tx, tenantID, groupID); err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+memberCols+` FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id > ?
		ORDER BY user_id LIMIT ?`, tenantID, groupID, after, limit+1)
	list, err := collectGroupRows(rows, err, scanMember)
	if err != nil {
		return nil, "", fmt.Errorf("directory: list members: %w", err)
	}
	list, next := cutGroupPage(list, limit, func(m Member) string { return m.UserID })
	return list, next, nil
}

// RemoveUserFromGroups deletes every membership of a user of tenantID,
// manual and rule-sourced; deleting a user must call it first.
func (d *Directory) RemoveUserFromGroups(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("directory: remove user from groups: %w", err)
	}
	return nil
}
