package eventhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// checkOnce fails unless the receiver acknowledged exactly ids, each once.
func checkOnce(t *testing.T, rx *receiver, ids []string) {
	t.Helper()
	got := rx.ackCounts()
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("event %s acknowledged %d times, want once", id, got[id])
		}
	}
	if len(got) != len(ids) {
		t.Errorf("receiver acknowledged %d events, want %d: %v", len(got), len(ids), got)
	}
	if n := rx.badSignatures(); n != 0 {
		t.Errorf("%d requests with a signature that does not verify", n)
	}
}

// TestOutage is the must-show: a receiver whose listener is closed for a
// while gets every event appended meanwhile once it is back, each event
// ID acknowledged exactly once, after retries with backoff on the fake
// clock, every request signed.
func TestOutage(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		rx := startReceiver(t, w.clk)
		h := w.activeHook(t, rx, w.a, "user.*")
		rx.stop()

		var ids []string
		for _, typ := range []string{"user.created", "user.signed_in", "user.factor.enrolled"} {
			ids = append(ids, w.appendEvent(t, w.a, typ))
			w.clk.Advance(time.Millisecond)
		}
		w.appendEvent(t, w.a, "app.created")  // another type
		w.appendEvent(t, w.b, "user.created") // another tenant
		w.settle()
		if n := w.enqueue(t); n != 3 {
			t.Fatalf("Enqueue = %d, want 3", n)
		}
		if n := w.enqueue(t); n != 0 {
			t.Fatalf("Enqueue again = %d, want 0", n)
		}

		for attempt := 1; attempt <= 4; attempt++ {
			now := w.clk.Now()
			if n := w.runOnce(t); n != 0 {
				t.Fatalf("attempt %d: RunOnce = %d while the receiver is down", attempt, n)
			}
			wait := DefaultBaseBackoff << (attempt - 1)
			var latest time.Time
			for _, d := range w.deliveries(t, h.ID) {
				if d.Status != Pending || d.Attempts != attempt || d.LastStatus != 0 || d.LastError == "" {
					t.Fatalf("attempt %d: %+v", attempt, d)
				}
				// queue.Backoff: base·2ⁿ⁻¹ less up to a quarter of jitter.
				if got := d.NextAttemptAt.Sub(now); got > wait || got < wait*3/4 {
					t.Errorf("attempt %d: retried after %s, want %s less jitter", attempt, got, wait)
				}
				if d.NextAttemptAt.After(latest) {
					latest = d.NextAttemptAt
				}
			}
			// Not due yet: nothing is tried before the backoff ends.
			w.clk.Advance(wait*3/4 - time.Second)
			if n := w.runOnce(t); n != 0 {
				t.Fatalf("attempt %d: RunOnce before the backoff ended = %d", attempt, n)
			}
			for _, d := range w.deliveries(t, h.ID) {
				if d.Attempts != attempt {
					t.Fatalf("attempt %d: tried again before the backoff ended: %+v", attempt, d)
				}
			}
			w.clk.Set(latest)
		}

		rx.restart()
		if n := w.runOnce(t); n != 3 {
			t.Fatalf("RunOnce after the receiver is back = %d, want 3", n)
		}
		checkOnce(t, rx, ids)
		for _, d := range w.deliveries(t, h.ID) {
			if d.Status != Delivered || d.Attempts != 5 || d.LastStatus != http.StatusNoContent || d.LastError != "" ||
				!d.DeliveredAt.Equal(w.clk.Now().Truncate(time.Microsecond)) {
				t.Errorf("delivered: %+v", d)
			}
		}
		// Nothing more goes out, however long the workers keep running.
		for range 3 {
			w.clk.Advance(DefaultMaxBackoff)
			if n := w.enqueue(t); n != 0 {
				t.Errorf("Enqueue later = %d", n)
			}
			if n := w.runOnce(t); n != 0 {
				t.Errorf("RunOnce later = %d", n)
			}
		}
		checkOnce(t, rx, ids)
		// The signature verifies with hooksig and the receiver's secret;
		// the headers name the event, hook, delivery and attempt.
		for _, r := range rx.requests() {
			if r.header.Get(ChallengeHeader) != "" {
				continue
			}
			var p Payload
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if r.method != http.MethodPost || r.signature != nil || r.header.Get(EventIDHeader) != p.ID ||
				r.header.Get(HookIDHeader) != h.ID || r.header.Get(AttemptHeader) != "5" ||
				!strings.HasPrefix(r.header.Get(DeliveryIDHeader), DeliveryIDPrefix+"_") ||
				r.header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %v, signature %v", r.method, r.header, r.signature)
			}
		}
	})
}

