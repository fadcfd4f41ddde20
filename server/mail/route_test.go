package mail

import (
	"context"
	"crypto/tls"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/egress"
)

func TestRouter(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"sends a tenant's mail through its relay and the others' through the instance's", testRouterTenantAndInstance},
		{"logs in over implicit TLS through the egress dialer", testRouterImplicitTLS},
		{"with no relay anywhere a message waits, never dying, until one is configured", testRouterNotConfigured},
		{"the egress dialer refuses a relay at an address it does not allow", testRouterEgress},
		{"a refused login is retried, not dead", testRouterBadLogin},
	})
}

// routed returns a message of tenant.
func routed(tenantID string) Message {
	m := message()
	m.TenantID = tenantID
	return m
}

// relayOf is the tenant relay input for a started sink.
func relayOf(s *SMTP) RelayInput {
	return RelayInput{Host: s.Host, Port: s.Port, TLS: s.TLS, From: "Acme <no-reply@acme.example>"}
}

func testRouterTenantAndInstance(t *testing.T, e *env) {
	cert, pool := testCert(t)
	tenantSink := sink{user: "acme", pass: "hunter2-pa55", cert: cert}
	var instanceSink sink
	inst := instanceSink.start(t)
	s := e.settings(t, SettingsOptions{Egress: loopbackEgress(),
		Instance: Relay{Host: inst.Host, Port: inst.Port, TLS: NoTLS, From: "Lintel <mail@lintel.example>"}})
	in := relayOf(tenantSink.start(t))
	in.Username, in.Password = "acme", ptr("hunter2-pa55")
	if _, err := put(t, e, s, "ten_a", in); err != nil {
		t.Fatal(err)
	}
	r := NewRouter(s, loopbackEgress(), RouterOptions{TLS: &tls.Config{RootCAs: pool}, Timeout: 10 * time.Second})
	idA := e.enqueue(t, e.ob, routed("ten_a"))
	idB := e.enqueue(t, e.ob, routed("ten_b"))
	if sent, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 2 || failed != 0 {
		t.Fatalf("Deliver = %d, %d, %v; want 2 sent", sent, failed, err)
	}
	if msgs := tenantSink.messages(); len(msgs) != 1 || !strings.Contains(string(msgs[0]), idA+"@acme.example") {
		t.Fatalf("tenant relay got %d messages, want %s", len(msgs), idA)
	}
	if logins, overTLS := tenantSink.stats(); logins != 1 || overTLS != 1 {
		t.Fatalf("tenant relay saw %d logins, %d messages over TLS; want 1 and 1 (STARTTLS)", logins, overTLS)
	}
	if msgs := instanceSink.messages(); len(msgs) != 1 || !strings.Contains(string(msgs[0]), idB+"@acme.example") {
		t.Fatalf("instance relay got %d messages, want %s", len(msgs), idB)
	}
}

func testRouterImplicitTLS(t *testing.T, e *env) {
	cert, pool := testCert(t)
	sk := sink{user: "acme", pass: "hunter2-pa55", cert: cert, implicit: true}
	s := e.settings(t, SettingsOptions{})
	in := relayOf(sk.start(t))
	in.Username, in.Password = "acme", ptr("hunter2-pa55")
	if in.TLS != ImplicitTLS {
		t.Fatalf("sink TLS %q", in.TLS)
	}
	if _, err := put(t, e, s, "ten_a", in); err != nil {
		t.Fatal(err)
	}
	r := NewRouter(s, loopbackEgress(), RouterOptions{TLS: &tls.Config{RootCAs: pool}, Timeout: 10 * time.Second})
	id := e.enqueue(t, e.ob, routed("ten_a"))
	if sent, _, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 1 {
		t.Fatalf("Deliver = %d sent, %v; entry %+v", sent, err, e.lookup(t, id))
	}
	if logins, overTLS := sk.stats(); logins != 1 || overTLS != 1 {
		t.Fatalf("relay saw %d logins, %d messages over TLS; want 1 and 1", logins, overTLS)
	}
	// Without the test CA the relay's certificate is not trusted.
	r = NewRouter(s, loopbackEgress(), RouterOptions{Timeout: 10 * time.Second})
	id = e.enqueue(t, e.ob, routed("ten_a"))
	if sent, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 0 || failed != 1 {
		t.Fatalf("Deliver = %d, %d, %v; want 1 failed", sent, failed, err)
	}
	if got := e.lookup(t, id); got.Status != Pending || got.LastError != "smtp connect, TLS or login failed: certificate not trusted" {
		t.Fatalf("entry %+v", got)
	}
}

