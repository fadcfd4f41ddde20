package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"strings"
	"testing"
)

// rfc8463 reads testdata/rfc8463.txt into its sections.
func rfc8463(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("testdata/rfc8463.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	parts := strings.Split(string(raw), "\n--- ")
	for _, p := range parts[1:] {
		name, body, _ := strings.Cut(p, "\n")
		out[name] = body
	}
	return out
}

// TestRFC8463 reproduces both signatures of RFC 8463 Appendix A byte for
// byte: Ed25519 and RSA PKCS#1 v1.5 are deterministic, so the same
// canonicalization and hashing must give the same b=, and the same body
// canonicalization the same bh=.
func TestRFC8463(t *testing.T) {
	v := rfc8463(t)
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v["ed25519-seed"]))
	if err != nil {
		t.Fatal(err)
	}
	edKey := ed25519.NewKeyFromSeed(seed)
	if rec, err := Record(edKey.Public()); err != nil || rec != strings.TrimSpace(v["ed25519-record"]) {
		t.Fatalf("Record = %q, %v; want the RFC's", rec, err)
	}
	block, _ := pem.Decode([]byte(v["rsa-key"]))
	rsaKey, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.ReplaceAll(v["message"], "\n", "\r\n")
	fields, body, err := split([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	var sigs []field
	for _, f := range fields {
		if f.name == "dkim-signature" {
			sigs = append(sigs, f)
		}
	}
	if len(sigs) != 2 {
		t.Fatalf("%d signatures in the vector", len(sigs))
	}
	keys := map[string]crypto.Signer{Ed25519SHA256: edKey, RSASHA256: rsaKey}
	for _, sig := range sigs {
		tags := map[string]string{}
		value := strings.ReplaceAll(sig.raw[len("DKIM-Signature:"):], "\r\n", "")
		for _, tag := range strings.Split(value, ";") {
			k, v, _ := strings.Cut(tag, "=")
			tags[strings.TrimSpace(k)] = strings.Join(strings.Fields(v), "")
		}
		t.Run(tags["a"], func(t *testing.T) {
			bh := sha256b64(relaxedBody(body))
			if bh != tags["bh"] {
				t.Errorf("bh = %s, want %s", bh, tags["bh"])
			}
			var names []string
			for _, n := range strings.Split(tags["h"], ":") {
				names = append(names, strings.ToLower(strings.TrimSpace(n)))
			}
			unsigned := sig.raw[:strings.LastIndex(sig.raw, "b=")+2]
			b, err := sign(keys[tags["a"]], tags["a"], fields, names, unsigned)
			if err != nil {
				t.Fatal(err)
			}
			if b != tags["b"] {
				t.Errorf("b = %s\nwant %s", b, tags["b"])
			}
		})
	}
}

func sha256b64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}
