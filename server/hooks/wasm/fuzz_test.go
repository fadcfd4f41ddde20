package wasm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lintel-id/lintel/server/hooks/wasm"
)

func FuzzValidate(f *testing.F) {
	valid := echo().bytes()
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\xff\xff\xff\xff\x0f"))
	bad := echo()
	bad.importFunc("env", "forbidden", nil, nil)
	bad.importOther("env", "m", kMemory, 0x05, 1, 2)
	f.Add(bad.bytes())
	r := shared(f)
	f.Fuzz(func(t *testing.T, module []byte) {
		// Whatever the bytes, Validate answers: nil or a refusal, never
		// a panic nor another kind of error.
		if err := r.Validate(context.Background(), module); err != nil && !errors.Is(err, wasm.ErrInvalidModule) {
			t.Fatalf("Validate = %v, want nil or ErrInvalidModule", err)
		}
	})
}
