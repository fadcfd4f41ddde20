package autotls_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/autotls"
)

func TestStatus(t *testing.T) {
	ctx := context.Background()
	cfg, clk := baseConfig(t, newFakeDomains("login.acme.test"), "https://ca.invalid/dir")
	m := newManager(t, cfg)

	got, err := m.Status(ctx, "login.acme.test")
	if err != nil {
		t.Fatalf("Status before: %v", err)
	}
	if got.State != autotls.StateNone || got.Present {
		t.Fatalf("Status before = %+v, want none", got)
	}

	notBefore := clk.Now().Truncate(time.Second)
	notAfter := notBefore.Add(90 * 24 * time.Hour)
	certPEM, keyPEM, _ := selfSigned(t, "login.acme.test", notBefore, notAfter)
	storeCert(t, cfg.Storage, m.IssuerKey(), "login.acme.test", certPEM, keyPEM)

	tests := []struct {
		name    string
		advance time.Duration // from notBefore
		want    autotls.State
	}{
		{"valid when new", 0, autotls.StateValid},
		{"valid just before the renewal window", 60*24*time.Hour - time.Second, autotls.StateValid},
		{"expiring in the last third of its lifetime", 60 * 24 * time.Hour, autotls.StateExpiring},
		{"expired at NotAfter", 90 * 24 * time.Hour, autotls.StateExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk.Set(notBefore.Add(tc.advance))
			got, err := m.Status(ctx, "Login.Acme.Test")
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if got.State != tc.want {
				t.Errorf("State %q, want %q", got.State, tc.want)
			}
			if !got.Present || got.Host != "login.acme.test" || got.Issuer != "Test CA" || got.Serial != "beef" ||
				!got.NotBefore.Equal(notBefore) || !got.NotAfter.Equal(notAfter) || !slices.Equal(got.Names, []string{"login.acme.test"}) {
				t.Errorf("Status = %+v", got)
			}
		})
	}

	t.Run("refuses an invalid host", func(t *testing.T) {
		if _, err := m.Status(ctx, "192.0.2.1"); !errors.Is(err, autotls.ErrInvalidHost) {
			t.Fatalf("Status(IP) error %v, want ErrInvalidHost", err)
		}
	})
}
