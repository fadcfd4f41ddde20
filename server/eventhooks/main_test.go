package eventhooks

import (
	"context"
	"encoding/json"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egresstest"
	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is when the tests begin.
var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// world is one fresh database with tenants A and B, a Service over real
// secrets and a real system log, and an egress client that trusts the
// test receivers' certificate and allows loopback.
type world struct {
	st   store.Store
	clk  *clock.Fake
	ring secrets.Keyring
	sec  *secrets.Service
	log  *events.Log
	svc  *Service
	opts Options
	// a and b are the tenants' IDs.
	a, b string
}

// eachWorld runs fn on a fresh world of every dialect, in parallel with
// the other tests that use it.
func eachWorld(t *testing.T, o Options, fn func(t *testing.T, w *world)) {
	t.Helper()
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newWorld(t, b.Open(t), o))
		})
	}
}

func newWorld(t testing.TB, st store.Store, o Options) *world {
	t.Helper()
	w := &world{st: st, clk: clock.NewFake(t0), opts: o}
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	w.ring = secrets.Keyring{Current: kek}
	w.sec, w.log, w.svc = w.services(t, st)
	tenants := tenant.New(w.sec, w.clk, tenant.Options{PublicHost: "id.example.com"})
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		a, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "tenant-a", Name: "A"})
		if err != nil {
			return err
		}
		b, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "tenant-b", Name: "B"})
		w.a, w.b = a.ID, b.ID
		return err
	})
	return w
}

// services builds a node's services over st: what a second node opening
// the same database runs.
func (w *world) services(t testing.TB, st store.Store) (*secrets.Service, *events.Log, *Service) {
	t.Helper()
	sec, err := secrets.New(context.Background(), st, w.ring, w.clk)
	if err != nil {
		t.Fatal(err)
	}
	log := events.New(st, sec, w.clk)
	o := w.opts
	o.AllowInsecureLoopback = true
	svc, err := New(Deps{Store: st, Secrets: sec, Events: log, Clock: w.clk, HTTP: egresstest.Loopback(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, o)
	if err != nil {
		t.Fatal(err)
	}
	return sec, log, svc
}

// must runs fn in a transaction and fails the test on an error.
func (w *world) must(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := w.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// do runs fn in a transaction that commits whatever fn returns.
func (w *world) do(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, w.st, fn)
}

// create makes a hook of tenant, failing the test on an error.
func (w *world) create(t testing.TB, tenantID string, in Input) (Hook, string) {
	t.Helper()
	var h Hook
	var secret string
	w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
		h, secret, err = w.svc.Create(ctx, tx, tenantID, in)
		return err
	})
	return h, secret
}

// activeHook makes a hook of tenant pointing at rx and verifies it.
func (w *world) activeHook(t testing.TB, rx *receiver, tenantID string, types ...string) Hook {
	t.Helper()
	h, secret := w.create(t, tenantID, Input{Name: "SIEM", URL: rx.url(), Types: types})
	rx.trust(h.ID, secret)
	if err := w.svc.Verify(context.Background(), tenantID, h.ID); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return w.get(t, tenantID, h.ID)
}

// get reads a hook, failing the test on an error.
func (w *world) get(t testing.TB, tenantID, id string) Hook {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) {
		return w.svc.Get(ctx, tx, tenantID, id)
	})
}

// delivery reads a delivery, failing the test on an error.
func (w *world) delivery(t testing.TB, tenantID, id string) Delivery {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Delivery, error) {
		return w.svc.Delivery(ctx, tx, tenantID, id)
	})
}

// deliveries lists the deliveries of a hook, oldest first.
func (w *world) deliveries(t testing.TB, hookID string) []Delivery {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]Delivery, error) {
		rows, err := tx.Query(ctx, `SELECT `+deliveryCols+` FROM event_deliveries WHERE hook_id = ? ORDER BY event_id`, hookID)
		return store.Collect(rows, err, scanDelivery)
	})
}

// appendEvent records an event of tenant of type typ, stamped now, and
// returns its ID.
func (w *world) appendEvent(t testing.TB, tenantID, typ string) string {
	t.Helper()
	return w.appendFull(t, events.Event{TenantID: tenantID, Type: typ, Actor: events.Ref{Type: "system"},
		Target: events.Ref{Type: "user", ID: "usr_1"}, Outcome: events.Success})
}

