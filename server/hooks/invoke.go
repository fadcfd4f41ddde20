package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// Request is a hook point's input.
type Request struct {
	// Subject is the ID of the user the call is about; "" when there is
	// none yet (registration, unknown-user, some imports). Commands may
	// name no other user.
	Subject string
	// Data is the point's input, sent as "data": for token the claims
	// about to be issued and the client; for registration the profile
	// entered; for unknown-user "login" (which user.create must repeat);
	// for telephony the phone number and the message; for risk what is
	// known of the sign-in. It must marshal to JSON. It carries personal
	// data: it goes to the hook and nowhere else (never to the log).
	Data map[string]any
}

// Status is how one hook's call ended.
type Status string

// The statuses of a call.
const (
	// StatusOK: the hook answered; its commands are in the Outcome.
	StatusOK Status = "ok"
	// StatusDenied: the hook answered with a denial.
	StatusDenied Status = "denied"
	// StatusFailed: the call failed (Result.Err); the hook's failure
	// policy applied.
	StatusFailed Status = "failed"
)

// Result is one hook's call, for the system log. It holds no body, secret
// or personal data.
type Result struct {
	HookID  string
	Runtime Runtime
	Status  Status
	// Policy is the failure policy that applied when Status is
	// StatusFailed.
	Policy FailurePolicy
	// HTTPStatus is the HTTP hook's status code (0 when none came).
	HTTPStatus int
	Duration   time.Duration
	// Commands counts the commands the hook answered.
	Commands int
	// Err is the failure (wrapping ErrHookFailed and the cause:
	// ErrCircuitOpen, ErrBadResponse, ErrCommandRefused, a timeout…),
	// nil otherwise.
	Err error
}

// Outcome is what an invocation's hooks answered. When Denied is set the
// caller refuses what the point was about, shows Denied's message, and
// applies no command; otherwise it applies Commands in order (where a
// single result is expected, a verdict, a level or a status, the last one
// wins).
type Outcome struct {
	// InvocationID is the "id" of the request document every hook of
	// this invocation received.
	InvocationID string
	Commands     []Command
	Denied       *Denial
	// Results are the calls made, in order; hooks after a denial are not
	// called.
	Results []Result
}

// loaded is an enabled hook with what calling it needs.
type loaded struct {
	Hook
	// secrets sign HTTP requests: the current one, then the previous
	// one during a rotation's overlap.
	secrets [][]byte
	// module is a WASM hook's module.
	module []byte
}

// document is the request JSON.
type document struct {
	Version  string         `json:"version"`
	ID       string         `json:"id"`
	Point    Point          `json:"point"`
	TenantID string         `json:"tenant_id"`
	Subject  string         `json:"subject"`
	Data     map[string]any `json:"data"`
}

// Invoke runs the tenant's enabled hooks of point in order (priority,
// then ID), each with the same request, and returns what they answered.
// Call it outside any transaction (hooks are slow; it reads the hooks in
// a transaction of its own) and apply the Outcome in the caller's.
//
// A hook that fails (see ErrHookFailed) follows its policy: with
// FailContinue it is ignored and the next runs; with FailDeny Invoke stops
// and returns the Outcome with Denied set to UnavailableMessage and an
// error wrapping ErrHookFailed, for the log (the Outcome is still the
// answer to give). A hook's denial stops the invocation with a nil error.
// Other errors (an unknown point, Data that does not marshal, the store,
// ctx ending) come with a zero Outcome: the caller treats them as its
// own failure.
func (s *Service) Invoke(ctx context.Context, tenantID string, point Point, req Request) (Outcome, error) {
	if _, ok := allowed[point]; !ok {
		return Outcome{}, fmt.Errorf("hooks: unknown point %q", point)
	}
	hooks, err := s.load(ctx, tenantID, point)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{InvocationID: ident.New("hinv", s.d.Clock.Now())}
	if len(hooks) == 0 {
		return out, nil
	}
	doc := document{Version: ProtocolVersion, ID: out.InvocationID, Point: point, TenantID: tenantID, Subject: req.Subject, Data: req.Data}
	if doc.Data == nil {
		doc.Data = map[string]any{}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return Outcome{}, fmt.Errorf("hooks: encode the %s request: %w", point, err)
	}
	for _, h := range hooks {
		res, resp, err := s.run(ctx, h, out.InvocationID, body, tenantID, point, req)
		if err != nil {
			return Outcome{}, err
		}
		s.log(ctx, point, res)
		out.Results = append(out.Results, res)
		switch {
		case res.Status == StatusFailed && res.Policy == FailDeny:
			out.Denied = &Denial{MessageID: UnavailableMessage}
			return out, res.Err
		case res.Status == StatusFailed:
			continue
		}
		for _, c := range resp.Commands {
			c.HookID = h.ID
			out.Commands = append(out.Commands, c)
		}
		if resp.Denied != nil {
			out.Denied = resp.Denied
			return out, nil
		}
	}
	return out, nil
}

