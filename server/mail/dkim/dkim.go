// Package dkim signs outgoing mail with DKIM (RFC 6376), rsa-sha256 or
// ed25519-sha256 (RFC 8463), relaxed/relaxed canonicalization, and makes
// the DNS TXT records that publish the keys.
//
// It signs; it does not verify. Lintel's tests verify its signatures with
// an independent implementation (github.com/emersion/go-msgauth), so that
// a misreading of the RFC here cannot hide behind the same misreading in a
// verifier.
//
// Signed header fields. A signature covers the fields of Headers that the
// message has, each name listed once per instance plus once more
// ("oversigning", RFC 6376 §8.15): an added From, Subject, Reply-To, Cc…
// above the signed ones, or one of those fields where the message had
// none, breaks the signature instead of being shown to the reader as if
// signed. No l= (body length) tag is ever written: the whole body is
// signed.
package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/dnsname"
)

// Headers are the header fields a signature covers, in the order of h=.
// Content-Transfer-Encoding is signed too: changing it changes how the
// body reads.
var Headers = []string{"from", "reply-to", "to", "cc", "subject", "date", "message-id",
	"mime-version", "content-type", "content-transfer-encoding"}

// MinRSABits is the smallest RSA key Sign accepts: RFC 8301 lets
// verifiers refuse keys under 1024 bits, and large receivers expect 2048.
const MinRSABits = 2048

// MaxLineLen bounds the lines of the DKIM-Signature field Sign writes,
// CRLF excluded (RFC 5322 recommends 78).
const MaxLineLen = 78

// The algorithms (a= tag).
const (
	RSASHA256     = "rsa-sha256"
	Ed25519SHA256 = "ed25519-sha256"
)

// Errors Sign and Record return; callers branch on them with errors.Is.
var (
	// ErrMalformed wraps messages whose header cannot be read.
	ErrMalformed = errors.New("dkim: malformed message")
	// ErrBareCR is returned for a message with a CR not followed by LF.
	ErrBareCR = errors.New("dkim: message has a CR without LF")
	// ErrNoFrom is returned for a message without a From field: DKIM
	// requires it to be signed.
	ErrNoFrom = errors.New("dkim: message has no From field")
	// ErrKey wraps keys of an unsupported type or size.
	ErrKey = errors.New("dkim: unsupported key")
	// ErrConfig wraps a Signer with a bad domain or selector.
	ErrConfig = errors.New("dkim: bad signer configuration")
)

// Signer signs messages for one domain with one key. It is safe for
// concurrent use when Key is.
type Signer struct {
	// Domain is the signing domain (d=), e.g. "mail.acme.example".
	Domain string
	// Selector names the key (s=): its public key is published at
	// <Selector>._domainkey.<Domain>.
	Selector string
	// Key is an RSA key of at least MinRSABits bits or an Ed25519 key.
	Key crypto.Signer
	// Now gives the signing time (t=); nil means time.Now.
	Now func() time.Time
	// Expire, when positive, sets x= to the signing time plus Expire.
	Expire time.Duration
}

// Sign signs msg, a whole message with CRLF line ends as it will be sent,
// and returns the "DKIM-Signature: …\r\n" field to put before it. The
// field's lines are at most MaxLineLen columns. A message with a lone LF is
// signed as the SMTP DATA writer sends it, with CRLF.
func (s *Signer) Sign(msg []byte) (string, error) {
	algo, err := Algorithm(s.Key.Public())
	if err != nil {
		return "", err
	}
	if k, ok := s.Key.Public().(*rsa.PublicKey); ok && k.N.BitLen() < MinRSABits {
		return "", fmt.Errorf("%w: RSA key of %d bits, want at least %d", ErrKey, k.N.BitLen(), MinRSABits)
	}
	domain := strings.ToLower(strings.TrimSuffix(s.Domain, "."))
	if !dnsname.Valid(domain) || !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%w: domain must be a DNS name", ErrConfig)
	}
	if !dnsname.Valid(s.Selector) {
		return "", fmt.Errorf("%w: selector must be DNS labels", ErrConfig)
	}
	fields, body, err := split(msg)
	if err != nil {
		return "", err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now().Unix()
	tags := []string{"v=1", "a=" + algo, "c=relaxed/relaxed", "d=" + domain, "s=" + s.Selector,
		"t=" + strconv.FormatInt(t, 10)}
	if s.Expire > 0 {
		tags = append(tags, "x="+strconv.FormatInt(t+int64(s.Expire/time.Second), 10))
	}
	names := signedNames(fields)
	if len(names) == 0 || names[0] != "from" || count(fields, "from") == 0 {
		return "", ErrNoFrom
	}
	bh := sha256.Sum256(relaxedBody(body))
	unsigned := fold("DKIM-Signature:", tags, names, base64.StdEncoding.EncodeToString(bh[:]))
	b, err := sign(s.Key, algo, fields, names, unsigned)
	if err != nil {
		return "", err
	}
	return unsigned + foldValue(lastLineLen(unsigned), b) + "\r\n", nil
}

// sign computes the b= value: the signature over the signed fields (from
// the bottom up for repeated names; a name with no instance left adds
// nothing) and the DKIM-Signature field itself with an empty b=, all in
// relaxed form, the last without its CRLF.
func sign(key crypto.Signer, algo string, fields []field, names []string, unsigned string) (string, error) {
	h := sha256.New()
	used := map[string]int{}
	for _, name := range names {
		i := pick(fields, name, used[name])
		used[name]++
		if i >= 0 {
			h.Write([]byte(relaxedHeader(fields[i].raw)))
		}
	}
	h.Write([]byte(strings.TrimSuffix(relaxedHeader(unsigned), "\r\n")))
	digest := h.Sum(nil)
	opts := crypto.Hash(0) // Ed25519 signs the SHA-256 digest as its message (RFC 8463 §3)
	if algo == RSASHA256 {
		opts = crypto.SHA256
	}
	sig, err := key.Sign(rand.Reader, digest, opts)
	if err != nil {
		return "", fmt.Errorf("dkim: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// pick returns the index of the n-th instance of name counted from the
// bottom of the header, or -1 when there are not that many.
func pick(fields []field, name string, n int) int {
	for i := len(fields) - 1; i >= 0; i-- {
		if fields[i].name == name {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

func count(fields []field, name string) int {
	n := 0
	for _, f := range fields {
		if f.name == name {
			n++
		}
	}
	return n
}

// signedNames is h=: each name of Headers once per instance in the
// message, and once more.
func signedNames(fields []field) []string {
	var out []string
	for _, name := range Headers {
		for range count(fields, name) + 1 {
			out = append(out, name)
		}
	}
	return out
}

// Algorithm returns the a= algorithm of a public key: RSASHA256 or
// Ed25519SHA256, or an error wrapping ErrKey for other keys.
func Algorithm(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return RSASHA256, nil
	case ed25519.PublicKey:
		return Ed25519SHA256, nil
	}
	return "", fmt.Errorf("%w: %T (want RSA or Ed25519)", ErrKey, pub)
}

// Record returns the value of the DNS TXT record that publishes pub:
// "v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo, base64>" for RSA,
// "v=DKIM1; k=ed25519; p=<the 32-byte key, base64>" for Ed25519 (RFC 8463
// §4.2). A value over 255 bytes is published as several strings of one
// record, which resolvers join.
func Record(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrKey, err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k), nil
	}
	return "", fmt.Errorf("%w: %T (want RSA or Ed25519)", ErrKey, pub)
}
