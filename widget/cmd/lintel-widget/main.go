//go:build js && wasm

// Command lintel-widget is the sign-in widget's WebAssembly. The loader
// (widget/loader) sets globalThis.Lintel._ready, instantiates this
// module and runs it; main hands the loader an object with attach(handle)
// and waits forever. attach takes over one mounted widget (see
// widget/dom.Attach for the handle's members).
package main

import (
	"syscall/js"

	"github.com/lintel-id/lintel/widget/dom"
)

func main() {
	api := js.Global().Get("Object").New()
	attach := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 && args[0].Truthy() {
			dom.Attach(args[0])
		}
		return nil
	})
	api.Set("attach", attach)
	js.Global().Get("Lintel").Call("_ready", api)
	select {}
}
