// Package dom runs the sign-in widget in the browser: it turns
// widget/core's node trees into DOM (createElement, setAttribute and
// textContent only, never innerHTML), fetches through the browser's fetch,
// handles the step's form (validation, submit, links), runs WebAuthn
// ceremonies and polls. Every use of syscall/js is in its *_js.go files;
// the logic they call is widget/core's, tested natively.
package dom
