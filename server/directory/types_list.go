package directory

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// UserTypes returns every type of tenantID in name order. A tenant has
// few types (each one is a schema an admin wrote), so there is no paging.
func (d *Directory) UserTypes(ctx context.Context, tx store.Tx, tenantID string) ([]UserType, error) {
	rows, err := tx.Query(ctx, `SELECT `+typeCols+` FROM user_types WHERE tenant_id = ? ORDER BY name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("directory: user types: %w", err)
	}
	defer rows.Close()
	var out []UserType
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("directory: user types: %w", err)
	}
	return out, nil
}
