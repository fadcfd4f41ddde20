package branding

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

// ticketService is a Service for tickets alone: they touch no database.
func ticketService(t testing.TB, clk clock.Clock) *Service {
	t.Helper()
	return &Service{clk: clk, mac: testMAC}
}

func TestTicketRoundTrip(t *testing.T) {
	clk := clock.NewFake(t0)
	s := ticketService(t, clk)
	in := Ticket{TenantID: "ten_a", ScopeID: "brand_b", Number: 3, BrandID: "brand_b", AppID: "app_c", Expires: t0.Add(5 * time.Minute)}
	got, err := s.OpenTicket(s.IssueTicket(in))
	if err != nil || got != in {
		t.Fatalf("opened %+v, %v; want %+v", got, err, in)
	}
	for _, tc := range []struct {
		name    string
		expires time.Time
	}{
		{"a ticket without expiry lives MaxTicketAge", time.Time{}},
		{"a ticket lives at most MaxTicketAge", t0.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.OpenTicket(s.IssueTicket(Ticket{TenantID: "ten_a", ScopeID: "ten_a", Expires: tc.expires}))
			if err != nil || !got.Expires.Equal(t0.Add(MaxTicketAge)) {
				t.Fatalf("expires %v, %v", got.Expires, err)
			}
		})
	}
}

func TestOpenTicketRefuses(t *testing.T) {
	clk := clock.NewFake(t0)
	s := ticketService(t, clk)
	good := s.IssueTicket(Ticket{TenantID: "ten_a", ScopeID: "ten_a", Expires: t0.Add(time.Minute)})
	payload, mac, _ := strings.Cut(good, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), "ten_a", "ten_b", 1)))
	other := &Service{clk: clk, mac: func(p string, v []byte) []byte { return testMAC(p+"x", v) }}
	for _, tc := range []struct{ name, token string }{
		{"refuses a changed payload", forged + "." + mac},
		{"refuses a changed MAC", payload + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))},
		{"refuses a ticket of another key", other.IssueTicket(Ticket{TenantID: "ten_a", ScopeID: "ten_a"})},
		{"refuses no separator", payload + mac},
		{"refuses bad base64", payload + ".!!"},
		{"refuses an empty token", ""},
		{"refuses a huge token", strings.Repeat("a", 5000) + "." + mac},
		{"refuses a MACed payload that is not a ticket", base64.RawURLEncoding.EncodeToString([]byte(`{"x":1}`)) + "." +
			base64.RawURLEncoding.EncodeToString(testMAC(ticketPurpose, []byte(`{"x":1}`)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.OpenTicket(tc.token); !errors.Is(err, ErrTicket) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("refuses an expired ticket", func(t *testing.T) {
		if _, err := s.OpenTicket(good); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if _, err := s.OpenTicket(good); !errors.Is(err, ErrTicket) {
			t.Fatalf("got %v", err)
		}
	})
}

// FuzzOpenTicket: tickets arrive in URLs from anyone; no input may
// panic, and only tickets this key issued open.
func FuzzOpenTicket(f *testing.F) {
	s := ticketService(f, clock.NewFake(t0))
	f.Add(s.IssueTicket(Ticket{TenantID: "ten_a", ScopeID: "brand_b", Number: 2}))
	f.Add("e30.AAAA")
	f.Add(".")
	f.Fuzz(func(t *testing.T, token string) {
		tk, err := s.OpenTicket(token)
		if err != nil {
			return
		}
		if tk.TenantID == "" || tk.ScopeID == "" || s.IssueTicket(tk) == "" {
			t.Fatalf("opened %+v from %q", tk, token)
		}
	})
}
