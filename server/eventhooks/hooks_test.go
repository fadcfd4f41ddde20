package eventhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/egresstest"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// fields returns the names of the refused fields in err, sorted.
func fields(err error) []string {
	var out []string
	for _, e := range invalid.All(err) {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}

func TestCreateValidates(t *testing.T) {
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("kind%d.created", i))
		}
		return out
	}
	ok := Input{Name: "SIEM", URL: "https://hooks.acme.example/lintel", Types: []string{"user.*"}}
	with := func(f func(*Input)) Input {
		in := ok
		in.Types = slices.Clone(ok.Types)
		f(&in)
		return in
	}
	cases := []struct {
		name string
		in   Input
		// loopback builds the service with AllowInsecureLoopback.
		loopback bool
		// refused are the fields named, nil when accepted.
		refused []string
	}{
		{"accepts an https URL with exact types and prefixes", with(func(in *Input) { in.Types = []string{"app.created", "user.*"} }), false, nil},
		{"accepts every type", with(func(in *Input) { in.Types = []string{"*"} }), false, nil},
		{"accepts 50 patterns, more than one log query takes", with(func(in *Input) { in.Types = many(50) }), false, nil},
		{"refuses 51 patterns", with(func(in *Input) { in.Types = many(51) }), false, []string{"types"}},
		{"refuses no types", with(func(in *Input) { in.Types = nil }), false, []string{"types"}},
		{"refuses an uppercase type", with(func(in *Input) { in.Types = []string{"User.created"} }), false, []string{"types[0]"}},
		{"refuses a one-word exact type", with(func(in *Input) { in.Types = []string{"user"} }), false, []string{"types[0]"}},
		{"refuses a wildcard inside a type", with(func(in *Input) { in.Types = []string{"user.*.created"} }), false, []string{"types[0]"}},
		{"refuses a bare prefix wildcard", with(func(in *Input) { in.Types = []string{".*"} }), false, []string{"types[0]"}},
		{"refuses a type over 64 bytes", with(func(in *Input) { in.Types = []string{"a." + strings.Repeat("b", 63)} }), false, []string{"types[0]"}},
		{"refuses an empty name", with(func(in *Input) { in.Name = "  " }), false, []string{"name"}},
		{"refuses a name over 100 characters", with(func(in *Input) { in.Name = strings.Repeat("é", 101) }), false, []string{"name"}},
		{"refuses control characters in the name", with(func(in *Input) { in.Name = "a\nb" }), false, []string{"name"}},
		{"refuses http", with(func(in *Input) { in.URL = "http://hooks.acme.example/" }), false, []string{"url"}},
		{"refuses another scheme", with(func(in *Input) { in.URL = "ftp://hooks.acme.example/" }), false, []string{"url"}},
		{"refuses a relative URL", with(func(in *Input) { in.URL = "/hooks" }), false, []string{"url"}},
		{"refuses credentials in the URL", with(func(in *Input) { in.URL = "https://u:p@hooks.acme.example/" }), false, []string{"url"}},
		{"refuses a fragment", with(func(in *Input) { in.URL = "https://hooks.acme.example/#x" }), false, []string{"url"}},
		{"refuses a private address", with(func(in *Input) { in.URL = "https://10.1.2.3/hooks" }), false, []string{"url"}},
		{"refuses the metadata address", with(func(in *Input) { in.URL = "https://169.254.169.254/" }), false, []string{"url"}},
		{"refuses loopback in production", with(func(in *Input) { in.URL = "https://127.0.0.1:8443/" }), false, []string{"url"}},
		{"refuses localhost in production", with(func(in *Input) { in.URL = "https://localhost/" }), false, []string{"url"}},
		{"refuses a URL over 2048 bytes", with(func(in *Input) { in.URL = "https://a.example/" + strings.Repeat("x", 2048) }), false, []string{"url"}},
		{"accepts https loopback in tests", with(func(in *Input) { in.URL = "https://127.0.0.1:8443/" }), true, nil},
		{"accepts http loopback in tests", with(func(in *Input) { in.URL = "http://localhost:8080/" }), true, nil},
		{"refuses http elsewhere in tests", with(func(in *Input) { in.URL = "http://hooks.acme.example/" }), true, []string{"url"}},
		{"refuses a private address in tests", with(func(in *Input) { in.URL = "https://192.168.1.1/" }), true, []string{"url"}},
		{"names every refused field", Input{URL: "http://x.example/"}, false, []string{"name", "types", "url"}},
	}
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		strict, err := New(Deps{Store: w.st, Secrets: w.sec, Events: w.log, Clock: w.clk, HTTP: egresstest.Loopback()}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				svc := strict
				if c.loopback {
					svc = w.svc
				}
				var h Hook
				var secret string
				err := w.do(t, func(ctx context.Context, tx store.Tx) (err error) {
					h, secret, err = svc.Create(ctx, tx, w.a, c.in)
					return err
				})
				if c.refused == nil {
					if err != nil {
						t.Fatalf("Create: %v", err)
					}
					if h.Status != Unverified || !strings.HasPrefix(secret, SecretPrefix) {
						t.Errorf("created %+v with secret prefix %q", h, secret[:min(4, len(secret))])
					}
					return
				}
				if got := fields(err); !slices.Equal(got, c.refused) {
					t.Errorf("refused %v (%v), want %v", got, err, c.refused)
				}
				if secret != "" || h.ID != "" {
					t.Errorf("refused input returned %+v and a secret", h)
				}
			})
		}
		// Refused inputs wrote nothing: only the accepted ones exist.
		hooks := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]Hook, error) { return w.svc.List(ctx, tx, w.a) })
		accepted := 0
		for _, c := range cases {
			if c.refused == nil {
				accepted++
			}
		}
		if len(hooks) != accepted {
			t.Errorf("%d hooks stored, want %d", len(hooks), accepted)
		}
	})
}

