package phone

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Test credentials: fixtures, not secrets.
const (
	testSID    = "AC0123456789abcdef0123456789abcdef"
	testToken  = "tw-auth-token-0123456789abcdef"
	testSecret = "whsec-0123456789abcdef0123456789abcdef"
)

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// mustNumber parses a number the test knows is valid.
func mustNumber(t testing.TB, s string) Number {
	t.Helper()
	n, err := ParseNumber(s)
	if err != nil {
		t.Fatalf("ParseNumber(%q): %v", s, err)
	}
	return n
}

// request is one request a gateway received.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// gateway is a loopback HTTPS server standing for a provider: it records
// every request and answers each with reply (200 with an empty JSON object
// when reply is nil).
type gateway struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []request
	reply func(n int, r request) (status int, body string)
}

// startGateway starts a gateway closed when t ends.
func startGateway(t testing.TB, reply func(n int, r request) (int, string)) *gateway {
	g := &gateway{reply: reply}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
		g.mu.Lock()
		g.reqs = append(g.reqs, req)
		n := len(g.reqs)
		g.mu.Unlock()
		status, out := http.StatusOK, "{}"
		if g.reply != nil {
			status, out = g.reply(n, req)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// requests returns what the gateway received so far.
func (g *gateway) requests() []request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.reqs)
}

// url is the gateway's base URL ("https://127.0.0.1:port").
func (g *gateway) url() string { return g.srv.URL }

// testEgress is an egress dialer that allows loopback and trusts the
// gateways' test certificate; production allows neither.
func testEgress(t testing.TB) *egress.Dialer {
	t.Helper()
	// Every httptest TLS server uses the same built-in certificate.
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return egress.New(egress.Options{
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		TLS:   &tls.Config{RootCAs: pool},
	})
}

// dump renders a request as a stable document: method and path, headers
// sorted, a blank line, then the body (a form decoded one field a line).
func dump(r request) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.method, r.path)
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	if r.header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		form, err := parseForm(r.body)
		if err != nil {
			fmt.Fprintf(&b, "bad form: %v\n", err)
		}
		for _, kv := range form {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
		return []byte(b.String())
	}
	b.Write(r.body)
	b.WriteString("\n")
	return []byte(b.String())
}

// limiter is a fixed-window counter: Rate events per window of Per,
// windows aligned on the clock. It records every key it was asked about.
type limiter struct {
	clk  clock.Clock
	mu   sync.Mutex
	n    map[string]int
	keys []string
	fail error // returned by Allow when set
}

func newLimiter(clk clock.Clock) *limiter { return &limiter{clk: clk, n: map[string]int{}} }

func (l *limiter) Allow(_ context.Context, key string, lim Limit) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return false, 0, l.fail
	}
	l.keys = append(l.keys, key)
	now := l.clk.Now()
	start := now.Truncate(lim.Per)
	k := fmt.Sprintf("%s@%d", key, start.Unix())
	if l.n[k] >= lim.Rate {
		return false, start.Add(lim.Per).Sub(now), nil
	}
	l.n[k]++
	return true, 0, nil
}

// asked returns the keys Allow was asked about.
func (l *limiter) asked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.keys)
}

var _ Limiter = (*limiter)(nil)

// env is one test's world on one backend.
type env struct {
	open     storetest.Opener
	st       store.Store
	clk      *clock.Fake
	sec      *secrets.Service
	egress   *egress.Dialer
	settings *Settings
	lim      *limiter
	ob       *Outbox
}

type behaviour struct {
	name string
	fn   func(t *testing.T, e *env)
}

// runOnBackends runs each behaviour on a fresh database of each dialect.
func runOnBackends(t *testing.T, tests []behaviour) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					open := b.New(t)
					e := &env{open: open, st: open(t), clk: clock.NewFake(t0), egress: testEgress(t)}
					kek, err := secrets.GenerateKEK(t0)
					if err != nil {
						t.Fatal(err)
					}
					if e.sec, err = secrets.New(context.Background(), e.st, secrets.Keyring{Current: kek}, e.clk); err != nil {
						t.Fatal(err)
					}
					e.settings = NewSettings(e.st, e.sec, e.clk, SettingsOptions{Egress: e.egress})
					e.lim = newLimiter(e.clk)
					e.ob = NewOutbox(e.st, e.settings, e.lim, e.egress.Client(), e.clk, Options{})
					tc.fn(t, e)
				})
			}
		})
	}
}

// webhookInput is valid webhook settings for g, allowing the US and
// Canada on both channels.
func webhookInput(g *gateway) SettingsInput {
	return SettingsInput{Kind: KindWebhook, Webhook: WebhookConfig{URL: g.url() + "/sms?tenant=acme", Secret: testSecret},
		Channels: []Channel{SMS, Voice}, Countries: []string{"US", "CA"}}
}

// twilioInput is valid Twilio settings for g.
func twilioInput(g *gateway) SettingsInput {
	return SettingsInput{Kind: KindTwilio, Twilio: TwilioConfig{AccountSID: testSID, AuthToken: testToken,
		From: "+1 415 555 0199", BaseURL: g.url(), StatusCallback: "https://login.acme.example/phone/status"},
		Channels: []Channel{SMS, Voice}, Countries: []string{"US", "CA"}}
}

// put stores settings for the tenant in a transaction of its own.
func (e *env) put(t testing.TB, tenantID string, in SettingsInput) (TenantSettings, error) {
	t.Helper()
	var out TenantSettings
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = e.settings.Put(ctx, tx, tenantID, in)
		return err
	})
	return out, err
}

// mustPut stores settings that the test knows are valid.
func (e *env) mustPut(t testing.TB, tenantID string, in SettingsInput) TenantSettings {
	t.Helper()
	out, err := e.put(t, tenantID, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// get reads the tenant's settings.
func (e *env) get(t testing.TB, tenantID string) (TenantSettings, error) {
	t.Helper()
	var out TenantSettings
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = e.settings.Get(ctx, tx, tenantID)
		return err
	})
	return out, err
}

// sms is a code message to a US number.
func sms(t testing.TB) Message {
	return Message{To: mustNumber(t, "+1 (415) 555-0100"), Channel: SMS,
		Body: "123456 is your Acme sign-in code. Don't share it.", Locale: "en"}
}

// clientIP is the address tests enqueue from.
var clientIP = netip.MustParseAddr("203.0.113.7")

// enqueue adds m for the tenant in a committed transaction of its own and
// returns the ID, or the error.
func (e *env) enqueue(t testing.TB, tenantID string, m Message, ip netip.Addr) (string, error) {
	t.Helper()
	var id string
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		id, err = e.ob.Enqueue(ctx, tx, tenantID, m, ip)
		return err
	})
	return id, err
}

// mustEnqueue enqueues a message the test knows passes.
func (e *env) mustEnqueue(t testing.TB, tenantID string, m Message) string {
	t.Helper()
	id, err := e.enqueue(t, tenantID, m, clientIP)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// count returns how many outbox rows exist.
func (e *env) count(t testing.TB) int {
	t.Helper()
	var n int
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM phone_outbox`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lookup returns a message's entry.
func (e *env) lookup(t testing.TB, id string) Entry {
	t.Helper()
	en, err := e.ob.Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// parseForm decodes a form body into its fields, sorted by name.
func parseForm(body []byte) ([][2]string, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for k, vs := range v {
		for _, x := range vs {
			out = append(out, [2]string{k, x})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	return out, nil
}
