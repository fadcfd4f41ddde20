package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Page sizes of Search.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 500
)

// SearchQuery selects users of a tenant. Conditions that are set must all
// hold.
type SearchQuery struct {
	// Status selects users in one status.
	Status Status
	// TypeID selects users of one type.
	TypeID string
	// Q selects users whose login, email or name begins with Q, compared
	// after NFKC and case folding.
	Q string
	// GroupID selects members of one group.
	GroupID string
	// Attribute and Value select users whose indexed custom attribute
	// (one marked unique in its type) has the string Value, compared after
	// NFKC and case folding.
	Attribute, Value string
	// ExternalID selects users whose external ID is ExternalID, compared
	// exactly.
	ExternalID string
	// After is the cursor: the ID of the last user of the previous page.
	After string
	// Offset skips that many of the selected users (after the cursor)
	// before the page begins: the paging SCIM's startIndex asks for.
	// Prefer the cursor to walk every page; the store still reads the
	// skipped rows.
	Offset int
	// Limit is the page size: DefaultSearchLimit when zero, at most
	// MaxSearchLimit.
	Limit int
}

// Search returns one page of the users of tenantID that q selects, in ID
// order (creation order), and the cursor of the next page, "" after the
// last. Bad input returns *invalid.Error values naming each field, joined.
func (d *Directory) Search(ctx context.Context, tx store.Tx, tenantID string, q SearchQuery) ([]User, string, error) {
	conds, args, errs := q.where(tenantID)
	if q.After != "" {
		conds, args = append(conds, "id > ?"), append(args, q.After)
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultSearchLimit
	case limit < 0 || limit > MaxSearchLimit:
		errs = append(errs, invalid.Field("limit", "must be 1 to %d", MaxSearchLimit))
	}
	if q.Offset < 0 {
		errs = append(errs, invalid.Field("offset", "must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+userCols+` FROM users WHERE `+strings.Join(conds, " AND ")+` ORDER BY id LIMIT ? OFFSET ?`,
		append(args, limit+1, q.Offset)...)
	if err != nil {
		return nil, "", fmt.Errorf("directory: search: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("directory: search: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// CountUsers returns how many users of tenantID q selects, all pages
// together: q's After, Offset and Limit are ignored. Bad input is refused
// as Search refuses it.
func (d *Directory) CountUsers(ctx context.Context, tx store.Tx, tenantID string, q SearchQuery) (int, error) {
	conds, args, errs := q.where(tenantID)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE `+strings.Join(conds, " AND "), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("directory: count users: %w", err)
	}
	return n, nil
}

// where returns the SQL conditions of q's selection (not its paging), their
// arguments, and the errors of bad input.
func (q SearchQuery) where(tenantID string) ([]string, []any, []error) {
	var errs []error
	conds, args := []string{"tenant_id = ?"}, []any{tenantID}
	if q.Status != "" {
		if !q.Status.Valid() {
			errs = append(errs, invalid.Field("status", "is not a status"))
		}
		conds, args = append(conds, "status = ?"), append(args, string(q.Status))
	}
	if q.TypeID != "" {
		conds, args = append(conds, "type_id = ?"), append(args, q.TypeID)
	}
	if s := fold(strings.TrimSpace(q.Q)); s != "" {
		if utf8.RuneCountInString(s) > MaxLoginLen {
			errs = append(errs, invalid.Field("q", "must be at most %d characters", MaxLoginLen))
		}
		p := likePrefix(s)
		conds = append(conds, `(login LIKE ? ESCAPE '\' OR email_folded LIKE ? ESCAPE '\' OR name_folded LIKE ? ESCAPE '\')`)
		args = append(args, p, p, p)
	}
	if q.GroupID != "" {
		conds = append(conds, "id IN (SELECT user_id FROM group_members WHERE tenant_id = ? AND group_id = ?)")
		args = append(args, tenantID, q.GroupID)
	}
	switch {
	case q.Attribute != "":
		conds = append(conds, "id IN (SELECT user_id FROM user_unique_attrs WHERE tenant_id = ? AND attr = ? AND value_norm = ?)")
		args = append(args, tenantID, q.Attribute, "s:"+fold(q.Value))
	case q.Value != "":
		errs = append(errs, invalid.Field("attribute", "is required with value"))
	}
	if q.ExternalID != "" {
		conds, args = append(conds, "external_id = ?"), append(args, q.ExternalID)
	}
	return conds, args, errs
}

// likePrefix is a LIKE pattern matching strings that begin with p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// prefixed qualifies a comma-separated column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