func TestCRUD(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		ctx := context.Background()
		h, secret := w.create(t, w.a, Input{Name: " SIEM ", URL: "https://hooks.acme.example/x",
			Types: []string{"user.*", "app.created", "user.*"}})
		if h.Name != "SIEM" || !slices.Equal(h.Types, []string{"app.created", "user.*"}) || h.Status != Unverified ||
			h.Cursor != "" || !h.VerifiedAt.IsZero() || !h.CreatedAt.Equal(t0) {
			t.Errorf("created %+v", h)
		}
		if len(secret) != len(SecretPrefix)+43 {
			t.Errorf("secret of %d characters", len(secret))
		}
		t.Run("reads back what it created", func(t *testing.T) {
			got := w.get(t, w.a, h.ID)
			if got.ID != h.ID || got.Name != h.Name || got.URL != h.URL || !slices.Equal(got.Types, h.Types) || got.Status != h.Status {
				t.Errorf("Get = %+v, want %+v", got, h)
			}
		})
		t.Run("another tenant sees nothing", func(t *testing.T) {
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.Get(ctx, tx, w.b, h.ID)
				return err
			})
			if !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get from B: %v", err)
			}
			list := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]Hook, error) { return w.svc.List(ctx, tx, w.b) })
			if len(list) != 0 {
				t.Errorf("B lists %d hooks", len(list))
			}
			err = w.do(t, func(ctx context.Context, tx store.Tx) error { return w.svc.Delete(ctx, tx, w.b, h.ID) })
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete from B: %v", err)
			}
		})
		t.Run("an unknown tenant is not found", func(t *testing.T) {
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := w.svc.Create(ctx, tx, "ten_nope", Input{Name: "x", URL: "https://a.example/", Types: []string{"*"}})
				return err
			})
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Create for unknown tenant: %v", err)
			}
		})
		t.Run("the secret is sealed at rest, bound to the hook", func(t *testing.T) {
			var sealed []byte
			w.must(t, func(ctx context.Context, tx store.Tx) error {
				return tx.QueryRow(ctx, `SELECT secret_sealed FROM event_hooks WHERE id = ?`, h.ID).Scan(&sealed)
			})
			if len(sealed) == 0 || bytes.Contains(sealed, []byte(secret)) || bytes.Contains(sealed, []byte(secret[len(SecretPrefix):])) {
				t.Fatalf("secret stored in clear (or not at all): %d bytes", len(sealed))
			}
			plain, err := w.sec.Open(ctx, nil, binding(h, secretPurpose), sealed)
			if err != nil || string(plain) != secret {
				t.Errorf("Open = %v; opens to the secret: %v", err, string(plain) == secret)
			}
			other := h
			other.ID = "evh_other"
			if _, err := w.sec.Open(ctx, nil, binding(other, secretPurpose), sealed); !errors.Is(err, secrets.ErrDecrypt) {
				t.Errorf("opened for another row: %v", err)
			}
		})
		t.Run("a new URL must verify again, enabling a verified hook activates it", func(t *testing.T) {
			w.must(t, func(ctx context.Context, tx store.Tx) error {
				// As if verified: the handshake itself is TestVerify's.
				_, err := tx.Exec(ctx, `UPDATE event_hooks SET status = 'active', verified_at = ? WHERE id = ?`, t0, h.ID)
				return err
			})
			update := func(in Input) Hook {
				return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) {
					return w.svc.Update(ctx, tx, w.a, h.ID, in)
				})
			}
			in := Input{Name: "SIEM 2", URL: h.URL, Types: []string{"app.*"}, Disabled: true}
			if got := update(in); got.Status != Disabled || got.Name != "SIEM 2" || !slices.Equal(got.Types, []string{"app.*"}) {
				t.Errorf("disabled: %+v", got)
			}
			in.Disabled = false
			if got := update(in); got.Status != Active || !got.VerifiedAt.Equal(t0) {
				t.Errorf("enabled: %+v", got)
			}
			in.URL = "https://other.acme.example/"
			if got := update(in); got.Status != Unverified || !got.VerifiedAt.IsZero() {
				t.Errorf("new URL: %+v", got)
			}
			if got := w.get(t, w.a, h.ID); got.Status != Unverified || got.URL != in.URL {
				t.Errorf("stored: %+v", got)
			}
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.Update(ctx, tx, w.a, h.ID, Input{Name: "x", URL: "http://x.example/", Types: []string{"*"}})
				return err
			})
			if got := fields(err); !slices.Equal(got, []string{"url"}) {
				t.Errorf("bad update refused %v", got)
			}
		})
		t.Run("rotation returns a new secret and keeps the old one for the grace", func(t *testing.T) {
			var got Hook
			var next string
			w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
				got, next, err = w.svc.RotateSecret(ctx, tx, w.a, h.ID)
				return err
			})
			if next == secret || !strings.HasPrefix(next, SecretPrefix) || !got.PreviousSecretUntil.Equal(t0.Add(DefaultRotationGrace)) {
				t.Errorf("rotated: %+v", got)
			}
			keys := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([][]byte, error) {
				ss, err := loadSecrets(ctx, tx, h.ID)
				if err != nil {
					return nil, err
				}
				return w.svc.open(ctx, tx, h, ss, t0.Add(time.Hour))
			})
			if len(keys) != 2 || string(keys[0]) != next || string(keys[1]) != secret {
				t.Errorf("during the grace %d keys sign, want the new then the old", len(keys))
			}
			keys = storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([][]byte, error) {
				ss, err := loadSecrets(ctx, tx, h.ID)
				if err != nil {
					return nil, err
				}
				return w.svc.open(ctx, tx, h, ss, t0.Add(DefaultRotationGrace))
			})
			if len(keys) != 1 || string(keys[0]) != next {
				t.Errorf("after the grace %d keys sign, want the new one", len(keys))
			}
		})
		t.Run("delete removes the hook and its deliveries", func(t *testing.T) {
			w.must(t, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO event_deliveries (id, tenant_id, hook_id, event_id, event_type, payload,
					status, next_attempt_at, created_at) VALUES ('evd_x', ?, ?, 'evt_x', 'user.created', ?, 'dead', ?, ?)`,
					w.a, h.ID, []byte(`{}`), t0, t0)
				return err
			})
			w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.Delete(ctx, tx, w.a, h.ID) })
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.Get(ctx, tx, w.a, h.ID)
				return err
			})
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete: %v", err)
			}
			if d := w.deliveries(t, h.ID); len(d) != 0 {
				t.Errorf("%d deliveries left", len(d))
			}
		})
	})
}
