package wasm_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// tokenRequest is what a token hook receives, of a typical size.
var tokenRequest = []byte(`{"version":"1","id":"hinv_01J9Z8Q4W6X2","point":"token","tenant_id":"ten_01J9Z8Q4W6X2","subject":"usr_01J9Z8Q4W6X2",` +
	`"data":{"client_id":"app_01J9Z8Q4W6X2","claims":{"email":"ada@example.com","email_verified":true,"name":"Ada Lovelace","groups":["staff","admins"]}}}`)

// BenchmarkCall measures a token hook's call on a warm instance: the
// runtime's overhead plus the JSON work in the module.
func BenchmarkCall(b *testing.B) { benchmarkCall(b, load(b, hookModule), true) }

// BenchmarkCallRust measures the same on the Rust example of the docs
// (no Go runtime in the module, no garbage collector).
func BenchmarkCallRust(b *testing.B) { benchmarkCall(b, rustDocsModule(b), true) }

// BenchmarkCallEcho measures the runtime alone, with a module that does
// no work.
func BenchmarkCallEcho(b *testing.B) { benchmarkCall(b, echo().bytes(), false) }

// benchmarkCall calls module with tokenRequest in a loop on the shared
// runtime; warm makes one call before the clock starts, so that the
// instance exists.
func benchmarkCall(b *testing.B, module []byte, warm bool) {
	r := shared(b)
	k := key(module)
	ctx := context.Background()
	if warm {
		if _, err := r.Call(ctx, k, module, tokenRequest, time.Second); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Call(ctx, k, module, tokenRequest, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineGo does the test module's JSON work in native Go, to
// compare with BenchmarkCall.
func BenchmarkBaselineGo(b *testing.B) {
	type command struct {
		Type  string `json:"type"`
		Value any    `json:"value"`
	}
	hook := func(in []byte) ([]byte, error) {
		var req struct {
			Point   string `json:"point"`
			Subject string `json:"subject"`
			Data    struct {
				Do string `json:"do"`
			} `json:"data"`
		}
		if err := json.Unmarshal(in, &req); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"commands": []command{{
			Type:  "token.claims.set",
			Value: map[string]any{"target": "access", "claims": map[string]any{"tier": "gold"}},
		}}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hook(tokenRequest); err != nil {
			b.Fatal(err)
		}
	}
}
