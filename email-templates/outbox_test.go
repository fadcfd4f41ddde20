package emailtemplates_test

import (
	"testing"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/mail"
)

// The bounds are the mail outbox's: a rendered message is never refused
// by mail.Outbox.Enqueue for its size.
func TestBoundsAreTheOutboxs(t *testing.T) {
	if emailtemplates.MaxBodyLen != mail.MaxBodyLen {
		t.Errorf("MaxBodyLen = %d, mail.MaxBodyLen = %d", emailtemplates.MaxBodyLen, mail.MaxBodyLen)
	}
	if emailtemplates.MaxSubjectLen != mail.MaxSubjectLen {
		t.Errorf("MaxSubjectLen = %d, mail.MaxSubjectLen = %d", emailtemplates.MaxSubjectLen, mail.MaxSubjectLen)
	}
}
