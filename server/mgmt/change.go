package mgmt

import (
	"context"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// change runs fn in one transaction with the system-log event describing
// it, so that a change and its event commit or roll back together. fn
// fills the event's target and details.
func (a *API) change(ctx context.Context, typ string, fn func(ctx context.Context, tx store.Tx, ev *events.Event) error) error {
	p := principal(ctx)
	err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		ev := events.Event{
			Type:      typ,
			TenantID:  p.Target.ID,
			Actor:     events.Ref{Type: "mgmt_token", ID: p.Token.ID},
			Outcome:   events.Success,
			RequestID: requestid.From(ctx),
		}
		if err := fn(ctx, tx, &ev); err != nil {
			return err
		}
		_, err := a.Events.Append(ctx, tx, ev)
		return err
	})
	if err != nil {
		return a.problem(ctx, err)
	}
	return nil
}

// read runs fn in a read-only transaction and maps its error.
func (a *API) read(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := a.Store.View(ctx, fn); err != nil {
		return a.problem(ctx, err)
	}
	return nil
}