// TestDeadLetters: a receiver down for longer than MaxAttempts leaves
// dead letters, listed by page; Redeliver sends them once it is back.
func TestDeadLetters(t *testing.T) {
	eachWorld(t, Options{MaxAttempts: 3}, func(t *testing.T, w *world) {
		ctx := context.Background()
		rx := startReceiver(t, w.clk)
		h := w.activeHook(t, rx, w.a, "*")
		other := w.activeHook(t, rx, w.b, "*")
		rx.setAnswer(http.StatusServiceUnavailable)
		ids := []string{w.appendEvent(t, w.a, "user.created"), w.appendEvent(t, w.a, "user.deleted")}
		w.appendEvent(t, w.b, "user.created")
		w.settle()
		if n := w.enqueue(t); n != 3 {
			t.Fatalf("Enqueue = %d", n)
		}
		for range 3 {
			if n := w.runOnce(t); n != 0 {
				t.Fatalf("RunOnce = %d while the receiver answers 503", n)
			}
			w.clk.Advance(DefaultMaxBackoff)
		}
		if n := w.runOnce(t); n != 0 {
			t.Fatalf("RunOnce after they died = %d", n)
		}
		deliveries := w.deliveries(t, h.ID)
		for _, d := range deliveries {
			if d.Status != Dead || d.Attempts != 3 || d.LastStatus != http.StatusServiceUnavailable ||
				d.LastError != "answered HTTP 503" || d.FinishedAt.IsZero() {
				t.Errorf("dead: %+v", d)
			}
		}
		if n := len(rx.requests()); n != 2+3*3 {
			t.Errorf("receiver got %d requests, want 2 handshakes and 3 attempts of 3 deliveries", n)
		}

		page := func(hookID, cursor string, limit int) ([]Delivery, string, error) {
			var out []Delivery
			var next string
			err := w.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				out, next, err = w.svc.DeadLetters(ctx, tx, w.a, hookID, cursor, limit)
				return err
			})
			return out, next, err
		}
		first, next, err := page(h.ID, "", 1)
		if err != nil || len(first) != 1 || next != first[0].ID {
			t.Fatalf("first page %+v, next %q, %v", first, next, err)
		}
		second, next, err := page(h.ID, next, 1)
		if err != nil || len(second) != 1 || next != "" {
			t.Fatalf("second page %+v, next %q, %v", second, next, err)
		}
		if paged := []string{first[0].EventID, second[0].EventID}; !slices.Contains(paged, ids[0]) || !slices.Contains(paged, ids[1]) {
			t.Errorf("pages hold %v, want %v", paged, ids)
		}
		all, _, err := page("", "", 0)
		if err != nil || len(all) != 2 {
			t.Errorf("all of A's dead letters: %d, %v", len(all), err)
		}
		if _, _, err := page(other.ID, "", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("B's hook listed by A: %v", err)
		}
		if _, _, err := page(h.ID, "nope", 1001); !slices.Equal(fields(err), []string{"cursor", "limit"}) {
			t.Errorf("bad page refused %v", fields(err))
		}

		redeliver := func(tenantID, id string) error {
			return w.do(t, func(ctx context.Context, tx store.Tx) error { return w.svc.Redeliver(ctx, tx, tenantID, id) })
		}
		if err := redeliver(w.b, deliveries[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Redeliver from another tenant: %v", err)
		}
		rx.setAnswer(0)
		for _, d := range deliveries {
			if err := redeliver(w.a, d.ID); err != nil {
				t.Fatalf("Redeliver: %v", err)
			}
			if got := w.delivery(t, w.a, d.ID); got.Status != Pending || got.Attempts != 0 || !got.FinishedAt.IsZero() {
				t.Errorf("redelivered: %+v", got)
			}
		}
		if err := redeliver(w.a, deliveries[0].ID); !errors.Is(err, ErrNotDead) {
			t.Errorf("Redeliver of a pending delivery: %v", err)
		}
		if n := w.runOnce(t); n != 2 {
			t.Fatalf("RunOnce after Redeliver = %d, want 2", n)
		}
		checkOnce(t, rx, ids)
		if err := redeliver(w.a, deliveries[0].ID); !errors.Is(err, ErrNotDead) {
			t.Errorf("Redeliver of a delivered one: %v", err)
		}
		if left, _, _ := page(h.ID, "", 0); len(left) != 0 {
			t.Errorf("%d dead letters left", len(left))
		}

		// Purge removes finished deliveries (B's dead one too), never
		// pending ones.
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO event_deliveries (id, tenant_id, hook_id, event_id, event_type, payload,
				status, next_attempt_at, created_at) VALUES ('evd_pending', ?, ?, 'evt_x', 'user.created', ?, 'pending', ?, ?)`,
				w.a, h.ID, []byte(`{}`), w.clk.Now().Add(time.Hour), w.clk.Now())
			return err
		})
		n, err := w.svc.Purge(ctx, w.clk.Now().Add(time.Second))
		if err != nil || n != 3 {
			t.Errorf("Purge = %d, %v; want 3", n, err)
		}
		if _, err := w.svc.Purge(ctx, w.clk.Now().Add(time.Second)); err != nil {
			t.Error(err)
		}
		if d := w.deliveries(t, h.ID); len(d) != 1 || d[0].Status != Pending {
			t.Errorf("after Purge: %+v", d)
		}
	})
}

// TestConcurrentWorkers: two nodes enqueueing and delivering from one
// database at once never deliver an event twice.
func TestConcurrentWorkers(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			open := b.New(t)
			w := newWorld(t, open(t), Options{Batch: 7})
			_, _, second := w.services(t, open(t))
			rx := startReceiver(t, w.clk)
			w.activeHook(t, rx, w.a, "user.*")
			w.activeHook(t, rx, w.a, "app.*")
			var ids []string
			for i := range 60 {
				typ := "user.created"
				if i%3 == 0 {
					typ = "app.created"
				}
				ids = append(ids, w.appendEvent(t, w.a, typ))
			}
			w.settle()
			nodes := []*Service{w.svc, second}
			var wg sync.WaitGroup
			var mu sync.Mutex
			enqueued, sent := 0, 0
			for _, svc := range nodes {
				wg.Go(func() {
					n, err := svc.Enqueue(context.Background())
					if err != nil {
						t.Errorf("Enqueue: %v", err)
					}
					mu.Lock()
					enqueued += n
					mu.Unlock()
				})
			}
			wg.Wait()
			if enqueued != 60 {
				t.Fatalf("two nodes enqueued %d deliveries, want 60", enqueued)
			}
			for _, svc := range nodes {
				wg.Go(func() {
					for range 20 {
						n, err := svc.RunOnce(context.Background())
						if err != nil {
							t.Errorf("RunOnce: %v", err)
						}
						mu.Lock()
						sent += n
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if sent != 60 {
				t.Errorf("delivered %d, want 60", sent)
			}
			checkOnce(t, rx, ids)
		})
	}
}

// TestSelection: a hook gets the events of its own tenant that its types
// select, from its creation on, once they settled; the body is the event's
// pseudonymous part only.
func TestSelection(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		before := w.appendEvent(t, w.a, "app.created")
		w.clk.Advance(time.Second)
		rx := startReceiver(t, w.clk)
		many := []string{"app.deleted"}
		for i := range 40 {
			many = append(many, fmt.Sprintf("kind%d.created", i))
		}
		hooks := map[string]Hook{
			"exact and prefix": w.activeHook(t, rx, w.a, "app.created", "user.*"),
			"over 32 patterns": w.activeHook(t, rx, w.a, many...),
			"every type":       w.activeHook(t, rx, w.a, "*"),
			"tenant B":         w.activeHook(t, rx, w.b, "*"),
		}
		ev := map[string]string{}
		for _, x := range []struct{ key, tenant, typ string }{
			{"a app.created", w.a, "app.created"},
			{"a app.deleted", w.a, "app.deleted"},
			{"a user.signed_in", w.a, "user.signed_in"},
			{"a user.factor.enrolled", w.a, "user.factor.enrolled"},
			{"a users.created", w.a, "users.created"},
			{"b app.created", w.b, "app.created"},
			{"b user.created", w.b, "user.created"},
		} {
			ev[x.key] = w.appendEvent(t, x.tenant, x.typ)
		}
		personal := w.appendFull(t, events.Event{TenantID: w.a, Type: "user.email.changed", Actor: events.Ref{Type: "user", ID: "usr_ada"},
			Target: events.Ref{Type: "user", ID: "usr_ada"}, Outcome: events.Success, RequestID: "req_1",
			Details: map[string]any{"fields": []any{"email"}, "count": 2.0}, Subject: "usr_ada",
			Personal: map[string]string{"email": "ada@example.org", "ip": "198.51.100.7"}})
		if n := w.enqueue(t); n != 0 {
			t.Errorf("Enqueue before the events settled = %d", n)
		}
		w.settle()
		w.enqueue(t)
		for w.runOnce(t) > 0 {
		}
		want := map[string][]string{
			"exact and prefix": {ev["a app.created"], ev["a user.signed_in"], ev["a user.factor.enrolled"], personal},
			"over 32 patterns": {ev["a app.deleted"]},
			"every type": {ev["a app.created"], ev["a app.deleted"], ev["a user.signed_in"], ev["a user.factor.enrolled"],
				ev["a users.created"], personal},
			"tenant B": {ev["b app.created"], ev["b user.created"]},
		}
		got := map[string][]string{}
		var personalBody []byte
		for _, r := range rx.requests() {
			id := r.header.Get(EventIDHeader)
			if id == "" {
				continue
			}
			for name, h := range hooks {
				if h.ID == r.header.Get(HookIDHeader) {
					got[name] = append(got[name], id)
				}
			}
			if id == personal {
				personalBody = r.body
			}
			if id == before {
				t.Errorf("an event from before the hook's creation was delivered")
			}
		}
		for name := range hooks {
			slices.Sort(got[name])
			slices.Sort(want[name])
			if !slices.Equal(got[name], want[name]) {
				t.Errorf("hook %q got %v, want %v", name, got[name], want[name])
			}
		}
		if personalBody == nil {
			t.Fatal("the event with personal details was not delivered")
		}
		for _, secret := range []string{"ada@example.org", "198.51.100.7", "personal", "subject", "req_1"} {
			if strings.Contains(string(personalBody), secret) {
				t.Errorf("body holds %q: %s", secret, personalBody)
			}
		}
		var gotBody map[string]any
		if err := json.Unmarshal(personalBody, &gotBody); err != nil {
			t.Fatal(err)
		}
		wantBody := map[string]any{
			"id": personal, "type": "user.email.changed", "time": w.clk.Now().Add(-DefaultSettle - time.Second).Format(timeLayout),
			"tenant_id": w.a, "actor": map[string]any{"type": "user", "id": "usr_ada"},
			"target": map[string]any{"type": "user", "id": "usr_ada"}, "outcome": "success",
			"details": map[string]any{"fields": []any{"email"}, "count": 2.0},
		}
		if !reflect.DeepEqual(gotBody, wantBody) {
			t.Errorf("body %s, want %v", personalBody, wantBody)
		}
		if !strings.HasPrefix(string(personalBody), `{"id":"`+personal+`","type":"user.email.changed","time":"`) {
			t.Errorf("fields out of the documented order: %s", personalBody)
		}
	})
}

