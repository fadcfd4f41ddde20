package session

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/useragent"
	"github.com/lintel-id/lintel/server/store"
)

// client returns a context carrying a client address (none when ip is "")
// and a User-Agent (none when ua is "").
func client(ip, ua string) context.Context {
	ctx := context.Background()
	if ip != "" {
		ctx = clientip.With(ctx, netip.MustParseAddr(ip))
	}
	if ua != "" {
		ctx = useragent.With(ctx, ua)
	}
	return ctx
}

func TestRecordsClientAddressAndUserAgent(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name           string
			ip, ua         string
			wantIP, wantUA string
		}{
			{"records an IPv4 address and the User-Agent", "192.0.2.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
				"192.0.2.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"},
			{"keeps an IPv6 address whole", "2001:db8:1:2:3:4:5:6", "curl/8.14", "2001:db8:1:2:3:4:5:6", "curl/8.14"},
			{"unmaps an IPv4-mapped address", "::ffff:198.51.100.2", "", "198.51.100.2", ""},
			{"records nothing the context lacks", "", "", "", ""},
			{"cuts a long User-Agent to MaxUserAgentLen bytes", "", strings.Repeat("x", 10*MaxUserAgentLen), "", strings.Repeat("x", MaxUserAgentLen)},
			{"never splits a character when cutting", "", strings.Repeat("a", MaxUserAgentLen-1) + "é", "", strings.Repeat("a", MaxUserAgentLen-1)},
			{"keeps a character that ends exactly at the limit", "", strings.Repeat("a", MaxUserAgentLen-2) + "é", "", strings.Repeat("a", MaxUserAgentLen-2) + "é"},
			{"drops control characters", "", "Agent\x00/1\r\n\tX\x7f\u0085", "", "Agent/1X"},
			{"replaces invalid UTF-8", "", "Agent\xff\xfe/1", "", "Agent\uFFFD\uFFFD/1"},
			{"trims surrounding space", "", "  Agent/1  ", "", "Agent/1"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var created Session
				var cookie string
				if err := e.doIn(t, client(tc.ip, tc.ua), func(ctx context.Context, tx store.Tx) error {
					var err error
					created, cookie, err = e.ses.Create(ctx, tx, tenantA, alice, []string{"pwd"}, "")
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if created.IP != tc.wantIP || created.UserAgent != tc.wantUA {
					t.Fatalf("created with %q %q, want %q %q", created.IP, created.UserAgent, tc.wantIP, tc.wantUA)
				}
				if got := e.live(t, tenantA, cookie); got.IP != tc.wantIP || got.UserAgent != tc.wantUA {
					t.Fatalf("stored %q %q, want %q %q", got.IP, got.UserAgent, tc.wantIP, tc.wantUA)
				}
			})
		}
	})
}

func TestRotateRecordsTheNewClient(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var cookie string
		if err := e.doIn(t, client("192.0.2.7", "Agent/1"), func(ctx context.Context, tx store.Tx) error {
			var err error
			_, cookie, err = e.ses.Create(ctx, tx, tenantA, alice, []string{"pwd"}, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		rotate := func(ctx context.Context) Session {
			t.Helper()
			var ses Session
			if err := e.doIn(t, ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				ses, cookie, err = e.ses.Rotate(ctx, tx, tenantA, cookie, []string{"pwd", "otp", "mfa"}, "")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ses
		}
		t.Run("records the rotating request's address and User-Agent", func(t *testing.T) {
			ses := rotate(client("2001:db8::9", "Agent/2"))
			if ses.IP != "2001:db8::9" || ses.UserAgent != "Agent/2" {
				t.Fatalf("rotated to %q %q", ses.IP, ses.UserAgent)
			}
		})
		t.Run("keeps the old ones when the context has none", func(t *testing.T) {
			ses := rotate(context.Background())
			if ses.IP != "2001:db8::9" || ses.UserAgent != "Agent/2" {
				t.Fatalf("rotated to %q %q", ses.IP, ses.UserAgent)
			}
			if got := e.live(t, tenantA, cookie); got.IP != ses.IP || got.UserAgent != ses.UserAgent {
				t.Fatalf("stored %q %q", got.IP, got.UserAgent)
			}
		})
	})
}
