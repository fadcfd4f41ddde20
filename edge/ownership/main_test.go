package ownership_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// zone is a tiny authoritative DNS server on loopback whose records tests
// set. A name it does not know answers NXDOMAIN; a known name without
// records of the asked type answers NOERROR and nothing; a name marked
// failing answers SERVFAIL. (internal/acmetest's server cannot fail a
// name or split a short TXT value where a test chooses, which these tests
// need.)
type zone struct {
	mu      sync.Mutex
	a       map[string]netip.Addr
	txt     map[string][][]string // per record, its character-strings
	failing map[string]bool
	addr    string
}

// startDNS starts a zone on 127.0.0.1 (UDP) until t ends and returns it
// with a resolver that asks only it.
func startDNS(t testing.TB) (*zone, *net.Resolver) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &zone{a: map[string]netip.Addr{}, txt: map[string][][]string{}, failing: map[string]bool{}, addr: pc.LocalAddr().String()}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: z, NotifyStartedFunc: func() { close(started) }}
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Error(err)
		}
		<-done
	})
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", z.addr)
	}}
	return z, r
}

func fqdn(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// setA makes name resolve to addr (IPv4).
func (z *zone) setA(name string, addr string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.a[fqdn(name)] = netip.MustParseAddr(addr)
}

// setTXT adds one TXT record to name, made of the given character-strings.
func (z *zone) setTXT(name string, chunks ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.txt[fqdn(name)] = append(z.txt[fqdn(name)], chunks)
}

// fail makes every query for name answer SERVFAIL.
func (z *zone) fail(name string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.failing[fqdn(name)] = true
}

// ServeDNS implements dns.Handler.
func (z *zone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	// Recursion "available", or Go's resolver takes an empty answer for a
	// lame referral.
	resp.Authoritative, resp.RecursionAvailable = true, true
	if len(req.Question) == 1 {
		z.answer(resp, req.Question[0])
	}
	_ = w.WriteMsg(resp)
}

func (z *zone) answer(resp *dns.Msg, q dns.Question) {
	z.mu.Lock()
	defer z.mu.Unlock()
	name := strings.ToLower(q.Name)
	addr, hasA := z.a[name]
	txt, hasTXT := z.txt[name]
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET}
	switch {
	case z.failing[name]:
		resp.Rcode = dns.RcodeServerFailure
	case !hasA && !hasTXT:
		resp.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeA && hasA:
		resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: addr.AsSlice()})
	case q.Qtype == dns.TypeTXT:
		for _, chunks := range txt {
			resp.Answer = append(resp.Answer, &dns.TXT{Hdr: hdr, Txt: chunks})
		}
	}
}

var _ dns.Handler = (*zone)(nil)
