package phone

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCaps(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"an empty allowlist allows no country", testCapsEmptyAllowlist},
		{"sends only to the listed countries", testCapsAllowlist},
		{"a channel the settings do not enable is refused", testCapsChannel},
		{"per number: 5 an hour", testCapsNumberHour},
		{"per number: 10 a day", testCapsNumberDay},
		{"per client address, IPv6 by /64", testCapsClientIP},
		{"per tenant per day, as configured", testCapsTenant},
		{"a limiter failure refuses the message", testCapsLimiterError},
	})
}

// number returns the i-th test number in Toronto, so that tests can send
// to many numbers.
func number(t testing.TB, i int) Number {
	return mustNumber(t, fmt.Sprintf("+1 416 555 %04d", i))
}

// to returns the test message to n.
func to(t testing.TB, n Number) Message {
	m := sms(t)
	m.To = n
	return m
}

// ipN returns the i-th test client address.
func ipN(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }

// wantCapped checks that err is a *CappedError for cap, with a retry-after
// within (0, max], and that the refused message wrote nothing.
func (e *env) wantCapped(t *testing.T, err error, cap Cap, max time.Duration, rows int) {
	t.Helper()
	var ce *CappedError
	if !errors.Is(err, ErrCapped) || !errors.As(err, &ce) || ce.Cap != cap || ce.RetryAfter <= 0 || ce.RetryAfter > max {
		t.Fatalf("Enqueue = %v; want the %s cap with a retry-after up to %v", err, cap, max)
	}
	if n := e.count(t); n != rows {
		t.Fatalf("%d rows after a refusal, want %d", n, rows)
	}
}

func testCapsEmptyAllowlist(t *testing.T, e *env) {
	in := webhookInput(startGateway(t, nil))
	in.Countries = nil
	e.mustPut(t, "ten_a", in)
	if _, err := e.enqueue(t, "ten_a", sms(t), clientIP); !errors.Is(err, ErrCountryNotAllowed) {
		t.Fatalf("Enqueue = %v; want ErrCountryNotAllowed", err)
	}
	if e.count(t) != 0 || len(e.lim.asked()) != 0 {
		t.Fatal("a message to a country not allowed was written or counted")
	}
}

func testCapsAllowlist(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil))) // US and CA
	tests := []struct {
		number  string
		allowed bool
	}{
		{"+1 415 555 0100", true},
		{"+1 416 555 0100", true},
		{"+1 876 555 0100", false}, // Jamaica, in the NANP but not the US
		{"+44 20 7946 0000", false},
		{"+881 6 1234 5678", false}, // a satellite phone
	}
	for i, tt := range tests {
		_, err := e.enqueue(t, "ten_a", to(t, mustNumber(t, tt.number)), ipN(i))
		if tt.allowed != (err == nil) || (!tt.allowed && !errors.Is(err, ErrCountryNotAllowed)) {
			t.Errorf("Enqueue to %s = %v; want allowed %v", tt.number, err, tt.allowed)
		}
		if err != nil && strings.Contains(err.Error(), strings.ReplaceAll(tt.number[3:], " ", "")) {
			t.Errorf("error quotes the number: %v", err)
		}
	}
	if n := e.count(t); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
}

func testCapsChannel(t *testing.T, e *env) {
	in := webhookInput(startGateway(t, nil))
	in.Channels = []Channel{SMS}
	e.mustPut(t, "ten_a", in)
	m := sms(t)
	m.Channel = Voice
	if _, err := e.enqueue(t, "ten_a", m, clientIP); !errors.Is(err, ErrChannelNotAllowed) {
		t.Fatalf("Enqueue(voice) = %v; want ErrChannelNotAllowed", err)
	}
	if e.count(t) != 0 {
		t.Fatal("a refused message was written")
	}
}

