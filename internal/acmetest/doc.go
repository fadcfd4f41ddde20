// Package acmetest runs, inside a test process, an ACME CA (Pebble) and the
// DNS server its validation authority resolves names with, so that tests
// obtain real certificates over loopback without the network.
//
// A test maps the names it wants certified to the loopback address its
// challenge responder listens on, starts the CA, and points its ACME client
// at the CA's directory:
//
//	func TestCustomDomain(t *testing.T) {
//		dns := acmetest.StartDNS(t)
//		dns.SetA("login.acme.test", netip.MustParseAddr("127.0.0.1"))
//		ca := acmetest.Start(t, acmetest.Options{DNS: dns})
//
//		// The code under test answers http-01 on 127.0.0.1:ca.HTTPPort()
//		// (or tls-alpn-01 on ca.TLSPort()), uses ca.DirectoryURL() as its
//		// ACME directory and trusts ca.ServerRoots() to reach it; with
//		// certmagic:
//		//   certmagic.ACMEIssuer{CA: ca.DirectoryURL(), TestCA: ca.DirectoryURL(),
//		//       TrustedRoots: ca.ServerRoots(), Agreed: true, Email: "ops@acme.test",
//		//       ListenHost: "127.0.0.1", AltHTTPPort: ca.HTTPPort(), AltTLSALPNPort: ca.TLSPort()}
//		// then verifies what it serves against ca.IssuerRoots().
//
//		if got := ca.Orders("login.acme.test"); got != 1 {
//			t.Errorf("Pebble saw %d orders for login.acme.test, want 1", got)
//		}
//	}
//
// Code under test in another process is given DirectoryURL and a file holding
// ServerRootsPEM (and IssuerRootsPEM to verify what it is issued); it may
// listen on another loopback address (127.0.0.2:HTTPPort) if the DNS maps its
// names there, since Pebble's VA connects to whatever address a name resolves
// to, on the one HTTPPort and TLSPort of the CA.
//
// What works and what does not:
//
//   - Names: Pebble checks little (no public suffix list, no label count):
//     login.acme.test, id.example.com, a single label such as intranet and
//     IP addresses (validated on the address itself, no DNS) are all issued;
//     certmagic refuses names such as localhost or *.internal only when the CA
//     is a public one. Give names in lower case: Pebble lower-cases the order's
//     identifiers and acmez then refuses a CSR whose names differ in case.
//     A wildcard needs dns-01 (TXT records set with DNS.SetTXT).
//   - Addresses: Pebble's VA connects to a name's first AAAA address when it
//     has one, else its first A address; set only the address the responder
//     listens on.
//   - Challenges: http-01 and tls-alpn-01 against the ports above; dns-01
//     against TXT records set with DNS.SetTXT.
//   - Start sets Pebble's settings with t.Setenv: a test using it cannot run
//     in parallel with others.
//   - Each CA has fresh keys: certificates of one CA do not verify against
//     another's roots.
package acmetest
