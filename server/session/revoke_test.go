package session

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		_, cookie := e.create(t, tenantA, alice, "pwd")
		_, keep := e.create(t, tenantA, alice, "pwd")
		revoke := func(tenantID, c string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.Revoke(ctx, tx, tenantID, c) })
		}
		for _, tc := range []struct{ name, tenant, cookie string }{
			{"refuses revoking from another tenant", tenantB, cookie},
			{"refuses an unknown cookie", tenantA, newCookie()},
			{"refuses a malformed cookie", tenantA, "lses_x"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := revoke(tc.tenant, tc.cookie); !errors.Is(err, ErrNoSession) {
					t.Fatalf("got %v, want ErrNoSession", err)
				}
				e.live(t, tenantA, cookie)
			})
		}
		t.Run("ends the session", func(t *testing.T) {
			if err := revoke(tenantA, cookie); err != nil {
				t.Fatal(err)
			}
			e.gone(t, tenantA, cookie)
		})
		t.Run("refuses revoking twice", func(t *testing.T) {
			if err := revoke(tenantA, cookie); !errors.Is(err, ErrNoSession) {
				t.Fatalf("got %v, want ErrNoSession", err)
			}
		})
		t.Run("keeps the user's other sessions", func(t *testing.T) { e.live(t, tenantA, keep) })
	})
}

func TestRevokeUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		_, a1 := e.create(t, tenantA, alice, "pwd")
		_, a2 := e.create(t, tenantA, alice, "pwd", "otp")
		_, revoked := e.create(t, tenantA, alice, "pwd")
		_, expired := e.create(t, tenantA, alice, "pwd")
		_, b := e.create(t, tenantA, bob, "pwd")
		_, otherTenant := e.create(t, tenantB, alice, "pwd")
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.Revoke(ctx, tx, tenantA, revoked) }); err != nil {
			t.Fatal(err)
		}
		// Keep all but one alive past the first idle expiry.
		e.clk.Advance(DefaultIdle - time.Minute)
		for _, c := range []string{a1, a2, b} {
			e.live(t, tenantA, c)
		}
		e.live(t, tenantB, otherTenant)
		e.clk.Advance(2 * time.Minute)
		e.gone(t, tenantA, expired)

		var n int64
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = e.ses.RevokeUser(ctx, tx, tenantA, alice)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("revoked %d sessions, want alice's 2 live ones", n)
		}
		e.gone(t, tenantA, a1)
		e.gone(t, tenantA, a2)
		e.live(t, tenantA, b)
		e.live(t, tenantB, otherTenant)

		t.Run("refuses a missing user", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.ses.RevokeUser(ctx, tx, tenantA, "")
				return err
			}), "user_id")
			e.live(t, tenantA, b)
		})
	})
}

func TestPurgeDeletesEndedSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		_, revoked := e.create(t, tenantA, alice, "pwd")
		e.create(t, tenantA, alice, "pwd") // will expire
		e.clk.Advance(DefaultIdle - time.Minute)
		_, live := e.create(t, tenantA, bob, "pwd")
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.Revoke(ctx, tx, tenantA, revoked) }); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Minute)
		var n int64
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = e.ses.Purge(ctx, tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n != 2 || e.count(t) != 1 {
			t.Fatalf("purged %d, %d left; want 2 purged, 1 left", n, e.count(t))
		}
		e.live(t, tenantA, live)
	})
}

func TestCookieValueNeverStored(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var cookies []string
		_, c := e.create(t, tenantA, alice, "pwd")
		cookies = append(cookies, c)
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, c, err := e.ses.Rotate(ctx, tx, tenantA, c, []string{"pwd", "otp"}, "")
			cookies = append(cookies, c)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var rows [][]any
		if err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
			r, err := tx.Query(ctx, `SELECT * FROM sessions`)
			if err != nil {
				return err
			}
			defer r.Close()
			for r.Next() {
				row := make([]any, 14) // every column of the table
				ptrs := make([]any, len(row))
				for i := range row {
					ptrs[i] = &row[i]
				}
				if err := r.Scan(ptrs...); err != nil {
					return err
				}
				rows = append(rows, row)
			}
			return r.Err()
		}); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows, want 2", len(rows))
		}
		for _, c := range cookies {
			secret := c[len(CookiePrefix):]
			raw, err := base64.RawURLEncoding.DecodeString(secret)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				for i, v := range row {
					text := fmt.Sprint(v)
					b, _ := v.([]byte)
					if strings.Contains(text, secret) || bytes.Contains(b, raw) || bytes.Contains(b, []byte(secret)) {
						t.Fatalf("column %d of a session row holds the cookie value", i)
					}
				}
			}
		}
	})
}

func TestCookieName(t *testing.T) {
	names := map[string]bool{}
	for _, tenant := range []string{"ten_01", "ten_02", "ten_03", ""} {
		secure, plain := CookieName(tenant, true), CookieName(tenant, false)
		if secure != "__Host-"+plain || !strings.HasPrefix(plain, "lintel-") || len(plain) > 24 {
			t.Errorf("tenant %q: names %q and %q", tenant, secure, plain)
		}
		if CookieName(tenant, true) != secure {
			t.Errorf("tenant %q: name is not stable", tenant)
		}
		for _, c := range plain {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				t.Errorf("tenant %q: name %q has %q", tenant, plain, c)
			}
		}
		if names[plain] {
			t.Errorf("tenant %q: name %q is another tenant's", tenant, plain)
		}
		names[plain] = true
	}
}