func testCapsNumberHour(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	for i := range DefaultPerNumberHour {
		if _, err := e.enqueue(t, "ten_a", sms(t), ipN(i)); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	_, err := e.enqueue(t, "ten_a", sms(t), ipN(99))
	e.wantCapped(t, err, CapNumberHour, time.Hour, DefaultPerNumberHour)
	if _, err := e.enqueue(t, "ten_a", to(t, number(t, 1)), ipN(99)); err != nil {
		t.Fatalf("another number: %v", err)
	}
	e.clk.Advance(time.Hour)
	if _, err := e.enqueue(t, "ten_a", sms(t), ipN(98)); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
	for _, k := range e.lim.asked() {
		if strings.HasPrefix(k, "phone:number-hour:") && k != "phone:number-hour:ten_a:+14155550100" && k != "phone:number-hour:ten_a:+14165550001" {
			t.Errorf("unexpected key %q", k)
		}
	}
}

func testCapsNumberDay(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	sent := 0
	for hour := range 2 {
		for range DefaultPerNumberHour {
			if _, err := e.enqueue(t, "ten_a", sms(t), ipN(sent)); err != nil {
				t.Fatalf("hour %d, message %d: %v", hour, sent+1, err)
			}
			sent++
		}
		e.clk.Advance(time.Hour)
	}
	_, err := e.enqueue(t, "ten_a", sms(t), ipN(99))
	e.wantCapped(t, err, CapNumberDay, 24*time.Hour, DefaultPerNumberDay)
}

func testCapsClientIP(t *testing.T, e *env) {
	in := webhookInput(startGateway(t, nil))
	in.Caps.PerClientIPDay = 2
	e.mustPut(t, "ten_a", in)
	i := 0
	send := func(ip string) error {
		i++
		var a netip.Addr
		if ip != "" {
			a = netip.MustParseAddr(ip)
		}
		_, err := e.enqueue(t, "ten_a", to(t, number(t, i)), a)
		return err
	}
	tests := []struct {
		name, ip string
		capped   bool
	}{
		{"first from an IPv4 address", "203.0.113.7", false},
		{"second from it", "203.0.113.7", false},
		{"third from it, as IPv4-mapped IPv6", "::ffff:203.0.113.7", true},
		{"the next IPv4 address is another client", "203.0.113.8", false},
		{"first from a /64", "2001:db8:1:2::1", false},
		{"second from the same /64", "2001:db8:1:2:ffff:ffff:ffff:9", false},
		{"third from the same /64, another address", "2001:db8:1:2:abcd::1", true},
		{"the next /64 is another client", "2001:db8:1:3::1", false},
		{"no address is not counted per address", "", false},
		{"again no address", "", false},
		{"and again", "", false},
	}
	rows := 0
	for _, tt := range tests {
		err := send(tt.ip)
		if tt.capped {
			e.wantCapped(t, err, CapClientIP, 24*time.Hour, rows)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		rows++
	}
}

func testCapsTenant(t *testing.T, e *env) {
	g := startGateway(t, nil)
	in := webhookInput(g)
	in.Caps.PerTenantDay = 3
	e.mustPut(t, "ten_a", in)
	e.mustPut(t, "ten_b", webhookInput(g))
	for i := range 3 {
		if _, err := e.enqueue(t, "ten_a", to(t, number(t, i)), ipN(i)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.enqueue(t, "ten_a", to(t, number(t, 3)), ipN(3))
	e.wantCapped(t, err, CapTenant, 24*time.Hour, 3)
	if _, err := e.enqueue(t, "ten_b", to(t, number(t, 3)), ipN(3)); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	e.clk.Advance(24 * time.Hour)
	if _, err := e.enqueue(t, "ten_a", to(t, number(t, 4)), ipN(4)); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

func testCapsLimiterError(t *testing.T, e *env) {
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	e.lim.fail = errors.New("redis: connection refused")
	_, err := e.enqueue(t, "ten_a", sms(t), clientIP)
	if err == nil || errors.Is(err, ErrCapped) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Enqueue = %v; want the limiter's error", err)
	}
	if e.count(t) != 0 {
		t.Fatal("a message was written without a decision")
	}
}
