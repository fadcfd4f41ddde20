package phone

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestEnqueue(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"stores the message pending, due now, its body sealed", testEnqueueSealed},
		{"refuses bad input naming the field and writes nothing", testEnqueueRefuses},
		{"a tenant without settings is not configured", testEnqueueNotConfigured},
		{"a rolled-back enqueue leaves nothing to send", testEnqueueRollback},
	})
}

// storedBody reads a message's sealed body column.
func (e *env) storedBody(t testing.TB, id string) []byte {
	t.Helper()
	var b []byte
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT body_sealed FROM phone_outbox WHERE id = ?`, id).Scan(&b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testEnqueueSealed(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	m := sms(t)
	m.ID, m.Locale = "ignored", "EN-us"
	id := e.mustEnqueue(t, "ten_a", m)
	if !strings.HasPrefix(id, IDPrefix+"_") || id == "ignored" {
		t.Fatalf("ID %q", id)
	}
	got := e.lookup(t, id)
	want := Entry{ID: id, TenantID: "ten_a", Channel: SMS, Country: "US", Status: Pending, CreatedAt: t0, NextAttemptAt: t0, BodyStored: true}
	if got != want {
		t.Fatalf("entry %+v,\nwant %+v", got, want)
	}
	if b := e.storedBody(t, id); len(b) == 0 || bytes.Contains(b, []byte("123456")) || bytes.Contains(b, []byte("sign-in")) {
		t.Fatalf("stored body %q: want it sealed", b)
	}
	// Right-to-left catalogs wrap parameters in Unicode isolates, which
	// are format characters, not control characters.
	rtl := sms(t)
	rtl.Locale, rtl.Body = "ar", "\u2068123456\u2069 هو رمز تسجيل الدخول إلى \u2068Acme\u2069. لا تشاركه مع أحد."
	if _, err := e.enqueue(t, "ten_a", rtl, clientIP); err != nil {
		t.Fatalf("Enqueue(Arabic with isolates) = %v", err)
	}
	var locale, number string
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT locale, to_number FROM phone_outbox WHERE id = ?`, id).Scan(&locale, &number)
	})
	if err != nil || locale != "en-US" || number != "+14155550100" {
		t.Fatalf("stored locale %q, number %q, %v", locale, number, err)
	}
}

func testEnqueueRefuses(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	tests := []struct {
		name, field string
		edit        func(m *Message)
	}{
		{"no number", "to", func(m *Message) { m.To = Number{} }},
		{"an unknown channel", "channel", func(m *Message) { m.Channel = "fax" }},
		{"no body", "body", func(m *Message) { m.Body = " \n" }},
		{"a long SMS", "body", func(m *Message) { m.Body = strings.Repeat("1", MaxSMSBodyLen+1) }},
		{"a long voice body", "body", func(m *Message) { m.Channel, m.Body = Voice, strings.Repeat("1", MaxVoiceBodyLen+1) }},
		{"a control character", "body", func(m *Message) { m.Body = "123456\x1b[2J" }},
		{"invalid UTF-8", "body", func(m *Message) { m.Body = "123456 \xff" }},
		{"a bad locale", "locale", func(m *Message) { m.Locale = "english please" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sms(t)
			tt.edit(&m)
			err := storetest.Commit(t, e.st, func(ctx context.Context, tx store.Tx) error {
				_, err := e.ob.Enqueue(ctx, tx, "ten_a", m, clientIP)
				return err
			})
			if fields := invalid.All(err); len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("Enqueue = %v; want one invalid field %q", err, tt.field)
			}
			if strings.Contains(err.Error(), "123456") {
				t.Errorf("error quotes the body: %v", err)
			}
		})
	}
	t.Run("no tenant", func(t *testing.T) {
		_, err := e.enqueue(t, "", sms(t), clientIP)
		if fields := invalid.All(err); len(fields) != 1 || fields[0].Field != "tenant_id" {
			t.Fatalf("Enqueue = %v; want tenant_id refused", err)
		}
	})
	if e.count(t) != 0 || len(e.lim.asked()) != 0 {
		t.Fatal("refused input was written or counted")
	}
}

func testEnqueueNotConfigured(t *testing.T, e *env) {
	if _, err := e.enqueue(t, "ten_a", sms(t), clientIP); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("Enqueue = %v; want ErrNotConfigured", err)
	}
	if e.count(t) != 0 {
		t.Fatal("a message was written")
	}
}

func testEnqueueRollback(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	boom := errors.New("the change failed")
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := e.ob.Enqueue(ctx, tx, "ten_a", sms(t), clientIP); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v", err)
	}
	if sent, failed, err := e.ob.Deliver(context.Background(), 10); sent+failed != 0 || err != nil {
		t.Fatalf("Deliver = %d, %d, %v; want nothing to send", sent, failed, err)
	}
}