// TestHookStates: deliveries wait while a hook is disabled, without
// counting attempts, and go out when it is enabled; after a rotation both
// secrets sign until the grace ends.
func TestHookStates(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		rx := startReceiver(t, w.clk)
		h := w.activeHook(t, rx, w.a, "user.*")
		id := w.appendEvent(t, w.a, "user.created")
		w.settle()
		w.enqueue(t)
		in := Input{Name: h.Name, URL: h.URL, Types: h.Types, Disabled: true}
		update := func(in Input) {
			w.must(t, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.Update(ctx, tx, w.a, h.ID, in)
				return err
			})
		}
		update(in)
		if n := w.runOnce(t); n != 0 {
			t.Fatalf("RunOnce for a disabled hook = %d", n)
		}
		d := w.deliveries(t, h.ID)[0]
		if d.Status != Pending || d.Attempts != 0 || !d.NextAttemptAt.After(w.clk.Now()) {
			t.Errorf("waiting: %+v", d)
		}
		// A disabled hook reads no events either.
		w.appendEvent(t, w.a, "user.deleted")
		w.settle()
		if n := w.enqueue(t); n != 0 {
			t.Errorf("Enqueue for a disabled hook = %d", n)
		}
		in.Disabled = false
		update(in)
		if n := w.runOnce(t); n != 1 {
			t.Fatalf("RunOnce once enabled = %d, want the waiting delivery", n)
		}
		if n := w.enqueue(t); n != 1 {
			t.Errorf("Enqueue once enabled = %d, want what happened meanwhile", n)
		}
		w.runOnce(t)

		// Rotation: the header carries the new and the old secret.
		old := rx.secrets[h.ID]
		var next string
		w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
			_, next, err = w.svc.RotateSecret(ctx, tx, w.a, h.ID)
			return err
		})
		rx.trust(h.ID, next)
		signedBy := func() (oldOK, newOK bool) {
			t.Helper()
			w.appendEvent(t, w.a, "user.updated")
			w.settle()
			w.enqueue(t)
			if n := w.runOnce(t); n != 1 {
				t.Fatalf("RunOnce = %d", n)
			}
			reqs := rx.requests()
			r := reqs[len(reqs)-1]
			now := w.clk.Now()
			return hooksig.Verify(r.header.Get(hooksig.Header), r.body, []byte(old), now, 0) == nil,
				hooksig.Verify(r.header.Get(hooksig.Header), r.body, []byte(next), now, 0) == nil
		}
		if oldOK, newOK := signedBy(); !oldOK || !newOK {
			t.Errorf("during the grace: old secret verifies %v, new %v", oldOK, newOK)
		}
		w.clk.Advance(DefaultRotationGrace)
		if oldOK, newOK := signedBy(); oldOK || !newOK {
			t.Errorf("after the grace: old secret verifies %v, new %v", oldOK, newOK)
		}
		if got := rx.ackCounts()[id]; got != 1 {
			t.Errorf("the waiting event acknowledged %d times", got)
		}
	})
}

