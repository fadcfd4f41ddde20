// Package core is the sign-in widget's logic, in plain Go with native
// tests: it renders a flow step from the flow's JSON into a small node
// tree (the same markup as the hosted pages' templ components), keeps the
// flow client's state, and maps the browser's validity states to the
// catalog's messages. It imports only the standard library's smallest
// packages and server/engine/wire, because it is linked into the
// widget's WebAssembly, where every dependency is download size; package
// widget/dom turns its nodes into DOM and drives it from the browser.
package core
