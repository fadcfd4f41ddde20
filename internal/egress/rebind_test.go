package egress_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/lintel-id/lintel/internal/egress"
)

// fakeDNS is an authoritative DNS server on loopback UDP. For a name in its
// zone, the nth A query is answered with the nth address of the name's
// sequence (the last one once the sequence is used up), with TTL 0; AAAA
// queries get no records. Every other name does not exist.
type fakeDNS struct {
	pc   net.PacketConn
	zone map[string][]netip.Addr

	mu       sync.Mutex
	aQueries map[string]int
}

// startDNS serves zone (names fully qualified: "rebind.test.") until the
// test ends and returns a pure-Go resolver that asks only this server.
func startDNS(t testing.TB, zone map[string][]netip.Addr) (*net.Resolver, *fakeDNS) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeDNS{pc: pc, zone: zone, aQueries: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serve()
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	r := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", pc.LocalAddr().String())
		},
	}
	return r, s
}

// queries returns how many A queries name has had.
func (s *fakeDNS) queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aQueries[name]
}

func (s *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, ok := s.answer(buf[:n]); ok {
			s.pc.WriteTo(resp, from)
		}
	}
}

func (s *fakeDNS) answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := q.Name.String()
	seq, known := s.zone[name]
	rh := dnsmessage.Header{
		ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true,
	}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), rh)
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if known && q.Type == dnsmessage.TypeA && q.Class == dnsmessage.ClassINET {
		s.mu.Lock()
		s.aQueries[name]++
		a := seq[min(s.aQueries[name], len(seq))-1]
		s.mu.Unlock()
		err := b.AResource(
			dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0},
			dnsmessage.AResource{A: a.As4()},
		)
		if err != nil {
			return nil, false
		}
	}
	resp, err := b.Finish()
	return resp, err == nil
}

// countingServer is an httptest server whose listener counts the
// connections it accepts and whose handler counts requests.
type countingServer struct {
	*httptest.Server
	conns, requests atomic.Int32
}

// startServer starts h on addr ("127.0.0.1:0"), over TLS when tls is set.
func startServer(t *testing.T, addr string, tls bool, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	srv.Listener.Close()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = &countingListener{Listener: l, n: &s.conns}
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	s.Server = srv
	return s
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestDNSRebinding shows why CheckURL is advisory: a name that resolves to
// a public address when a tenant registers it resolves to loopback when it
// is fetched, and only the dial-time check stops the request.
func TestDNSRebinding(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	target := "http://rebind.test:" + port + "/"
	zone := func() map[string][]netip.Addr {
		return map[string][]netip.Addr{"rebind.test.": {
			netip.MustParseAddr("93.184.216.34"), // first answer: public
			netip.MustParseAddr("127.0.0.1"),     // every later answer
		}}
	}
	ctx := t.Context()

	t.Run("refuses at dial time what passed registration", func(t *testing.T) {
		r, dns := startDNS(t, zone())
		d := egress.New(egress.Options{Resolver: r})
		if err := d.CheckURL(ctx, "https://rebind.test/jwks"); err != nil {
			t.Fatalf("CheckURL with a public first answer: %v", err)
		}
		resp, err := d.Client().Get(target)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("Get after rebinding: err = %v, want ErrForbidden", err)
		}
		if got := dns.queries("rebind.test."); got != 2 {
			t.Errorf("A queries = %d, want 2 (one per resolution)", got)
		}
		if c, n := srv.conns.Load(), srv.requests.Load(); c != 0 || n != 0 {
			t.Errorf("server saw %d connections and %d requests, want none", c, n)
		}
	})

	t.Run("reaches the rebound address when loopback is allowed", func(t *testing.T) {
		r, _ := startDNS(t, zone())
		allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		d := egress.New(egress.Options{Resolver: r, Allow: allow})
		if err := d.CheckURL(ctx, "https://rebind.test/jwks"); err != nil {
			t.Fatalf("CheckURL: %v", err)
		}
		before := srv.requests.Load()
		resp, err := d.Client().Get(target)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		resp.Body.Close()
		if n := srv.requests.Load() - before; n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
}
