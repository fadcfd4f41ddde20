//go:build wasip1

// Command badimport follows the calling convention but imports a host
// function outside the allowlist: Validate must refuse it.
package main

import "unsafe"

//go:wasmimport env forbidden
func forbidden() int32

var buf []byte

//go:wasmexport lintel_alloc
func lintelAlloc(size int32) int32 {
	buf = make([]byte, size)
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

//go:wasmexport lintel_handle
func lintelHandle(ptr, size int32) int64 {
	return int64(forbidden())
}

// main is never called: a reactor is entered through its exports.
func main() {}
