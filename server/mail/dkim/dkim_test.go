package dkim_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"

	"github.com/lintel-id/lintel/server/mail/dkim"
)

// keys are generated once: RSA-2048 generation is slow.
var keys = sync.OnceValue(func() map[string]crypto.Signer {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{dkim.RSASHA256: rk, dkim.Ed25519SHA256: ek}
})

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func signer(algo string) *dkim.Signer {
	return &dkim.Signer{Domain: "mail.acme.example", Selector: "lintel202603-abc", Key: keys()[algo],
		Now: func() time.Time { return t0 }}
}

// verify checks msg with go-msgauth, an independent verifier, serving the
// signer's key record; it returns the verification's error.
func verify(t testing.TB, s *dkim.Signer, msg []byte) error {
	t.Helper()
	rec, err := dkim.Record(s.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	want := s.Selector + "._domainkey." + s.Domain
	vs, err := msgauth.VerifyWithOptions(bytes.NewReader(msg), &msgauth.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if name != want {
				return nil, fmt.Errorf("no TXT record at %s", name)
			}
			return []string{rec}, nil
		}})
	if err != nil {
		return err
	}
	if len(vs) != 1 {
		t.Fatalf("%d verifications, want 1", len(vs))
	}
	return vs[0].Err
}

// signed returns msg with its signature before it.
func signed(t testing.TB, s *dkim.Signer, msg string) string {
	t.Helper()
	f, err := s.Sign([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(f, "\r\n"), "\r\n") {
		if len(l) > dkim.MaxLineLen {
			t.Fatalf("signature line of %d columns: %q", len(l), l)
		}
	}
	if !strings.HasPrefix(f, "DKIM-Signature: ") || !strings.HasSuffix(f, "\r\n") {
		t.Fatalf("field %q", f)
	}
	return f + msg
}

// goMail writes a message as the outbox's SMTP sender builds it.
func goMail(t testing.TB, subject, text, html string) string {
	t.Helper()
	m := gomail.NewMsg()
	if err := m.From("Acme Støre <no-reply@mail.acme.example>"); err != nil {
		t.Fatal(err)
	}
	if err := m.To("Zoë Łukasiewicz <zoe@example.org>"); err != nil {
		t.Fatal(err)
	}
	m.Subject(subject)
	m.SetDateWithValue(t0)
	m.SetMessageIDWithValue("mail_01@mail.acme.example")
	m.SetBodyString(gomail.TypeTextPlain, text)
	if html != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, html)
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

const plain = "From: Acme <no-reply@mail.acme.example>\r\nTo: ada@example.org\r\nSubject: Your code\r\n" +
	"Date: Sun, 01 Mar 2026 12:00:00 +0000\r\nMessage-ID: <mail_01@mail.acme.example>\r\n\r\nYour code is 123456.\r\n"

func TestSignVerifies(t *testing.T) {
	long := strings.Repeat("0123456789 ", 400)
	cases := []struct {
		name, msg string
	}{
		{"a plain message", plain},
		{"trailing blank lines and white space", strings.Replace(plain, "123456.\r\n", "123456.  \t\r\n\r\n \r\n\r\n", 1)},
		{"an empty body", strings.Replace(plain, "Your code is 123456.\r\n", "", 1)},
		{"a body without a final CRLF", strings.TrimSuffix(plain, "\r\n")},
		{"a long body line", plain + long + "\r\n"},
		{"folded headers", strings.Replace(plain, "To: ada@example.org", "To: Ada\r\n  Lovelace\r\n\t<ada@example.org>,\r\n bob@example.org", 1)},
		{"a long folded subject", strings.Replace(plain, "Subject: Your code", "Subject: "+strings.Repeat("word ", 30)+"\r\n "+strings.Repeat("more ", 30), 1)},
		{"lone LF line ends", strings.ReplaceAll(plain, "\r\n", "\n")},
		{"Reply-To and Cc", strings.Replace(plain, "Subject:", "Reply-To: help@acme.example\r\nCc: a@b.example, c@d.example\r\nSubject:", 1)},
		{"white space before a colon", strings.Replace(plain, "Subject: ", "Subject  :   ", 1)},
		{"go-mail, UTF-8 subject, multipart", goMail(t, "Zamówienie №42 — potwierdzenie 😀 "+strings.Repeat("ü", 40), "Dziękujemy!\nŁódź", "<p>Dziękujemy!</p>")},
		{"go-mail, text only", goMail(t, "Plain", "Hello\n\n\n", "")},
		{"go-mail, long lines", goMail(t, "Long", long, "<p>"+long+"</p>")},
	}
	for _, algo := range []string{dkim.RSASHA256, dkim.Ed25519SHA256} {
		for _, tc := range cases {
			t.Run(algo+"/"+tc.name, func(t *testing.T) {
				s := signer(algo)
				if err := verify(t, s, []byte(signed(t, s, tc.msg))); err != nil {
					t.Fatalf("go-msgauth refuses the signature: %v", err)
				}
			})
		}
	}
}

func TestSignTags(t *testing.T) {
	s := signer(dkim.RSASHA256)
	s.Expire = time.Hour
	f, err := s.Sign([]byte(strings.Replace(plain, "Subject:", "Reply-To: help@acme.example\r\nSubject:", 1)))
	if err != nil {
		t.Fatal(err)
	}
	unfolded := strings.ReplaceAll(f, "\r\n ", "")
	for _, want := range []string{"v=1;", "a=rsa-sha256;", "c=relaxed/relaxed;", "d=mail.acme.example;", "s=lintel202603-abc;",
		fmt.Sprintf("t=%d;", t0.Unix()), fmt.Sprintf("x=%d;", t0.Add(time.Hour).Unix()),
		"h=from:from:reply-to:reply-to:to:to:cc:subject:subject:date:date:message-id:message-id:mime-version:content-type:content-transfer-encoding;"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("field lacks %q:\n%s", want, f)
		}
	}
	if strings.Contains(unfolded, "l=") || strings.Contains(unfolded, "i=") {
		t.Errorf("field has l= or i=:\n%s", f)
	}
}

