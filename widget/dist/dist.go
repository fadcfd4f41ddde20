// Package dist embeds the widget's build output: the WebAssembly module
// (lintel.wasm), Go's wasm_exec.js that runs it, and their precompressed
// .br and .gz variants, all written into files/ by `make widget`. The
// output is not committed; without `make widget` the directory holds only
// .gitkeep, the binary still builds, and the edge serves the widget in
// its server-rendered (fragment) mode alone.
package dist

import (
	"embed"
	"io/fs"
)

// BuildFlags are the go build flags of the shipped widget (GOOS=js
// GOARCH=wasm): make widget uses them, and the size test, the browser
// tests and the bench build with the same. Inlining is off
// (-gcflags=all=-l): the code grows but compresses about 9% smaller
// (559 KB against 611 KB brotli when this was chosen), and the widget has
// no hot loops to lose speed in.
var BuildFlags = []string{"-trimpath", "-ldflags=-s -w", "-gcflags=all=-l"}

//go:embed all:files
var files embed.FS

// FS returns the build output, rooted at files/.
func FS() fs.FS {
	sub, err := fs.Sub(files, "files")
	if err != nil {
		panic(err) // "files" is a valid path: cannot happen
	}
	return sub
}
