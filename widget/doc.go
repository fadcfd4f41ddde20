// Package widget holds the sign-in widget that developers embed in their
// pages: the loader (loader/, plain JavaScript), the WebAssembly built
// from cmd/lintel-widget with its logic in core and its browser side in
// dom, and the embedded build output (dist). The package itself holds
// only the tests that keep the WebAssembly small: its size against the
// budget and the list of packages it links (deps.txt).
package widget