func TestSignTamperingFails(t *testing.T) {
	multipart := goMail(t, "Zamówienie", "Dziękujemy!", "<p>Dziękujemy!</p>")
	cases := []struct {
		name, msg string
		edit      func(string) string
	}{
		{"a changed body", plain, func(m string) string { return strings.Replace(m, "123456", "654321", 1) }},
		{"a line added to the body", plain, func(m string) string { return m + "P.S. click here\r\n" }},
		{"a changed subject", plain, func(m string) string { return strings.Replace(m, "Subject: Your code", "Subject: Your c0de", 1) }},
		{"a changed From", plain, func(m string) string { return strings.Replace(m, "From: Acme", "From: Acne", 1) }},
		{"a second From above", plain, func(m string) string {
			return strings.Replace(m, "\r\nFrom: ", "\r\nFrom: Mallory <m@evil.example>\r\nFrom: ", 1)
		}},
		{"a Reply-To added", plain, func(m string) string {
			return strings.Replace(m, "\r\nSubject:", "\r\nReply-To: m@evil.example\r\nSubject:", 1)
		}},
		{"a changed Content-Type", multipart, func(m string) string {
			return strings.Replace(m, "multipart/alternative", "multipart/mixed", 1)
		}},
		{"a changed part of a multipart body", multipart, func(m string) string { return strings.Replace(m, "Dzi=C4=99kujemy", "Dzi=C4=99kujeny", 1) }},
	}
	for _, algo := range []string{dkim.RSASHA256, dkim.Ed25519SHA256} {
		for _, tc := range cases {
			t.Run(algo+"/"+tc.name, func(t *testing.T) {
				s := signer(algo)
				m := signed(t, s, tc.msg)
				tampered := tc.edit(m)
				if tampered == m {
					t.Fatal("the edit changed nothing")
				}
				if err := verify(t, s, []byte(tampered)); err == nil {
					t.Fatal("go-msgauth accepts a tampered message")
				}
			})
		}
	}
}

func TestSignSurvivesRelaxedChanges(t *testing.T) {
	s := signer(dkim.Ed25519SHA256)
	m := signed(t, s, plain)
	refolded := strings.Replace(m, "Subject: Your code", "Subject:   Your\r\n\t code  ", 1)
	refolded = strings.Replace(refolded, "123456.\r\n", "123456.   \r\n\r\n\r\n", 1)
	if err := verify(t, s, []byte(refolded)); err != nil {
		t.Fatalf("relaxed canonicalization should forgive refolding and trailing space: %v", err)
	}
}

