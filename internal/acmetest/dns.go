package acmetest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// DNS is an authoritative DNS server on loopback whose records the test sets
// at run time. It answers every name it is asked about from its own table and
// never recurses:
//
//   - a name with no records (never set, or deleted) answers NXDOMAIN;
//   - a known name without records of the asked type answers NOERROR with no
//     answers;
//   - CAA queries answer NOERROR with no records for every name, so a CA that
//     checks CAA finds no restriction.
//
// Answers carry TTL 0, so a change is seen by the next query. Names are
// compared case-insensitively, with or without the trailing dot.
//
// Its methods are safe for concurrent use. The server stops when the test
// that started it ends.
type DNS struct {
	addr string

	mu      sync.RWMutex
	records map[string]*rrset // by lower-case FQDN
}

// rrset is what DNS holds for one name.
type rrset struct {
	a, aaaa []netip.Addr
	txt     []string
}

// StartDNS starts a DNS server on 127.0.0.1, on one random port for both UDP
// and TCP (Pebble's VA asks over TCP, Go's resolver over UDP), and stops it
// when t ends.
func StartDNS(t testing.TB) *DNS {
	t.Helper()
	pc, ln, err := listenUDPAndTCP()
	if err != nil {
		t.Fatalf("acmetest: starting DNS server: %v", err)
	}
	d := &DNS{
		addr:    ln.Addr().String(),
		records: make(map[string]*rrset),
	}
	udp := &dns.Server{PacketConn: pc, Handler: d}
	tcp := &dns.Server{Listener: ln, Handler: d}
	var served sync.WaitGroup
	errs := make(chan error, 2)
	for _, srv := range []*dns.Server{udp, tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		served.Add(1)
		go func() {
			defer served.Done()
			if err := srv.ActivateAndServe(); err != nil {
				errs <- err
			}
		}()
		// Shutdown refuses a server that has not started yet; waiting here
		// also means the first query finds it serving.
		select {
		case <-started:
		case err := <-errs:
			t.Fatalf("acmetest: serving DNS: %v", err)
		}
	}
	t.Cleanup(func() {
		for _, srv := range []*dns.Server{udp, tcp} {
			if err := srv.Shutdown(); err != nil {
				t.Errorf("acmetest: stopping DNS server: %v", err)
			}
		}
		served.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("acmetest: serving DNS: %v", err)
		}
	})
	return d
}

// listenUDPAndTCP binds a UDP socket on a random loopback port and a TCP
// listener on the same port, retrying when TCP finds the port taken.
func listenUDPAndTCP() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, errors.Join(errors.New("no port free for both UDP and TCP"), lastErr)
}

// Addr is the server's address, "127.0.0.1:port", the same for UDP and TCP.
func (d *DNS) Addr() string { return d.addr }

// Resolver returns a resolver that sends every query to this server (UDP,
// and TCP when an answer is truncated), for code under test that takes a
// *net.Resolver. Like any Go resolver, it still reads /etc/hosts first.
func (d *DNS) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, network, d.addr)
		},
	}
}

// SetA makes name resolve to addrs: IPv4 addresses as A records, IPv6 as
// AAAA (IPv4-mapped IPv6 addresses count as IPv4). It replaces every address
// the name had and keeps its TXT records. With no addrs the name still
// exists, with no address.
//
// Pebble's VA connects to the first AAAA address when there is one, else to
// the first A address: give a name only the address its responder listens on.
func (d *DNS) SetA(name string, addrs ...netip.Addr) {
	var a, aaaa []netip.Addr
	for _, addr := range addrs {
		if !addr.IsValid() {
			panic("acmetest: SetA(" + name + ") with an invalid address")
		}
		addr = addr.Unmap()
		if addr.Is4() {
			a = append(a, addr)
		} else {
			aaaa = append(aaaa, addr)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	rs := d.set(name)
	rs.a, rs.aaaa = a, aaaa
}

// SetTXT replaces the TXT records of name with one record per value. A value
// longer than 255 bytes is split into several character-strings of one
// record, which resolvers join again.
func (d *DNS) SetTXT(name string, values ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set(name).txt = append([]string(nil), values...)
}

// Delete removes every record of name: it answers NXDOMAIN again.
func (d *DNS) Delete(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.records, canonical(name))
}

// set returns the records of name, creating them. d.mu must be held.
func (d *DNS) set(name string) *rrset {
	key := canonical(name)
	rs, ok := d.records[key]
	if !ok {
		rs = &rrset{}
		d.records[key] = rs
	}
	return rs
}

// canonical is the key of a name: lower case, fully qualified.
func canonical(name string) string {
	return strings.ToLower(dns.Fqdn(name))
}

// ServeDNS answers one query from the table. It implements dns.Handler.
func (d *DNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	// Authoritative, and recursion "available" so that Go's resolver does not
	// take an empty NOERROR answer for a lame referral.
	resp.Authoritative = true
	resp.RecursionAvailable = true
	udpSize := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		udpSize = max(int(opt.UDPSize()), dns.MinMsgSize)
		resp.SetEdns0(opt.UDPSize(), false)
	}
	if len(req.Question) == 1 {
		d.answer(resp, req.Question[0])
	} else {
		resp.Rcode = dns.RcodeFormatError
	}
	if _, ok := w.LocalAddr().(*net.UDPAddr); ok {
		resp.Truncate(udpSize)
	}
	_ = w.WriteMsg(resp) // the client is gone; nothing to do
}

// answer fills resp for question q.
func (d *DNS) answer(resp *dns.Msg, q dns.Question) {
	if q.Qtype == dns.TypeCAA {
		return // no CAA records anywhere: issuance is not restricted
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	rs, ok := d.records[strings.ToLower(q.Name)]
	if !ok {
		resp.Rcode = dns.RcodeNameError
		return
	}
	hdr := func(rrtype uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: 0}
	}
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		for _, addr := range rs.a {
			resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: addr.AsSlice()})
		}
	}
	if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
		for _, addr := range rs.aaaa {
			resp.Answer = append(resp.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: addr.AsSlice()})
		}
	}
	if q.Qtype == dns.TypeTXT || q.Qtype == dns.TypeANY {
		for _, value := range rs.txt {
			resp.Answer = append(resp.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: splitTXT(value)})
		}
	}
}

// splitTXT cuts a TXT value into character-strings of at most 255 bytes,
// each with its backslashes escaped (miekg/dns reads \ and \DDD escapes in
// TXT strings when it packs them).
func splitTXT(value string) []string {
	parts := []string{}
	for {
		n := min(len(value), 255)
		parts = append(parts, strings.ReplaceAll(value[:n], `\`, `\\`))
		value = value[n:]
		if value == "" {
			return parts
		}
	}
}

var _ dns.Handler = (*DNS)(nil)
