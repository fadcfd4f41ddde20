package autotls_test

import (
	"strings"
	"testing"

	"github.com/lintel-id/lintel/edge/autotls"
)

func TestNewRefusesIncompleteConfig(t *testing.T) {
	tests := []struct {
		name   string
		change func(*autotls.Config)
		want   string
	}{
		{"without storage", func(c *autotls.Config) { c.Storage = nil }, "Storage is required"},
		{"without domains", func(c *autotls.Config) { c.Domains = nil }, "Domains is required"},
		{"without logger", func(c *autotls.Config) { c.Logger = nil }, "Logger is required"},
		{"without clock", func(c *autotls.Config) { c.Clock = nil }, "Clock is required"},
		{"without TLS port", func(c *autotls.Config) { c.TLSPort = 0 }, "TLSPort is required"},
		{"with no challenge left", func(c *autotls.Config) { c.HTTPPort = 0; c.DisableTLSALPN = true }, "no challenge left"},
		{"with half an EAB", func(c *autotls.Config) { c.EAB = &autotls.EAB{KeyID: "kid"} }, "EAB needs"},
		{"with an invalid extra host", func(c *autotls.Config) { c.Hosts = []string{"192.0.2.1"} }, "Config.Hosts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := baseConfig(t, newFakeDomains(), "https://ca.invalid/dir")
			tc.change(&cfg)
			m, err := autotls.New(cfg)
			if err == nil {
				m.Close()
				t.Fatal("New accepted the config")
			}
			// The message names the field for the operator; there is no
			// sentinel to branch on for a programming error.
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestNewAcceptsEitherChallengeAlone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*autotls.Config)
	}{
		{"HTTP-01 only", func(c *autotls.Config) { c.DisableTLSALPN = true }},
		{"TLS-ALPN-01 only", func(c *autotls.Config) { c.HTTPPort = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := baseConfig(t, newFakeDomains(), "https://ca.invalid/dir")
			tc.change(&cfg)
			m, err := autotls.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			m.Close()
			m.Close() // idempotent
		})
	}
}
