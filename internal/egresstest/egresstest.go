// Package egresstest gives tests the egress client that reaches
// receivers they serve on loopback over TLS (httptest.NewTLSServer):
// the real dialer of internal/egress, with loopback allowed and the
// receivers' certificate trusted. Production code never imports it.
package egresstest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"

	"github.com/lintel-id/lintel/internal/egress"
)

// Loopback returns an egress client that may dial 127.0.0.0/8 and trusts
// certs; with none it trusts HTTPTestCert.
func Loopback(certs ...*x509.Certificate) *http.Client {
	if len(certs) == 0 {
		certs = []*x509.Certificate{HTTPTestCert()}
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return egress.New(egress.Options{
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		TLS:   &tls.Config{RootCAs: pool},
	}).Client()
}

// HTTPTestCert is the certificate every httptest TLS server presents
// (the package has one built in), for clients made before their server.
var HTTPTestCert = sync.OnceValue(func() *x509.Certificate {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return srv.Certificate()
})
