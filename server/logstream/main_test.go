package logstream

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is where every test's fake clock starts.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// world is one test's streams on a fresh database with two tenants.
type world struct {
	st   store.Store
	clk  *clock.Fake
	log  *events.Log
	svc  *Service
	a, b string // tenant IDs
}

// eachWorld runs fn on a fresh world of every dialect.
func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newWorld(t, b.Open(t), nil)) })
	}
}

// newWorld builds a world whose Service posts through client (nil: an
// egress client that refuses loopback).
func newWorld(t *testing.T, st store.Store, client *http.Client) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{st: st, clk: clock.NewFake(t0)}
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, w.clk)
	if err != nil {
		t.Fatal(err)
	}
	w.log = events.New(st, sec, w.clk)
	if client == nil {
		client = egress.New(egress.Options{}).Client()
	}
	w.svc, err = New(Deps{Secrets: sec, Clock: w.clk, Store: st, Events: w.log, HTTP: client,
		Webhook: WebhookOptions{Attempts: 1, Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	tenants := tenant.New(sec, w.clk, tenant.Options{PublicHost: "id.example.com"})
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		for _, slug := range []string{"tenant-a", "tenant-b"} {
			ten, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: slug, Name: slug})
			if err != nil {
				return err
			}
			if slug == "tenant-a" {
				w.a = ten.ID
			} else {
				w.b = ten.ID
			}
		}
		return nil
	})
	return w
}

// must runs fn in a transaction and fails the test on an error.
func (w *world) must(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := w.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// appendEvents records one event per tenant ID given ("" for the
// instance), a millisecond apart, and returns them.
func (w *world) appendEvents(t *testing.T, tenants ...string) []events.Event {
	t.Helper()
	var out []events.Event
	for _, ten := range tenants {
		w.clk.Advance(time.Millisecond)
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			e, err := w.log.Append(ctx, tx, events.Event{Type: "app.updated", TenantID: ten, Outcome: events.Success,
				Actor: events.Ref{Type: "user", ID: "usr_ada"}, Subject: "usr_ada",
				Personal: map[string]string{"email": "ada@example.com"}})
			out = append(out, e)
			return err
		})
	}
	return out
}

// settle moves the clock past the settle window.
func (w *world) settle() { w.clk.Advance(events.DefaultSettle + time.Second) }

// stream reads a stream (of any tenant) as the runner sees it.
func (w *world) stream(t *testing.T, tenantID, id string) Stream {
	t.Helper()
	var st Stream
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		st, err = w.svc.Get(ctx, tx, tenantID, id)
		return err
	})
	return st
}

// receiver is a log-streaming endpoint: it checks each request's
// signature and records the event IDs of accepted batches.
type receiver struct {
	clk *clock.Fake

	mu       sync.Mutex
	secret   []byte
	status   []int // answers to give, in order; 200 once used up
	requests int
	sizes    []int
	ids      []string
	bodies   []json.RawMessage
	badSig   []error
	headers  []http.Header
}

func (r *receiver) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.headers = append(r.headers, req.Header.Clone())
	if err := hooksig.Verify(req.Header.Get(hooksig.Header), body, r.secret, r.clk.Now(), 0); err != nil {
		r.badSig = append(r.badSig, err)
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusOK
	if len(r.status) > 0 {
		status, r.status = r.status[0], r.status[1:]
	}
	if status != http.StatusOK {
		rw.WriteHeader(status)
		return
	}
	var batch []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	r.sizes = append(r.sizes, len(batch))
	r.bodies = append(r.bodies, body)
	for _, e := range batch {
		r.ids = append(r.ids, e.ID)
	}
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = []byte(s)
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ids)
}

// startTLS serves rcv over TLS on addr ("" for a free port) and returns
// the server; every httptest TLS server has the same certificate.
func startTLS(t *testing.T, rcv http.Handler, addr string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(rcv)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// eventually waits up to ten seconds for cond, for what goroutines do.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
