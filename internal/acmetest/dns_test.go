package acmetest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// zone sets the records every DNS test below starts from.
func zone(t *testing.T) *DNS {
	t.Helper()
	d := StartDNS(t)
	d.SetA("login.acme.test", netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"))
	d.SetA("v4.acme.test.", netip.MustParseAddr("::ffff:127.0.0.2")) // IPv4-mapped: an A record
	d.SetA("ID.Example.COM", netip.MustParseAddr("127.0.0.3"))
	d.SetTXT("_acme-challenge.login.acme.test", "token-one", "token-two")
	d.SetTXT("long.acme.test", strings.Repeat("x", 300))
	d.SetTXT("escaped.acme.test", `back\slash "quoted"`)
	d.SetA("gone.acme.test", netip.MustParseAddr("127.0.0.4"))
	d.Delete("GONE.acme.test.")
	d.SetA("replaced.acme.test", netip.MustParseAddr("127.0.0.5"), netip.MustParseAddr("::5"))
	d.SetA("replaced.acme.test", netip.MustParseAddr("127.0.0.6"))
	d.SetA("noaddr.acme.test")
	return d
}

func TestDNSAnswers(t *testing.T) {
	d := zone(t)
	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		wantRcode int
		want      []string // answers' data, in order
	}{
		{"answers A", "login.acme.test.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.1"}},
		{"answers AAAA", "login.acme.test.", dns.TypeAAAA, dns.RcodeSuccess, []string{"::1"}},
		{"answers an IPv4-mapped address as A", "v4.acme.test.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.2"}},
		{"has no AAAA for an IPv4-mapped address", "v4.acme.test.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"matches names case-insensitively", "id.EXAMPLE.com.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.3"}},
		{"answers every TXT value", "_acme-challenge.login.acme.test.", dns.TypeTXT, dns.RcodeSuccess, []string{"token-one", "token-two"}},
		{"splits a long TXT value into character-strings", "long.acme.test.", dns.TypeTXT, dns.RcodeSuccess, []string{strings.Repeat("x", 255) + "|" + strings.Repeat("x", 45)}},
		{"keeps backslashes and quotes of a TXT value", "escaped.acme.test.", dns.TypeTXT, dns.RcodeSuccess, []string{`back\slash "quoted"`}},
		{"answers NOERROR without answers for a type the name lacks", "login.acme.test.", dns.TypeMX, dns.RcodeSuccess, nil},
		{"answers NOERROR without answers for TXT of a name with only addresses", "id.example.com.", dns.TypeTXT, dns.RcodeSuccess, nil},
		{"keeps a name with no address", "noaddr.acme.test.", dns.TypeA, dns.RcodeSuccess, nil},
		{"answers NXDOMAIN for an unknown name", "nowhere.acme.test.", dns.TypeA, dns.RcodeNameError, nil},
		{"answers NXDOMAIN for a parent of a known name", "acme.test.", dns.TypeA, dns.RcodeNameError, nil},
		{"answers NXDOMAIN for a deleted name", "gone.acme.test.", dns.TypeA, dns.RcodeNameError, nil},
		{"replaces every address on SetA", "replaced.acme.test.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.6"}},
		{"drops AAAA on SetA with IPv4 only", "replaced.acme.test.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"answers no CAA for a known name", "login.acme.test.", dns.TypeCAA, dns.RcodeSuccess, nil},
		{"answers no CAA for an unknown name", "acme.test.", dns.TypeCAA, dns.RcodeSuccess, nil},
	}
	for _, transport := range []string{"udp", "tcp"} {
		client := &dns.Client{Net: transport}
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				req := new(dns.Msg)
				req.SetQuestion(tt.qname, tt.qtype)
				resp, _, err := client.ExchangeContext(t.Context(), req, d.Addr())
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				if resp.Rcode != tt.wantRcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tt.wantRcode])
				}
				if !resp.Authoritative {
					t.Error("answer is not authoritative")
				}
				var got []string
				for _, rr := range resp.Answer {
					if rr.Header().Name != tt.qname || rr.Header().Ttl != 0 {
						t.Errorf("answer %v: want name %s and TTL 0", rr, tt.qname)
					}
					switch rr := rr.(type) {
					case *dns.A:
						got = append(got, rr.A.String())
					case *dns.AAAA:
						got = append(got, rr.AAAA.String())
					case *dns.TXT:
						got = append(got, txtValue(rr))
					default:
						t.Errorf("unexpected answer %v", rr)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("answers = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

// txtValue undoes miekg/dns's escaping of one TXT record's strings and
// joins them with "|", so a test sees where a value was split.
func txtValue(rr *dns.TXT) string {
	parts := make([]string, len(rr.Txt))
	for i, s := range rr.Txt {
		parts[i] = strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(s)
	}
	return strings.Join(parts, "|")
}

func TestDNSResolver(t *testing.T) {
	d := zone(t)
	resolvers := map[string]*net.Resolver{
		"udp": d.Resolver(),
		// A Dial that returns a stream connection makes Go's resolver speak
		// DNS over TCP.
		"tcp": {PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, "tcp", d.Addr())
		}},
	}
	for transport, r := range resolvers {
		t.Run(transport+"/resolves both address families", func(t *testing.T) {
			addrs, err := r.LookupNetIP(t.Context(), "ip", "Login.Acme.Test")
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(addrs))
			for i, a := range addrs {
				got[i] = a.String()
			}
			slices.Sort(got)
			if want := []string{"127.0.0.1", "::1"}; !slices.Equal(got, want) {
				t.Errorf("addresses = %v, want %v", got, want)
			}
		})
		t.Run(transport+"/resolves TXT", func(t *testing.T) {
			txts, err := r.LookupTXT(t.Context(), "_acme-challenge.login.acme.test")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"token-one", "token-two"}; !slices.Equal(txts, want) {
				t.Errorf("TXT = %q, want %q", txts, want)
			}
		})
		t.Run(transport+"/joins a long TXT value", func(t *testing.T) {
			txts, err := r.LookupTXT(t.Context(), "long.acme.test")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{strings.Repeat("x", 300)}; !slices.Equal(txts, want) {
				t.Errorf("TXT = %q, want %q", txts, want)
			}
		})
		for _, name := range []string{"nowhere.acme.test", "gone.acme.test", "noaddr.acme.test"} {
			t.Run(transport+"/reports "+name+" not found", func(t *testing.T) {
				_, err := r.LookupHost(t.Context(), name)
				var dnsErr *net.DNSError
				if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
					t.Errorf("LookupHost(%s) = %v, want a not-found DNSError", name, err)
				}
			})
		}
	}
}

