package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/store"
)

// verifySig is the receiver's check of a request, as a customer's
// endpoint makes it.
func verifySig(h http.Header, body, secret []byte, now time.Time) error {
	if secret == nil {
		return errors.New("the receiver has no secret yet")
	}
	return hooksig.Verify(h.Get(hooksig.Header), body, secret, now, 0)
}

// invoke runs Invoke for tenant A.
func (w *world) invoke(t *testing.T, point Point, req Request) (Outcome, error) {
	t.Helper()
	return w.svc.Invoke(context.Background(), w.a, point, req)
}

func TestHTTPHookSignedRequest(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		rc := w.handle("/claims", answer(`{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"plan":"gold","seats":12}}}]}`))
		h, secret := w.create(t, w.a, w.httpHook("Claims", PointToken, "/claims", FailDeny))
		rc.setSecret(secret)
		out, err := w.invoke(t, PointToken, Request{Subject: "usr_1", Data: map[string]any{"claims": map[string]any{"email": "a@example.com"}}})
		if err != nil || out.Denied != nil {
			t.Fatalf("Invoke: %v, denied %+v", err, out.Denied)
		}
		if rc.sigErr != nil {
			t.Fatalf("the receiver refused the signature: %v", rc.sigErr)
		}
		// A receiver holding another secret refuses the request.
		if err := verifySig(rc.headers[0], rc.bodies[0], []byte("lhk_not-the-secret"), w.clk.Now()); !errors.Is(err, hooksig.ErrMismatch) {
			t.Fatalf("a wrong secret: %v, want ErrMismatch", err)
		}
		hd := rc.headers[0]
		if hd.Get("Content-Type") != "application/json" || hd.Get(HeaderHookID) != h.ID || hd.Get(HeaderInvocationID) != out.InvocationID {
			t.Fatalf("headers %v", hd)
		}
		var doc map[string]any
		if err := json.Unmarshal(rc.bodies[0], &doc); err != nil {
			t.Fatal(err)
		}
		if doc["version"] != "1" || doc["id"] != out.InvocationID || doc["point"] != "token" || doc["tenant_id"] != w.a ||
			doc["subject"] != "usr_1" || doc["data"].(map[string]any)["claims"] == nil {
			t.Fatalf("document %s", rc.bodies[0])
		}
		want := Command{Type: CmdClaimsSet, HookID: h.ID, Value: ClaimsSet{Target: TargetAccess,
			Claims: map[string]json.RawMessage{"plan": json.RawMessage(`"gold"`), "seats": json.RawMessage(`12`)}}}
		if len(out.Commands) != 1 || !sameCommand(out.Commands[0], want) {
			t.Fatalf("commands %+v", out.Commands)
		}
		if len(out.Results) != 1 || out.Results[0].Status != StatusOK || out.Results[0].HTTPStatus != 200 || out.Results[0].Commands != 1 {
			t.Fatalf("results %+v", out.Results)
		}

		// A rotation signs with both secrets until the overlap ends.
		var next string
		w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
			_, next, err = w.svc.RotateSecret(ctx, tx, w.a, h.ID, time.Hour)
			return err
		})
		for _, tc := range []struct {
			name          string
			at            time.Duration
			old, newValid bool
		}{{"during the overlap", 30 * time.Minute, true, true}, {"after the overlap", 31 * time.Minute, false, true}} {
			w.clk.Advance(tc.at)
			if _, err := w.invoke(t, PointToken, Request{Subject: "usr_1"}); err != nil {
				t.Fatal(err)
			}
			last := len(rc.bodies) - 1
			gotOld := verifySig(rc.headers[last], rc.bodies[last], []byte(secret), w.clk.Now()) == nil
			gotNew := verifySig(rc.headers[last], rc.bodies[last], []byte(next), w.clk.Now()) == nil
			if gotOld != tc.old || gotNew != tc.newValid {
				t.Errorf("%s: old secret verifies %v, new %v", tc.name, gotOld, gotNew)
			}
		}
	})
}

