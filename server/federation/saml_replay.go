package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// maxSAMLAssertionID bounds an assertion ID kept in the replay cache
// (xs:ID values are short in practice: 40 to 60 characters).
const maxSAMLAssertionID = 256

// recordSAMLAssertion records an accepted assertion's ID in the replay
// cache, shared by every node through the database, until expires. An ID
// already recorded for the tenant and identity provider is a replay
// (ErrInvalid). The row is written in tx, so a sign-in that fails later
// in the same transaction leaves the assertion usable.
func (s *Service) recordSAMLAssertion(ctx context.Context, tx store.Tx, tenantID, idpID, id string, expires time.Time) error {
	if id == "" || len(id) > maxSAMLAssertionID {
		return fmt.Errorf("%w: saml assertion ID missing or longer than %d bytes", ErrInvalid, maxSAMLAssertionID)
	}
	// A concurrent insert of the same ID on another node makes one of the
	// two transactions fail for contention; the store runs it again, and
	// it then finds the row.
	n, err := tx.Exec(ctx, `INSERT INTO saml_assertions_seen (tenant_id, idp_id, assertion_id, expires_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, idp_id, assertion_id) DO NOTHING`, tenantID, idpID, id, expires)
	if err != nil {
		return fmt.Errorf("federation: record saml assertion: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %w: %q", ErrInvalid, errSAMLReplayed, id)
	}
	return nil
}

// PurgeSAMLReplays deletes the replay-cache rows of assertions that
// expired before before, and reports how many went. An expired assertion
// is refused by its time window, so its row is no longer needed; pass the
// current time. It is idempotent: every node may run it.
func (s *Service) PurgeSAMLReplays(ctx context.Context, tx store.Tx, before time.Time) (int, error) {
	n, err := tx.Exec(ctx, `DELETE FROM saml_assertions_seen WHERE expires_at < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("federation: purge saml replays: %w", err)
	}
	return int(n), nil
}
