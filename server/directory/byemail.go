package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/lintel-id/lintel/server/store"
)

// UsersByEmail returns the users of tenantID whose email address is
// email, compared as logins are (NFKC and case folding), oldest first;
// at most limit of them when limit > 0. Addresses are not unique within a
// tenant: a caller acting on the holder of an address decides what
// several holders mean. An empty address matches no one.
func (d *Directory) UsersByEmail(ctx context.Context, tx store.Tx, tenantID, email string, limit int) ([]User, error) {
	key := fold(strings.TrimSpace(email))
	if key == "" {
		return nil, nil
	}
	q := `SELECT ` + userCols + ` FROM users WHERE tenant_id = ? AND email_folded = ? ORDER BY created_at, id`
	args := []any{tenantID, key}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("directory: users by email: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("directory: users by email: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
