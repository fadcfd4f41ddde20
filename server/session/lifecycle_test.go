package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

func TestCreateAndLookup(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var ses Session
		var cookie string
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			var err error
			ses, cookie, err = e.ses.Create(ctx, tx, tenantA, alice, []string{"pwd"}, "urn:lintel:loa:1fa")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cookie, CookiePrefix) || len(cookie) != len(CookiePrefix)+43 {
			t.Fatalf("cookie %q is not lses_ and 256 bits in base64url", cookie)
		}
		want := Session{
			ID: ses.ID, TenantID: tenantA, UserID: alice, AMR: []string{"pwd"}, ACR: "urn:lintel:loa:1fa",
			AuthTime: t0, CreatedAt: t0, LastSeenAt: t0, IdleExpiresAt: t0.Add(DefaultIdle), AbsoluteExpiresAt: t0.Add(DefaultAbsolute),
		}
		if !ident.Valid("ses", ses.ID) || !equalSessions(ses, want) {
			t.Fatalf("created %+v, want %+v", ses, want)
		}
		if got := e.live(t, tenantA, cookie); !equalSessions(got, want) {
			t.Fatalf("looked up %+v, want %+v", got, want)
		}
		_, other := e.create(t, tenantA, alice, "pwd")
		if other == cookie {
			t.Fatal("two sessions got the same cookie value")
		}
	})
}

func TestLookupRefusesCookies(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		_, cookie := e.create(t, tenantA, alice, "pwd")
		flip := byte('A')
		if cookie[10] == 'A' {
			flip = 'B'
		}
		flipped := cookie[:10] + string(flip) + cookie[11:]
		for _, tc := range []struct{ name, tenant, cookie string }{
			{"refuses another tenant's cookie", tenantB, cookie},
			{"refuses an unknown cookie", tenantA, newCookie()},
			{"refuses a cookie with one character changed", tenantA, flipped},
			{"refuses a cookie without its prefix", tenantA, strings.TrimPrefix(cookie, CookiePrefix)},
			{"refuses a truncated cookie", tenantA, cookie[:len(cookie)-1]},
			{"refuses an empty cookie", tenantA, ""},
			{"refuses a cookie of another kind", tenantA, "lsec_" + cookie[len(CookiePrefix):]},
			{"refuses the session ID as a cookie", tenantA, e.live(t, tenantA, cookie).ID},
		} {
			t.Run(tc.name, func(t *testing.T) { e.gone(t, tc.tenant, tc.cookie) })
		}
		e.live(t, tenantA, cookie)
	})
}

func TestIdleExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		_, cookie := e.create(t, tenantA, alice, "pwd")
		t.Run("slides with use", func(t *testing.T) {
			at := e.clk.Advance(20 * time.Minute)
			if ses := e.live(t, tenantA, cookie); !ses.LastSeenAt.Equal(at) || !ses.IdleExpiresAt.Equal(at.Add(DefaultIdle)) {
				t.Fatalf("after use at %v: last seen %v, idle expiry %v", at, ses.LastSeenAt, ses.IdleExpiresAt)
			}
			e.clk.Advance(DefaultIdle - time.Second) // past the first idle expiry
			e.live(t, tenantA, cookie)
		})
		t.Run("writes at most once a minute", func(t *testing.T) {
			seen := e.live(t, tenantA, cookie).LastSeenAt // written now
			e.clk.Advance(59 * time.Second)
			if ses := e.live(t, tenantA, cookie); !ses.LastSeenAt.Equal(seen) {
				t.Fatalf("a use within a minute wrote last seen %v (was %v)", ses.LastSeenAt, seen)
			}
			at := e.clk.Advance(time.Second)
			if ses := e.live(t, tenantA, cookie); !ses.LastSeenAt.Equal(at) {
				t.Fatalf("a use a minute later kept last seen %v, want %v", ses.LastSeenAt, at)
			}
		})
		t.Run("ends after the idle time without use", func(t *testing.T) {
			e.clk.Advance(DefaultIdle - time.Microsecond)
			e.live(t, tenantA, cookie)
			e.clk.Advance(DefaultIdle)
			e.gone(t, tenantA, cookie)
		})
	})
}

func TestAbsoluteExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		_, cookie := e.create(t, tenantA, alice, "pwd")
		end := t0.Add(DefaultAbsolute)
		for e.clk.Now().Add(20 * time.Minute).Before(end) {
			e.clk.Advance(20 * time.Minute)
			ses := e.live(t, tenantA, cookie)
			if ses.IdleExpiresAt.After(end) {
				t.Fatalf("idle expiry %v is past the absolute expiry %v", ses.IdleExpiresAt, end)
			}
		}
		e.clk.Set(end.Add(-time.Microsecond))
		e.live(t, tenantA, cookie)
		e.clk.Set(end)
		e.gone(t, tenantA, cookie)
	})
}

func TestRotate(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		old, cookie := e.create(t, tenantA, alice, "pwd")
		at := e.clk.Advance(10 * time.Minute)
		var ses Session
		var fresh string
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			var err error
			ses, fresh, err = e.ses.Rotate(ctx, tx, tenantA, cookie, []string{"pwd", "otp", "mfa"}, "urn:lintel:loa:2fa")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := Session{
			ID: ses.ID, TenantID: tenantA, UserID: alice, AMR: []string{"pwd", "otp", "mfa"}, ACR: "urn:lintel:loa:2fa",
			AuthTime: at, CreatedAt: t0, LastSeenAt: at, IdleExpiresAt: at.Add(DefaultIdle), AbsoluteExpiresAt: old.AbsoluteExpiresAt,
		}
		if ses.ID == old.ID || fresh == cookie || !equalSessions(ses, want) {
			t.Fatalf("rotated to %+v (cookie changed: %v), want %+v", ses, fresh != cookie, want)
		}
		t.Run("the old value stops working at once", func(t *testing.T) { e.gone(t, tenantA, cookie) })
		t.Run("the new value works", func(t *testing.T) {
			if got := e.live(t, tenantA, fresh); !equalSessions(got, want) {
				t.Fatalf("looked up %+v, want %+v", got, want)
			}
		})
		rotate := func(tenantID, c string, amr []string, acr string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.ses.Rotate(ctx, tx, tenantID, c, amr, acr)
				return err
			})
		}
		t.Run("refuses rotating the old value again", func(t *testing.T) {
			if err := rotate(tenantA, cookie, []string{"pwd"}, ""); !errors.Is(err, ErrNoSession) {
				t.Fatalf("got %v, want ErrNoSession", err)
			}
		})
		t.Run("refuses rotating from another tenant", func(t *testing.T) {
			if err := rotate(tenantB, fresh, []string{"pwd"}, ""); !errors.Is(err, ErrNoSession) {
				t.Fatalf("got %v, want ErrNoSession", err)
			}
		})
		t.Run("refuses bad amr and changes nothing", func(t *testing.T) {
			wantFields(t, rotate(tenantA, fresh, nil, ""), "amr")
			e.live(t, tenantA, fresh)
		})
		if n := e.count(t); n != 2 {
			t.Fatalf("%d session rows, want the old and the new", n)
		}
	})
}

func TestCreateRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name         string
			tenant, user string
			amr          []string
			acr          string
			fields       []string
		}{
			{"refuses a missing tenant", "", alice, []string{"pwd"}, "", []string{"tenant_id"}},
			{"refuses a missing user", tenantA, "", []string{"pwd"}, "", []string{"user_id"}},
			{"refuses no authentication method", tenantA, alice, nil, "", []string{"amr"}},
			{"refuses more than MaxAMR methods", tenantA, alice, strings.Split("a b c d e f g h i j k", " "), "", []string{"amr"}},
			{"refuses a method with a space", tenantA, alice, []string{"pwd", "o tp"}, "", []string{"amr[1]"}},
			{"refuses an empty method", tenantA, alice, []string{""}, "", []string{"amr[0]"}},
			{"refuses a repeated method", tenantA, alice, []string{"pwd", "pwd"}, "", []string{"amr[1]"}},
			{"refuses a method over MaxAMRLen", tenantA, alice, []string{strings.Repeat("x", MaxAMRLen+1)}, "", []string{"amr[0]"}},
			{"refuses an acr with a space", tenantA, alice, []string{"pwd"}, "a b", []string{"acr"}},
			{"refuses an acr over MaxACRLen", tenantA, alice, []string{"pwd"}, strings.Repeat("x", MaxACRLen+1), []string{"acr"}},
			{"names every bad field at once", "", "", []string{"\n"}, "\x00", []string{"tenant_id", "user_id", "amr[0]", "acr"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := e.ses.Create(ctx, tx, tc.tenant, tc.user, tc.amr, tc.acr)
					return err
				})
				wantFields(t, err, tc.fields...)
				if n := e.count(t); n != 0 {
					t.Fatalf("refused input left %d sessions", n)
				}
			})
		}
	})
}