func TestHTTPHookOutcomes(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		slow := func(rw http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			answer(`{}`)(rw, r)
		}
		type hookSpec struct {
			reply  func(http.ResponseWriter, *http.Request)
			policy FailurePolicy
		}
		for _, tc := range []struct {
			name   string
			point  Point
			req    Request
			hooks  []hookSpec
			denied *Denial
			// errIs are what Invoke's error wraps (none: nil error).
			errIs    []error
			statuses []Status
			commands []CommandType
		}{
			{
				name:     "a registration hook denies with a message",
				point:    PointRegistration,
				hooks:    []hookSpec{{answer(`{"commands":[{"type":"deny","value":{"message_id":"registration.domain_closed","params":{"domain":"example.com"}}}]}`), FailDeny}},
				denied:   &Denial{MessageID: "registration.domain_closed", Params: map[string]string{"domain": "example.com"}},
				statuses: []Status{StatusDenied},
			},
			{
				name:     "an error answer denies where deny is allowed",
				point:    PointRegistration,
				hooks:    []hookSpec{{answer(`{"error":{"message_id":"registration.closed"}}`), FailContinue}},
				denied:   &Denial{MessageID: "registration.closed"},
				statuses: []Status{StatusDenied},
			},
			{
				name:     "a deny without a message denies with the default one",
				point:    PointToken,
				hooks:    []hookSpec{{answer(`{"commands":[{"type":"deny"}]}`), FailDeny}},
				denied:   &Denial{MessageID: DeniedMessage},
				statuses: []Status{StatusDenied},
			},
			{
				name:  "a denial stops the hooks after it",
				point: PointRegistration,
				hooks: []hookSpec{
					{answer(`{"commands":[{"type":"profile.set","value":{"plan":"free"}},{"type":"deny","value":{"message_id":"no"}}]}`), FailDeny},
					{answer(`{"commands":[{"type":"profile.set","value":{"tier":1}}]}`), FailDeny},
				},
				denied:   &Denial{MessageID: "no"},
				statuses: []Status{StatusDenied},
				commands: []CommandType{CmdProfileSet},
			},
			{
				name:     "a timeout with policy deny denies as unavailable",
				point:    PointToken,
				hooks:    []hookSpec{{slow, FailDeny}},
				denied:   &Denial{MessageID: UnavailableMessage},
				errIs:    []error{ErrHookFailed, errTimeout},
				statuses: []Status{StatusFailed},
			},
			{
				name:     "a timeout with policy continue goes on to the next hook",
				point:    PointToken,
				hooks:    []hookSpec{{slow, FailContinue}, {answer(`{"commands":[{"type":"token.claims.remove","value":{"target":"id","names":["nickname"]}}]}`), FailDeny}},
				statuses: []Status{StatusFailed, StatusOK},
				commands: []CommandType{CmdClaimsRemove},
			},
			{
				name:     "a 500 is a failure",
				point:    PointToken,
				hooks:    []hookSpec{{status(500), FailDeny}},
				denied:   &Denial{MessageID: UnavailableMessage},
				errIs:    []error{ErrHookFailed},
				statuses: []Status{StatusFailed},
			},
			{
				name:  "a redirect is not followed",
				point: PointToken,
				hooks: []hookSpec{{func(rw http.ResponseWriter, r *http.Request) {
					http.Redirect(rw, r, "/elsewhere", http.StatusFound)
				}, FailDeny}},
				denied:   &Denial{MessageID: UnavailableMessage},
				errIs:    []error{ErrHookFailed},
				statuses: []Status{StatusFailed},
			},
			{
				name:     "an answer that is not JSON is a failure",
				point:    PointToken,
				hooks:    []hookSpec{{answer(`<html>oops</html>`), FailDeny}},
				denied:   &Denial{MessageID: UnavailableMessage},
				errIs:    []error{ErrHookFailed, ErrBadResponse},
				statuses: []Status{StatusFailed},
			},
			{
				name:     "an answer over the size limit is a failure",
				point:    PointToken,
				hooks:    []hookSpec{{answer(`{"commands":[],"x":"` + strings.Repeat("a", MaxResponseSize) + `"}`), FailDeny}},
				denied:   &Denial{MessageID: UnavailableMessage},
				errIs:    []error{ErrHookFailed, ErrBadResponse},
				statuses: []Status{StatusFailed},
			},
			{
				name:     "an empty 204 changes nothing",
				point:    PointRisk,
				hooks:    []hookSpec{{status(204), FailDeny}},
				statuses: []Status{StatusOK},
			},
			{
				name:  "commands of several hooks come in order",
				point: PointPostVerification,
				req:   Request{Subject: "usr_1"},
				hooks: []hookSpec{
					{answer(`{"commands":[{"type":"groups.add","value":{"names":["customers"]}}]}`), FailDeny},
					{answer(`{"commands":[{"type":"profile.set","value":{"account_number":"A-1","user_id":"usr_1"}}]}`), FailDeny},
				},
				statuses: []Status{StatusOK, StatusOK},
				commands: []CommandType{CmdGroupsAdd, CmdProfileSet},
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tenantID := w.a
				// Each case has its own hooks: clear the point first.
				w.must(t, func(ctx context.Context, tx store.Tx) error {
					_, err := tx.Exec(ctx, `DELETE FROM hooks WHERE tenant_id = ?`, tenantID)
					return err
				})
				for i, hs := range tc.hooks {
					path := "/" + strings.ReplaceAll(tc.name, " ", "-") + "/" + string(rune('a'+i))
					rc := w.handle(path, hs.reply)
					in := w.httpHook(path, tc.point, path, hs.policy)
					in.Priority, in.Timeout = i, 200*time.Millisecond
					_, secret := w.create(t, tenantID, in)
					rc.setSecret(secret)
				}
				out, err := w.svc.Invoke(context.Background(), tenantID, tc.point, tc.req)
				if len(tc.errIs) == 0 && err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				for _, target := range tc.errIs {
					if !errors.Is(err, target) {
						t.Errorf("error %v, want it to wrap %v", err, target)
					}
				}
				if !sameDenial(out.Denied, tc.denied) {
					t.Errorf("denied %+v, want %+v", out.Denied, tc.denied)
				}
				var statuses []Status
				for _, r := range out.Results {
					statuses = append(statuses, r.Status)
					if (r.Status == StatusFailed) != (r.Err != nil) || r.Err != nil && !errors.Is(r.Err, ErrHookFailed) {
						t.Errorf("result %+v", r)
					}
				}
				if !slices.Equal(statuses, tc.statuses) {
					t.Errorf("statuses %v, want %v", statuses, tc.statuses)
				}
				var types []CommandType
				for _, c := range out.Commands {
					types = append(types, c.Type)
				}
				if !slices.Equal(types, tc.commands) {
					t.Errorf("commands %v, want %v", types, tc.commands)
				}
			})
		}
	})
}

