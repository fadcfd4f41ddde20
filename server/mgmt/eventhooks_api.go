package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/eventhooks"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// EventHookView is an event hook of a tenant. Its signing secret is shown
// only when the hook is created and when it is rotated.
type EventHookView struct {
	ID       string   `json:"id"`
	TenantID string   `json:"tenant_id"`
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Types    []string `json:"types" doc:"The event types delivered: exact types, prefixes (user.*) or *"`
	Status   string   `json:"status" enum:"unverified,active,disabled" doc:"Only active hooks get deliveries: a hook is unverified until its URL completes the handshake (POST …/verify)"`
	// The times are left out when they have not happened.
	VerifiedAt          *time.Time `json:"verified_at,omitempty" doc:"When the current URL completed the handshake"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty" doc:"After a rotation, until when the replaced secret also signs deliveries"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// EventHookSecretView is an event hook with its new signing secret: the
// answer of a creation and of a rotation, the only ones that show it.
type EventHookSecretView struct {
	EventHookView
	Secret string `json:"secret" doc:"Shown once: the signing secret (lev_…) that verifies the hook's deliveries; store it in the receiver now"`
}

// optionalTime is t, or nil when it is zero.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func eventHookView(h eventhooks.Hook) EventHookView {
	return EventHookView{ID: h.ID, TenantID: h.TenantID, Name: h.Name, URL: h.URL, Types: nonNil(h.Types), Status: string(h.Status),
		VerifiedAt: optionalTime(h.VerifiedAt), PreviousSecretUntil: optionalTime(h.PreviousSecretUntil), CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
}

// eventHookSecret is an event hook and its new secret.
type eventHookSecret struct {
	hook   eventhooks.Hook
	secret string
}

func eventHookSecretView(x eventHookSecret) EventHookSecretView {
	return EventHookSecretView{EventHookView: eventHookView(x.hook), Secret: x.secret}
}

// DeliveryView is one event's delivery to one event hook, without its
// body.
type DeliveryView struct {
	ID        string `json:"id"`
	HookID    string `json:"hook_id"`
	EventID   string `json:"event_id" doc:"The delivered event, also sent as Lintel-Event-Id"`
	EventType string `json:"event_type"`
	Status    string `json:"status" enum:"pending,delivered,dead"`
	Attempts  int    `json:"attempts" doc:"Sends tried since it was enqueued or redelivered"`
	// LastStatus is 0 when no answer came.
	LastStatus    int        `json:"last_status,omitempty" doc:"The HTTP status of the last answer"`
	LastError     string     `json:"last_error,omitempty" doc:"Why the last attempt failed"`
	CreatedAt     time.Time  `json:"created_at"`
	NextAttemptAt time.Time  `json:"next_attempt_at" doc:"When a pending delivery is due"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty" doc:"When it was delivered or died"`
}

func deliveryView(d eventhooks.Delivery) DeliveryView {
	return DeliveryView{ID: d.ID, HookID: d.HookID, EventID: d.EventID, EventType: d.EventType, Status: string(d.Status), Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt, NextAttemptAt: d.NextAttemptAt,
		DeliveredAt: optionalTime(d.DeliveredAt), FinishedAt: optionalTime(d.FinishedAt)}
}

// EventHookPath names an event hook of a tenant.
type EventHookPath struct {
	TenantPath
	Hook string `path:"hook" maxLength:"64" doc:"Event hook ID"`
}

// DeliveryPath names a delivery of a tenant's event hooks.
type DeliveryPath struct {
	TenantPath
	Delivery string `path:"delivery" maxLength:"64" doc:"Delivery ID"`
}

// eventHookBody is an event hook as written: a PUT replaces every
// setting.
type eventHookBody struct {
	Name     string   `json:"name" minLength:"1" maxLength:"100"`
	URL      string   `json:"url" minLength:"1" maxLength:"2048" doc:"Where deliveries go: https, without credentials or fragment, not a private address. Redirects are not followed. A new URL must complete the handshake again"`
	Types    []string `json:"types" minItems:"1" maxItems:"50" doc:"Event types (user.created), prefixes (user.*) or * for every type"`
	Disabled bool     `json:"disabled,omitempty" doc:"Stop deliveries without deleting the hook; enabled again, it gets what happened meanwhile"`
}

func (b eventHookBody) input() eventhooks.Input {
	return eventhooks.Input{Name: b.Name, URL: b.URL, Types: b.Types, Disabled: b.Disabled}
}

// eventHookDetails are a hook's event details: never its URL (a query may
// hold a token) nor its secret.
func eventHookDetails(h eventhooks.Hook) map[string]any {
	return map[string]any{"name": h.Name, "types": h.Types, "status": string(h.Status)}
}

