package logstream

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

func TestStreams(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, w *world)
	}{
		{"creates a stream with a secret shown once and sealed at rest", testStreamsCreate},
		{"keeps tenants and the instance apart", testStreamsTenants},
		{"refuses bad input naming the field", testStreamsRefuse},
		{"updates and deletes", testStreamsUpdateDelete},
		{"limits the streams of a tenant", testStreamsLimit},
	} {
		t.Run(tc.name, func(t *testing.T) { eachWorld(t, tc.fn) })
	}
}

func testStreamsCreate(t *testing.T, w *world) {
	var st Stream
	var secret string
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		st, secret, err = w.svc.Create(ctx, tx, w.a, Input{Name: " SIEM ", URL: "https://siem.example.com/in", Types: []string{"user.*"}})
		return err
	})
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	want := Stream{ID: st.ID, TenantID: w.a, Name: "SIEM", Kind: KindWebhook, URL: "https://siem.example.com/in",
		Types: []string{"user.*"}, Status: Active, CreatedAt: t0, UpdatedAt: t0}
	got := w.stream(t, w.a, st.ID)
	if !equalStreams(got, want) || !equalStreams(st, want) {
		t.Fatalf("stored %+v\nreturned %+v\nwant %+v", got, st, want)
	}
	var sealed []byte
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT secret_sealed FROM log_streams WHERE id = ?`, st.ID).Scan(&sealed); err != nil {
			return err
		}
		opened, err := w.svc.secret(ctx, tx, got, sealed)
		if err == nil && string(opened) != secret {
			t.Errorf("the sealed secret opens to another value")
		}
		return err
	})
	if bytes.Contains(sealed, []byte(secret)) {
		t.Fatal("the secret is stored in the clear")
	}
}

// equalStreams compares streams, their times with time.Equal.
func equalStreams(a, b Stream) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) {
		return false
	}
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func testStreamsTenants(t *testing.T, w *world) {
	ids := map[string]string{}
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		for _, ten := range []string{w.a, w.b, ""} {
			st, _, err := w.svc.Create(ctx, tx, ten, Input{Name: "s", URL: "https://siem.example.com/in"})
			if err != nil {
				return err
			}
			ids[ten] = st.ID
		}
		return nil
	})
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		for _, ten := range []string{w.a, w.b, ""} {
			list, err := w.svc.List(ctx, tx, ten)
			if err != nil {
				return err
			}
			if len(list) != 1 || list[0].ID != ids[ten] || list[0].TenantID != ten {
				t.Errorf("tenant %q lists %+v", ten, list)
			}
			for other, id := range ids {
				if other == ten {
					continue
				}
				if _, err := w.svc.Get(ctx, tx, ten, id); !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
					t.Errorf("tenant %q reads the stream of %q: %v", ten, other, err)
				}
				if err := w.svc.Delete(ctx, tx, ten, id); !errors.Is(err, ErrNotFound) {
					t.Errorf("tenant %q deletes the stream of %q: %v", ten, other, err)
				}
				if _, err := w.svc.Update(ctx, tx, ten, id, Input{Name: "x", URL: "https://x.example.com"}); !errors.Is(err, ErrNotFound) {
					t.Errorf("tenant %q updates the stream of %q: %v", ten, other, err)
				}
			}
		}
		return nil
	})
}

func testStreamsRefuse(t *testing.T, w *world) {
	loopbackOK := *w.svc
	loopbackOK.d.AllowInsecureLoopback = true
	for _, tc := range []struct {
		name  string
		svc   *Service
		in    Input
		field string // "" when accepted
	}{
		{"no name", w.svc, Input{URL: "https://x.example.com"}, "name"},
		{"a name with a control character", w.svc, Input{Name: "a\x00b", URL: "https://x.example.com"}, "name"},
		{"no URL", w.svc, Input{Name: "s"}, "url"},
		{"http", w.svc, Input{Name: "s", URL: "http://x.example.com/in"}, "url"},
		{"http on loopback without the option", w.svc, Input{Name: "s", URL: "http://127.0.0.1:9000/in"}, "url"},
		{"http on loopback with the option", &loopbackOK, Input{Name: "s", URL: "http://127.0.0.1:9000/in"}, ""},
		{"http on localhost with the option", &loopbackOK, Input{Name: "s", URL: "http://localhost:9000/in"}, ""},
		{"http elsewhere with the option", &loopbackOK, Input{Name: "s", URL: "http://x.example.com/in"}, "url"},
		{"a password in the URL", w.svc, Input{Name: "s", URL: "https://u:p@x.example.com/in"}, "url"},
		{"a fragment", w.svc, Input{Name: "s", URL: "https://x.example.com/in#f"}, "url"},
		{"a relative URL", w.svc, Input{Name: "s", URL: "/in"}, "url"},
		{"a bad type pattern", w.svc, Input{Name: "s", URL: "https://x.example.com", Types: []string{"user.*", "*"}}, "types[1]"},
		{"an unknown status", w.svc, Input{Name: "s", URL: "https://x.example.com", Status: "paused"}, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			w.must(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err = tc.svc.Create(ctx, tx, w.a, tc.in)
				return nil
			})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if fs := invalid.All(err); len(fs) != 1 || fs[0].Field != tc.field {
				t.Fatalf("Create = %v, want a refusal of %s", err, tc.field)
			}
		})
	}
	var list []Stream
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = w.svc.List(ctx, tx, w.a)
		return err
	})
	if len(list) != 2 {
		t.Fatalf("%d streams stored, want only the 2 accepted", len(list))
	}
}

func testStreamsUpdateDelete(t *testing.T, w *world) {
	var st Stream
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		st, _, err = w.svc.Create(ctx, tx, w.a, Input{Name: "s", URL: "https://x.example.com"})
		return err
	})
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE log_streams SET cursor = 'evt_kept', last_error = 'down' WHERE id = ?`, st.ID)
		return err
	})
	var up Stream
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		// The clock has not moved: updated_at must change all the same.
		up, err = w.svc.Update(ctx, tx, w.a, st.ID, Input{Name: "t", URL: "https://y.example.com", Types: []string{"app.created"},
			Personal: true, Status: Disabled})
		return err
	})
	got := w.stream(t, w.a, st.ID)
	if got.Name != "t" || got.URL != "https://y.example.com" || !slices.Equal(got.Types, []string{"app.created"}) ||
		!got.Personal || got.Status != Disabled || got.Cursor != "evt_kept" || got.LastError != "" {
		t.Fatalf("after update %+v", got)
	}
	if !got.UpdatedAt.After(st.UpdatedAt) || !got.UpdatedAt.Equal(up.UpdatedAt) {
		t.Fatalf("updated_at %v, was %v", got.UpdatedAt, st.UpdatedAt)
	}
	w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.Delete(ctx, tx, w.a, st.ID) })
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		if _, err := w.svc.Get(ctx, tx, w.a, st.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after delete: %v", err)
		}
		if err := w.svc.Delete(ctx, tx, w.a, st.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		return nil
	})
}