func TestHTTPHookRefusedCommands(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		rc := w.handle("/refused", answer(`{}`))
		_, secret := w.create(t, w.a, w.httpHook("Refused", PointToken, "/refused", FailDeny))
		rc.setSecret(secret)
		cont := w.handle("/refused-continue", answer(`{}`))
		_, secret = w.create(t, w.a, w.httpHook("Refused, continue", PointPostVerification, "/refused-continue", FailContinue))
		cont.setSecret(secret)
		for _, tc := range []struct {
			name  string
			point Point
			body  string
		}{
			{"a command naming another user", PointToken,
				`{"commands":[{"type":"token.claims.set","user_id":"usr_other","value":{"target":"access","claims":{"plan":"gold"}}}]}`},
			{"a value naming another user", PointPostVerification,
				`{"commands":[{"type":"profile.set","value":{"user_id":"usr_other","plan":"gold"}}]}`},
			{"a value naming another tenant", PointPostVerification,
				`{"commands":[{"type":"groups.add","value":{"tenant_id":"ten_other","names":["admins"]}}]}`},
			{"a registered claim", PointToken,
				`{"commands":[{"type":"token.claims.set","value":{"target":"id","claims":{"sub":"usr_other"}}}]}`},
			{"a claim of Lintel's", PointToken,
				`{"commands":[{"type":"token.claims.remove","value":{"target":"access","names":["lintel_tenant"]}}]}`},
			{"a type not allowed at the point", PointToken,
				`{"commands":[{"type":"groups.add","value":{"names":["admins"]}}]}`},
			{"an unknown type", PointPostVerification,
				`{"commands":[{"type":"user.delete","value":{}}]}`},
			{"a good command beside a refused one", PointToken,
				`{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"plan":"gold"}}},{"type":"token.claims.set","value":{"target":"access","claims":{"aud":"x"}}}]}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rc.setReply(answer(tc.body))
				cont.setReply(answer(tc.body))
				out, err := w.invoke(t, tc.point, Request{Subject: "usr_1"})
				r := out.Results
				if len(r) != 1 || r[0].Status != StatusFailed || !errors.Is(r[0].Err, ErrCommandRefused) || len(out.Commands) != 0 {
					t.Fatalf("results %+v, commands %+v", r, out.Commands)
				}
				switch tc.point {
				case PointToken: // policy deny
					if !errors.Is(err, ErrHookFailed) || !errors.Is(err, ErrCommandRefused) || !sameDenial(out.Denied, &Denial{MessageID: UnavailableMessage}) {
						t.Fatalf("err %v, denied %+v", err, out.Denied)
					}
				default: // policy continue
					if err != nil || out.Denied != nil {
						t.Fatalf("err %v, denied %+v", err, out.Denied)
					}
				}
			})
		}
	})
}

func TestCircuitBreaker(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		rc := w.handle("/flaky", status(503))
		h, secret := w.create(t, w.a, w.httpHook("Flaky", PointRisk, "/flaky", FailContinue))
		rc.setSecret(secret)
		call := func() Result {
			t.Helper()
			out, err := w.invoke(t, PointRisk, Request{Subject: "usr_1"})
			if err != nil || len(out.Results) != 1 {
				t.Fatalf("Invoke: %v, %+v", err, out.Results)
			}
			return out.Results[0]
		}
		for i := range BreakerThreshold {
			if r := call(); r.Status != StatusFailed || errors.Is(r.Err, ErrCircuitOpen) || r.HTTPStatus != 503 {
				t.Fatalf("call %d: %+v", i+1, r)
			}
		}
		if r := call(); !errors.Is(r.Err, ErrCircuitOpen) || rc.count() != BreakerThreshold {
			t.Fatalf("after %d failures: %+v, %d calls made", BreakerThreshold, r, rc.count())
		}
		w.clk.Advance(BreakerCooldown - time.Second)
		if r := call(); !errors.Is(r.Err, ErrCircuitOpen) || rc.count() != BreakerThreshold {
			t.Fatalf("before the cooldown ends: %+v, %d calls", r, rc.count())
		}
		// Half-open: one trial; it fails, the circuit opens again.
		w.clk.Advance(time.Second)
		if r := call(); errors.Is(r.Err, ErrCircuitOpen) || rc.count() != BreakerThreshold+1 {
			t.Fatalf("the trial: %+v, %d calls", r, rc.count())
		}
		if r := call(); !errors.Is(r.Err, ErrCircuitOpen) || rc.count() != BreakerThreshold+1 {
			t.Fatalf("after a failed trial: %+v, %d calls", r, rc.count())
		}
		// The next trial succeeds and closes the circuit.
		rc.setReply(answer(`{"commands":[{"type":"risk.level","value":{"level":"high"}}]}`))
		w.clk.Advance(BreakerCooldown)
		if r := call(); r.Status != StatusOK {
			t.Fatalf("a good trial: %+v", r)
		}
		rc.setReply(status(500))
		for range BreakerThreshold - 1 {
			call()
		}
		if r := call(); errors.Is(r.Err, ErrCircuitOpen) {
			t.Fatalf("a closed circuit counts afresh, but opened early: %+v", r)
		}
		if r := call(); !errors.Is(r.Err, ErrCircuitOpen) {
			t.Fatalf("%d new failures did not open it: %+v", BreakerThreshold, r)
		}
		// A changed hook starts with a closed circuit.
		in := w.httpHook("Flaky", PointRisk, "/flaky", FailContinue)
		in.Priority = 1
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.UpdateHook(ctx, tx, w.a, h.ID, in)
			return err
		})
		before := rc.count()
		if call(); rc.count() != before+1 {
			t.Fatal("an updated hook's circuit stayed open")
		}
	})
}

func TestWASMHook(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		mod := []byte("\x00asm-token")
		h, _ := w.create(t, w.a, HookInput{Name: "Module", Point: PointToken, Runtime: RuntimeWASM, Module: mod, Enabled: true,
			Timeout: 250 * time.Millisecond})
		w.wasm.out = []byte(`{"commands":[{"type":"token.claims.set","value":{"target":"id","claims":{"tier":"gold"}}}]}`)
		out, err := w.invoke(t, PointToken, Request{Subject: "usr_1", Data: map[string]any{"client_id": "app_1"}})
		if err != nil || len(out.Commands) != 1 || out.Commands[0].HookID != h.ID {
			t.Fatalf("Invoke: %v, %+v", err, out)
		}
		cs := out.Commands[0].Value.(ClaimsSet)
		if cs.Target != TargetID || string(cs.Claims["tier"]) != `"gold"` {
			t.Fatalf("claims %+v", cs)
		}
		if len(w.wasm.keys) != 1 || w.wasm.keys[0] != moduleKey(mod) || w.wasm.timeouts[0] != 250*time.Millisecond {
			t.Fatalf("Call got keys %v, timeouts %v", w.wasm.keys, w.wasm.timeouts)
		}
		var doc document
		if err := json.Unmarshal(w.wasm.inputs[0], &doc); err != nil || doc.ID != out.InvocationID || doc.Subject != "usr_1" || doc.Point != PointToken {
			t.Fatalf("input %s (%v)", w.wasm.inputs[0], err)
		}

		// The module comes from the node's cache after the first load.
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE hook_modules SET bytes = ? WHERE tenant_id = ?`, []byte("tampered"), w.a)
			return err
		})
		if _, err := w.invoke(t, PointToken, Request{Subject: "usr_1"}); err != nil {
			t.Fatalf("from the cache: %v", err)
		}
		// A node without it in its cache refuses bytes that are not the
		// module's.
		if _, err := w.with(t, func(*Deps) {}).Invoke(context.Background(), w.a, PointToken, Request{}); err == nil || errors.Is(err, ErrHookFailed) {
			t.Fatalf("tampered module: %v", err)
		}
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE hook_modules SET bytes = ? WHERE tenant_id = ?`, mod, w.a)
			return err
		})

		for _, tc := range []struct {
			name  string
			out   string
			err   error
			cause error
		}{
			{"a runtime error is a failure", "", errors.New("wasm: out of memory"), ErrHookFailed},
			{"a deadline is a failure", "", context.DeadlineExceeded, errTimeout},
			{"output that is not the response JSON is a failure", "not json", nil, ErrBadResponse},
			{"a refused command is a failure", `{"commands":[{"type":"risk.level","value":{"level":"high"}}]}`, nil, ErrCommandRefused},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w.wasm.out, w.wasm.err = []byte(tc.out), tc.err
				out, err := w.invoke(t, PointToken, Request{Subject: "usr_1"})
				if !errors.Is(err, ErrHookFailed) || !errors.Is(err, tc.cause) || !sameDenial(out.Denied, &Denial{MessageID: UnavailableMessage}) {
					t.Fatalf("err %v, denied %+v", err, out.Denied)
				}
			})
		}

		t.Run("a server without a runtime fails wasm hooks", func(t *testing.T) {
			svc := w.with(t, func(d *Deps) { d.WASM = nil })
			out, err := svc.Invoke(context.Background(), w.a, PointToken, Request{})
			if !errors.Is(err, ErrHookFailed) || out.Denied == nil {
				t.Fatalf("err %v, denied %+v", err, out.Denied)
			}
		})
	})
}

func TestInvokeWithoutHooks(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		w.handle("/disabled", answer(`{"commands":[{"type":"deny"}]}`))
		in := w.httpHook("Disabled", PointToken, "/disabled", FailDeny)
		in.Enabled = false
		w.create(t, w.a, in)
		w.create(t, w.b, w.httpHook("Tenant B's", PointToken, "/disabled", FailDeny))
		out, err := w.invoke(t, PointToken, Request{Subject: "usr_1"})
		if err != nil || out.Denied != nil || len(out.Results) != 0 || out.InvocationID == "" {
			t.Fatalf("a disabled hook and another tenant's ran: %v, %+v", err, out)
		}
		if _, err := w.invoke(t, "login", Request{}); err == nil {
			t.Fatal("an unknown point was invoked")
		}
		if _, err := w.invoke(t, PointToken, Request{Data: map[string]any{"f": func() {}}}); err != nil {
			t.Fatalf("data is not encoded when no hook runs: %v", err)
		}
	})
}

// sameDenial compares denials, nil included.
func sameDenial(a, b *Denial) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.MessageID != b.MessageID || len(a.Params) != len(b.Params) {
		return false
	}
	for k, v := range a.Params {
		if b.Params[k] != v {
			return false
		}
	}
	return true
}

// sameCommand compares commands by their JSON form.
func sameCommand(a, b Command) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