// verifyFailure is why a handshake failed, for the answer and the log:
// the sentinel's text and the cause, without the prefixes that repeat
// the hook's ID.
func verifyFailure(err error) string {
	msg := err.Error()
	const pkg = "eventhooks: "
	if i := strings.LastIndex(msg, pkg); i >= 0 {
		return msg[i+len(pkg):]
	}
	return msg
}

func (a *API) registerEventHooks() {
	if a.EventHooks == nil {
		return
	}
	const tag = "Event hooks"
	base := Prefix + "/tenants/{tenant}/event-hooks"
	register(a, Route{ID: "list-event-hooks", Method: http.MethodGet, Path: base, Scope: ScopeHooksRead}, tag,
		"List the tenant's event hooks, oldest first",
		func(ctx context.Context, in *TenantPath) (*Out[List[EventHookView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]eventhooks.Hook, string, error) {
				hs, err := a.EventHooks.List(ctx, tx, principal(ctx).Target.ID)
				return hs, "", err
			}, eventHookView)
		})
	register(a, Route{ID: "create-event-hook", Method: http.MethodPost, Path: base, Scope: ScopeHooksWrite, Status: http.StatusCreated}, tag,
		"Create an event hook, unverified; its signing secret is in the answer, once. Verify it (POST …/verify) to start deliveries",
		func(ctx context.Context, in *struct {
			TenantPath
			Body eventHookBody
		}) (*Out[EventHookSecretView], error) {
			return changed(a, ctx, "event_hook.created", func(x eventHookSecret) events.Ref { return events.Ref{Type: "event_hook", ID: x.hook.ID} },
				func(ctx context.Context, tx store.Tx, ev *events.Event) (eventHookSecret, error) {
					h, secret, err := a.EventHooks.Create(ctx, tx, principal(ctx).Target.ID, in.Body.input())
					ev.Details = eventHookDetails(h)
					return eventHookSecret{h, secret}, err
				}, eventHookSecretView)
		})
	// Registered before {hook}, though the mux prefers the literal
	// segment whatever the order.
	register(a, Route{ID: "redeliver-event-delivery", Method: http.MethodPost, Path: base + "/deliveries/{delivery}/redeliver", Scope: ScopeHooksWrite}, tag,
		"Put a dead delivery back in the queue, due now, with its attempts reset",
		func(ctx context.Context, in *DeliveryPath) (*Out[DeliveryView], error) {
			var notDead error
			out, err := changed(a, ctx, "event_hook.delivery.redelivered", ref[eventhooks.Delivery]("event_delivery", in.Delivery),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (eventhooks.Delivery, error) {
					tenantID := principal(ctx).Target.ID
					err := a.EventHooks.Redeliver(ctx, tx, tenantID, in.Delivery)
					if errors.Is(err, eventhooks.ErrNotDead) {
						// A conflict, so that problem does not log it as
						// internal; the answer says more below.
						notDead = err
						return eventhooks.Delivery{}, fmt.Errorf("%w: %w", store.ErrConflict, err)
					}
					if err != nil {
						return eventhooks.Delivery{}, err
					}
					d, err := a.EventHooks.Delivery(ctx, tx, tenantID, in.Delivery)
					ev.Details = map[string]any{"hook_id": d.HookID, "event_id": d.EventID, "event_type": d.EventType}
					return d, err
				}, deliveryView)
			if notDead != nil {
				return nil, huma.Error409Conflict("only a dead delivery can be redelivered: " + strings.TrimPrefix(notDead.Error(), "eventhooks: "))
			}
			return out, err
		})
	register(a, Route{ID: "get-event-hook", Method: http.MethodGet, Path: base + "/{hook}", Scope: ScopeHooksRead}, tag,
		"Get an event hook",
		func(ctx context.Context, in *EventHookPath) (*Out[EventHookView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (eventhooks.Hook, error) {
				return a.EventHooks.Get(ctx, tx, principal(ctx).Target.ID, in.Hook)
			}, eventHookView)
		})
	register(a, Route{ID: "update-event-hook", Method: http.MethodPut, Path: base + "/{hook}", Scope: ScopeHooksWrite}, tag,
		"Replace an event hook's name, URL, types and whether it is disabled; a new URL makes it unverified until it is verified again",
		func(ctx context.Context, in *struct {
			EventHookPath
			Body eventHookBody
		}) (*Out[EventHookView], error) {
			return changed(a, ctx, "event_hook.updated", ref[eventhooks.Hook]("event_hook", in.Hook),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (eventhooks.Hook, error) {
					h, err := a.EventHooks.Update(ctx, tx, principal(ctx).Target.ID, in.Hook, in.Body.input())
					ev.Details = eventHookDetails(h)
					return h, err
				}, eventHookView)
		})
	register(a, Route{ID: "delete-event-hook", Method: http.MethodDelete, Path: base + "/{hook}", Scope: ScopeHooksWrite, Status: http.StatusNoContent}, tag,
		"Delete an event hook with its pending deliveries and dead letters",
		func(ctx context.Context, in *EventHookPath) (*struct{}, error) {
			err := a.change(ctx, "event_hook.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "event_hook", ID: in.Hook}
				h, err := a.EventHooks.Get(ctx, tx, tenantID, in.Hook)
				if err != nil {
					return err
				}
				ev.Details = map[string]any{"name": h.Name}
				return a.EventHooks.Delete(ctx, tx, tenantID, in.Hook)
			})
			return &struct{}{}, err
		})
	register(a, Route{ID: "verify-event-hook", Method: http.MethodPost, Path: base + "/{hook}/verify", Scope: ScopeHooksWrite}, tag,
		"Run the handshake with the hook's URL now; the answer is the hook, active, or a problem saying why the receiver did not verify (409 for a disabled hook, 422 naming url otherwise)",
		func(ctx context.Context, in *EventHookPath) (*Out[EventHookView], error) {
			return a.verifyEventHook(ctx, in.Hook)
		})
	register(a, Route{ID: "rotate-event-hook-secret", Method: http.MethodPost, Path: base + "/{hook}/secret/rotate", Scope: ScopeHooksWrite}, tag,
		"Give an event hook a new signing secret, in the answer once; the replaced one also signs deliveries for 24 hours",
		func(ctx context.Context, in *EventHookPath) (*Out[EventHookSecretView], error) {
			return changed(a, ctx, "event_hook.secret.rotated", ref[eventHookSecret]("event_hook", in.Hook),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (eventHookSecret, error) {
					h, secret, err := a.EventHooks.RotateSecret(ctx, tx, principal(ctx).Target.ID, in.Hook)
					return eventHookSecret{h, secret}, err
				}, eventHookSecretView)
		})
	register(a, Route{ID: "list-event-hook-dead-letters", Method: http.MethodGet, Path: base + "/{hook}/dead-letters", Scope: ScopeHooksRead}, tag,
		"List an event hook's dead deliveries (those that failed every attempt), oldest first",
		func(ctx context.Context, in *struct {
			EventHookPath
			Page
		}) (*Out[List[DeliveryView]], error) {
			out := &Out[List[DeliveryView]]{Body: List[DeliveryView]{Items: []DeliveryView{}}}
			err := a.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
				ds, next, err := a.EventHooks.DeadLetters(ctx, tx, principal(ctx).Target.ID, in.Hook, in.After, in.limit())
				for _, d := range ds {
					out.Body.Items = append(out.Body.Items, deliveryView(d))
				}
				out.Body.Next = next
				return err
			})
			switch {
			case invalid.Is(err):
				return nil, pageErr(err)
			case err != nil:
				return nil, a.problem(ctx, err)
			}
			return out, nil
		})
}

