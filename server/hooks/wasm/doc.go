// Package wasm runs a tenant's inline hook compiled to WebAssembly, in a
// sandbox built on wazero: no file system, no network, no environment, a
// memory limit and a deadline per call. It implements the WASMRuntime of
// package hooks; hooks decides what goes in and what the answer means.
//
// # What a module must look like
//
// Validate (run when the tenant uploads a module) accepts a module that
//
//   - is at most Options.MaxModuleBytes long and compiles;
//   - imports only functions of wasi_snapshot_preview1 that a Go wasip1
//     program needs (AllowedImports), with their WASI signatures, and
//     nothing else: no memory, table, global or tag imports, no other
//     module;
//   - exports its memory as "memory", with a minimum at most
//     Options.MemoryLimitPages;
//   - exports lintel_alloc(size i32) i32 and lintel_handle(ptr i32,
//     len i32) i64, and optionally _initialize() (a WASI reactor).
//
// Anything else is refused with an error wrapping ErrInvalidModule that
// names the import or export at fault.
//
// # The calling convention (a reactor)
//
// An instance is made once and kept warm: its _initialize, if exported,
// runs once, never per call. For each call the runtime asks the module
// for len(input) bytes with lintel_alloc, writes the input there and calls
// lintel_handle(ptr, len). The module answers with (out_ptr<<32 | out_len)
// naming at most MaxOutputBytes of its own memory, which the runtime
// copies out; the module keeps both buffers alive until its next call. A
// Go module does this with //go:wasmexport and
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared; a Rust one with
// #[no_mangle] extern "C" functions built for wasm32-unknown-unknown
// (docs/hooks has both).
//
// # Limits and failures
//
// Each call has a deadline (at most MaxTimeout): a module still running
// then is stopped (ErrDeadline). Linear memory cannot grow past
// Options.MemoryLimitPages; a module that runs out says so and stops
// (ErrMemory when that is recognisable, ErrTrap otherwise). A trap, a
// panic or proc_exit is ErrTrap; a buffer outside memory or an answer
// too long is ErrABI. An instance that failed in any way is closed and never used
// again: the next call on the same module gets a fresh one.
//
// What a module writes to stdout and stderr goes to the logger, a few
// KiB per call at most, tagged with the module's key; the input and the
// answer are never logged.
package wasm
