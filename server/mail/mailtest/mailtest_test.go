package mailtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/mail/mailtest"
)

// TestSinkReadsWhatSMTPSends sends through the real SMTP sender and reads
// the message back decoded: envelope, subject in UTF-8, both bodies.
func TestSinkReadsWhatSMTPSends(t *testing.T) {
	sink := mailtest.Start(t)
	s := &mail.SMTP{Host: sink.Host, Port: sink.Port, TLS: mail.NoTLS, Timeout: 10 * time.Second}
	for _, m := range []mail.Message{
		{TenantID: "ten_1", Kind: "test", To: "ada@example.com", From: "Acme <no-reply@acme.example>", Subject: "رمز الدخول 123 456", Text: "code: 123 456\nlink: https://x.example/signin/email/flw_a.b=c", HTML: "<p>code <b>123 456</b></p>", MessageID: "m1@acme.example"},
		{TenantID: "ten_1", Kind: "test", To: "bob@example.com", From: "no-reply@acme.example", Subject: "plain", Text: strings.Repeat("long line ", 200)},
	} {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := sink.Wait(t, 2, 10*time.Second)
	first, second := got[0], got[1]
	if first.From != "no-reply@acme.example" || len(first.To) != 1 || first.To[0] != "ada@example.com" {
		t.Errorf("envelope %q → %v", first.From, first.To)
	}
	if first.Subject != "رمز الدخول 123 456" {
		t.Errorf("subject %q", first.Subject)
	}
	if !strings.Contains(first.Text, "link: https://x.example/signin/email/flw_a.b=c") || !strings.Contains(first.HTML, "<b>123 456</b>") {
		t.Errorf("bodies:\n%s\n%s", first.Text, first.HTML)
	}
	if first.Header.Get("Message-Id") != "<m1@acme.example>" {
		t.Errorf("Message-ID %q", first.Header.Get("Message-Id"))
	}
	if second.HTML != "" || strings.Count(second.Text, "long line") != 200 {
		t.Errorf("text-only message: html %q, text %d bytes", second.HTML, len(second.Text))
	}
}

func TestParseRefusesWhatIsNotMail(t *testing.T) {
	for _, raw := range []string{"", "no header separator", "Content-Type: multipart/alternative\r\n\r\nbody"} {
		if _, err := mailtest.Parse([]byte(raw)); err == nil {
			t.Errorf("Parse(%q) succeeded", raw)
		}
	}
}
