//go:build js && wasm

package dom

import (
	"syscall/js"
)

// jsError is a JavaScript exception or rejection: its name
// ("NotAllowedError") and message.
type jsError struct{ name, message string }

func (e *jsError) Error() string { return e.name + ": " + e.message }

func errorOf(v js.Value) error {
	if v.Type() != js.TypeObject {
		return &jsError{name: "Error", message: v.String()}
	}
	return &jsError{name: str(v.Get("name")), message: str(v.Get("message"))}
}

// errName returns the name of a JavaScript error, "" for others.
func errName(err error) string {
	if e, ok := err.(*jsError); ok {
		return e.name
	}
	return ""
}

// str returns v as a Go string, "" when it is not a string.
func str(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// await waits for a promise. It blocks, so it must run on a goroutine of
// its own, never in a JavaScript callback.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg(args)}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: errorOf(arg(args))}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

// sleep waits the given number of seconds on a JavaScript timer. It
// blocks like await. (time.Sleep would link package time, about 43 KB
// of brotli-compressed WebAssembly.)
func sleep(seconds int) {
	done := make(chan struct{})
	fn := js.FuncOf(func(js.Value, []js.Value) any {
		close(done)
		return nil
	})
	defer fn.Release()
	js.Global().Call("setTimeout", fn, seconds*1000)
	<-done
}

func arg(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// call calls a method, turning a thrown exception into an error.
func call(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(js.Error); ok {
				err = errorOf(e.Value)
				return
			}
			panic(r)
		}
	}()
	return v.Call(method, args...), nil
}

func object() js.Value { return js.Global().Get("Object").New() }