func TestDeliver(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"delivers through a webhook and drops the sealed body", testDeliverWebhook},
		{"delivers through Twilio, recording the SID", testDeliverTwilio},
		{"retries a temporary failure with backoff, then delivers", testDeliverRetry},
		{"a permanent failure fails the message at once and drops its body", testDeliverPermanent},
		{"the last allowed failure fails the message", testDeliverMaxAttempts},
		{"a message older than MaxAge fails unsent", testDeliverExpired},
		{"settings deleted or narrowed since the enqueue fail the message unsent", testDeliverSettingsChanged},
		{"a body copied from another row does not open", testDeliverBodyBinding},
		{"a claimed message is sent again only after its lease expires", testDeliverLease},
		{"Run delivers on each tick and stops when ticks end", testRun},
	})
}

// deliver runs Deliver and checks its counts.
func (e *env) deliver(t testing.TB, ob *Outbox, wantSent, wantFailed int) {
	t.Helper()
	sent, failed, err := ob.Deliver(context.Background(), 10)
	if err != nil || sent != wantSent || failed != wantFailed {
		t.Fatalf("Deliver = %d sent, %d failed, %v; want %d, %d", sent, failed, err, wantSent, wantFailed)
	}
}

func testDeliverWebhook(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	id := e.mustEnqueue(t, "ten_a", sms(t))
	e.deliver(t, e.ob, 1, 0)
	reqs := g.requests()
	if len(reqs) != 1 || !bytes.Contains(reqs[0].body, []byte(`"body":"123456 is your Acme sign-in code. Don't share it."`)) ||
		!bytes.Contains(reqs[0].body, []byte(`"id":"`+id+`"`)) {
		t.Fatalf("gateway got %d requests: %q", len(reqs), reqs)
	}
	verifySignature(t, reqs[0].header.Get(SignatureHeader), reqs[0].body)
	got := e.lookup(t, id)
	want := Entry{ID: id, TenantID: "ten_a", Channel: SMS, Country: "US", Status: Sent, Attempts: 1, CreatedAt: t0,
		NextAttemptAt: t0, SentAt: t0, FinishedAt: t0, Provider: KindWebhook, ProviderID: id}
	if got != want {
		t.Fatalf("entry %+v,\nwant %+v", got, want)
	}
	if b := e.storedBody(t, id); len(b) != 0 {
		t.Fatalf("the sealed body stayed after delivery: %d bytes", len(b))
	}
	e.clk.Advance(time.Hour)
	e.deliver(t, e.ob, 0, 0)
}

func testDeliverTwilio(t *testing.T, e *env) {
	g := startGateway(t, answering(http.StatusCreated, fixture(t, "call-201.json")))
	e.mustPut(t, "ten_a", twilioInput(g))
	m := sms(t)
	m.Channel, m.Body = Voice, "Your Acme code is "+VoiceCode("123456")+"."
	id := e.mustEnqueue(t, "ten_a", m)
	e.deliver(t, e.ob, 1, 0)
	reqs := g.requests()
	if len(reqs) != 1 || reqs[0].path != "/2010-04-01/Accounts/"+testSID+"/Calls.json" {
		t.Fatalf("gateway got %q", reqs)
	}
	if got := e.lookup(t, id); got.Status != Sent || got.Provider != KindTwilio ||
		got.ProviderID != "CA3c4d5e6f708192a3b4c5d6e7f8091a2b" || got.BodyStored {
		t.Fatalf("entry %+v", got)
	}
}

func testDeliverRetry(t *testing.T, e *env) {
	g := startGateway(t, func(n int, _ request) (int, string) {
		if n <= 2 {
			return http.StatusServiceUnavailable, ""
		}
		return http.StatusOK, ""
	})
	e.mustPut(t, "ten_a", webhookInput(g))
	id := e.mustEnqueue(t, "ten_a", sms(t))
	for attempt, wait := range []time.Duration{10 * time.Second, 20 * time.Second} {
		e.deliver(t, e.ob, 0, 1)
		got := e.lookup(t, id)
		now := e.clk.Now()
		if got.Status != Pending || got.Attempts != attempt+1 || !got.BodyStored ||
			got.NextAttemptAt.Before(now.Add(wait*3/4)) || got.NextAttemptAt.After(now.Add(wait)) {
			t.Fatalf("attempt %d: entry %+v, want pending due within %v", attempt+1, got, wait)
		}
		if !strings.Contains(got.LastError, "HTTP 503") || strings.Contains(got.LastError, "tenant=") {
			t.Errorf("last error %q: want the status, not the URL", got.LastError)
		}
		e.deliver(t, e.ob, 0, 0) // not before its backoff
		e.clk.Advance(wait)
	}
	e.deliver(t, e.ob, 1, 0)
	if got := e.lookup(t, id); got.Status != Sent || got.Attempts != 3 || got.LastError != "" || got.BodyStored {
		t.Fatalf("entry %+v", got)
	}
	if n := len(g.requests()); n != 3 {
		t.Fatalf("gateway got %d requests, want 3", n)
	}
}

