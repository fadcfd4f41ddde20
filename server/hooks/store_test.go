package hooks

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestHookCRUD(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		in := w.httpHook("Claims", PointToken, "/claims", FailContinue)
		h, secret := w.create(t, w.a, in)
		if !strings.HasPrefix(secret, SecretPrefix) || len(secret) < len(SecretPrefix)+40 {
			t.Fatalf("secret %q: want %s and 256 bits", secret, SecretPrefix)
		}
		if !strings.HasPrefix(h.ID, "hook_") || h.Point != PointToken || h.Runtime != RuntimeHTTP || h.FailurePolicy != FailContinue ||
			h.Timeout != time.Second || !h.Enabled || h.URL != in.URL || !h.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", h)
		}

		// The secret is sealed at rest: the column holds neither it nor
		// its random part.
		var sealed []byte
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			return tx.QueryRow(ctx, `SELECT secret_sealed FROM hooks WHERE id = ?`, h.ID).Scan(&sealed)
		})
		if len(sealed) == 0 || bytes.Contains(sealed, []byte(secret)) || bytes.Contains(sealed, []byte(secret[len(SecretPrefix):])) {
			t.Fatalf("secret_sealed holds the secret in the clear (%d bytes)", len(sealed))
		}

		second, _ := w.create(t, w.a, HookInput{Name: "Risk", Point: PointRisk, Runtime: RuntimeHTTP, URL: w.srv.URL + "/risk", Priority: 5})
		if second.FailurePolicy != FailDeny || second.Timeout != DefaultTimeout {
			t.Fatalf("defaults: %+v", second)
		}
		got := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]Hook, error) { return w.svc.Hooks(ctx, tx, w.a) })
		if len(got) != 2 || got[0].ID != second.ID || got[1] != h {
			t.Fatalf("Hooks = %+v", got)
		}
		if got := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]Hook, error) { return w.svc.Hooks(ctx, tx, w.b) }); len(got) != 0 {
			t.Fatalf("tenant B sees %+v", got)
		}
		one := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) { return w.svc.Hook(ctx, tx, w.a, h.ID) })
		if one != h {
			t.Fatalf("Hook = %+v, want %+v", one, h)
		}

		w.clk.Advance(time.Minute)
		in.Name, in.Enabled, in.Priority, in.Timeout = "Claims v2", false, 7, 2500*time.Millisecond
		up := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) { return w.svc.UpdateHook(ctx, tx, w.a, h.ID, in) })
		if up.Name != "Claims v2" || up.Enabled || up.Priority != 7 || up.Timeout != 2500*time.Millisecond ||
			!up.UpdatedAt.After(h.UpdatedAt) || !up.CreatedAt.Equal(h.CreatedAt) {
			t.Fatalf("updated %+v", up)
		}
		var after []byte
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			return tx.QueryRow(ctx, `SELECT secret_sealed FROM hooks WHERE id = ?`, h.ID).Scan(&after)
		})
		if !bytes.Equal(after, sealed) {
			t.Fatal("an update changed the signing secret")
		}

		for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
			"Hook": func(ctx context.Context, tx store.Tx) error { _, err := w.svc.Hook(ctx, tx, w.b, h.ID); return err },
			"UpdateHook": func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.UpdateHook(ctx, tx, w.b, h.ID, in)
				return err
			},
			"RotateSecret": func(ctx context.Context, tx store.Tx) error {
				_, _, err := w.svc.RotateSecret(ctx, tx, w.b, h.ID, 0)
				return err
			},
			"DeleteHook": func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteHook(ctx, tx, w.b, h.ID) },
		} {
			if err := w.do(t, fn); !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s from another tenant: %v, want ErrNotFound", name, err)
			}
		}

		dup := w.httpHook("Risk", PointToken, "/dup", FailDeny)
		err := w.do(t, func(ctx context.Context, tx store.Tx) error {
			_, _, err := w.svc.CreateHook(ctx, tx, w.a, dup)
			return err
		})
		if !errors.Is(err, store.ErrConflict) || !slices.Equal(fieldsOf(err), []string{"name"}) {
			t.Fatalf("a taken name: %v", err)
		}
		if _, secretB := w.create(t, w.b, dup); secretB == secret {
			t.Fatal("two hooks got one secret")
		}

		w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteHook(ctx, tx, w.a, h.ID) })
		err = w.do(t, func(ctx context.Context, tx store.Tx) error { _, err := w.svc.Hook(ctx, tx, w.a, h.ID); return err })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted hook: %v", err)
		}
	})
}

