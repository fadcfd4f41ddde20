package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Page sizes of Query.
const (
	// DefaultLimit is the page size when Query.Limit is zero.
	DefaultLimit = 100
	// MaxLimit is the largest page size Query accepts.
	MaxLimit = 1000
	// maxTypes bounds the patterns of one query.
	maxTypes = 32
)

// Query selects events. The zero value selects nothing useful: TenantID
// or AllTenants must be set.
type Query struct {
	// TenantID selects the events of one tenant; required unless
	// AllTenants is set.
	TenantID string
	// AllTenants selects the events of every tenant and the instance-wide
	// ones (for instance admins); TenantID must then be empty.
	AllTenants bool
	// From and To bound the event time to [From, To); a zero time leaves
	// that side unbounded.
	From, To time.Time
	// Types are exact event types ("app.created") or prefixes ending in
	// ".*" ("app.*" matches "app.created" and "app.secret.rotated", not
	// "application.created"); an event matching any of them is selected.
	// Empty selects every type.
	Types []string
	// ActorID selects the events of one actor.
	ActorID string
	// After is the cursor: the ID of the last event of the previous page.
	After string
	// Limit is the page size: DefaultLimit when zero, at most MaxLimit.
	Limit int
}

// Query returns one page of the events q selects, oldest first (by ID,
// which begins with the event time in milliseconds), and the cursor of the
// next page, "" after the last. Pages never overlap and, for a log that is
// not being written, leave no gaps. Events appended while a reader pages
// come after its cursor, unless they carry an earlier time than the last
// event read (a Time given in the past, another node's clock running
// behind, or a transaction committing long after it stamped its event).
//
// Personal details are opened when the subject's key exists; for an
// erased subject they are nil and Erased is set. Details that do not open
// under an existing key return an error wrapping ErrUnreadable. Bad input
// returns errors from internal/invalid naming each field, joined.
func (l *Log) Query(ctx context.Context, q Query) ([]Event, string, error) {
	limit, where, args, err := q.compile()
	if err != nil {
		return nil, "", err
	}
	args = append(args, limit+1)
	var out []Event
	err = l.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		rows, err := scanEvents(ctx, tx, `SELECT id, occurred_at, type, tenant_id, actor_type, actor_id,
			target_type, target_id, outcome, request_id, details, subject_id, personal
			FROM events`+where+` ORDER BY id LIMIT ?`, args...)
		if err != nil {
			return err
		}
		out, err = l.openPage(ctx, tx, rows)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("events: query: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// compile validates q and returns the page size, the WHERE clause (with a
// leading space, or "") and its arguments.
func (q Query) compile() (limit int, where string, args []any, err error) {
	var errs []error
	var conds []string
	switch {
	case q.AllTenants && q.TenantID != "":
		errs = append(errs, invalid.Field("tenant_id", "must be empty when all_tenants is set"))
	case !q.AllTenants && q.TenantID == "":
		errs = append(errs, invalid.Field("tenant_id", "must be set unless all_tenants is"))
	case !q.AllTenants:
		conds, args = append(conds, "tenant_id = ?"), append(args, q.TenantID)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "occurred_at >= ?"), append(args, q.From)
	}
	if !q.To.IsZero() {
		if !q.From.IsZero() && !q.To.After(q.From) {
			errs = append(errs, invalid.Field("to", "must be after from"))
		}
		conds, args = append(conds, "occurred_at < ?"), append(args, q.To)
	}
	if len(q.Types) > 0 {
		exact, prefixes, err := parseTypes(q.Types)
		if err != nil {
			errs = append(errs, err)
		}
		var alts []string
		if len(exact) > 0 {
			alts = append(alts, "type IN (?"+strings.Repeat(", ?", len(exact)-1)+")")
			for _, t := range exact {
				args = append(args, t)
			}
		}
		for _, p := range prefixes {
			// Types are validated lowercase, so SQLite's case-insensitive
			// LIKE and PostgreSQL's case-sensitive one agree.
			alts, args = append(alts, "type LIKE ? ESCAPE '!'"), append(args, likePrefix(p))
		}
		if len(alts) > 0 {
			conds = append(conds, "("+strings.Join(alts, " OR ")+")")
		}
	}
	if q.ActorID != "" {
		conds, args = append(conds, "actor_id = ?"), append(args, q.ActorID)
	}
	if q.After != "" {
		if !ident.Valid(IDPrefix, q.After) {
			errs = append(errs, invalid.Field("after", "must be the ID of an event"))
		}
		conds, args = append(conds, "id > ?"), append(args, q.After)
	}
	switch {
	case q.Limit == 0:
		limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		errs = append(errs, invalid.Field("limit", "must be between 1 and %d", MaxLimit))
	default:
		limit = q.Limit
	}
	if len(errs) > 0 {
		return 0, "", nil, errors.Join(errs...)
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return limit, where, args, nil
}

// parseTypes splits type patterns into exact types and prefixes (with
// their trailing dot: "app." for "app.*"). Errors name the field
// "types[i]" and are joined.
func parseTypes(types []string) (exact, prefixes []string, err error) {
	if len(types) > maxTypes {
		return nil, nil, invalid.Field("types", "must hold at most %d patterns", maxTypes)
	}
	var errs []error
	for i, t := range types {
		field := fmt.Sprintf("types[%d]", i)
		if len(t) > maxTypeLen {
			errs = append(errs, invalid.Field(field, "must be at most %d bytes", maxTypeLen))
			continue
		}
		if p, ok := strings.CutSuffix(t, ".*"); ok {
			if _, ok := dottedWords(p); !ok {
				errs = append(errs, invalid.Field(field, `must be an event type or a prefix of one followed by ".*", like "app.*"`))
				continue
			}
			prefixes = append(prefixes, p+".")
			continue
		}
		if reason := typeProblem(t); reason != "" {
			errs = append(errs, invalid.Field(field, `must be an event type or a prefix of one followed by ".*": %s`, reason))
			continue
		}
		exact = append(exact, t)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return exact, prefixes, nil
}

// likePrefix is a LIKE pattern (escape character '!') matching strings
// that start with p.
func likePrefix(p string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(p) + "%"
}

// storedEvent is an event as read, its personal details still sealed.
type storedEvent struct {
	Event
	sealed []byte
}

// scanEvents runs a query of event rows and reads them all. Rows are
// closed before it returns, so the transaction can run the next query.
func scanEvents(ctx context.Context, tx store.Tx, query string, args ...any) ([]storedEvent, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		var outcome string
		var details []byte
		if err := rows.Scan(&e.ID, &e.Time, &e.Type, &e.TenantID, &e.Actor.Type, &e.Actor.ID,
			&e.Target.Type, &e.Target.ID, &outcome, &e.RequestID, &details, &e.Subject, &e.sealed); err != nil {
			return nil, err
		}
		e.Outcome = Outcome(outcome)
		if len(details) > 0 {
			if err := json.Unmarshal(details, &e.Details); err != nil {
				return nil, fmt.Errorf("event %s: details: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}
