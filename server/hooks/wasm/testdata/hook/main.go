//go:build wasip1

// Command hook is the test module of package wasm: a token hook whose
// behaviour the request chooses with data.do, so one build covers every
// case (a build costs seconds, a call microseconds).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"
)

// input and output stay alive between the calls of the convention.
var input, output []byte

// calls counts the calls this instance answered: a fresh instance starts
// again from one.
var calls int

// keep holds what "alloc" allocates, so the collector cannot free it.
var keep [][]byte

//go:wasmexport lintel_alloc
func lintelAlloc(size int32) int32 {
	input = make([]byte, size)
	return pointer(input)
}

//go:wasmexport lintel_handle
func lintelHandle(ptr, size int32) int64 {
	output = handle(input[:size])
	if output == nil {
		return 0x7fff0000<<32 | 16 // past the end of memory
	}
	return int64(pointer(output))<<32 | int64(len(output))
}

func pointer(b []byte) int32 {
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

type request struct {
	Point   string `json:"point"`
	Subject string `json:"subject"`
	Data    struct {
		Do string `json:"do"`
	} `json:"data"`
}

type command struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func handle(in []byte) []byte {
	calls++
	var req request
	if err := json.Unmarshal(in, &req); err != nil {
		return answer(map[string]any{"error": map[string]any{"message_id": "hook.bad_request"}})
	}
	switch req.Data.Do {
	case "loop":
		for {
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "alloc":
		for {
			keep = append(keep, make([]byte, 1<<20))
		}
	case "panic":
		panic("the hook gave up")
	case "exit":
		os.Exit(3)
	case "badptr":
		return nil
	case "big":
		return []byte(`"` + strings.Repeat("x", 300<<10) + `"`)
	case "log":
		fmt.Println("hello from the hook")
		fmt.Fprintln(os.Stderr, strings.Repeat("e", 10<<10))
	case "count":
		return answer(map[string]any{"calls": calls})
	}
	if req.Point != "token" || req.Subject == "" {
		return answer(map[string]any{"commands": []command{}})
	}
	return answer(map[string]any{"commands": []command{{
		Type:  "token.claims.set",
		Value: map[string]any{"target": "access", "claims": map[string]any{"tier": "gold"}},
	}}})
}

func answer(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// main is never called: a reactor is entered through its exports.
func main() {}
