package logstream

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/egresstest"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// runWorld is a world whose streams post to a loopback TLS receiver.
type runWorld struct {
	*world
	rcv  *receiver
	srv  *httptest.Server
	addr string // the receiver's address, also while it is down
	url  string
}

// eachRunWorld runs fn on a fresh runWorld of every dialect, the
// receiver started.
func eachRunWorld(t *testing.T, fn func(t *testing.T, w *runWorld)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := &runWorld{}
			w.rcv = &receiver{}
			srv := startTLS(t, w.rcv, "")
			w.world = newWorld(t, b.Open(t), egresstest.Loopback(srv.Certificate()))
			w.rcv.clk = w.clk
			w.addr, w.url = srv.Listener.Addr().String(), srv.URL+"/in"
			w.srv = srv
			fn(t, w)
		})
	}
}

// create adds a stream for tenantID and tells the receiver its secret.
func (w *runWorld) create(t *testing.T, tenantID string, in Input) Stream {
	t.Helper()
	var st Stream
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		var secret string
		var err error
		st, secret, err = w.svc.Create(ctx, tx, tenantID, in)
		w.rcv.setSecret(secret)
		return err
	})
	return st
}

func (w *runWorld) update(t *testing.T, st Stream, status Status) {
	t.Helper()
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		_, err := w.svc.Update(ctx, tx, st.TenantID, st.ID, Input{Name: st.Name, URL: st.URL, Types: st.Types, Personal: st.Personal, Status: status})
		return err
	})
}

// waitFor waits until the receiver holds want, and fails on anything else.
func (w *runWorld) waitFor(t *testing.T, want []string) {
	t.Helper()
	eventually(t, "the receiver to get "+strings.Join(want, ","), func() bool { return len(w.rcv.got()) >= len(want) })
	if got := w.rcv.got(); !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v", got, want)
	}
}

func TestRunner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, w *runWorld)
	}{
		{"delivers a tenant's events through a receiver that was down, once", testRunnerDownThenUp},
		{"stops a disabled stream and resumes it where it stopped", testRunnerDisable},
		{"stops a deleted stream", testRunnerDelete},
		{"streams every tenant to an instance-wide stream", testRunnerInstance},
		{"Run follows the streams until its context ends", testRunnerRun},
	} {
		t.Run(tc.name, func(t *testing.T) { eachRunWorld(t, tc.fn) })
	}
}

func testRunnerDownThenUp(t *testing.T, w *runWorld) {
	st := w.create(t, w.a, Input{Name: "siem", URL: w.url})
	evs := w.appendEvents(t, w.a, w.b, w.a, "")
	w.settle()
	w.srv.Close() // the receiver is down
	ctx := context.Background()
	r := w.svc.newRunner()
	defer r.stopAll()
	r.sync(ctx) // starts the follower, whose first round fails
	eventually(t, "the failure to be recorded", func() bool { return w.stream(t, w.a, st.ID).LastError != "" })
	if got := w.stream(t, w.a, st.ID); got.Cursor != "" || strings.Contains(got.LastError, w.addr) {
		t.Fatalf("after a failed delivery: cursor %q, last error %q (must not move, must not show the URL)", got.Cursor, got.LastError)
	}

	w.srv = startTLS(t, w.rcv, w.addr) // back up
	r.sync(ctx)
	r.poll(w.clk.Now())
	w.waitFor(t, []string{evs[0].ID, evs[2].ID})
	eventually(t, "the cursor to be saved", func() bool { return w.stream(t, w.a, st.ID).Cursor >= evs[2].ID })
	if got := w.stream(t, w.a, st.ID); got.LastError != "" {
		t.Fatalf("last error %q after a delivery", got.LastError)
	}
	w.rcv.mu.Lock()
	defer w.rcv.mu.Unlock()
	if len(w.rcv.badSig) != 0 || strings.Contains(string(w.rcv.bodies[0]), "ada@example.com") {
		t.Fatalf("bad signatures %v, or personal details sent to a pseudonymous stream: %s", w.rcv.badSig, w.rcv.bodies[0])
	}
}

func testRunnerDisable(t *testing.T, w *runWorld) {
	st := w.create(t, w.a, Input{Name: "siem", URL: w.url, Personal: true})
	first := w.appendEvents(t, w.a)
	w.settle()
	ctx := context.Background()
	r := w.svc.newRunner()
	defer r.stopAll()
	r.sync(ctx)
	w.waitFor(t, eventIDs(first))
	eventually(t, "the cursor to be saved", func() bool { return w.stream(t, w.a, st.ID).Cursor == first[0].ID })

	w.update(t, st, Disabled)
	r.sync(ctx)
	if r.running[st.ID] != nil {
		t.Fatal("a disabled stream still runs")
	}
	later := w.appendEvents(t, w.a, w.a)
	w.settle()
	r.poll(w.clk.Now())
	if got := w.stream(t, w.a, st.ID).Cursor; got != first[0].ID {
		t.Fatalf("a disabled stream moved its cursor to %q", got)
	}

	w.update(t, st, Active)
	r.sync(ctx)
	w.waitFor(t, eventIDs(append(first, later...)))
	w.rcv.mu.Lock()
	defer w.rcv.mu.Unlock()
	if !strings.Contains(string(w.rcv.bodies[0]), "ada@example.com") {
		t.Fatalf("a stream with personal details sent %s", w.rcv.bodies[0])
	}
}

func testRunnerDelete(t *testing.T, w *runWorld) {
	st := w.create(t, w.a, Input{Name: "siem", URL: w.url})
	ctx := context.Background()
	r := w.svc.newRunner()
	defer r.stopAll()
	r.sync(ctx)
	f := r.running[st.ID]
	if f == nil {
		t.Fatal("an active stream does not run")
	}
	w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.Delete(ctx, tx, w.a, st.ID) })
	r.sync(ctx)
	if r.running[st.ID] != nil || !f.ended() {
		t.Fatal("a deleted stream still runs")
	}
	w.appendEvents(t, w.a)
	w.settle()
	r.poll(w.clk.Now())
	if got := w.rcv.got(); len(got) != 0 {
		t.Fatalf("a deleted stream delivered %v", got)
	}
}

func testRunnerInstance(t *testing.T, w *runWorld) {
	w.create(t, "", Input{Name: "instance siem", URL: w.url, Types: []string{"app.*"}})
	evs := w.appendEvents(t, w.a, w.b, "")
	w.settle()
	r := w.svc.newRunner()
	defer r.stopAll()
	r.sync(context.Background())
	w.waitFor(t, eventIDs(evs))
}

func testRunnerRun(t *testing.T, w *runWorld) {
	w.create(t, w.a, Input{Name: "siem", URL: w.url})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- w.svc.Run(ctx, tick) }()
	evs := w.appendEvents(t, w.a)
	w.settle()
	tick <- w.clk.Now()
	w.waitFor(t, eventIDs(evs))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	unwired, err := New(Deps{Secrets: w.svc.d.Secrets, Clock: w.clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := unwired.Run(context.Background(), nil); err == nil {
		t.Fatal("Run without a store, a log and a client started")
	}
}
