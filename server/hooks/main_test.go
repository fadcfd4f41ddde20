package hooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egresstest"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is when the tests happen.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// world is one fresh database with tenants A and B, a Service over real
// secrets, a fake WASM runtime, and a TLS receiver on loopback that
// hooks are pointed at (one path per hook, see handle).
type world struct {
	st   store.Store
	svc  *Service
	sec  *secrets.Service
	clk  *clock.Fake
	wasm *fakeWASM
	srv  *httptest.Server
	mux  *http.ServeMux
	// a and b are the tenants' IDs.
	a, b string
}

// eachWorld runs fn on a fresh world of every dialect, in parallel with
// the other tests that use it.
func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newWorld(t, b.Open(t))) })
	}
}

func newWorld(t *testing.T, st store.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{st: st, clk: clock.NewFake(t0), wasm: &fakeWASM{}, mux: http.NewServeMux()}
	w.srv = httptest.NewTLSServer(w.mux)
	t.Cleanup(w.srv.Close)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	if w.sec, err = secrets.New(ctx, st, secrets.Keyring{Current: kek}, w.clk); err != nil {
		t.Fatal(err)
	}
	w.svc, err = New(Deps{Store: st, Secrets: w.sec, Clock: w.clk, Logger: slog.New(slog.DiscardHandler),
		HTTP: egresstest.Loopback(w.srv.Certificate()), WASM: w.wasm})
	if err != nil {
		t.Fatal(err)
	}
	tenants := tenant.New(w.sec, w.clk, tenant.Options{PublicHost: "id.example.com"})
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

// do runs fn in a transaction that commits whatever fn returns.
func (w *world) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, w.st, fn)
}

// create creates a hook of tenant, failing the test on an error, and
// returns it with its secret.
func (w *world) create(t *testing.T, tenantID string, in HookInput) (Hook, string) {
	t.Helper()
	var h Hook
	var secret string
	w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
		h, secret, err = w.svc.CreateHook(ctx, tx, tenantID, in)
		return err
	})
	return h, secret
}

// receiver is one path of the world's TLS server: it verifies each
// request's signature with the hook's secret and answers with reply.
type receiver struct {
	mu sync.Mutex
	// secret verifies signatures (set once the hook exists).
	secret []byte
	calls  int
	// sigErr is the last signature check's result.
	sigErr error
	// bodies and headers are the requests received.
	bodies  [][]byte
	headers []http.Header
	reply   func(w http.ResponseWriter, r *http.Request)
}

// handle serves path with a receiver answering reply.
func (w *world) handle(path string, reply func(w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{reply: reply}
	w.mux.HandleFunc(path, func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.calls++
		rc.bodies = append(rc.bodies, body)
		rc.headers = append(rc.headers, r.Header.Clone())
		rc.sigErr = verifySig(r.Header, body, rc.secret, w.clk.Now())
		reply := rc.reply
		rc.mu.Unlock()
		reply(rw, r)
	})
	return rc
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = []byte(s)
}

func (rc *receiver) setReply(reply func(w http.ResponseWriter, r *http.Request)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reply = reply
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls
}

// answer replies with a fixed JSON body.
func answer(body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

// status replies with a status code and no body.
func status(code int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// httpHook is an enabled HTTP hook of point at the receiver's path.
func (w *world) httpHook(name string, point Point, path string, policy FailurePolicy) HookInput {
	return HookInput{Name: name, Point: point, Runtime: RuntimeHTTP, URL: w.srv.URL + path, FailurePolicy: policy,
		Enabled: true, Timeout: time.Second}
}

// fakeWASM is a WASMRuntime that runs no WebAssembly: Validate refuses
// modules starting with "bad", Call answers out (or err) and records
// what it was given.
type fakeWASM struct {
	mu     sync.Mutex
	out    []byte
	err    error
	keys   []string
	inputs [][]byte
	// timeouts are the timeouts Call was given.
	timeouts []time.Duration
}

var errBadModule = errors.New("imports env.forbidden, which is not allowed")

func (f *fakeWASM) Validate(_ context.Context, module []byte) error {
	if len(module) >= 3 && string(module[:3]) == "bad" {
		return errBadModule
	}
	return nil
}

func (f *fakeWASM) Call(_ context.Context, key string, module []byte, input []byte, timeout time.Duration) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if moduleKey(module) != key {
		return nil, errors.New("key is not the module's hash")
	}
	f.keys = append(f.keys, key)
	f.inputs = append(f.inputs, input)
	f.timeouts = append(f.timeouts, timeout)
	return f.out, f.err
}

var _ WASMRuntime = (*fakeWASM)(nil)

// fieldsOf returns the fields an error refuses.
func fieldsOf(err error) []string {
	var out []string
	for _, e := range invalid.All(err) {
		out = append(out, e.Field)
	}
	return out
}

// with returns another Service over the world's store, with Deps changed
// by f.
func (w *world) with(t *testing.T, f func(d *Deps)) *Service {
	t.Helper()
	d := w.svc.d
	f(&d)
	svc, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
