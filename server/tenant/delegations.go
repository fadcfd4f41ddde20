package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Delegation lets the admins of a parent tenant administer one child. It
// reaches the child's own children only when Transitive is set and the
// child has delegated to them in turn.
type Delegation struct {
	ParentID, ChildID string
	Transitive        bool
	CreatedAt         time.Time
}

const delegationCols = `parent_id, child_id, transitive, created_at`

func scanDelegation(r scanner) (Delegation, error) {
	var d Delegation
	err := r.Scan(&d.ParentID, &d.ChildID, &d.Transitive, &d.CreatedAt)
	return d, err
}

// Grant lets parentID administer childID, which must be its direct child,
// or changes whether an existing delegation is transitive.
func (s *Service) Grant(ctx context.Context, tx store.Tx, parentID, childID string, transitive bool) (Delegation, error) {
	child, err := s.Tenant(ctx, tx, childID)
	if err != nil {
		return Delegation{}, err
	}
	if child.ParentID == "" || child.ParentID != parentID {
		return Delegation{}, invalid.Field("parent_id", "only the direct parent of tenant %q can be granted a delegation over it", child.ID)
	}
	_, err = tx.Exec(ctx, `INSERT INTO tenant_delegations (`+delegationCols+`) VALUES (?, ?, ?, ?)
		ON CONFLICT (parent_id, child_id) DO UPDATE SET transitive = excluded.transitive`,
		parentID, child.ID, transitive, s.now())
	if err != nil {
		return Delegation{}, err
	}
	return s.Delegation(ctx, tx, parentID, child.ID)
}

// Revoke removes the delegation of parentID over childID. Administers
// sees the change on its next call. A missing delegation is ErrNotFound.
func (s *Service) Revoke(ctx context.Context, tx store.Tx, parentID, childID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM tenant_delegations WHERE parent_id = ? AND child_id = ?`, parentID, childID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("delegation", parentID+"→"+childID)
	}
	return nil
}

// Delegation returns the delegation of parentID over childID.
func (s *Service) Delegation(ctx context.Context, tx store.Tx, parentID, childID string) (Delegation, error) {
	d, err := scanDelegation(tx.QueryRow(ctx, `SELECT `+delegationCols+` FROM tenant_delegations
		WHERE parent_id = ? AND child_id = ?`, parentID, childID))
	if errors.Is(err, store.ErrNotFound) {
		return Delegation{}, notFound("delegation", parentID+"→"+childID)
	}
	return d, err
}

// Administers reports whether the admins of tenant adminID may administer
// tenant targetID: when they are the same existing tenant; or when adminID
// is an ancestor of targetID and every delegation on the path from adminID
// down to targetID exists, all but the last one transitive. It reads the
// store on every call, so a revocation takes effect on the next request.
// Unknown tenants are administered by no one.
func (s *Service) Administers(ctx context.Context, tx store.Tx, adminID, targetID string) (bool, error) {
	cur, last := targetID, true
	for range maxWalk {
		var parent sql.NullString
		var transitive sql.NullBool
		err := tx.QueryRow(ctx, `SELECT t.parent_id, d.transitive FROM tenants t
			LEFT JOIN tenant_delegations d ON d.parent_id = t.parent_id AND d.child_id = t.id
			WHERE t.id = ?`, cur).Scan(&parent, &transitive)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("tenant: administers: %w", err)
		case cur == adminID:
			return true, nil // only reached when admin == target
		case !parent.Valid || !transitive.Valid:
			return false, nil // top of the tree, or no delegation on this step
		case !last && !transitive.Bool:
			return false, nil // the delegation stops at its own child
		case parent.String == adminID:
			return true, nil
		}
		cur, last = parent.String, false
	}
	return false, nil
}

// maxWalk bounds the walk up the tree, beyond any configured depth.
const maxWalk = 64
