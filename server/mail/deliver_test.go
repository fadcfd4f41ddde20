package mail

import (
	"context"
	"io"
	"mime"
	"mime/multipart"

	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDeliver(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"delivers subject, text and HTML with a stable Message-ID", testDeliverSMTP},
		{"retries a 4xx answer with backoff, then delivers", testDeliverRetry},
		{"a 5xx answer makes the message dead at once", testDeliverPermanent},
		{"the last allowed failure makes the message dead", testDeliverMaxAttempts},
		{"a claimed message is sent again only after its lease expires", testDeliverLease},
		{"two outboxes racing never send a message twice", testDeliverRace},
		{"Run delivers on each tick and stops when ticks end", testRun},
	})
}

func testDeliverSMTP(t *testing.T, e *env) {
	var s sink
	id := e.enqueue(t, e.ob, message())
	sent, failed, err := e.ob.Deliver(context.Background(), s.start(t), 10)
	if err != nil || sent != 1 || failed != 0 {
		t.Fatalf("Deliver = %d, %d, %v; want 1 sent", sent, failed, err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages", len(msgs))
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(msgs[0])))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := msg.Header.Get("Message-Id"), "<"+id+"@acme.example>"; got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); subj != message().Subject {
		t.Errorf("Subject %q", subj)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, %v", mt, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // NextPart decodes quoted-printable

		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = strings.TrimSpace(string(b))
	}
	if parts["text/plain"] != message().Text || parts["text/html"] != message().HTML {
		t.Errorf("parts %q", parts)
	}
	if got := e.lookup(t, id); got.Status != Delivered || got.Attempts != 1 || !got.DeliveredAt.Equal(t0) {
		t.Errorf("entry %+v", got)
	}
}

func testDeliverRetry(t *testing.T, e *env) {
	s := sink{refuse: func(n int) error {
		if n <= 2 {
			return answer(451, 4, 3, 0, "ada@example.org: try again later")
		}
		return nil
	}}
	sender := s.start(t)
	id := e.enqueue(t, e.ob, message())
	for attempt, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		sent, failed, err := e.ob.Deliver(context.Background(), sender, 10)
		if err != nil || sent != 0 || failed != 1 {
			t.Fatalf("attempt %d: Deliver = %d, %d, %v; want 1 failed", attempt+1, sent, failed, err)
		}
		got := e.lookup(t, id)
		now := e.clk.Now()
		if got.Status != Pending || got.Attempts != attempt+1 ||
			got.NextAttemptAt.Before(now.Add(wait*3/4)) || got.NextAttemptAt.After(now.Add(wait)) {
			t.Fatalf("attempt %d: entry %+v, want pending due within %v", attempt+1, got, wait)
		}
		if !strings.Contains(got.LastError, "451") || strings.Contains(got.LastError, "example.org") {
			t.Errorf("last error %q: want the code, not the address", got.LastError)
		}
		if sent, failed, _ := e.ob.Deliver(context.Background(), sender, 10); sent+failed != 0 {
			t.Fatal("a message was tried again before its backoff")
		}
		e.clk.Advance(wait)
	}
	if sent, _, err := e.ob.Deliver(context.Background(), sender, 10); err != nil || sent != 1 {
		t.Fatalf("third attempt: %d sent, %v", sent, err)
	}
	if got := e.lookup(t, id); got.Status != Delivered || got.Attempts != 3 || got.LastError != "" {
		t.Errorf("entry %+v", got)
	}
}

func testDeliverPermanent(t *testing.T, e *env) {
	s := sink{refuse: func(int) error { return answer(550, 5, 1, 1, "ada@example.org: no such user") }}
	sender := s.start(t)
	id := e.enqueue(t, e.ob, message())
	if sent, failed, err := e.ob.Deliver(context.Background(), sender, 10); err != nil || sent != 0 || failed != 1 {
		t.Fatalf("Deliver = %d, %d, %v", sent, failed, err)
	}
	got := e.lookup(t, id)
	if got.Status != Dead || got.Attempts != 1 || !got.FinishedAt.Equal(t0) ||
		!strings.Contains(got.LastError, "550") || strings.Contains(got.LastError, "example.org") {
		t.Fatalf("entry %+v", got)
	}
	e.clk.Advance(24 * time.Hour)
	if sent, failed, _ := e.ob.Deliver(context.Background(), sender, 10); sent+failed != 0 || s.offers() != 1 {
		t.Fatal("a dead message was tried again")
	}
}

func testDeliverMaxAttempts(t *testing.T, e *env) {
	ob := New(e.st, e.clk, Options{MaxAttempts: 3})
	id := e.enqueue(t, ob, message())
	rec := &recorder{err: answer(421, 4, 0, 0, "busy")}
	for i := range 3 {
		if _, failed, err := ob.Deliver(context.Background(), rec, 10); err != nil || failed != 1 {
			t.Fatalf("attempt %d: %d failed, %v", i+1, failed, err)
		}
		e.clk.Advance(time.Hour)
	}
	if got := e.lookup(t, id); got.Status != Dead || got.Attempts != 3 {
		t.Fatalf("entry %+v, want dead after 3 attempts", got)
	}
	if _, failed, _ := ob.Deliver(context.Background(), rec, 10); failed != 0 || len(rec.ids()) != 3 {
		t.Fatalf("sent %d times, want 3", len(rec.ids()))
	}
}

func testDeliverLease(t *testing.T, e *env) {
	id := e.enqueue(t, e.ob, message())
	// A node claims the message and crashes before sending or recording.
	if got, _, err := e.ob.claim(context.Background(), 10); err != nil || len(got) != 1 {
		t.Fatalf("claim = %d, %v", len(got), err)
	}
	var rec recorder
	other := New(e.open(t), e.clk, Options{})
	e.clk.Advance(DefaultLease)
	if sent, _, err := other.Deliver(context.Background(), &rec, 10); err != nil || sent != 0 {
		t.Fatalf("sent %d (%v) while the lease holds", sent, err)
	}
	e.clk.Advance(time.Second)
	if sent, _, err := other.Deliver(context.Background(), &rec, 10); err != nil || sent != 1 {
		t.Fatalf("sent %d (%v) after the lease expired, want 1", sent, err)
	}
	if ids := rec.ids(); len(ids) != 1 || !strings.HasPrefix(ids[0], id+"@") {
		t.Fatalf("sent %v", ids)
	}
}

func testDeliverRace(t *testing.T, e *env) {
	const n = 30
	for range n {
		e.enqueue(t, e.ob, message())
	}
	obs := []*Outbox{New(e.open(t), e.clk, Options{}), New(e.open(t), e.clk, Options{})}
	var rec recorder
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, ob := range obs {
		for range 2 {
			wg.Go(func() {
				<-start
				for {
					sent, _, err := ob.Deliver(context.Background(), &rec, 4)
					if err != nil {
						t.Error(err)
						return
					}
					if sent == 0 {
						return
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range rec.ids() {
		if seen[id] {
			t.Errorf("%s sent twice", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("sent %d distinct messages, want %d", len(seen), n)
	}
}

func testRun(t *testing.T, e *env) {
	ob := New(e.st, e.clk, Options{Batch: 2})
	for range 5 {
		e.enqueue(t, ob, message())
	}
	var rec recorder
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- ob.Run(context.Background(), &rec, ticks) }()
	ticks <- t0
	close(ticks)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := len(rec.ids()); got != 5 {
		t.Fatalf("Run sent %d, want 5 in batches of 2 on one tick", got)
	}
}
