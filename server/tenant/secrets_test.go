package tenant

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// rawSecretTable returns every byte stored in the secrets table, as text.
func rawSecretTable(t *testing.T, e *env) []byte {
	t.Helper()
	var out []byte
	e.ok(t, func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, app_id, mac FROM app_secrets`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, app string
			var mac []byte
			if err := rows.Scan(&id, &app, &mac); err != nil {
				return err
			}
			out = append(append(append(out, id...), app...), mac...)
		}
		return rows.Err()
	})
	return out
}

func TestClientSecrets(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		app, first := e.app(t, ten.ID, webApp("Portal"))
		verify := func(clientID, secret string) error {
			t.Helper()
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.VerifyAppSecret(ctx, tx, ten.ID, clientID, secret)
				return err
			})
		}
		t.Run("shows the secret once and stores only its keyed hash", func(t *testing.T) {
			if len(first) != len(SecretPrefix)+43 {
				t.Fatalf("secret %q has %d characters", first, len(first))
			}
			raw := rawSecretTable(t, e)
			if bytes.Contains(raw, []byte(first)) || bytes.Contains(raw, []byte(first[len(SecretPrefix):])) {
				t.Fatal("the secret is stored in plaintext")
			}
		})
		t.Run("verifies the secret and records its use", func(t *testing.T) {
			e.clk.Advance(time.Minute)
			if err := verify(app.ID, first); err != nil {
				t.Fatal(err)
			}
			infos := get(t, e, func(ctx context.Context, tx store.Tx) ([]SecretInfo, error) {
				return e.svc.AppSecrets(ctx, tx, ten.ID, app.ID)
			})
			if len(infos) != 1 || infos[0].LastUsedAt == nil || !infos[0].LastUsedAt.Equal(e.clk.Now()) || infos[0].ExpiresAt != nil {
				t.Fatalf("secrets %+v", infos)
			}
		})
		other, _ := e.app(t, ten.ID, webApp("Other"))
		spa, none := e.app(t, ten.ID, AppInput{Name: "SPA", Type: AppSPA, RedirectURIs: []string{"https://spa.example.com/cb"}})
		for _, tc := range []struct{ name, client, secret string }{
			{"refuses a wrong secret", app.ID, SecretPrefix + "AAAA"},
			{"refuses an empty secret", app.ID, ""},
			{"refuses the secret without its prefix", app.ID, first[len(SecretPrefix):]},
			{"refuses another app's client ID", other.ID, first},
			{"refuses an unknown client", "app_unknown", first},
			{"refuses a public client", spa.ID, first},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := verify(tc.client, tc.secret); !errors.Is(err, ErrBadSecret) {
					t.Fatalf("got %v, want ErrBadSecret", err)
				}
			})
		}
		t.Run("gives public clients no secret", func(t *testing.T) {
			if none != "" {
				t.Fatalf("spa got secret %q", none)
			}
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.RotateAppSecret(ctx, tx, ten.ID, spa.ID, 0)
				return err
			}), "type")
		})
		rotate := func(overlap time.Duration) string {
			t.Helper()
			return get(t, e, func(ctx context.Context, tx store.Tx) (string, error) {
				return e.svc.RotateAppSecret(ctx, tx, ten.ID, app.ID, overlap)
			})
		}
		t.Run("keeps the old secret valid for the overlap", func(t *testing.T) {
			second := rotate(time.Hour)
			if second == first {
				t.Fatal("rotation returned the same secret")
			}
			infos := get(t, e, func(ctx context.Context, tx store.Tx) ([]SecretInfo, error) {
				return e.svc.AppSecrets(ctx, tx, ten.ID, app.ID)
			})
			if len(infos) != 2 || infos[0].ExpiresAt == nil || !infos[0].ExpiresAt.Equal(e.clk.Now().Add(time.Hour)) || infos[1].ExpiresAt != nil {
				t.Fatalf("secrets %+v", infos)
			}
			e.clk.Advance(59 * time.Minute)
			if err := verify(app.ID, first); err != nil {
				t.Fatalf("old secret inside the window: %v", err)
			}
			e.clk.Advance(time.Minute)
			if err := verify(app.ID, first); !errors.Is(err, ErrBadSecret) {
				t.Fatalf("old secret after the window: %v", err)
			}
			if err := verify(app.ID, second); err != nil {
				t.Fatalf("new secret: %v", err)
			}
			t.Run("a second rotation does not extend the first one's window", func(t *testing.T) {
				third := rotate(24 * time.Hour)
				e.clk.Advance(time.Hour)
				if err := verify(app.ID, second); err != nil {
					t.Fatalf("second secret inside its window: %v", err)
				}
				e.clk.Advance(23 * time.Hour)
				if err := verify(app.ID, second); !errors.Is(err, ErrBadSecret) {
					t.Fatalf("second secret after its window: %v", err)
				}
				if err := verify(app.ID, third); err != nil {
					t.Fatal(err)
				}
				first = third
			})
		})
		t.Run("an overlap of zero revokes old secrets at once", func(t *testing.T) {
			next := rotate(0)
			if err := verify(app.ID, first); !errors.Is(err, ErrBadSecret) {
				t.Fatalf("old secret: %v", err)
			}
			if err := verify(app.ID, next); err != nil {
				t.Fatal(err)
			}
			if n := len(get(t, e, func(ctx context.Context, tx store.Tx) ([]SecretInfo, error) {
				return e.svc.AppSecrets(ctx, tx, ten.ID, app.ID)
			})); n != 1 {
				t.Fatalf("%d secrets listed", n)
			}
		})
		t.Run("refuses a negative overlap", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.RotateAppSecret(ctx, tx, ten.ID, app.ID, -time.Second)
				return err
			}), "overlap")
		})
	})
}