func TestRotateSecret(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		h, first := w.create(t, w.a, w.httpHook("Claims", PointToken, "/claims", FailDeny))
		w.clk.Advance(time.Hour)
		var rotated Hook
		var second string
		w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
			rotated, second, err = w.svc.RotateSecret(ctx, tx, w.a, h.ID, time.Hour)
			return err
		})
		if second == first || !strings.HasPrefix(second, SecretPrefix) || !rotated.PreviousSecretUntil.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("rotated %+v, new secret equal: %v", rotated, second == first)
		}
		loaded := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) { return w.svc.Hook(ctx, tx, w.a, h.ID) })
		if !loaded.PreviousSecretUntil.Equal(rotated.PreviousSecretUntil) {
			t.Fatalf("stored until %v", loaded.PreviousSecretUntil)
		}
		for _, tc := range []struct {
			name    string
			overlap time.Duration
		}{{"a negative overlap", -time.Second}, {"an overlap over the most", MaxSecretOverlap + time.Second}} {
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := w.svc.RotateSecret(ctx, tx, w.a, h.ID, tc.overlap)
				return err
			})
			if !slices.Equal(fieldsOf(err), []string{"overlap"}) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		wh, secret := w.create(t, w.a, HookInput{Name: "Module", Point: PointRisk, Runtime: RuntimeWASM, Module: []byte("\x00asm-risk")})
		if secret != "" {
			t.Fatalf("a wasm hook got a secret %q", secret)
		}
		err := w.do(t, func(ctx context.Context, tx store.Tx) error {
			_, _, err := w.svc.RotateSecret(ctx, tx, w.a, wh.ID, 0)
			return err
		})
		if !slices.Equal(fieldsOf(err), []string{"runtime"}) {
			t.Fatalf("rotating a wasm hook: %v", err)
		}
	})
}

