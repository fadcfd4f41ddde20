package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestSchemaBound(t *testing.T) {
	root := map[string]any{}
	if err := json.Unmarshal([]byte(`{"$defs": {"code": {"type": "string", "maxLength": 4}}}`), &root); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, schema string
		want         int
		ok           bool
	}{
		{"bounds a string by 6 bytes a character and its quotes", `{"type":"string","maxLength":10}`, 62, true},
		{"bounds a number", `{"type":"integer"}`, 24, true},
		{"bounds a boolean", `{"type":"boolean"}`, 5, true},
		{"bounds a nullable string by the larger", `{"type":["string","null"],"maxLength":0}`, 4, true},
		{"bounds an enum by its longest value", `{"type":"string","enum":["a","bcd"]}`, 5, true},
		{"bounds a const", `{"const":"gold"}`, 6, true},
		{"bounds an array by items and separators", `{"type":"array","maxItems":3,"items":{"type":"string","maxLength":2}}`, 2 + 3*14 + 2, true},
		{"bounds a closed object", `{"type":"object","additionalProperties":false,"properties":{"a":{"type":"boolean"}}}`, 2 + 3 + 1 + 5, true},
		{"follows a local reference", `{"$ref":"#/$defs/code"}`, 26, true},
		{"takes the larger branch of anyOf", `{"anyOf":[{"type":"boolean"},{"type":"string","maxLength":1}]}`, 8, true},
		{"refuses a string without maxLength", `{"type":"string"}`, 0, false},
		{"refuses an array without items", `{"type":"array","maxItems":2}`, 0, false},
		{"refuses an open object", `{"type":"object","properties":{}}`, 0, false},
		{"refuses a remote reference", `{"$ref":"https://example.com/s"}`, 0, false},
		{"refuses a schema without a type", `{}`, 0, false},
		{"refuses true", `true`, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s any
			if err := json.Unmarshal([]byte(tc.schema), &s); err != nil {
				t.Fatal(err)
			}
			n, ok := schemaBound(root, s, 0)
			if n != tc.want || ok != tc.ok {
				t.Fatalf("got %d, %v; want %d, %v", n, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestClaimAttributes(t *testing.T) {
	const tenantID = "ten_a"
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
			kek, err := secrets.GenerateKEK(clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
			if err != nil {
				t.Fatal(err)
			}
			dir := directory.New(clk, events.New(st, sec, clk), sec)
			attrs := claimAttributes{dir}
			err = st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				for _, in := range []directory.UserTypeInput{
					{Name: "staff", Schema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{
						"dept":{"type":"string","maxLength":10},"nick":{"type":"string","maxLength":5},"note":{"type":"string","maxLength":3}}}`),
						Attributes: map[string]directory.Attribute{"nick": {UserEditable: true}}},
					{Name: "guest", Schema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{
						"dept":{"type":"string","maxLength":20},"note":{"type":"object","additionalProperties":{"type":"boolean"}}}}`),
						Attributes: map[string]directory.Attribute{"dept": {UserEditable: true}}},
				} {
					if _, err := dir.CreateUserType(ctx, tx, tenantID, in); err != nil {
						return err
					}
				}
				editable, err := attrs.Editable(ctx, tx, tenantID)
				if err != nil {
					return err
				}
				if len(editable) != 2 || !editable["nick"] || !editable["dept"] {
					t.Errorf("editable %v, want nick and dept", editable)
				}
				for _, tc := range []struct {
					attr string
					want int
					ok   bool
				}{
					{"dept", 6*20 + 2, true}, // the worst case of both types
					{"nick", 6*5 + 2, true},  // only staff has it
					{"note", 0, false},       // unbounded in guest
					{"missing", 0, false},    // no type has it
				} {
					n, ok, err := attrs.Bound(ctx, tx, tenantID, tc.attr)
					if err != nil {
						return err
					}
					if n != tc.want || ok != tc.ok {
						t.Errorf("%s: got %d, %v; want %d, %v", tc.attr, n, ok, tc.want, tc.ok)
					}
				}
				other, err := attrs.Editable(ctx, tx, "ten_b")
				if err != nil || len(other) != 0 {
					t.Errorf("another tenant: %v, %v", other, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
