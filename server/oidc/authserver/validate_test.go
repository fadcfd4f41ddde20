package authserver

import (
	"strings"
	"testing"
	"time"
)

func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"login.acme.com", true},
		{"LOGIN.Acme.com", true},
		{"localhost", true},
		{"localhost:8080", true},
		{"id.example.com:443", true},
		{"", false},
		{"10.0.0.1", false},
		{"10.0.0.1:80", false},
		{"[::1]", false},
		{"a..b", false},
		{"-a.com", false},
		{"a_b.com", false},
		{"example.com.", false},
		{"example.com:", false},
		{"example.com:65536", false},
		{"example.com:08", false},
		{"example.123", false},
		{strings.Repeat("a.", 127) + "com", false},
	} {
		_, err := checkHost(tc.host)
		if (err == nil) != tc.ok {
			t.Errorf("checkHost(%q) = %v, want ok %v", tc.host, err, tc.ok)
		}
	}
}

func TestCompilePatternAnchors(t *testing.T) {
	re, err := compilePattern(`orders\.[a-z]+|billing`)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"orders.read": true, "billing": true, "billing.read": false, "x.orders.read": false, "orders.read1": false} {
		if re.MatchString(name) != want {
			t.Errorf("pattern matches %q: %v, want %v", name, !want, want)
		}
	}
	if re, err := compilePattern(""); re != nil || err != nil {
		t.Fatalf("an empty pattern gave %v, %v", re, err)
	}
	if _, err := compilePattern(`^orders\.[a-z]+$`); err != nil {
		t.Fatalf("an already anchored pattern: %v", err)
	}
}

func TestCheckLifetime(t *testing.T) {
	for _, tc := range []struct {
		d  time.Duration
		ok bool
	}{
		{0, true}, {time.Hour, false}, {time.Minute, true}, {2 * time.Minute, true},
		{time.Minute - time.Second, false}, {2*time.Minute + time.Second, false}, {-time.Minute, false}, {90 * time.Second, true},
		{time.Minute + time.Nanosecond, false},
	} {
		err := checkLifetime("f", tc.d, time.Minute, 2*time.Minute)
		if (err == nil) != tc.ok {
			t.Errorf("checkLifetime(%v) = %v, want ok %v", tc.d, err, tc.ok)
		}
	}
}
