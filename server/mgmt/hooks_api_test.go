package mgmt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/hooks"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// wasmHeader starts every WebAssembly module: the magic and version 1.
var wasmHeader = []byte("\x00asm\x01\x00\x00\x00")

// fakeWASM stands in for server/hooks/wasm, which the API only asks to
// check uploads: a module is valid when it starts with wasmHeader.
type fakeWASM struct{}

func (fakeWASM) Validate(_ context.Context, module []byte) error {
	if !bytes.HasPrefix(module, wasmHeader) {
		return errors.New("not a WebAssembly module")
	}
	return nil
}

func (fakeWASM) Call(context.Context, string, []byte, []byte, time.Duration) ([]byte, error) {
	return nil, errors.New("fakeWASM runs no module")
}

// invoke runs tenant A's token hooks and returns each call's status.
func (w *world) invoke(t *testing.T) []hooks.Status {
	t.Helper()
	out, err := w.hooks.Invoke(context.Background(), w.a.ID, hooks.PointToken, hooks.Request{Subject: "usr_1", Data: map[string]any{"claims": map[string]any{}}})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got []hooks.Status
	for _, r := range out.Results {
		got = append(got, r.Status)
	}
	return got
}

// TestHooksAPI creates, reads, lists, changes, rotates and deletes an
// HTTP and a WASM inline hook through the API; checks that the signing
// secret is shown only at creation and rotation and signs the hook's
// calls (the replaced one too, for the overlap), that modules go in as
// base64 up to hooks.MaxModuleSize, and that refused input names the
// field and changes nothing.
func TestHooksAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			rx := startHookReceiver(t, w.clock)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/hooks"
			module := append(slices.Clone(wasmHeader), "first module"...)
			module2 := append(slices.Clone(wasmHeader), "second module"...)
			b64 := base64.StdEncoding.EncodeToString

			created := call[HookSecretView](t, w, http.MethodPost, base, admin,
				`{"name":"Claims","point":"token","runtime":"http","url":"`+rx.url("/inline")+`","enabled":true}`, http.StatusCreated)
			if !strings.HasPrefix(created.ID, "hook_") || created.TenantID != w.a.ID || created.Name != "Claims" || created.Point != "token" ||
				created.Runtime != "http" || created.URL != rx.url("/inline") || created.TimeoutMS != 3000 || created.FailurePolicy != "deny" ||
				!created.Enabled || created.Priority != 0 || created.ModuleSHA256 != "" || created.PreviousSecretUntil != nil ||
				!strings.HasPrefix(created.Secret, hooks.SecretPrefix) {
				t.Fatalf("created %+v", created)
			}
			secret := created.Secret
			rx.trust(created.ID, secret)
			if got := w.invoke(t); !slices.Equal(got, []hooks.Status{hooks.StatusOK}) {
				t.Fatalf("calls signed with the secret shown: %v", got)
			}

			w.clock.Advance(time.Second)
			status, _, body := w.do(t, http.MethodPost, base, admin,
				`{"name":"Sandboxed","point":"registration","runtime":"wasm","module":"`+b64(module)+`","timeout_ms":250,"failure_policy":"continue","enabled":false,"priority":5}`)
			var wasm HookSecretView
			sum := sha256.Sum256(module)
			if err := json.Unmarshal([]byte(body), &wasm); status != http.StatusCreated || err != nil || wasm.Runtime != "wasm" ||
				wasm.ModuleSHA256 != hex.EncodeToString(sum[:]) || wasm.URL != "" || wasm.TimeoutMS != 250 || wasm.FailurePolicy != "continue" ||
				wasm.Enabled || wasm.Priority != 5 || strings.Contains(body, `"secret"`) {
				t.Fatalf("created WASM hook: %d %s", status, body)
			}

			for _, path := range []string{base, base + "/" + created.ID, base + "/" + wasm.ID} {
				status, _, body := w.do(t, http.MethodGet, path, reader, "")
				if status != http.StatusOK || strings.Contains(body, secret) || strings.Contains(body, `"secret"`) || strings.Contains(body, b64(module)) {
					t.Fatalf("GET %s: %d %s", path, status, body)
				}
			}
			list := call[List[HookView]](t, w, http.MethodGet, base, reader, "", http.StatusOK)
			if len(list.Items) != 2 || list.Items[0].ID != wasm.ID || list.Items[1].ID != created.ID || list.Next != "" {
				t.Fatalf("listed (by point) %+v", list)
			}

			// A PUT replaces the settings and keeps the secret; a WASM
			// hook keeps its module unless the body has one.
			w.clock.Advance(time.Second)
			updated := call[HookView](t, w, http.MethodPut, base+"/"+created.ID, admin,
				`{"name":"Claims v2","point":"token","runtime":"http","url":"`+rx.url("/inline")+`","timeout_ms":1500,"enabled":true,"priority":3}`, http.StatusOK)
			if updated.Name != "Claims v2" || updated.TimeoutMS != 1500 || updated.Priority != 3 || !updated.UpdatedAt.Equal(w.clock.Now()) {
				t.Fatalf("updated %+v", updated)
			}
			if got := w.invoke(t); !slices.Equal(got, []hooks.Status{hooks.StatusOK}) {
				t.Fatalf("calls after an update: %v", got)
			}
			w.clock.Advance(time.Second)
			kept := call[HookView](t, w, http.MethodPut, base+"/"+wasm.ID, admin,
				`{"name":"Sandboxed","point":"registration","runtime":"wasm","enabled":true}`, http.StatusOK)
			if kept.ModuleSHA256 != wasm.ModuleSHA256 || !kept.Enabled || kept.TimeoutMS != 3000 || kept.FailurePolicy != "deny" {
				t.Fatalf("updated without a module %+v", kept)
			}
			w.clock.Advance(time.Second)
			replaced := call[HookView](t, w, http.MethodPut, base+"/"+wasm.ID, admin,
				`{"name":"Sandboxed","point":"registration","runtime":"wasm","module":"`+b64(module2)+`","enabled":true}`, http.StatusOK)
			if sum := sha256.Sum256(module2); replaced.ModuleSHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("updated with a module %+v", replaced)
			}
			if n := w.moduleCount(t); n != 1 {
				t.Fatalf("%d modules stored after a replacement, want 1", n)
			}

			// A rotation shows the new secret once; the replaced one
			// signs too for the overlap.
			w.clock.Advance(time.Second)
			rotated := call[HookSecretView](t, w, http.MethodPost, base+"/"+created.ID+"/secret/rotate", admin, `{"overlap_seconds":3600}`, http.StatusOK)
			if !strings.HasPrefix(rotated.Secret, hooks.SecretPrefix) || rotated.Secret == secret || rotated.PreviousSecretUntil == nil ||
				!rotated.PreviousSecretUntil.Equal(w.clock.Now().Add(time.Hour)) {
				t.Fatalf("rotated %+v", rotated)
			}
			if got := w.invoke(t); !slices.Equal(got, []hooks.Status{hooks.StatusOK}) {
				t.Fatalf("calls checked with the replaced secret during the overlap: %v", got)
			}
			rx.trust(created.ID, rotated.Secret)
			if got := w.invoke(t); !slices.Equal(got, []hooks.Status{hooks.StatusOK}) {
				t.Fatalf("calls checked with the new secret: %v", got)
			}
			w.clock.Advance(time.Second)
			again := call[HookSecretView](t, w, http.MethodPost, base+"/"+created.ID+"/secret/rotate", admin, "", http.StatusOK)
			if again.PreviousSecretUntil == nil || !again.PreviousSecretUntil.Equal(w.clock.Now().Add(hooks.DefaultSecretOverlap)) {
				t.Fatalf("rotated without a body %+v", again)
			}
			rx.trust(created.ID, again.Secret)

			other := w.createHook(t, w.b.ID)
			httpHook := func(name, extra string) string {
				return `{"name":"` + name + `","point":"token","runtime":"http","url":"https://hooks.acme.example/in","enabled":true` + extra + `}`
			}
			big := make([]byte, hooks.MaxModuleSize+1)
			copy(big, wasmHeader)
			w.checkHookRefusals(t, []refusal{
				{"an http URL", http.MethodPost, base, admin, `{"name":"X","point":"token","runtime":"http","url":"http://hooks.acme.example/in","enabled":true}`, http.StatusUnprocessableEntity, "body.url"},
				{"no URL", http.MethodPost, base, admin, `{"name":"X","point":"token","runtime":"http","enabled":true}`, http.StatusUnprocessableEntity, "body.url"},
				{"an unknown point", http.MethodPost, base, admin, httpHook("X", `,"point":"logout"`), http.StatusUnprocessableEntity, "body.point"},
				{"a timeout over 10 s", http.MethodPost, base, admin, httpHook("X", `,"timeout_ms":10001`), http.StatusUnprocessableEntity, "body.timeout_ms"},
				{"an unknown failure policy", http.MethodPost, base, admin, httpHook("X", `,"failure_policy":"retry"`), http.StatusUnprocessableEntity, "body.failure_policy"},
				{"a module for an http hook", http.MethodPost, base, admin, httpHook("X", `,"module":"`+b64(module)+`"`), http.StatusUnprocessableEntity, "body.module"},
				{"a WASM hook without module", http.MethodPost, base, admin, `{"name":"X","point":"risk","runtime":"wasm","enabled":true}`, http.StatusUnprocessableEntity, "body.module"},
				{"a module that is not WebAssembly", http.MethodPost, base, admin, `{"name":"X","point":"risk","runtime":"wasm","module":"` + b64([]byte("#!/bin/sh")) + `","enabled":true}`, http.StatusUnprocessableEntity, "body.module"},
				{"a module over 16 MiB", http.MethodPost, base, admin, `{"name":"X","point":"risk","runtime":"wasm","module":"` + b64(big) + `","enabled":true}`, http.StatusUnprocessableEntity, "body.module"},
				{"a module that is not base64", http.MethodPost, base, admin, `{"name":"X","point":"risk","runtime":"wasm","module":"not base64!","enabled":true}`, http.StatusUnprocessableEntity, "body.module"},
				{"a name in use", http.MethodPost, base, admin, httpHook("Claims v2", ""), http.StatusConflict, "body.name"},
				{"a change of runtime", http.MethodPut, base + "/" + created.ID, admin, `{"name":"Claims v2","point":"token","runtime":"wasm","module":"` + b64(module) + `","enabled":true}`, http.StatusUnprocessableEntity, "body.runtime"},
				{"a bad change", http.MethodPut, base + "/" + created.ID, admin, httpHook("Claims v2", `,"priority":-1`), http.StatusUnprocessableEntity, "body.priority"},
				{"a change of an unknown hook", http.MethodPut, base + "/hook_nope", admin, httpHook("Y", ""), http.StatusNotFound, ""},
				{"an overlap over 7 days", http.MethodPost, base + "/" + created.ID + "/secret/rotate", admin, `{"overlap_seconds":604801}`, http.StatusUnprocessableEntity, "body.overlap_seconds"},
				{"rotating a WASM hook's secret", http.MethodPost, base + "/" + wasm.ID + "/secret/rotate", admin, "", http.StatusUnprocessableEntity, "body.runtime"},
				{"a read-only admin writing", http.MethodPost, base, reader, httpHook("Y", ""), http.StatusForbidden, "hooks:write"},
				{"a read-only admin rotating", http.MethodPost, base + "/" + created.ID + "/secret/rotate", reader, "", http.StatusForbidden, "hooks:write"},
				{"a read-only admin deleting", http.MethodDelete, base + "/" + created.ID, reader, "", http.StatusForbidden, "hooks:write"},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, "hooks:read"},
				{"a help-desk admin writing", http.MethodPost, base, w.token[RoleHelpDesk], httpHook("Y", ""), http.StatusForbidden, "hooks:write"},
				{"another tenant's hook", http.MethodGet, base + "/" + other, admin, "", http.StatusNotFound, ""},
				{"rotating another tenant's hook", http.MethodPost, base + "/" + other + "/secret/rotate", admin, "", http.StatusNotFound, ""},
				{"deleting another tenant's hook", http.MethodDelete, base + "/" + other, admin, "", http.StatusNotFound, ""},
				{"another tenant", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/hooks/" + other, admin, "", http.StatusForbidden, ""},
			}, secret, rotated.Secret, again.Secret)

			w.clock.Advance(time.Second)
			for _, id := range []string{created.ID, wasm.ID} {
				if status, _, body := w.do(t, http.MethodDelete, base+"/"+id, admin, ""); status != http.StatusNoContent {
					t.Fatalf("delete: %d %s", status, body)
				}
				for _, m := range []string{http.MethodGet, http.MethodDelete} {
					if status, _, body := w.do(t, m, base+"/"+id, admin, ""); status != http.StatusNotFound {
						t.Fatalf("%s after delete: %d %s", m, status, body)
					}
				}
			}
			if n := w.moduleCount(t); n != 0 {
				t.Fatalf("%d modules left after the hooks went", n)
			}
			if got := w.invoke(t); len(got) != 0 {
				t.Fatalf("deleted hooks still called: %v", got)
			}

			if got, want := w.hookEvents(t, "hook.*"), []string{"hook.created", "hook.created", "hook.updated", "hook.updated", "hook.updated",
				"hook.secret.rotated", "hook.secret.rotated", "hook.deleted", "hook.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %q, want %q", got, want)
			}
			w.noSecret(t, secret, rotated.Secret, again.Secret)
		})
	}
}

// moduleCount counts the stored WASM modules of every tenant.
func (w *world) moduleCount(t *testing.T) int {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (int, error) {
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM hook_modules`).Scan(&n)
		return n, err
	})
}

// createHook makes an HTTP hook in a tenant past the API and returns its
// ID.
func (w *world) createHook(t *testing.T, tenantID string) string {
	t.Helper()
	h := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (hooks.Hook, error) {
		h, _, err := w.hooks.CreateHook(ctx, tx, tenantID, hooks.HookInput{Name: "Other", Point: hooks.PointToken, Runtime: hooks.RuntimeHTTP,
			URL: "https://hooks.other.example/in", Enabled: true})
		return h, err
	})
	return h.ID
}