// appendFull records e and returns its ID.
func (w *world) appendFull(t testing.TB, e events.Event) string {
	t.Helper()
	w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
		e, err = w.log.Append(ctx, tx, e)
		return err
	})
	return e.ID
}

// settle moves the clock past Settle, so Enqueue reads what was appended.
func (w *world) settle() { w.clk.Advance(DefaultSettle + time.Second) }

// enqueue runs Enqueue, failing the test on an error.
func (w *world) enqueue(t testing.TB) int {
	t.Helper()
	n, err := w.svc.Enqueue(context.Background())
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return n
}

// runOnce runs RunOnce, failing the test on an error.
func (w *world) runOnce(t testing.TB) int {
	t.Helper()
	n, err := w.svc.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// request is what a receiver got.
type request struct {
	method    string
	header    http.Header
	body      []byte
	signature error // hooksig.Verify with the hook's current secret
}

// receiver is a customer's endpoint on loopback TLS. It checks every
// signature with the secret of the hook named in the request (at the
// world's clock), answers handshakes, and records which event IDs it
// acknowledged.
type receiver struct {
	t   testing.TB
	clk clock.Clock

	mu      sync.Mutex
	srv     *httptest.Server
	addr    string
	secrets map[string]string // hook ID → secret
	// answer is the status answered to deliveries (200 when 0); echo
	// rewrites the challenge answered to handshakes.
	answer int
	echo   func(string) string
	// acked counts the 2xx answers per event ID; got is every request.
	acked map[string]int
	got   []request
	// notify receives every acknowledged event ID when set.
	notify chan string
}

// startReceiver serves a receiver on a fresh loopback port.
func startReceiver(t testing.TB, clk clock.Clock) *receiver {
	rx := &receiver{t: t, clk: clk, secrets: map[string]string{}, acked: map[string]int{}}
	rx.start("127.0.0.1:0")
	t.Cleanup(rx.stop)
	return rx
}

// start listens on addr ("host:0" for any port) and serves.
func (rx *receiver) start(addr string) {
	rx.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		rx.t.Fatalf("receiver: listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(rx.serve))
	_ = srv.Listener.Close()
	srv.Listener = ln
	// Outages are the point of some tests: no noise about them.
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	srv.StartTLS()
	rx.mu.Lock()
	rx.srv, rx.addr = srv, ln.Addr().String()
	rx.mu.Unlock()
}

// stop closes the listener and every connection: a real outage.
func (rx *receiver) stop() {
	rx.mu.Lock()
	srv := rx.srv
	rx.srv = nil
	rx.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// restart serves again on the same port.
func (rx *receiver) restart() { rx.start(rx.addr) }

func (rx *receiver) url() string {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return "https://" + rx.addr + "/hooks/lintel"
}

func (rx *receiver) trust(hookID, secret string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.secrets[hookID] = secret
}

func (rx *receiver) setAnswer(status int) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.answer = status
}

func (rx *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "body", http.StatusBadRequest)
		return
	}
	rx.mu.Lock()
	defer rx.mu.Unlock()
	secret, known := rx.secrets[r.Header.Get(HookIDHeader)]
	sigErr := hooksig.ErrMismatch
	if known {
		sigErr = hooksig.Verify(r.Header.Get(hooksig.Header), body, []byte(secret), rx.clk.Now(), 0)
	}
	rx.got = append(rx.got, request{method: r.Method, header: r.Header.Clone(), body: body, signature: sigErr})
	if sigErr != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if c := r.Header.Get(ChallengeHeader); c != "" {
		if rx.echo != nil {
			c = rx.echo(c)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"verification": c})
		return
	}
	if rx.answer != 0 && (rx.answer < 200 || rx.answer > 299) {
		http.Error(w, "unavailable", rx.answer)
		return
	}
	id := r.Header.Get(EventIDHeader)
	rx.acked[id]++
	if rx.notify != nil {
		rx.notify <- id
	}
	w.WriteHeader(http.StatusNoContent)
}

// ackCounts returns a copy of the acknowledgements per event ID.
func (rx *receiver) ackCounts() map[string]int {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	out := make(map[string]int, len(rx.acked))
	for k, v := range rx.acked {
		out[k] = v
	}
	return out
}

// requests returns a copy of the requests received.
func (rx *receiver) requests() []request {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return append([]request(nil), rx.got...)
}

// badSignatures counts the requests whose signature did not verify.
func (rx *receiver) badSignatures() int {
	n := 0
	for _, r := range rx.requests() {
		if r.signature != nil {
			n++
		}
	}
	return n
}
