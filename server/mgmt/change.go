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
			Actor:     p.Actor(),
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

// Out is an answer with a JSON body.
type Out[V any] struct{ Body V }

// listed runs a list query in a read-only transaction and shows its items.
func listed[T, V any](a *API, ctx context.Context, list func(ctx context.Context, tx store.Tx) ([]T, string, error), view func(T) V) (*Out[List[V]], error) {
	out := &Out[List[V]]{Body: List[V]{Items: []V{}}}
	err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
		items, next, err := list(ctx, tx)
		for _, x := range items {
			out.Body.Items = append(out.Body.Items, view(x))
		}
		out.Body.Next = next
		return err
	})
	return out, err
}

// fetched reads one record in a read-only transaction and shows it.
func fetched[T, V any](a *API, ctx context.Context, get func(ctx context.Context, tx store.Tx) (T, error), view func(T) V) (*Out[V], error) {
	var x T
	err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		x, err = get(ctx, tx)
		return err
	})
	return &Out[V]{Body: view(x)}, err
}

// changed writes one record with its system-log event (see change) and
// shows the result. target names the record for the event; for creations
// it is known only after the write, so it gets the written record.
func changed[T, V any](a *API, ctx context.Context, typ string, target func(T) events.Ref, write func(ctx context.Context, tx store.Tx, ev *events.Event) (T, error), view func(T) V) (*Out[V], error) {
	var x T
	err := a.change(ctx, typ, func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		var err error
		x, err = write(ctx, tx, ev)
		ev.Target = target(x)
		return err
	})
	return &Out[V]{Body: view(x)}, err
}

// deleted removes one record with its system-log event.
func deleted(a *API, ctx context.Context, typ string, target events.Ref, del func(ctx context.Context, tx store.Tx) error) (*struct{}, error) {
	err := a.change(ctx, typ, func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		ev.Target = target
		return del(ctx, tx)
	})
	return &struct{}{}, err
}

// ref returns a target naming a fixed record, whatever was written.
func ref[T any](typ, id string) func(T) events.Ref {
	return func(T) events.Ref { return events.Ref{Type: typ, ID: id} }
}