func testDeliverPermanent(t *testing.T, e *env) {
	g := startGateway(t, answering(http.StatusBadRequest, fixture(t, "error-21211.json")))
	e.mustPut(t, "ten_a", twilioInput(g))
	id := e.mustEnqueue(t, "ten_a", sms(t))
	e.deliver(t, e.ob, 0, 1)
	got := e.lookup(t, id)
	if got.Status != Failed || got.Attempts != 1 || !got.FinishedAt.Equal(t0) || got.BodyStored ||
		!strings.Contains(got.LastError, "21211") || strings.Contains(got.LastError, "4155550100") {
		t.Fatalf("entry %+v", got)
	}
	e.clk.Advance(time.Hour)
	e.deliver(t, e.ob, 0, 0)
	if n := len(g.requests()); n != 1 {
		t.Fatalf("a failed message was tried again: %d requests", n)
	}
}

func testDeliverMaxAttempts(t *testing.T, e *env) {
	g := startGateway(t, answering(http.StatusInternalServerError, ""))
	e.mustPut(t, "ten_a", webhookInput(g))
	ob := NewOutbox(e.st, e.settings, e.lim, e.egress.Client(), e.clk, Options{MaxAttempts: 3})
	id := e.mustEnqueue(t, "ten_a", sms(t))
	for range 3 {
		e.deliver(t, ob, 0, 1)
		e.clk.Advance(time.Minute)
	}
	if got := e.lookup(t, id); got.Status != Failed || got.Attempts != 3 || got.BodyStored {
		t.Fatalf("entry %+v, want failed after 3 attempts", got)
	}
	e.deliver(t, ob, 0, 0)
	if n := len(g.requests()); n != 3 {
		t.Fatalf("sent %d times, want 3", n)
	}
}

func testDeliverExpired(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	id := e.mustEnqueue(t, "ten_a", sms(t))
	e.clk.Advance(DefaultMaxAge + time.Second)
	e.deliver(t, e.ob, 0, 1)
	if got := e.lookup(t, id); got.Status != Failed || got.Attempts != 0 || got.BodyStored || !strings.Contains(got.LastError, "expired") {
		t.Fatalf("entry %+v", got)
	}
	if n := len(g.requests()); n != 0 {
		t.Fatalf("an expired code was sent")
	}
}

func testDeliverSettingsChanged(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	e.mustPut(t, "ten_b", webhookInput(g))
	idA := e.mustEnqueue(t, "ten_a", sms(t))
	idB := e.mustEnqueue(t, "ten_b", sms(t))
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return e.settings.Delete(ctx, tx, "ten_a")
	})
	if err != nil {
		t.Fatal(err)
	}
	in := webhookInput(g)
	in.Countries = []string{"CA"}
	e.mustPut(t, "ten_b", in)
	e.deliver(t, e.ob, 0, 2)
	for id, why := range map[string]string{idA: "no SMS or voice provider configured", idB: "no longer allow"} {
		if got := e.lookup(t, id); got.Status != Failed || got.Attempts != 0 || got.BodyStored || !strings.Contains(got.LastError, why) {
			t.Errorf("entry %+v; want failed unsent, %q", got, why)
		}
	}
	if n := len(g.requests()); n != 0 {
		t.Fatalf("gateway got %d requests", n)
	}
}

