package eventhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Page sizes of DeadLetters.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Delivery is the state of one event's delivery to one hook, without its
// body.
type Delivery struct {
	ID, TenantID, HookID, EventID, EventType string
	Status                                   DeliveryStatus
	// Attempts is how many sends were tried (since the last Redeliver).
	Attempts int
	// LastStatus is the HTTP status of the last answer, 0 when none came;
	// LastError summarises the last failure ("answered HTTP 503", "no
	// answer within 10s").
	LastStatus int
	LastError  string
	// CreatedAt is when it was enqueued; NextAttemptAt when a pending one
	// is due.
	CreatedAt, NextAttemptAt time.Time
	// DeliveredAt is set once delivered; FinishedAt once delivered or
	// dead.
	DeliveredAt, FinishedAt time.Time
}

const deliveryCols = `id, tenant_id, hook_id, event_id, event_type, status, attempts, last_status, last_error,
	created_at, next_attempt_at, delivered_at, finished_at`

// scanDelivery reads the deliveryCols of a row.
func scanDelivery(r store.Scanner) (Delivery, error) {
	var d Delivery
	var status string
	var delivered, finished sql.NullTime
	err := r.Scan(&d.ID, &d.TenantID, &d.HookID, &d.EventID, &d.EventType, &status, &d.Attempts, &d.LastStatus,
		&d.LastError, &d.CreatedAt, &d.NextAttemptAt, &delivered, &finished)
	d.Status, d.DeliveredAt, d.FinishedAt = DeliveryStatus(status), delivered.Time, finished.Time
	return d, err
}

// Delivery returns a delivery of a tenant; one of another tenant, or
// purged, is ErrNotFound.
func (s *Service) Delivery(ctx context.Context, tx store.Tx, tenantID, deliveryID string) (Delivery, error) {
	d, err := scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryCols+` FROM event_deliveries WHERE id = ? AND tenant_id = ?`,
		deliveryID, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Delivery{}, notFound("delivery", deliveryID)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("eventhooks: delivery %s: %w", deliveryID, err)
	}
	return d, nil
}

// DeadLetters returns one page of a tenant's dead deliveries, oldest
// first, those of one hook or, with hookID "", of all its hooks, and the
// cursor of the next page ("" after the last). cursor is "" or the ID of
// the last delivery of the previous page; limit is DefaultLimit when
// zero, at most MaxLimit. Bad input is *invalid.Error naming "cursor" or
// "limit"; an unknown hook is ErrNotFound.
//
// Dead letters stay until Purge removes finished deliveries.
func (s *Service) DeadLetters(ctx context.Context, tx store.Tx, tenantID, hookID, cursor string, limit int) ([]Delivery, string, error) {
	var errs []error
	if cursor != "" && !ident.Valid(DeliveryIDPrefix, cursor) {
		errs = append(errs, invalid.Field("cursor", "must be the ID of a delivery"))
	}
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		errs = append(errs, invalid.Field("limit", "must be between 1 and %d", MaxLimit))
	}
	if len(errs) > 0 {
		return nil, "", errors.Join(errs...)
	}
	query := `SELECT ` + deliveryCols + ` FROM event_deliveries WHERE tenant_id = ? AND status = ? AND id > ?`
	args := []any{tenantID, string(Dead), cursor}
	if hookID != "" {
		if _, err := s.Get(ctx, tx, tenantID, hookID); err != nil {
			return nil, "", err
		}
		query += ` AND hook_id = ?`
		args = append(args, hookID)
	}
	rows, err := tx.Query(ctx, query+` ORDER BY id LIMIT ?`, append(args, limit+1)...)
	out, err := store.Collect(rows, err, scanDelivery)
	if err != nil {
		return nil, "", fmt.Errorf("eventhooks: dead letters: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// Redeliver puts a dead delivery of a tenant back in the queue, due at
// once with its attempts reset: it gets MaxAttempts more tries. Its last
// error stays until the next attempt. A delivery that is not dead is
// ErrNotDead; an unknown one ErrNotFound.
func (s *Service) Redeliver(ctx context.Context, tx store.Tx, tenantID, deliveryID string) error {
	now := s.now()
	n, err := tx.Exec(ctx, `UPDATE event_deliveries SET status = ?, attempts = 0, next_attempt_at = ?, finished_at = NULL,
		claim_id = '', locked_until = NULL WHERE id = ? AND tenant_id = ? AND status = ?`,
		string(Pending), now, deliveryID, tenantID, string(Dead))
	if err != nil {
		return fmt.Errorf("eventhooks: redeliver %s: %w", deliveryID, err)
	}
	if n > 0 {
		return nil
	}
	d, err := s.Delivery(ctx, tx, tenantID, deliveryID)
	if err != nil {
		return err
	}
	return fmt.Errorf("eventhooks: redeliver %s: %w (it is %s)", deliveryID, ErrNotDead, d.Status)
}

// Purge deletes delivered and dead deliveries that finished before
// before, in transactions of at most 1000 rows, and reports how many it
// deleted. Pending deliveries are never purged.
func (s *Service) Purge(ctx context.Context, before time.Time) (int64, error) {
	n, err := deliveryQueue.Purge(ctx, s.st, before)
	if err != nil {
		return n, fmt.Errorf("eventhooks: %w", err)
	}
	return n, nil
}
