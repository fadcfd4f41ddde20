// Package wire holds the flow protocol between the identity engine and its
// clients (the hosted pages and the WebAssembly sign-in widget): the wire
// types of a flow and of the requests that start and continue one, and
// their JSON encoding.
//
// A Flow is a view model: it names a step kind and lists the fields,
// actions and messages to show, with message IDs (locale keys) instead of
// prose. The server's policies decide the next step; a client renders what
// it is given, and renders the fields of a step kind it does not know
// generically.
//
// The package is linked into the widget, where every dependency costs
// download size, so it imports only strings, strconv and errors (not even
// time: times are Unix seconds, converted to and from RFC 3339 by hand),
// and its JSON encoder and decoder are written by hand. The decoder is strict:
// it refuses trailing data, duplicate keys in one object, invalid UTF-8,
// lone surrogate escapes, nesting deeper than MaxDepth and documents
// larger than MaxSize. It ignores object keys it does not know (forward
// compatibility) and treats a member whose value is null as absent. The
// encoder escapes <, >, &, U+2028, U+2029 and control characters, so its
// output can be embedded in HTML.
package wire
