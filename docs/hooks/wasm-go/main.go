//go:build wasip1

// Command wasm-go is an example token hook for Lintel's WebAssembly
// runtime: it gives each user a "tier" claim in the access token, "gold"
// for people of the domains listed in goldDomains, "standard" for the
// others. Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -ldflags='-s -w' -o hook.wasm .
//
// and see README.md for uploading it. Lintel's tests build and call this
// very file, so it stays in step with the runtime.
package main

import (
	"encoding/json"
	"strings"
	"unsafe"
)

// goldDomains are the email domains whose users get the gold tier.
var goldDomains = map[string]bool{
	"example.com": true,
}

// request is what Lintel sends (the fields this hook reads).
type request struct {
	Version string `json:"version"`
	Point   string `json:"point"`
	Subject string `json:"subject"` // the user's ID
	Data    struct {
		Claims map[string]any `json:"claims"` // the claims about to be issued
	} `json:"data"`
}

// command is one change the hook asks for.
type command struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// response is the hook's answer.
type response struct {
	Commands []command `json:"commands"`
}

func tokenHook(req request) response {
	if req.Point != "token" || req.Subject == "" {
		return response{Commands: []command{}} // nothing to change
	}
	tier := "standard"
	email, _ := req.Data.Claims["email"].(string)
	if _, domain, ok := strings.Cut(email, "@"); ok && goldDomains[strings.ToLower(domain)] {
		tier = "gold"
	}
	return response{Commands: []command{{
		Type: "token.claims.set",
		Value: map[string]any{
			"target": "access",
			"claims": map[string]any{"tier": tier},
		},
	}}}
}

// The calling convention: Lintel asks for a buffer with lintel_alloc,
// writes the request there and calls lintel_handle, which answers with
// the address and length of the response (address<<32 | length). Both
// buffers live in package variables: they must stay alive until the next
// call. The runtime calls one instance at a time, so they need no lock.
var input, output []byte

//go:wasmexport lintel_alloc
func lintelAlloc(size int32) int32 {
	input = make([]byte, size)
	return addressOf(input)
}

//go:wasmexport lintel_handle
func lintelHandle(ptr, size int32) int64 {
	var req request
	if err := json.Unmarshal(input[:size], &req); err != nil {
		// An answer Lintel cannot use counts as the hook failing, and
		// the hook's failure policy applies.
		output = []byte(`{}`)
	} else if output, err = json.Marshal(tokenHook(req)); err != nil {
		output = []byte(`{}`)
	}
	return int64(addressOf(output))<<32 | int64(len(output))
}

func addressOf(b []byte) int32 {
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// main is never called: Lintel runs the module as a WASI reactor,
// entering it only through the exported functions.
func main() {}