func testRouterNotConfigured(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{})
	r := NewRouter(s, loopbackEgress(), RouterOptions{})
	id := e.enqueue(t, e.ob, routed("ten_a"))
	for range 3 * DefaultMaxAttempts {
		if sent, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 0 || failed != 1 {
			t.Fatalf("Deliver = %d, %d, %v; want 1 failed", sent, failed, err)
		}
		got := e.lookup(t, id)
		if got.Status != Pending || got.Attempts != 0 || !got.NextAttemptAt.Equal(e.clk.Now().Add(NotConfiguredWait)) ||
			got.LastError != "no SMTP relay configured for the tenant or the instance" {
			t.Fatalf("entry %+v, want pending, no attempt counted, due in %v", got, NotConfiguredWait)
		}
		if sent, failed, _ := e.ob.Deliver(context.Background(), r, 10); sent+failed != 0 {
			t.Fatal("tried again before the wait")
		}
		e.clk.Advance(NotConfiguredWait)
	}
	var sk sink
	if _, err := put(t, e, s, "ten_a", relayOf(sk.start(t))); err != nil {
		t.Fatal(err)
	}
	if sent, _, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 1 {
		t.Fatalf("Deliver after configuring = %d sent, %v", sent, err)
	}
	if got := e.lookup(t, id); got.Status != Delivered || got.Attempts != 1 || len(sk.messages()) != 1 {
		t.Fatalf("entry %+v, sink %d", got, len(sk.messages()))
	}
}

func testRouterEgress(t *testing.T, e *env) {
	var tenantSink, instanceSink sink
	inst := instanceSink.start(t)
	// No Egress in the options: Put accepts the address, the dial refuses.
	s := e.settings(t, SettingsOptions{Instance: Relay{Host: inst.Host, Port: inst.Port, TLS: NoTLS, From: "mail@lintel.example"}})
	if _, err := put(t, e, s, "ten_a", relayOf(tenantSink.start(t))); err != nil {
		t.Fatal(err)
	}
	production := egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	r := NewRouter(s, production, RouterOptions{})
	ids := []string{e.enqueue(t, e.ob, routed("ten_a")), e.enqueue(t, e.ob, routed("ten_b"))}
	if sent, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 0 || failed != 2 {
		t.Fatalf("Deliver = %d, %d, %v; want 2 failed", sent, failed, err)
	}
	for _, id := range ids {
		if got := e.lookup(t, id); got.Status != Pending || got.Attempts != 1 || got.LastError != "smtp relay address not allowed by the egress policy" {
			t.Errorf("entry %+v", got)
		}
	}
	if tenantSink.offers()+instanceSink.offers() != 0 {
		t.Fatal("a refused relay received a message")
	}
}

func testRouterBadLogin(t *testing.T, e *env) {
	sk := sink{user: "acme", pass: "right"}
	s := e.settings(t, SettingsOptions{Egress: loopbackEgress()})
	in := relayOf(sk.start(t))
	in.Username, in.Password = "acme", ptr("wrong")
	if _, err := put(t, e, s, "ten_a", in); err != nil {
		t.Fatal(err)
	}
	r := NewRouter(s, loopbackEgress(), RouterOptions{})
	id := e.enqueue(t, e.ob, routed("ten_a"))
	if _, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || failed != 1 {
		t.Fatalf("Deliver = %d failed, %v", failed, err)
	}
	if got := e.lookup(t, id); got.Status != Pending || got.Attempts != 1 || got.LastError != "smtp connect, TLS or login failed: 535" {
		t.Fatalf("entry %+v", got)
	}
	in.Password = ptr("right")
	if _, err := put(t, e, s, "ten_a", in); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	if sent, _, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 1 {
		t.Fatalf("Deliver with the right password = %d sent, %v", sent, err)
	}
}