func TestHookValidation(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		good := w.httpHook("Good", PointToken, "/good", FailDeny)
		with := func(f func(in *HookInput)) HookInput { in := good; f(&in); return in }
		for _, tc := range []struct {
			name   string
			in     HookInput
			fields []string
		}{
			{"refuses an empty name", with(func(in *HookInput) { in.Name = "  " }), []string{"name"}},
			{"refuses a long name", with(func(in *HookInput) { in.Name = strings.Repeat("n", 101) }), []string{"name"}},
			{"refuses a control character in the name", with(func(in *HookInput) { in.Name = "a\x07b" }), []string{"name"}},
			{"refuses an unknown point", with(func(in *HookInput) { in.Point = "login" }), []string{"point"}},
			{"refuses an unknown runtime", with(func(in *HookInput) { in.Runtime = "lua" }), []string{"runtime"}},
			{"refuses http on a public host", with(func(in *HookInput) { in.URL = "http://hooks.example.com/x" }), []string{"url"}},
			{"refuses http on loopback without the test option", with(func(in *HookInput) { in.URL = "http://127.0.0.1:9/x" }), []string{"url"}},
			{"refuses a relative URL", with(func(in *HookInput) { in.URL = "/hook" }), []string{"url"}},
			{"refuses no URL", with(func(in *HookInput) { in.URL = "" }), []string{"url"}},
			{"refuses user information in the URL", with(func(in *HookInput) { in.URL = "https://u:p@hooks.example.com/" }), []string{"url"}},
			{"refuses a fragment", with(func(in *HookInput) { in.URL = "https://hooks.example.com/#x" }), []string{"url"}},
			{"refuses another scheme", with(func(in *HookInput) { in.URL = "ftp://hooks.example.com/" }), []string{"url"}},
			{"refuses a module for an http hook", with(func(in *HookInput) { in.Module = []byte("\x00asm") }), []string{"module"}},
			{"refuses a timeout over the most", with(func(in *HookInput) { in.Timeout = MaxTimeout + time.Millisecond }), []string{"timeout"}},
			{"refuses a negative timeout", with(func(in *HookInput) { in.Timeout = -time.Second }), []string{"timeout"}},
			{"refuses a fraction of a millisecond", with(func(in *HookInput) { in.Timeout = 1500 * time.Microsecond }), []string{"timeout"}},
			{"refuses an unknown failure policy", with(func(in *HookInput) { in.FailurePolicy = "retry" }), []string{"failure_policy"}},
			{"refuses a negative priority", with(func(in *HookInput) { in.Priority = -1 }), []string{"priority"}},
			{"refuses a wasm hook without a module", HookInput{Name: "W", Point: PointToken, Runtime: RuntimeWASM}, []string{"module"}},
			{"refuses a wasm hook with a URL", HookInput{Name: "W", Point: PointToken, Runtime: RuntimeWASM, URL: "https://x.example/",
				Module: []byte("\x00asm")}, []string{"url"}},
			{"refuses a module the runtime refuses", HookInput{Name: "W", Point: PointToken, Runtime: RuntimeWASM,
				Module: []byte("bad module")}, []string{"module"}},
			{"refuses a module over the most", HookInput{Name: "W", Point: PointToken, Runtime: RuntimeWASM,
				Module: make([]byte, MaxModuleSize+1)}, []string{"module"}},
			{"names every refused field", HookInput{Point: "x", Runtime: RuntimeHTTP, Timeout: time.Hour},
				[]string{"name", "point", "timeout", "url"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := w.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := w.svc.CreateHook(ctx, tx, w.a, tc.in)
					return err
				})
				if got := fieldsOf(err); !slices.Equal(got, tc.fields) {
					t.Fatalf("fields %v (%v), want %v", got, err, tc.fields)
				}
				if n := countRows(t, w, `SELECT COUNT(*) FROM hooks`); n != 0 {
					t.Fatalf("a refused hook was stored (%d rows)", n)
				}
			})
		}

		t.Run("accepts http on loopback with the test option", func(t *testing.T) {
			svc := w.with(t, func(d *Deps) { d.AllowInsecureLoopback = true })
			for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x"} {
				if _, err := svc.check(context.Background(), with(func(in *HookInput) { in.URL = u }), nil); err != nil {
					t.Errorf("%s: %v", u, err)
				}
			}
			if _, err := svc.check(context.Background(), with(func(in *HookInput) { in.URL = "http://10.0.0.1/x" }), nil); !invalid.Is(err) {
				t.Error("http to a private address accepted")
			}
		})

		t.Run("refuses wasm hooks without a runtime", func(t *testing.T) {
			svc := w.with(t, func(d *Deps) { d.WASM = nil })
			_, err := svc.check(context.Background(), HookInput{Name: "W", Point: PointToken, Runtime: RuntimeWASM, Module: []byte("\x00asm")}, nil)
			if !slices.Equal(fieldsOf(err), []string{"runtime"}) {
				t.Fatalf("%v", err)
			}
		})

		t.Run("refuses changing the runtime", func(t *testing.T) {
			h, _ := w.create(t, w.a, good)
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.UpdateHook(ctx, tx, w.a, h.ID, HookInput{Name: "Good", Point: PointToken, Runtime: RuntimeWASM, Module: []byte("\x00asm")})
				return err
			})
			if !slices.Equal(fieldsOf(err), []string{"runtime"}) {
				t.Fatalf("%v", err)
			}
			w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteHook(ctx, tx, w.a, h.ID) })
		})

		t.Run("refuses a hook beyond the most a point may have", func(t *testing.T) {
			for i := range MaxHooksPerPoint {
				w.create(t, w.b, w.httpHook("Hook "+string(rune('a'+i)), PointRisk, "/risk", FailContinue))
			}
			err := w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := w.svc.CreateHook(ctx, tx, w.b, w.httpHook("One too many", PointRisk, "/risk", FailContinue))
				return err
			})
			if !slices.Equal(fieldsOf(err), []string{"point"}) {
				t.Fatalf("%v", err)
			}
			moved, _ := w.create(t, w.b, w.httpHook("Elsewhere", PointToken, "/x", FailContinue))
			err = w.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.UpdateHook(ctx, tx, w.b, moved.ID, w.httpHook("Elsewhere", PointRisk, "/x", FailContinue))
				return err
			})
			if !slices.Equal(fieldsOf(err), []string{"point"}) {
				t.Fatalf("moving into a full point: %v", err)
			}
		})
	})
}

