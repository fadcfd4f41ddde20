package dnsname

import (
	"strings"
	"testing"
)

func TestValidAndHost(t *testing.T) {
	cases := []struct {
		name        string
		valid, host bool
	}{
		{"example.com", true, true},
		{"Mail.Example.COM", true, true},
		{"localhost", true, true},
		{"a-b.c-d.e1", true, true},
		{"xn--bcher-kva.example", true, true},
		{"127.1", true, false},
		{"10.0.0.010", true, false},
		{"example.123", true, false},
		{"", false, false},
		{"example.com.", false, false},
		{".example.com", false, false},
		{"a..b", false, false},
		{"-a.example", false, false},
		{"a-.example", false, false},
		{"under_score.example", false, false},
		{"space .example", false, false},
		{"bücher.example", false, false},
		{strings.Repeat("a", 63) + ".example", true, true},
		{strings.Repeat("a", 64) + ".example", false, false},
		{strings.Repeat("a.", 126) + "a", true, true},
		{strings.Repeat("a.", 127) + "a", false, false},
	}
	for _, tc := range cases {
		if got := Valid(tc.name); got != tc.valid {
			t.Errorf("Valid(%q) = %v, want %v", tc.name, got, tc.valid)
		}
		if got := Host(tc.name); got != tc.host {
			t.Errorf("Host(%q) = %v, want %v", tc.name, got, tc.host)
		}
	}
}

func FuzzHost(f *testing.F) {
	for _, s := range []string{"example.com", "127.1", "a..b", "-a", strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Host(s) && !Valid(s) {
			t.Fatalf("Host(%q) without Valid", s)
		}
		if Valid(s) && (len(s) > MaxLen || strings.ContainsAny(s, " _/:@")) {
			t.Fatalf("Valid(%q)", s)
		}
	})
}
