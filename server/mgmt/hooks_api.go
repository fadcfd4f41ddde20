package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/hooks"
	"github.com/lintel-id/lintel/server/store"
)

// maxHookBody lifts the body limit of inline hook writes: a WASM module
// of hooks.MaxModuleSize bytes is a third longer in base64, and the other
// fields fit in the rest.
const maxHookBody = (hooks.MaxModuleSize+2)/3*4 + 64<<10

// hookBodyTimeout is how long reading such a body may take: 22 MB at a
// few megabits a second, within the server's whole-request read timeout.
const hookBodyTimeout = 30 * time.Second

// HookView is an inline hook of a tenant. Its signing secret is shown
// only when the hook is created and when it is rotated; its module only
// by its hash.
type HookView struct {
	ID            string `json:"id"`
	TenantID      string `json:"tenant_id"`
	Name          string `json:"name"`
	Point         string `json:"point" enum:"token,registration,post-verification,password-import,user-import,unknown-user,telephony,risk"`
	Runtime       string `json:"runtime" enum:"http,wasm"`
	URL           string `json:"url,omitempty" doc:"HTTP hooks: where the request is POSTed"`
	ModuleSHA256  string `json:"module_sha256,omitempty" doc:"WASM hooks: the lowercase hex SHA-256 of the module"`
	TimeoutMS     int64  `json:"timeout_ms" doc:"How long one call may take, in milliseconds"`
	FailurePolicy string `json:"failure_policy" enum:"deny,continue"`
	Enabled       bool   `json:"enabled"`
	Priority      int    `json:"priority" doc:"The hooks of a point run lowest first"`
	// PreviousSecretUntil is left out before the first rotation.
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty" doc:"After a rotation, until when the replaced secret also signs requests"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// HookSecretView is an inline hook with its new signing secret: the
// answer of a creation and of a rotation, the only ones that show it.
type HookSecretView struct {
	HookView
	Secret string `json:"secret,omitempty" doc:"Shown once: the signing secret (lhk_…) that verifies the hook's requests; store it in the receiver now. WASM hooks have none"`
}

func hookView(h hooks.Hook) HookView {
	v := HookView{ID: h.ID, TenantID: h.TenantID, Name: h.Name, Point: string(h.Point), Runtime: string(h.Runtime), URL: h.URL,
		ModuleSHA256: h.ModuleSHA256, TimeoutMS: h.Timeout.Milliseconds(), FailurePolicy: string(h.FailurePolicy), Enabled: h.Enabled,
		Priority: h.Priority, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
	if !h.PreviousSecretUntil.IsZero() {
		t := h.PreviousSecretUntil
		v.PreviousSecretUntil = &t
	}
	return v
}

// hookSecret is a hook and its new secret ("" for WASM hooks).
type hookSecret struct {
	hook   hooks.Hook
	secret string
}

func hookSecretView(x hookSecret) HookSecretView {
	return HookSecretView{HookView: hookView(x.hook), Secret: x.secret}
}

// HookPath names an inline hook of a tenant.
type HookPath struct {
	TenantPath
	Hook string `path:"hook" maxLength:"64" doc:"Inline hook ID"`
}

// hookBody is an inline hook as written: a PUT replaces every setting,
// so a field left out gets its default (the module excepted).
type hookBody struct {
	Name    string `json:"name" minLength:"1" maxLength:"100" doc:"Unique in the tenant"`
	Point   string `json:"point" enum:"token,registration,post-verification,password-import,user-import,unknown-user,telephony,risk" doc:"Where the hook runs; a point holds at most 10 hooks"`
	Runtime string `json:"runtime" enum:"http,wasm" doc:"How the hook runs: POSTed to url, or the uploaded module run in Lintel's sandbox. It cannot change"`
	URL     string `json:"url,omitempty" maxLength:"2048" doc:"HTTP hooks: the endpoint, https, without user information or fragment"`
	// Module is nil when left out: an update then keeps the stored one.
	Module        []byte `json:"module,omitempty" doc:"WASM hooks: the module, base64, at most 16 MiB, checked when uploaded. Required on create; left out of an update, the stored module stays"`
	TimeoutMS     int    `json:"timeout_ms,omitempty" minimum:"0" maximum:"10000" doc:"How long one call may take, in milliseconds (0 or left out: 3000)"`
	FailurePolicy string `json:"failure_policy,omitempty" enum:"deny,continue" doc:"What a failed call means: deny (the default) refuses what the point guards; continue ignores the hook"`
	Enabled       bool   `json:"enabled" doc:"Only enabled hooks run"`
	Priority      int    `json:"priority,omitempty" minimum:"0" maximum:"1000000" doc:"The hooks of a point run lowest first (then by ID)"`
}

func (b hookBody) input() hooks.HookInput {
	return hooks.HookInput{Name: b.Name, Point: hooks.Point(b.Point), Runtime: hooks.Runtime(b.Runtime), URL: b.URL, Module: b.Module,
		Timeout: time.Duration(b.TimeoutMS) * time.Millisecond, FailurePolicy: hooks.FailurePolicy(b.FailurePolicy), Enabled: b.Enabled,
		Priority: b.Priority}
}

// hookDetails are a hook's event details: what it is, never its URL (a
// query may hold a token), secret or module.
func hookDetails(h hooks.Hook) map[string]any {
	d := map[string]any{"name": h.Name, "point": string(h.Point), "runtime": string(h.Runtime), "enabled": h.Enabled,
		"failure_policy": string(h.FailurePolicy), "priority": h.Priority}
	if h.ModuleSHA256 != "" {
		d["module_sha256"] = h.ModuleSHA256
	}
	return d
}

func hookRef(x hookSecret) events.Ref { return events.Ref{Type: "hook", ID: x.hook.ID} }

// hookErr names the refusals of server/hooks as the body does: the
// timeout is timeout_ms, a rotation's overlap overlap_seconds.
func hookErr(err error) error {
	return renameFields(err, map[string]string{"timeout": "timeout_ms", "overlap": "overlap_seconds"})
}

// renameFields rewrites the fields of err's *invalid.Error by names,
// keeping a conflict a conflict; an err naming none of them is returned
// as it is.
func renameFields(err error, names map[string]string) error {
	all := invalid.All(err)
	if !slices.ContainsFunc(all, func(e *invalid.Error) bool { _, ok := names[e.Field]; return ok }) {
		return err
	}
	out := make([]error, 0, len(all))
	for _, e := range all {
		f := e.Field
		if n, ok := names[f]; ok {
			f = n
		}
		out = append(out, &invalid.Error{Field: f, Reason: e.Reason})
	}
	joined := errors.Join(out...)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", store.ErrConflict, joined)
	}
	return joined
}

// hookRotateBody is the optional body of a rotation.
type hookRotateBody struct {
	OverlapSeconds int `json:"overlap_seconds,omitempty" minimum:"0" maximum:"604800" doc:"How long the replaced secret also signs requests, so the receiver can switch (0 or left out: 24 hours; at most 7 days)"`
}

func (a *API) registerHooks() {
	if a.Hooks == nil {
		return
	}
	const tag = "Inline hooks"
	base := Prefix + "/tenants/{tenant}/hooks"
	register(a, Route{ID: "list-hooks", Method: http.MethodGet, Path: base, Scope: ScopeHooksRead}, tag,
		"List the tenant's inline hooks by point, in the order they run",
		func(ctx context.Context, in *TenantPath) (*Out[List[HookView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]hooks.Hook, string, error) {
				hs, err := a.Hooks.Hooks(ctx, tx, principal(ctx).Target.ID)
				return hs, "", err
			}, hookView)
		})
	// The body may hold a module of megabytes: error answers must not
	// echo it (Secret), and reading it may take longer than usual.
	register(a, Route{ID: "create-hook", Method: http.MethodPost, Path: base, Scope: ScopeHooksWrite, Status: http.StatusCreated, Secret: true,
		MaxBody: maxHookBody, BodyTimeout: hookBodyTimeout}, tag,
		"Create an inline hook; an HTTP hook's signing secret is in the answer, once",
		func(ctx context.Context, in *struct {
			TenantPath
			Body hookBody
		}) (*Out[HookSecretView], error) {
			return changed(a, ctx, "hook.created", hookRef, func(ctx context.Context, tx store.Tx, ev *events.Event) (hookSecret, error) {
				h, secret, err := a.Hooks.CreateHook(ctx, tx, principal(ctx).Target.ID, in.Body.input())
				if err != nil {
					return hookSecret{}, hookErr(err)
				}
				ev.Details = hookDetails(h)
				return hookSecret{h, secret}, nil
			}, hookSecretView)
		})
	register(a, Route{ID: "get-hook", Method: http.MethodGet, Path: base + "/{hook}", Scope: ScopeHooksRead}, tag,
		"Get an inline hook",
		func(ctx context.Context, in *HookPath) (*Out[HookView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (hooks.Hook, error) {
				return a.Hooks.Hook(ctx, tx, principal(ctx).Target.ID, in.Hook)
			}, hookView)
		})
	register(a, Route{ID: "update-hook", Method: http.MethodPut, Path: base + "/{hook}", Scope: ScopeHooksWrite, Secret: true,
		MaxBody: maxHookBody, BodyTimeout: hookBodyTimeout}, tag,
		"Replace an inline hook's settings; its runtime cannot change, its signing secret stays, and a WASM hook's module stays unless the body has one",
		func(ctx context.Context, in *struct {
			HookPath
			Body hookBody
		}) (*Out[HookView], error) {
			return changed(a, ctx, "hook.updated", ref[hooks.Hook]("hook", in.Hook), func(ctx context.Context, tx store.Tx, ev *events.Event) (hooks.Hook, error) {
				h, err := a.Hooks.UpdateHook(ctx, tx, principal(ctx).Target.ID, in.Hook, in.Body.input())
				if err != nil {
					return hooks.Hook{}, hookErr(err)
				}
				ev.Details = hookDetails(h)
				ev.Details["module_replaced"] = in.Body.Module != nil
				return h, nil
			}, hookView)
		})
	register(a, Route{ID: "delete-hook", Method: http.MethodDelete, Path: base + "/{hook}", Scope: ScopeHooksWrite, Status: http.StatusNoContent}, tag,
		"Delete an inline hook (and its module, when no other hook of the tenant runs it)",
		func(ctx context.Context, in *HookPath) (*struct{}, error) {
			err := a.change(ctx, "hook.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "hook", ID: in.Hook}
				h, err := a.Hooks.Hook(ctx, tx, tenantID, in.Hook)
				if err != nil {
					return err
				}
				ev.Details = map[string]any{"name": h.Name, "point": string(h.Point), "runtime": string(h.Runtime)}
				return a.Hooks.DeleteHook(ctx, tx, tenantID, in.Hook)
			})
			return &struct{}{}, err
		})
	register(a, Route{ID: "rotate-hook-secret", Method: http.MethodPost, Path: base + "/{hook}/secret/rotate", Scope: ScopeHooksWrite}, tag,
		"Give an HTTP hook a new signing secret, in the answer once; the replaced one also signs requests for the overlap",
		func(ctx context.Context, in *struct {
			HookPath
			Body *hookRotateBody
		}) (*Out[HookSecretView], error) {
			var overlap int
			if in.Body != nil {
				overlap = in.Body.OverlapSeconds
			}
			return changed(a, ctx, "hook.secret.rotated", ref[hookSecret]("hook", in.Hook), func(ctx context.Context, tx store.Tx, ev *events.Event) (hookSecret, error) {
				h, secret, err := a.Hooks.RotateSecret(ctx, tx, principal(ctx).Target.ID, in.Hook, time.Duration(overlap)*time.Second)
				if err != nil {
					return hookSecret{}, hookErr(err)
				}
				if overlap == 0 {
					overlap = int(hooks.DefaultSecretOverlap / time.Second)
				}
				ev.Details = map[string]any{"overlap_seconds": overlap}
				return hookSecret{h, secret}, nil
			}, hookSecretView)
		})
}
