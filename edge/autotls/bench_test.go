package autotls_test

import (
	"crypto/tls"
	"net"
	"strconv"
	"testing"
	"time"
)

// BenchmarkHandshake measures full TLS 1.3 handshakes per second over
// loopback, a new connection each and no session resumption, against the
// Manager's TLSConfig serving a cached ECDSA P-256 certificate ("lintel")
// and against crypto/tls with the same certificate in a static
// tls.Config ("crypto-tls"). Client and server share the machine's cores.
func BenchmarkHandshake(b *testing.B) {
	const name = "login.acme.test"
	d := newFakeDomains(name)
	cfg, clk := baseConfig(b, d, unreachableCA)
	cfg.Logger = testLogger(b)
	m := newManager(b, cfg)
	certPEM, keyPEM, roots := selfSigned(b, name, clk.Now().Add(-time.Hour), clk.Now().Add(90*24*time.Hour))
	storeCert(b, cfg.Storage, m.IssuerKey(), name, certPEM, keyPEM)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		b.Fatal(err)
	}

	servers := []struct {
		name string
		cfg  *tls.Config
	}{
		{"lintel", m.TLSConfig()},
		{"crypto-tls", &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"h2", "http/1.1"}}},
	}
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			s.cfg.SessionTicketsDisabled = true
			addr := handshakeServer(b, s.cfg)
			client := &tls.Config{
				ServerName: name,
				RootCAs:    roots,
				MinVersion: tls.VersionTLS13,
				NextProtos: []string{"h2"},
			}
			// The first handshake loads the certificate into the Manager's cache.
			dialOnce(b, addr, client)
			b.ResetTimer()
			for b.Loop() {
				dialOnce(b, addr, client)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
		})
	}
}

// dialOnce makes one full handshake and closes the connection.
func dialOnce(b *testing.B, addr string, cfg *tls.Config) {
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if st := conn.ConnectionState(); st.DidResume || st.Version != tls.VersionTLS13 {
		b.Fatalf("resumed %v, version %x", st.DidResume, st.Version)
	}
	conn.Close()
}

// handshakeServer accepts connections on loopback, completes each
// handshake and closes it, until b ends.
func handshakeServer(b *testing.B, cfg *tls.Config) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				tc := tls.Server(conn, cfg)
				_ = tc.Handshake() // the client's verdict is what counts
				tc.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkFirstCertificate measures the time from a handshake for a name
// never seen to the certificate served, against Pebble in process (no
// validation delay, real http-01 or tls-alpn-01 over loopback): the
// on-demand decision, the lock, the ACME order, the challenge, the
// issuance and the write to Storage. Each iteration is a new name.
func BenchmarkFirstCertificate(b *testing.B) {
	const ip = "127.0.0.2"
	w := newWorld(b, ip)
	d := newFakeDomains()
	cfg, _ := w.config(b, d, ip)
	cfg.Logger = testLogger(b)
	m := newManager(b, cfg)
	serve(b, m, w.httpLns[ip], w.tlsLns[ip])
	n := 0
	b.Run("lintel", func(b *testing.B) {
		for b.Loop() {
			n++
			name := "first-" + strconv.Itoa(n) + ".acme.test"
			w.point(name, ip)
			d.allow(name)
			if _, err := handshake(w.tlsAddr(ip), name, w.ca.IssuerRoots()); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/cert")
	})
}
