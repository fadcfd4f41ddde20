package events

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// exportTimeLayout is RFC 3339 in UTC with exactly six fractional digits,
// the precision the store keeps.
const exportTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// exportLine is one line of an export. Field names and order are part of
// the export format: tools outside Lintel parse them.
type exportLine struct {
	ID        string            `json:"id"`
	Time      string            `json:"time"`
	Type      string            `json:"type"`
	TenantID  string            `json:"tenant_id"`
	Actor     exportRef         `json:"actor"`
	Target    exportRef         `json:"target"`
	Outcome   Outcome           `json:"outcome"`
	RequestID string            `json:"request_id"`
	Details   map[string]any    `json:"details"`
	Subject   string            `json:"subject"`
	Personal  map[string]string `json:"personal"`
	Erased    bool              `json:"erased"`
}

type exportRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Export writes every event q selects, starting after q.After, to w as
// JSON Lines: one object per line with the fields id, time (RFC 3339 in
// UTC with microseconds), type, tenant_id, actor {type, id}, target
// {type, id}, outcome, request_id, details, subject, personal and erased.
// Details and personal are null when empty; personal is null and erased
// true for an erased subject.
//
// It pages through the store, one read transaction per page of q.Limit
// events (MaxLimit when zero), holding no transaction while it writes, and
// returns how many events it wrote. The output holds personal data: it is
// for the tenant's own use, not for logs.
func (l *Log) Export(ctx context.Context, q Query, w io.Writer) (int, error) {
	if q.Limit == 0 {
		q.Limit = MaxLimit
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for {
		page, next, err := l.Query(ctx, q)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			if err := enc.Encode(toExportLine(e)); err != nil {
				return n, fmt.Errorf("events: export: %w", err)
			}
			n++
		}
		if next == "" {
			return n, nil
		}
		q.After = next
	}
}

func toExportLine(e Event) exportLine {
	l := exportLine{
		ID:        e.ID,
		Time:      e.Time.UTC().Format(exportTimeLayout),
		Type:      e.Type,
		TenantID:  e.TenantID,
		Actor:     exportRef(e.Actor),
		Target:    exportRef(e.Target),
		Outcome:   e.Outcome,
		RequestID: e.RequestID,
		Subject:   e.Subject,
		Erased:    e.Erased,
	}
	if len(e.Details) > 0 {
		l.Details = e.Details
	}
	if len(e.Personal) > 0 {
		l.Personal = e.Personal
	}
	return l
}
