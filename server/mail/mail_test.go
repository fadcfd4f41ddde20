package mail

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	open storetest.Opener
	st   store.Store
	clk  *clock.Fake
	ob   *Outbox
	sec  *secrets.Service // see env.secrets
}

type behaviour struct {
	name string
	fn   func(t *testing.T, e *env)
}

// runOnBackends runs each behaviour on a fresh database of each dialect.
func runOnBackends(t *testing.T, tests []behaviour) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					open := b.New(t)
					st := open(t)
					clk := clock.NewFake(t0)
					tc.fn(t, &env{open: open, st: st, clk: clk, ob: New(st, clk, Options{})})
				})
			}
		})
	}
}

// message is a valid message; its To and Subject are checked never to
// reach last_error.
func message() Message {
	return Message{
		TenantID: "ten_a", Kind: "passwordless.code", UserID: "usr_ada",
		To: "Ada Lovelace <ada@example.org>", From: "Acme <no-reply@acme.example>",
		Subject: "Your code is 123456", Text: "Your code is 123456.",
		HTML: "<p>Your code is <b>123456</b>.</p>",
	}
}

func (e *env) enqueue(t *testing.T, ob *Outbox, m Message) string {
	t.Helper()
	var id string
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		id, err = ob.Enqueue(ctx, tx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) lookup(t *testing.T, id string) Entry {
	t.Helper()
	en, err := e.ob.Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func (e *env) count(t *testing.T) int {
	t.Helper()
	var n int
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM mail_outbox`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnqueue(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"accepts valid messages pending and due now", testEnqueueAccepts},
		{"refuses bad input naming the field and writes nothing", testEnqueueRefuses},
		{"a rolled-back enqueue leaves nothing to send", testEnqueueRollback},
	})
}

func testEnqueueAccepts(t *testing.T, e *env) {
	for name, m := range map[string]Message{
		"with HTML":        message(),
		"text only":        func() Message { m := message(); m.HTML = ""; return m }(),
		"bare addresses":   func() Message { m := message(); m.To, m.From = "ada@example.org", "a@b.example"; return m }(),
		"no user":          func() Message { m := message(); m.UserID = ""; return m }(),
		"ignores given ID": func() Message { m := message(); m.MessageID = "x@y"; return m }(),
	} {
		id := e.enqueue(t, e.ob, m)
		got := e.lookup(t, id)
		want := Entry{ID: id, TenantID: "ten_a", Kind: m.Kind, UserID: m.UserID, Status: Pending,
			CreatedAt: t0, NextAttemptAt: t0}
		if got != want {
			t.Errorf("%s: entry %+v, want %+v", name, got, want)
		}
	}
}

func testEnqueueRefuses(t *testing.T, e *env) {
	tests := []struct {
		name, field string
		edit        func(m *Message)
	}{
		{"no recipient", "to", func(m *Message) { m.To = "" }},
		{"two recipients", "to", func(m *Message) { m.To = "a@example.org, b@example.org" }},
		{"recipient not an address", "to", func(m *Message) { m.To = "ada at example" }},
		{"recipient too long", "to", func(m *Message) { m.To = strings.Repeat("a", MaxAddressLen) + "@x.example" }},
		{"sender not an address", "from", func(m *Message) { m.From = "Acme" }},
		{"no text body", "text", func(m *Message) { m.Text = "" }},
		{"text too long", "text", func(m *Message) { m.Text = strings.Repeat("x", MaxBodyLen+1) }},
		{"HTML too long", "html", func(m *Message) { m.HTML = strings.Repeat("x", MaxBodyLen+1) }},
		{"HTML not UTF-8", "html", func(m *Message) { m.HTML = "\xff" }},
		{"subject with a line break", "subject", func(m *Message) { m.Subject = "Hi\r\nBcc: eve@example.org" }},
		{"subject too long", "subject", func(m *Message) { m.Subject = strings.Repeat("s", MaxSubjectLen+1) }},
		{"no tenant", "tenant_id", func(m *Message) { m.TenantID = "" }},
		{"no kind", "kind", func(m *Message) { m.Kind = "" }},
		{"user ID with spaces", "user_id", func(m *Message) { m.UserID = "usr ada" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message()
			tt.edit(&m)
			err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := e.ob.Enqueue(ctx, tx, m)
				return err
			})
			fields := invalid.All(err)
			if len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("err = %v, want one invalid field %q", err, tt.field)
			}
			if strings.Contains(err.Error(), "example.org") {
				t.Errorf("error quotes the address: %v", err)
			}
			if n := e.count(t); n != 0 {
				t.Fatalf("%d rows written", n)
			}
		})
	}
}

func testEnqueueRollback(t *testing.T, e *env) {
	boom := errors.New("boom")
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := e.ob.Enqueue(ctx, tx, message()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v", err)
	}
	var rec recorder
	sent, failed, err := e.ob.Deliver(context.Background(), &rec, 10)
	if err != nil || sent != 0 || failed != 0 || len(rec.ids()) != 0 {
		t.Fatalf("Deliver = %d, %d, %v; sent %v; want nothing", sent, failed, err, rec.ids())
	}
}

func TestPurge(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"deletes finished messages older than the retention, never pending ones", testPurge},
	})
}

func testPurge(t *testing.T, e *env) {
	delivered := e.enqueue(t, e.ob, message())
	if _, _, err := e.ob.Deliver(context.Background(), &recorder{}, 10); err != nil {
		t.Fatal(err)
	}
	dead := e.enqueue(t, e.ob, message())
	if _, _, err := e.ob.Deliver(context.Background(), &recorder{err: ErrPermanent}, 10); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(20 * 24 * time.Hour)
	recent := e.enqueue(t, e.ob, message())
	if _, _, err := e.ob.Deliver(context.Background(), &recorder{}, 10); err != nil {
		t.Fatal(err)
	}
	pending := e.enqueue(t, e.ob, message())
	if _, err := e.ob.Purge(context.Background(), 0); !invalid.Is(err) {
		t.Fatalf("Purge(0) = %v, want an invalid field", err)
	}
	e.clk.Advance(15 * 24 * time.Hour)
	n, err := e.ob.Purge(context.Background(), 30*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	for _, id := range []string{delivered, dead} {
		if _, err := e.ob.Lookup(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Lookup(purged %s) = %v, want ErrNotFound", id, err)
		}
	}
	for id, want := range map[string]Status{recent: Delivered, pending: Pending} {
		if got := e.lookup(t, id).Status; got != want {
			t.Errorf("%s: status %s, want %s", id, got, want)
		}
	}
}
