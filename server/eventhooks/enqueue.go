package eventhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// Enqueue paging: events read per transaction, and pages per hook per
// call (so that one hook's backlog does not hold up the others; the next
// call resumes at the cursor).
const (
	enqueuePage     = 500
	maxEnqueuePages = 10
)

// timeLayout is RFC 3339 in UTC with microseconds, the precision the log
// keeps (as its export writes times).
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Payload is the JSON body of a delivery. Field names and order are the
// format receivers parse (docs/event-hooks.md): the event's pseudonymous
// part only, never its subject or personal details.
type Payload struct {
	// ID is the event's ID ("evt_…"), also in the Lintel-Event-Id header.
	ID string `json:"id"`
	// Type is the event's type ("user.created").
	Type string `json:"type"`
	// Time is when it happened, RFC 3339 in UTC with microseconds.
	Time     string `json:"time"`
	TenantID string `json:"tenant_id"`
	// Actor and Target name who did it and to what, by opaque ID.
	Actor  Ref `json:"actor"`
	Target Ref `json:"target"`
	// Outcome is success, failure or denied.
	Outcome string `json:"outcome"`
	// Details are the event's non-personal facts; null when none.
	Details map[string]any `json:"details"`
}

// Ref is an actor or target of a Payload.
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// payloadOf encodes the body delivered for e.
func payloadOf(e events.Event) ([]byte, error) {
	p := Payload{ID: e.ID, Type: e.Type, Time: e.Time.UTC().Format(timeLayout), TenantID: e.TenantID,
		Actor: Ref(e.Actor), Target: Ref(e.Target), Outcome: string(e.Outcome)}
	if len(e.Details) > 0 {
		p.Details = e.Details
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// errCursorMoved rolls back a page whose hook changed under it: another
// Enqueue moved its cursor first, or it stopped being active.
var errCursorMoved = errors.New("cursor moved")

// Enqueue reads the log for every active hook and adds a delivery for
// each new event of the hook's tenant that its types select, due at once,
// and reports how many it added.
//
// For each hook it reads events after the hook's cursor (after its
// creation for a new hook) that are older than Options.Settle, and in one
// transaction per page inserts their deliveries and moves the cursor to
// the last event read. An event gets at most one delivery per hook,
// however many Enqueue calls (on any node) read it, and a crash between
// pages only makes the next call read the last page again. Events whose
// transaction commits more than Settle after their time are missed if a
// later event was read before they appeared; Settle is well above how
// long Lintel's transactions take.
//
// Errors of one hook do not stop the others; they are joined.
func (s *Service) Enqueue(ctx context.Context) (int, error) {
	var hooks []Hook
	err := s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+hookCols+` FROM event_hooks WHERE status = ? ORDER BY id`, string(Active))
		hooks, err = store.Collect(rows, err, scanHook)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("eventhooks: enqueue: %w", err)
	}
	total := 0
	var errs []error
	for _, h := range hooks {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		n, err := s.enqueueHook(ctx, h)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("eventhooks: enqueue for %s: %w", h.ID, err))
		}
	}
	return total, errors.Join(errs...)
}

// newDelivery is a delivery about to be inserted.
type newDelivery struct {
	eventID, eventType string
	payload            []byte
}

// enqueueHook enqueues the new events of one hook, page by page.
func (s *Service) enqueueHook(ctx context.Context, h Hook) (int, error) {
	to := s.clk.Now().Add(-s.opts.Settle)
	total := 0
	for range maxEnqueuePages {
		q := events.Query{TenantID: h.TenantID, Types: queryPatterns(h.Types), After: h.Cursor, To: to, Limit: enqueuePage}
		if h.Cursor == "" {
			q.From = h.CreatedAt
			if !to.After(q.From) {
				return total, nil
			}
		}
		page, _, err := s.log.Query(ctx, q)
		if err != nil || len(page) == 0 {
			return total, err
		}
		var batch []newDelivery
		for _, e := range page {
			// The query selects by tenant and type already; both are
			// checked again because a delivery to the wrong tenant would
			// be a leak, not a bug.
			if e.TenantID != h.TenantID || !matches(h.Types, e.Type) {
				continue
			}
			body, err := payloadOf(e)
			if err != nil {
				return total, err
			}
			batch = append(batch, newDelivery{eventID: e.ID, eventType: e.Type, payload: body})
		}
		last := page[len(page)-1].ID
		n, err := s.insertPage(ctx, h, last, batch)
		if errors.Is(err, errCursorMoved) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		total += n
		h.Cursor = last
		if len(page) < enqueuePage {
			return total, nil
		}
	}
	return total, nil
}

// insertPage moves h's cursor from h.Cursor to last and inserts batch, in
// one transaction, and reports how many deliveries were new.
func (s *Service) insertPage(ctx context.Context, h Hook, last string, batch []newDelivery) (int, error) {
	var n int
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		n = 0 // fn may run again after contention
		// Moving the cursor first, only from where this page began, makes
		// concurrent Enqueues of one hook take turns: the second finds the
		// cursor moved and leaves the page to the first.
		moved, err := tx.Exec(ctx, `UPDATE event_hooks SET cursor = ? WHERE id = ? AND cursor = ? AND status = ?`,
			last, h.ID, h.Cursor, string(Active))
		if err != nil {
			return err
		}
		if moved == 0 {
			return errCursorMoved
		}
		now := s.now()
		for _, d := range batch {
			k, err := tx.Exec(ctx, `INSERT INTO event_deliveries (id, tenant_id, hook_id, event_id, event_type, payload,
				status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
				ON CONFLICT (hook_id, event_id) DO NOTHING`,
				ident.New(DeliveryIDPrefix, now), h.TenantID, h.ID, d.eventID, d.eventType, d.payload,
				string(Pending), now, now)
			if err != nil {
				return fmt.Errorf("delivery of %s: %w", d.eventID, err)
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}
