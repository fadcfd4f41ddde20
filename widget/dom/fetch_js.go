//go:build js && wasm

package dom

import (
	"syscall/js"

	"github.com/lintel-id/lintel/widget/core"
)

// fetchTransport sends the flow client's requests with the browser's
// fetch, with credentials (the login site's session cookie goes along
// where the browser allows it) and no caching.
type fetchTransport struct{}

func (fetchTransport) Do(r core.Request) (core.Response, error) {
	headers := object()
	for _, h := range r.Header {
		headers.Set(h.Name, h.Value)
	}
	init := object()
	init.Set("method", r.Method)
	init.Set("headers", headers)
	init.Set("credentials", "include")
	init.Set("cache", "no-store")
	init.Set("mode", "cors")
	if r.Body != nil {
		init.Set("body", string(r.Body))
	}
	p, err := call(js.Global(), "fetch", r.URL, init)
	if err != nil {
		return core.Response{}, err
	}
	res, err := await(p)
	if err != nil {
		return core.Response{}, err
	}
	buf, err := await(res.Call("arrayBuffer"))
	if err != nil {
		return core.Response{}, err
	}
	u8 := js.Global().Get("Uint8Array").New(buf)
	body := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(body, u8)
	return core.Response{Status: res.Get("status").Int(), Body: body}, nil
}

var _ core.Transport = fetchTransport{}