func testDeliverBodyBinding(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	idA := e.mustEnqueue(t, "ten_a", sms(t))
	idB := e.mustEnqueue(t, "ten_a", to(t, number(t, 1)))
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE phone_outbox SET body_sealed = ? WHERE id = ?`, e.storedBody(t, idA), idB)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(t, e.ob, 1, 1)
	if got := e.lookup(t, idB); got.Status != Failed || !strings.Contains(got.LastError, "stored message") {
		t.Fatalf("entry %+v; want failed, the body not opening", got)
	}
}

func testDeliverLease(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	id := e.mustEnqueue(t, "ten_a", sms(t))
	// A node claims the message and dies before sending or recording.
	if got, _, err := e.ob.claim(context.Background(), 10); err != nil || len(got) != 1 || got[0].m.Body != sms(t).Body {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	other := NewOutbox(e.open(t), e.settings, e.lim, e.egress.Client(), e.clk, Options{})
	e.clk.Advance(DefaultLease)
	e.deliver(t, other, 0, 0)
	e.clk.Advance(time.Second)
	e.deliver(t, other, 1, 0)
	if reqs := g.requests(); len(reqs) != 1 || !bytes.Contains(reqs[0].body, []byte(id)) {
		t.Fatalf("gateway got %q", reqs)
	}
}

func testRun(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	ob := NewOutbox(e.st, e.settings, e.lim, e.egress.Client(), e.clk, Options{Batch: 2})
	for i := range 5 {
		e.mustEnqueue(t, "ten_a", to(t, number(t, i)))
	}
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- ob.Run(context.Background(), ticks) }()
	ticks <- t0
	close(ticks)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := len(g.requests()); n != 5 {
		t.Fatalf("Run sent %d, want 5 in batches of 2 on one tick", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ob.Run(ctx, make(chan time.Time)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run(cancelled) = %v", err)
	}
}

func TestRecordStatus(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"records the provider's statuses, never going back from a final one", testRecordStatus},
		{"Purge deletes finished messages after the retention", testPurge},
	})
}

func testRecordStatus(t *testing.T, e *env) {
	g := startGateway(t, answering(http.StatusCreated, fixture(t, "message-201.json")))
	e.mustPut(t, "ten_a", twilioInput(g))
	id := e.mustEnqueue(t, "ten_a", sms(t))
	e.deliver(t, e.ob, 1, 0)
	const sid = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
	steps := []struct {
		status, want string
	}{
		{"sent", "sent"},
		{"Delivered", "delivered"},
		{"sent", "delivered"}, // late and out of order: ignored
		{"undelivered", "undelivered"},
	}
	for i, s := range steps {
		e.clk.Advance(time.Second)
		if err := e.ob.RecordStatus(context.Background(), "ten_a", sid, s.status); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := e.lookup(t, id); got.ProviderStatus != s.want {
			t.Fatalf("step %d: status %q, want %q", i, got.ProviderStatus, s.want)
		}
	}
	if got := e.lookup(t, id); !got.ProviderStatusAt.Equal(t0.Add(4 * time.Second)) {
		t.Fatalf("status recorded at %v", got.ProviderStatusAt)
	}
	for _, tt := range []struct {
		name, tenant, sid, status string
		notFound                  bool
		field                     string
	}{
		{"an unknown SID", "ten_a", "SMffffffffffffffffffffffffffffffff", "delivered", true, ""},
		{"another tenant's message", "ten_b", sid, "delivered", true, ""},
		{"a status with a space", "ten_a", sid, "de livered", false, "status"},
		{"a long status", "ten_a", sid, strings.Repeat("x", 33), false, "status"},
		{"an SID with a slash", "ten_a", "SM/1", "delivered", false, "provider_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := e.ob.RecordStatus(context.Background(), tt.tenant, tt.sid, tt.status)
			if tt.notFound != errors.Is(err, store.ErrNotFound) || err == nil {
				t.Fatalf("RecordStatus = %v; want not found %v", err, tt.notFound)
			}
			if fields := invalid.All(err); tt.field != "" && (len(fields) != 1 || fields[0].Field != tt.field) {
				t.Fatalf("RecordStatus = %v; want %s refused", err, tt.field)
			}
		})
	}
	if got := e.lookup(t, id); got.ProviderStatus != "undelivered" {
		t.Fatalf("a refused status changed the message: %q", got.ProviderStatus)
	}
}

func testPurge(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	sent := e.mustEnqueue(t, "ten_a", sms(t))
	e.deliver(t, e.ob, 1, 0)
	pending := e.mustEnqueue(t, "ten_a", to(t, number(t, 1)))
	if _, err := e.ob.Purge(context.Background(), 0); !invalid.Is(err) {
		t.Fatalf("Purge(0) = %v; want refused", err)
	}
	if n, err := e.ob.Purge(context.Background(), time.Hour); err != nil || n != 0 {
		t.Fatalf("Purge within the retention = %d, %v", n, err)
	}
	e.clk.Advance(2 * time.Hour)
	if n, err := e.ob.Purge(context.Background(), time.Hour); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if _, err := e.ob.Lookup(context.Background(), sent); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Lookup(purged) = %v", err)
	}
	if got := e.lookup(t, pending); got.Status != Pending {
		t.Fatalf("pending message %+v", got)
	}
}
