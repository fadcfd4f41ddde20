package wasm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/hooks"
	"github.com/lintel-id/lintel/server/hooks/wasm"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// Runtime is the WASMRuntime of package hooks.
var _ hooks.WASMRuntime = (*wasm.Runtime)(nil)

// TestThroughTheHooksService runs the documented Go hook the way the
// server does: uploaded through package hooks (which validates it here)
// and invoked at the token point.
func TestThroughTheHooksService(t *testing.T) {
	module := load(t, docsGoModule)
	badModule := load(t, badImportModule)
	rt := shared(t)
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			clk := clock.NewFake(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
			kek, err := secrets.GenerateKEK(clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := hooks.New(hooks.Deps{Store: st, Secrets: sec, Clock: clk, Logger: quiet,
				HTTP: egress.New(egress.Options{}).Client(), WASM: rt})
			if err != nil {
				t.Fatal(err)
			}
			var tenantID string
			var badErr error
			err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				ten, err := tenant.New(sec, clk, tenant.Options{PublicHost: "id.example.com"}).
					CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
				if err != nil {
					return err
				}
				tenantID = ten.ID
				in := hooks.HookInput{Name: "Tier", Point: hooks.PointToken, Runtime: hooks.RuntimeWASM,
					Module: module, Timeout: 2 * time.Second, Enabled: true}
				if _, _, err := svc.CreateHook(ctx, tx, tenantID, in); err != nil {
					return err
				}
				in.Name, in.Module = "Forbidden", badModule
				_, _, badErr = svc.CreateHook(ctx, tx, tenantID, in)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The upload of a module importing env.forbidden is refused,
			// saying why.
			if errs := invalid.All(badErr); len(errs) != 1 || errs[0].Field != "module" || !strings.Contains(errs[0].Reason, "env.forbidden") {
				t.Fatalf("creating a hook with a forbidden import: %v", badErr)
			}

			out, err := svc.Invoke(ctx, tenantID, hooks.PointToken, hooks.Request{Subject: "usr_1",
				Data: map[string]any{"client_id": "app_1", "claims": map[string]any{"email": "ada@example.com"}}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Denied != nil || len(out.Commands) != 1 {
				t.Fatalf("outcome %+v", out)
			}
			cs, ok := out.Commands[0].Value.(hooks.ClaimsSet)
			if !ok || cs.Target != "access" || len(cs.Claims) != 1 || !json.Valid(cs.Claims["tier"]) || string(cs.Claims["tier"]) != `"gold"` {
				t.Fatalf("command %+v", out.Commands[0])
			}
		})
	}
}