// pageErr answers a refused cursor or limit of eventhooks.DeadLetters as
// the query parameter that carried it.
func pageErr(err error) error {
	where := map[string]string{"cursor": "query.after", "limit": "query.limit"}
	var details []error
	var msgs []string
	for _, e := range invalid.All(err) {
		loc := where[e.Field]
		if loc == "" {
			loc = "query." + e.Field
		}
		details = append(details, &huma.ErrorDetail{Location: loc, Message: e.Reason})
		msgs = append(msgs, loc+": "+e.Reason)
	}
	return huma.Error422UnprocessableEntity("invalid input: "+strings.Join(msgs, "; "), details...)
}

// verifyEventHook runs the handshake outside any transaction (it waits
// on the receiver), then logs its outcome, success or failure, with the
// hook as it now is. A disabled hook is refused without a call.
func (a *API) verifyEventHook(ctx context.Context, id string) (*Out[EventHookView], error) {
	tenantID := principal(ctx).Target.ID
	verr := a.EventHooks.Verify(ctx, tenantID, id)
	switch {
	case errors.Is(verr, eventhooks.ErrDisabled):
		// Nothing was sent: nothing to log.
		return nil, huma.Error409Conflict("the hook is disabled: enable it (PUT with disabled false) before verifying it")
	case verr != nil && !errors.Is(verr, eventhooks.ErrVerification):
		return nil, a.problem(ctx, verr) // unknown (404), or the store
	}
	out, err := changed(a, ctx, "event_hook.verified", ref[eventhooks.Hook]("event_hook", id),
		func(ctx context.Context, tx store.Tx, ev *events.Event) (eventhooks.Hook, error) {
			h, err := a.EventHooks.Get(ctx, tx, tenantID, id)
			ev.Details = map[string]any{"status": string(h.Status)}
			if verr != nil {
				ev.Outcome = events.Failure
				ev.Details["reason"] = verifyFailure(verr)
			}
			return h, err
		}, eventHookView)
	switch {
	case err != nil:
		return nil, err
	case verr != nil:
		return nil, huma.Error422UnprocessableEntity("the hook's URL did not complete the handshake",
			&huma.ErrorDetail{Location: "url", Message: verifyFailure(verr)})
	}
	return out, nil
}