// TestRun: Run enqueues and delivers on each tick and stops when ticks end.
func TestRun(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		rx := startReceiver(t, w.clk)
		rx.notify = make(chan string, 10)
		w.activeHook(t, rx, w.a, "*")
		id := w.appendEvent(t, w.a, "app.created")
		w.settle()
		ticks := make(chan time.Time)
		done := make(chan error)
		go func() { done <- w.svc.Run(context.Background(), ticks) }()
		ticks <- w.clk.Now()
		select {
		case got := <-rx.notify:
			if got != id {
				t.Errorf("delivered %s, want %s", got, id)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("nothing delivered after a tick")
		}
		close(ticks)
		if err := <-done; err != nil {
			t.Errorf("Run = %v after ticks ended", err)
		}
	})
}

// TestLease: a delivery claimed by one worker is not sent by another
// until the lease ends, and a worker does not send what its lease could
// not cover.
func TestLease(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		ctx := context.Background()
		rx := startReceiver(t, w.clk)
		h := w.activeHook(t, rx, w.a, "*")
		id := w.appendEvent(t, w.a, "app.created")
		w.settle()
		w.enqueue(t)
		// A worker claims and then dies before sending.
		b, _, err := w.svc.claim(ctx)
		if err != nil || len(b.deliveries) != 1 {
			t.Fatalf("claim: %d, %v", len(b.deliveries), err)
		}
		if n := w.runOnce(t); n != 0 {
			t.Fatalf("RunOnce during another's lease = %d", n)
		}
		// A worker whose lease ends before the send could time out does
		// not send.
		w.clk.Advance(DefaultLease - SendTimeout + time.Second)
		ok, tried, err := w.svc.deliverOne(ctx, "claim_x", b.leaseEnd, b.deliveries[0])
		if ok || tried || err != nil || len(rx.ackCounts()) != 0 {
			t.Errorf("sent with too little lease left: %v %v %v", ok, tried, err)
		}
		w.clk.Advance(SendTimeout)
		if n := w.runOnce(t); n != 1 {
			t.Fatalf("RunOnce after the lease ended = %d", n)
		}
		checkOnce(t, rx, []string{id})
		// The dead worker's late record is refused: its claim is gone.
		err = w.svc.record(ctx, "claim_x", b.deliveries[0], outcome{status: 200})
		if !errors.Is(err, errLeaseLost) {
			t.Errorf("late record: %v", err)
		}
		if d := w.deliveries(t, h.ID)[0]; d.Status != Delivered || d.Attempts != 1 {
			t.Errorf("%+v", d)
		}
		if got := rx.requests()[len(rx.requests())-1].header.Get(AttemptHeader); got != strconv.Itoa(1) {
			t.Errorf("attempt header %q", got)
		}
	})
}