func testStreamsLimit(t *testing.T, w *world) {
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		for i := range MaxStreams + 1 {
			_, _, err := w.svc.Create(ctx, tx, w.a, Input{Name: "s", URL: "https://x.example.com"})
			if i < MaxStreams && err != nil {
				return err
			}
			if i == MaxStreams && !errors.Is(err, ErrTooMany) {
				t.Errorf("stream %d: %v, want ErrTooMany", i+1, err)
			}
		}
		// Another tenant is not affected.
		_, _, err := w.svc.Create(ctx, tx, w.b, Input{Name: "s", URL: "https://x.example.com"})
		return err
	})
}

func TestFileCursor(t *testing.T) {
	dir := t.TempDir()
	c := NewFileCursor(filepath.Join(dir, "cursor"))
	ctx := context.Background()
	if v, err := c.Load(ctx); err != nil || v != "" {
		t.Fatalf("Load of a missing file = %q, %v", v, err)
	}
	for _, v := range []string{"evt_01", "evt_02"} {
		if err := c.Save(ctx, v); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Load(ctx); err != nil || got != v {
			t.Fatalf("Load = %q, %v, want %q", got, err, v)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory holds %v (%v): temporary files left behind", entries, err)
	}
	if err := NewFileCursor(filepath.Join(dir, "missing", "cursor")).Save(ctx, "evt_01"); err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
}
