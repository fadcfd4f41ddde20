//go:build js && wasm

package dom

import (
	"syscall/js"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/widget/core"
)

// webauthnSupported reports whether the browser can run a ceremony from
// the options' JSON form (PublicKeyCredential.parse…OptionsFromJSON and
// credential.toJSON, in every current engine).
func webauthnSupported() bool {
	pkc := js.Global().Get("PublicKeyCredential")
	return pkc.Truthy() && js.Global().Get("navigator").Get("credentials").Truthy() &&
		pkc.Get("parseRequestOptionsFromJSON").Truthy() && pkc.Get("parseCreationOptionsFromJSON").Truthy()
}

// passkeys prepares a rendered step's ceremony as passkey.js does on the
// hosted page: without WebAuthn the note shows (but at identify) and the
// ceremony's button hides; at identify a conditional request offers
// passkeys through autofill.
func (w *Widget) passkeys(f wire.Flow) {
	if !f.HasWebAuthn() {
		return
	}
	if !webauthnSupported() {
		if note := w.root.Call("querySelector", "[data-passkey-unsupported]"); !note.IsNull() && f.WebAuthnMode() != wire.WebAuthnConditional {
			note.Set("hidden", false)
		}
		if b := w.root.Call("querySelector", `button[name="action"][value="`+f.WebAuthnAction()+`"]`); !b.IsNull() {
			b.Set("hidden", true)
		}
		return
	}
	if f.WebAuthnMode() != wire.WebAuthnConditional {
		return
	}
	check := js.Global().Get("PublicKeyCredential").Get("isConditionalMediationAvailable")
	if !check.Truthy() {
		return
	}
	gen := w.gen
	go func() {
		ok, err := await(js.Global().Get("PublicKeyCredential").Call("isConditionalMediationAvailable"))
		if err == nil && ok.Truthy() && gen == w.gen {
			w.ceremony(f, "conditional")
		}
	}()
}

// ceremony runs the step's WebAuthn ceremony and submits its result
// under the webauthn field's name with the step's WebAuthn action. A
// ceremony the person cancelled (or that another replaced) sends
// nothing; any other failure sends an empty answer, so that the server
// says the passkey did not work — as passkey.js does.
func (w *Widget) ceremony(f wire.Flow, mediation string) {
	var field wire.Field
	for _, x := range f.Fields {
		if x.Type == wire.FieldWebAuthn {
			field = x
		}
	}
	result, err := w.credential(f.WebAuthnMode(), field.Value, mediation)
	if err != nil {
		switch errName(err) {
		case "NotAllowedError", "AbortError":
			return
		}
		result = ""
	}
	if w.busy || f.ID != w.shown.ID || f.Step != w.shown.Step {
		return
	}
	values := core.Values(f, w.read)
	for i := range values {
		if values[i].Name == field.Name {
			values[i].Value = result
		}
	}
	w.send(f.WebAuthnAction(), values)
}

// credential runs navigator.credentials.create or get with the options'
// JSON and returns the credential's JSON.
func (w *Widget) credential(mode, options, mediation string) (string, error) {
	pkc := js.Global().Get("PublicKeyCredential")
	jsonObj := js.Global().Get("JSON")
	opts, err := call(jsonObj, "parse", options)
	if err != nil {
		return "", err
	}
	parse := "parseRequestOptionsFromJSON"
	if mode == wire.WebAuthnCreate {
		parse = "parseCreationOptionsFromJSON"
	}
	pk, err := call(pkc, parse, opts)
	if err != nil {
		return "", err
	}
	if !w.abort.IsUndefined() && !w.abort.IsNull() {
		w.abort.Call("abort")
	}
	w.abort = js.Global().Get("AbortController").New()
	req := object()
	req.Set("publicKey", pk)
	req.Set("signal", w.abort.Get("signal"))
	if mediation != "" {
		req.Set("mediation", mediation)
	}
	method := "get"
	if mode == wire.WebAuthnCreate {
		method = "create"
	}
	p, err := call(js.Global().Get("navigator").Get("credentials"), method, req)
	if err != nil {
		return "", err
	}
	cred, err := await(p)
	if err != nil {
		return "", err
	}
	if !cred.Truthy() {
		return "", &jsError{name: "NotAllowedError", message: "no credential"}
	}
	j, err := call(cred, "toJSON")
	if err != nil {
		return "", err
	}
	return jsonObj.Call("stringify", j).String(), nil
}