func TestDNSChangesAreSeenAtOnce(t *testing.T) {
	d := StartDNS(t)
	r := d.Resolver()
	if _, err := r.LookupHost(t.Context(), "later.acme.test"); err == nil {
		t.Fatal("later.acme.test resolved before it was set")
	}
	d.SetA("later.acme.test", netip.MustParseAddr("127.0.0.9"))
	addrs, err := r.LookupHost(t.Context(), "later.acme.test")
	if err != nil || !slices.Equal(addrs, []string{"127.0.0.9"}) {
		t.Fatalf("after SetA: %v, %v; want [127.0.0.9]", addrs, err)
	}
	d.Delete("later.acme.test")
	if _, err := r.LookupHost(t.Context(), "later.acme.test"); err == nil {
		t.Error("later.acme.test still resolves after Delete")
	}
}

func TestDNSTruncatesLongUDPAnswers(t *testing.T) {
	d := StartDNS(t)
	values := make([]string, 20)
	for i := range values {
		values[i] = strings.Repeat(string(rune('a'+i)), 100)
	}
	d.SetTXT("big.acme.test", values...)

	req := new(dns.Msg)
	req.SetQuestion("big.acme.test.", dns.TypeTXT) // no EDNS0: 512 bytes over UDP
	udp, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(t.Context(), req, d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if !udp.Truncated {
		t.Errorf("UDP answer of %d records not truncated", len(udp.Answer))
	}
	tcp, _, err := (&dns.Client{Net: "tcp"}).ExchangeContext(t.Context(), req, d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if tcp.Truncated || len(tcp.Answer) != len(values) {
		t.Errorf("TCP answer: truncated %v, %d records; want all %d", tcp.Truncated, len(tcp.Answer), len(values))
	}
	// Go's resolver retries over TCP and gets every value.
	txts, err := d.Resolver().LookupTXT(t.Context(), "big.acme.test")
	if err != nil || len(txts) != len(values) {
		t.Errorf("LookupTXT: %d values, %v; want %d", len(txts), err, len(values))
	}
}