func TestModulesStoredOncePerContent(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		mod := []byte("\x00asm-claims")
		one, _ := w.create(t, w.a, HookInput{Name: "One", Point: PointToken, Runtime: RuntimeWASM, Module: mod})
		two, _ := w.create(t, w.a, HookInput{Name: "Two", Point: PointRisk, Runtime: RuntimeWASM, Module: mod})
		w.create(t, w.b, HookInput{Name: "Other tenant", Point: PointRisk, Runtime: RuntimeWASM, Module: mod})
		if one.ModuleSHA256 != moduleKey(mod) || two.ModuleSHA256 != one.ModuleSHA256 {
			t.Fatalf("keys %q %q", one.ModuleSHA256, two.ModuleSHA256)
		}
		modules := func(tenantID string) int {
			return countRows(t, w, `SELECT COUNT(*) FROM hook_modules WHERE tenant_id = '`+tenantID+`'`)
		}
		if modules(w.a) != 1 || modules(w.b) != 1 {
			t.Fatalf("modules A %d, B %d; want one each", modules(w.a), modules(w.b))
		}
		var size int
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			return tx.QueryRow(ctx, `SELECT size FROM hook_modules WHERE tenant_id = ?`, w.a).Scan(&size)
		})
		if size != len(mod) {
			t.Fatalf("size %d", size)
		}

		// Updating without a module keeps it; with another replaces it,
		// and the first stays while a hook still runs it.
		in := HookInput{Name: "One", Point: PointToken, Runtime: RuntimeWASM, Enabled: true}
		up := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) {
			return w.svc.UpdateHook(ctx, tx, w.a, one.ID, in)
		})
		if up.ModuleSHA256 != one.ModuleSHA256 {
			t.Fatal("an update without a module changed it")
		}
		in.Module = []byte("\x00asm-v2")
		up = storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Hook, error) {
			return w.svc.UpdateHook(ctx, tx, w.a, one.ID, in)
		})
		if up.ModuleSHA256 != moduleKey(in.Module) || modules(w.a) != 2 {
			t.Fatalf("after replacing: key %s, %d modules", up.ModuleSHA256, modules(w.a))
		}
		w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteHook(ctx, tx, w.a, two.ID) })
		if modules(w.a) != 1 {
			t.Fatalf("the last hook of a module was deleted, %d modules left", modules(w.a))
		}
		in.Module = []byte("bad module")
		err := w.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.UpdateHook(ctx, tx, w.a, one.ID, in)
			return err
		})
		if !slices.Equal(fieldsOf(err), []string{"module"}) {
			t.Fatalf("a refused module on update: %v", err)
		}
	})
}

func countRows(t *testing.T, w *world, query string) int {
	t.Helper()
	var n int
	w.must(t, func(ctx context.Context, tx store.Tx) error { return tx.QueryRow(ctx, query).Scan(&n) })
	return n
}
