package logstream

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/egresstest"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/events"
)

// someEvents makes n events of tenant ten_a with personal details.
func someEvents(n int) []events.Event {
	out := make([]events.Event, n)
	for i := range out {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		out[i] = events.Event{ID: ident.New(events.IDPrefix, at), Time: at, Type: "user.signed_in", TenantID: "ten_a",
			Actor: events.Ref{Type: "user", ID: "usr_ada"}, Outcome: events.Success, Subject: "usr_ada",
			Personal: map[string]string{"email": "ada@example.com"}}
	}
	return out
}

func eventIDs(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestWebhook(t *testing.T) {
	const secret = "lss_test-secret"
	for _, tc := range []struct {
		name     string
		events   int
		personal bool
		status   []int
		path     string // "" is /hook
		client   func(def *http.Client) *http.Client
		wantErr  error
		// wantReqs is how many requests reached the receiver; wantSizes
		// the sizes of the batches it accepted.
		wantReqs  int
		wantSizes []int
	}{
		{name: "signs a JSON array of the events, without personal details", events: 3, wantReqs: 1, wantSizes: []int{3}},
		{name: "sends personal details when the stream asks", events: 2, personal: true, wantReqs: 1, wantSizes: []int{2}},
		{name: "splits a batch into requests of at most 100 events", events: 250, wantReqs: 3, wantSizes: []int{100, 100, 50}},
		{name: "retries a 503 with backoff", events: 1, status: []int{503, 503}, wantReqs: 3, wantSizes: []int{1}},
		{name: "gives up after its attempts", events: 1, status: []int{503, 503, 503}, wantErr: ErrRejected, wantReqs: 3},
		{name: "does not retry a 400", events: 1, status: []int{400}, wantErr: ErrRejected, wantReqs: 1},
		{name: "does not follow a redirect", events: 1, path: "/redirect", wantErr: ErrRejected, wantReqs: 0},
		{name: "goes through the egress dialer, which refuses loopback unless allowed", events: 1,
			client: func(*http.Client) *http.Client { return egress.New(egress.Options{}).Client() }, wantErr: egress.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			rcv := &receiver{clk: clk, secret: []byte(secret), status: tc.status}
			mux := http.NewServeMux()
			mux.Handle("/hook", rcv)
			mux.Handle("/redirect", http.RedirectHandler("/hook", http.StatusFound))
			srv := startTLS(t, mux, "")
			client := egresstest.Loopback(srv.Certificate())
			if tc.client != nil {
				client = tc.client(client)
			}
			path := tc.path
			if path == "" {
				path = "/hook"
			}
			url := srv.URL + path + "?token=query-secret"
			wh, err := NewWebhook(WebhookOptions{URL: url, Secret: []byte(secret), Client: client, Clock: clk,
				StreamID: "lst_1", Personal: tc.personal, Attempts: 3, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			evs := someEvents(tc.events)
			err = wh.Write(context.Background(), evs)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Write = %v, want %v", err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "query-secret") || strings.Contains(err.Error(), srv.Listener.Addr().String())) {
				t.Fatalf("the error shows the URL: %v", err)
			}
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if len(rcv.badSig) > 0 {
				t.Fatalf("signatures did not verify: %v", rcv.badSig)
			}
			if rcv.requests != tc.wantReqs || !slices.Equal(rcv.sizes, tc.wantSizes) {
				t.Fatalf("%d requests accepting %v, want %d accepting %v", rcv.requests, rcv.sizes, tc.wantReqs, tc.wantSizes)
			}
			if tc.wantErr == nil && !slices.Equal(rcv.ids, eventIDs(evs)) {
				t.Fatalf("received %d IDs, want the %d sent in order", len(rcv.ids), len(evs))
			}
			for _, b := range rcv.bodies {
				if got := strings.Contains(string(b), "ada@example.com"); got != tc.personal {
					t.Fatalf("personal details sent: %v, want %v", got, tc.personal)
				}
			}
			for _, h := range rcv.headers {
				if h.Get("Content-Type") != "application/json" || h.Get("Lintel-Stream-Id") != "lst_1" {
					t.Fatalf("headers %v", h)
				}
			}
		})
	}
}

func TestWebhookStopsWithItsContext(t *testing.T) {
	clk := clock.NewFake(t0)
	rcv := &receiver{clk: clk, secret: []byte("s"), status: []int{503, 503, 503}}
	srv := startTLS(t, rcv, "")
	wh, err := NewWebhook(WebhookOptions{URL: srv.URL, Secret: []byte("s"), Client: egresstest.Loopback(srv.Certificate()), Clock: clk,
		Attempts: 3, Backoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := wh.Write(ctx, someEvents(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write = %v, want the context's error during the backoff", err)
	}
}
