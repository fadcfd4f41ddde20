package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/server/events"
)

// EventView is one system-log event.
type EventView struct {
	ID        string            `json:"id"`
	Time      time.Time         `json:"time"`
	Type      string            `json:"type"`
	TenantID  string            `json:"tenant_id"`
	Actor     RefView           `json:"actor"`
	Target    RefView           `json:"target"`
	Outcome   string            `json:"outcome"`
	RequestID string            `json:"request_id"`
	Details   map[string]any    `json:"details,omitempty"`
	Subject   string            `json:"subject,omitempty"`
	Personal  map[string]string `json:"personal,omitempty" doc:"Personal details, readable until the subject is erased"`
	Erased    bool              `json:"erased,omitempty"`
}

// RefView names an actor or target by opaque ID.
type RefView struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func eventView(e events.Event) EventView {
	return EventView{
		ID: e.ID, Time: e.Time, Type: e.Type, TenantID: e.TenantID,
		Actor: RefView(e.Actor), Target: RefView(e.Target), Outcome: string(e.Outcome), RequestID: e.RequestID,
		Details: e.Details, Subject: e.Subject, Personal: e.Personal, Erased: e.Erased,
	}
}

// EventQuery filters the system log.
type EventQuery struct {
	From  time.Time `query:"from" doc:"Earliest time, inclusive (RFC 3339)"`
	To    time.Time `query:"to" doc:"Latest time, exclusive (RFC 3339)"`
	Types []string  `query:"type" maxItems:"20" doc:"Event types, comma-separated; a trailing .* matches a prefix (app.*)"`
	Actor string    `query:"actor" maxLength:"64" doc:"Actor ID"`
}

func (q EventQuery) query(tenantID string, all bool, p Page) events.Query {
	return events.Query{TenantID: tenantID, AllTenants: all, From: q.From, To: q.To, Types: q.Types, ActorID: q.Actor, After: p.After, Limit: p.limit()}
}

func (a *API) registerEvents() {
	const tag = "System log"
	list := func(ctx context.Context, q events.Query) (*struct{ Body List[EventView] }, error) {
		out := &struct{ Body List[EventView] }{}
		out.Body.Items = []EventView{}
		evs, next, err := a.Events.Query(ctx, q)
		if err != nil {
			return nil, a.problem(ctx, err)
		}
		for _, e := range evs {
			out.Body.Items = append(out.Body.Items, eventView(e))
		}
		out.Body.Next = next
		return out, nil
	}
	export := func(ctx context.Context, q events.Query) (*huma.StreamResponse, error) {
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", "application/jsonl")
			hctx.SetHeader("Content-Disposition", `attachment; filename="lintel-events.jsonl"`)
			if _, err := a.Events.Export(ctx, q, hctx.BodyWriter()); err != nil {
				// Headers are sent; the truncated stream is all we can signal.
				a.Logger.ErrorContext(ctx, "mgmt: event export failed", "err", err)
			}
		}}, nil
	}
	base := Prefix + "/tenants/{tenant}/events"
	register(a, Route{ID: "list-events", Method: http.MethodGet, Path: base, Scope: ScopeEventsRead}, tag, "Query the tenant's system log, oldest first",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
			EventQuery
		}) (*struct{ Body List[EventView] }, error) {
			return list(ctx, in.EventQuery.query(principal(ctx).Target.ID, false, in.Page))
		})
	register(a, Route{ID: "export-events", Method: http.MethodGet, Path: base + "/export", Scope: ScopeEventsRead}, tag, "Export the tenant's system log as JSON Lines",
		func(ctx context.Context, in *struct {
			TenantPath
			EventQuery
		}) (*huma.StreamResponse, error) {
			return export(ctx, in.EventQuery.query(principal(ctx).Target.ID, false, Page{Limit: 1000}))
		})
	register(a, Route{ID: "list-instance-events", Method: http.MethodGet, Path: Prefix + "/events", Scope: ScopeEventsRead, Target: TargetInstance}, tag, "Query the system log of every tenant",
		func(ctx context.Context, in *struct {
			Page
			EventQuery
		}) (*struct{ Body List[EventView] }, error) {
			return list(ctx, in.EventQuery.query("", true, in.Page))
		})
}