// run calls one hook, through its circuit. A non-nil error means ctx
// ended: the invocation stops.
func (s *Service) run(ctx context.Context, h loaded, invocation string, body []byte, tenantID string, point Point, req Request) (Result, Response, error) {
	res := Result{HookID: h.ID, Runtime: h.Runtime}
	fail := func(err error) (Result, Response, error) {
		res.Status, res.Policy = StatusFailed, h.FailurePolicy
		res.Err = fmt.Errorf("%w: hook %s: %w", ErrHookFailed, h.ID, err)
		return res, Response{}, nil
	}
	if !s.breaker.allow(h.Hook, s.d.Clock.Now()) {
		return fail(ErrCircuitOpen)
	}
	start := time.Now()
	var answer []byte
	var err error
	switch h.Runtime {
	case RuntimeHTTP:
		answer, res.HTTPStatus, err = s.callHTTP(ctx, h, invocation, body)
	case RuntimeWASM:
		answer, err = s.callWASM(ctx, h, body)
	default:
		err = fmt.Errorf("unknown runtime %q", h.Runtime)
	}
	res.Duration = time.Since(start)
	if err != nil && ctx.Err() != nil {
		s.breaker.abandon(h.Hook)
		return Result{}, Response{}, fmt.Errorf("hooks: invoke %s hooks: %w", point, ctx.Err())
	}
	if err != nil {
		s.breaker.done(h.Hook, s.d.Clock.Now(), false)
		return fail(err)
	}
	resp, err := ParseResponse(point, tenantID, req, answer)
	// A refused answer came back in time: the circuit guards latency and
	// availability, so only answers that are not the protocol count.
	s.breaker.done(h.Hook, s.d.Clock.Now(), err == nil || errors.Is(err, ErrCommandRefused))
	if err != nil {
		return fail(err)
	}
	res.Status, res.Commands = StatusOK, len(resp.Commands)
	if resp.Denied != nil {
		res.Status = StatusDenied
	}
	return res, resp, nil
}

// log records one call: IDs, status, duration, never a body.
func (s *Service) log(ctx context.Context, point Point, r Result) {
	attrs := []slog.Attr{slog.String("hook_id", r.HookID), slog.String("point", string(point)), slog.String("runtime", string(r.Runtime)),
		slog.String("status", string(r.Status)), slog.Duration("duration", r.Duration)}
	if r.HTTPStatus != 0 {
		attrs = append(attrs, slog.Int("http_status", r.HTTPStatus))
	}
	level := slog.LevelDebug
	if r.Err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("policy", string(r.Policy)), slog.String("error", r.Err.Error()))
	}
	s.d.Logger.LogAttrs(ctx, level, "hooks: inline hook called", attrs...)
}

// load reads the tenant's enabled hooks of point, in order, with their
// secrets opened and modules loaded.
func (s *Service) load(ctx context.Context, tenantID string, point Point) ([]loaded, error) {
	var out []loaded
	err := s.d.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		type row struct {
			h                loaded
			sealed, previous []byte
		}
		rows, err := tx.Query(ctx, `SELECT `+hookCols+`, secret_sealed, previous_secret_sealed FROM hooks
			WHERE tenant_id = ? AND point = ? AND enabled = ? ORDER BY priority, id`, tenantID, string(point), true)
		rs, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
			var r row
			h, err := scanHook(sc, &r.sealed, &r.previous)
			r.h.Hook = h
			return r, err
		})
		if err != nil {
			return err
		}
		now := s.d.Clock.Now()
		out = make([]loaded, 0, len(rs))
		for _, r := range rs {
			h := r.h
			if len(r.sealed) > 0 {
				b, err := s.d.Secrets.Open(ctx, tx, binding(tenantID, h.ID, secretPurpose), r.sealed)
				if err != nil {
					return fmt.Errorf("hook %s: open secret: %w", h.ID, err)
				}
				h.secrets = append(h.secrets, b)
			}
			if len(r.previous) > 0 && now.Before(h.PreviousSecretUntil) {
				b, err := s.d.Secrets.Open(ctx, tx, binding(tenantID, h.ID, previousSecretPurpose), r.previous)
				if err != nil {
					return fmt.Errorf("hook %s: open previous secret: %w", h.ID, err)
				}
				h.secrets = append(h.secrets, b)
			}
			if h.Runtime == RuntimeWASM {
				if h.module, err = s.module(ctx, tx, tenantID, h.ModuleSHA256); err != nil {
					return err
				}
			}
			out = append(out, h)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hooks: load %s hooks: %w", point, err)
	}
	return out, nil
}