func TestSignExpired(t *testing.T) {
	s := signer(dkim.Ed25519SHA256)
	s.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	s.Expire = time.Hour
	if err := verify(t, s, []byte(signed(t, s, plain))); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired signature verifies: %v", err)
	}
}

func TestSignRefuses(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*dkim.Signer)
		msg  string
		want error
	}{
		{"a message without From", nil, strings.Replace(plain, "From: Acme <no-reply@mail.acme.example>\r\n", "", 1), dkim.ErrNoFrom},
		{"a bare CR", nil, strings.Replace(plain, "code is", "code\ris", 1), dkim.ErrBareCR},
		{"a header line that is no field", nil, "From: a@b.example\r\nnot a field\r\n\r\nbody\r\n", dkim.ErrMalformed},
		{"a header starting with a continuation", nil, " folded\r\nFrom: a@b.example\r\n\r\nbody\r\n", dkim.ErrMalformed},
		{"an RSA key under 2048 bits", func(s *dkim.Signer) { s.Key = small }, plain, dkim.ErrKey},
		{"an ECDSA key", func(s *dkim.Signer) { s.Key = ec }, plain, dkim.ErrKey},
		{"a selector that is no DNS label", func(s *dkim.Signer) { s.Selector = "a b" }, plain, dkim.ErrConfig},
		{"a domain that is no DNS name", func(s *dkim.Signer) { s.Domain = "acme" }, plain, dkim.ErrConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := signer(dkim.Ed25519SHA256)
			if tc.edit != nil {
				tc.edit(s)
			}
			if _, err := s.Sign([]byte(tc.msg)); !errors.Is(err, tc.want) {
				t.Fatalf("Sign = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	for algo, k := range keys() {
		rec, err := dkim.Record(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		kt := map[string]string{dkim.RSASHA256: "rsa", dkim.Ed25519SHA256: "ed25519"}[algo]
		if !strings.HasPrefix(rec, "v=DKIM1; k="+kt+"; p=") {
			t.Errorf("Record(%s) = %q", algo, rec)
		}
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := dkim.Record(ec.Public()); !errors.Is(err, dkim.ErrKey) {
		t.Fatalf("Record(ECDSA) = %v, want ErrKey", err)
	}
}

// FuzzSign signs messages made of arbitrary header values and bodies;
// go-msgauth must verify every signature.
func FuzzSign(f *testing.F) {
	f.Add("Acme <no-reply@mail.acme.example>", "Your code", "ada@example.org", "Your code is 123456.\r\n", false)
	f.Add("a@b.example", "  spaced \t subject  ", "x", "line\r\n\r\n\r\n", true)
	f.Add("=?UTF-8?q?Acme_St=C3=B8re?= <a@b.example>", "=?UTF-8?q?Zam=C3=B3wienie?=", "z@y.example", "Łódź\n  tabs\t\tand  spaces \n", false)
	f.Add("a@b.example", "", "", "", true)
	f.Add("a@b.example", "x", "y", " leading space\r\n\t\r\n trailing \t", false)
	f.Add("a@b.example", strings.Repeat("long ", 100), "y", strings.Repeat("z", 3000), true)
	f.Fuzz(func(t *testing.T, from, subject, to, body string, ed bool) {
		clean := func(s string) string {
			s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
			return s
		}
		msg := "From: " + clean(from) + "\r\nTo: " + clean(to) + "\r\nSubject: " + clean(subject) + "\r\n\r\n" + body
		algo := dkim.RSASHA256
		if ed {
			algo = dkim.Ed25519SHA256
		}
		s := signer(algo)
		field, err := s.Sign([]byte(msg))
		if errors.Is(err, dkim.ErrBareCR) {
			return // RFC 5322 forbids it, and verifiers disagree on it
		}
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if err := verify(t, s, []byte(field+msg)); err != nil {
			t.Fatalf("go-msgauth refuses the signature of %q: %v", msg, err)
		}
	})
}
