//go:build js && wasm

package dom

import (
	"errors"
	"syscall/js"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/widget/core"
)

// Widget is one mounted widget: the container the loader gave (inside
// its shadow root), the flow client and the step on show.
type Widget struct {
	handle js.Value // the loader's handle: root, base, flow, secret, locale, done, error, onstep
	root   js.Value
	doc    js.Value
	client *core.Client
	shown  wire.Flow // the step as rendered, with the widget's own problems
	live   js.Value  // the aria-live region that announces steps
	busy   bool      // a request is in flight: further submits wait
	gen    int       // counts renders; a poll or ceremony of an older one stops
	abort  js.Value  // the AbortController of a pending WebAuthn request
	funcs  []js.Func // event listeners, kept for the widget's lifetime
}

// Attach takes over the container of handle: from now on the widget
// reads the flow's JSON, renders every step and handles every action.
// It returns at once; the work runs on a goroutine.
func Attach(handle js.Value) {
	root := handle.Get("root")
	w := &Widget{
		handle: handle,
		root:   root,
		doc:    root.Get("ownerDocument"),
		client: &core.Client{
			Transport: fetchTransport{},
			Base:      str(handle.Get("base")),
			FlowID:    str(handle.Get("flow")),
			Secret:    str(handle.Get("secret")),
			Locale:    str(handle.Get("locale")),
		},
	}
	w.listen("submit", w.onSubmit)
	w.listen("click", w.onClick)
	go func() {
		if err := w.client.Load(); err != nil {
			w.fail(err)
			return
		}
		w.show(w.client.Flow, true)
	}()
}

func (w *Widget) listen(event string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(arg(args))
		return nil
	})
	w.funcs = append(w.funcs, f)
	w.root.Call("addEventListener", event, f)
}

// show acts on a step: renders it (and polls a waiting one), hands a
// finished flow's redirect to the loader, or sends the page to an IdP.
// keep copies the values and focus of the markup on show (taking over the
// server's markup, or showing the widget's own validation problems).
func (w *Widget) show(f wire.Flow, keep bool) {
	e := core.EffectOf(f)
	switch e.Kind {
	case core.EffectDone:
		w.gen++
		w.notify("done", e.URL)
		return
	case core.EffectNavigate:
		w.gen++
		w.navigate(e)
		return
	}
	w.render(f, keep)
	if e.Poll {
		go w.poll(w.gen)
	}
}

// navigate sends the whole page to an identity provider's sign-in: by a
// link, or by submitting a form to e.URL with the flow secret as its one
// hidden value, so that the secret never travels in a URL. The form goes
// in the page's own document, outside the shadow root (the widget's
// submit listener must not catch it), targets the top-level browsing
// context, and is submitted with submit(), which fires no submit event
// for the page's scripts to intercept.
func (w *Widget) navigate(e core.Effect) {
	if e.Method != "POST" {
		js.Global().Get("location").Call("assign", e.URL)
		return
	}
	form := w.doc.Call("createElement", "form")
	for _, a := range [][2]string{{"method", "post"}, {"action", e.URL}, {"target", "_top"}, {"hidden", ""}} {
		form.Call("setAttribute", a[0], a[1])
	}
	in := w.doc.Call("createElement", "input")
	in.Call("setAttribute", "type", "hidden")
	in.Call("setAttribute", "name", e.SecretField)
	in.Set("value", w.client.Secret)
	form.Call("appendChild", in)
	parent := w.doc.Get("body")
	if parent.IsNull() || parent.IsUndefined() {
		parent = w.doc.Get("documentElement")
	}
	parent.Call("appendChild", form)
	form.Call("submit")
}

// render replaces the container's markup with step f.
func (w *Widget) render(f wire.Flow, keep bool) {
	w.gen++
	if !w.abort.IsUndefined() && !w.abort.IsNull() {
		w.abort.Call("abort")
		w.abort = js.Undefined()
	}
	stepChanged := f.Step != w.shown.Step || f.ID != w.shown.ID
	var values map[string]js.Value
	focused := ""
	if keep {
		values, focused = w.formState()
	}
	n := core.Render(f, w.client.Catalog, core.Options{
		Action: w.client.Base + "/api/v1/flows/" + w.client.FlowID,
		Secret: w.client.Secret,
	})
	el := build(w.doc, n, false)
	if f.Context.Dir != "" {
		w.root.Call("setAttribute", "dir", f.Context.Dir)
	}
	if f.Context.Locale != "" {
		w.root.Call("setAttribute", "lang", f.Context.Locale)
	}
	w.root.Call("replaceChildren", el, w.liveRegion())
	w.shown = f
	for name, v := range values {
		if in := w.field(name); !in.IsNull() && !in.IsUndefined() {
			if in.Get("type").String() == "checkbox" {
				in.Set("checked", v.Get("checked"))
			} else if in.Get("type").String() != "hidden" {
				in.Set("value", v.Get("value"))
			}
		}
	}
	switch {
	case keep && focused != "":
		w.focus(focused)
	case !keep:
		w.focus(f.FocusField())
	}
	if stepChanged && !keep {
		w.live.Set("textContent", w.client.Catalog.Text(wire.StepTitle(f.Step)))
	}
	w.passkeys(f)
	w.notify("onstep", string(f.Step))
}

// notify calls the loader's callback name if the handle has one.
func (w *Widget) notify(name string, args ...any) {
	if fn := w.handle.Get(name); fn.Type() == js.TypeFunction {
		w.handle.Call(name, args...)
	}
}

// liveRegion returns the polite live region that announces a new step's
// title, made once and visually hidden through the CSSOM (the widget's
// markup carries no style attribute).
func (w *Widget) liveRegion() js.Value {
	if w.live.IsUndefined() {
		w.live = w.doc.Call("createElement", "p")
		w.live.Call("setAttribute", "aria-live", "polite")
		w.live.Call("setAttribute", "part", "live")
		w.live.Call("setAttribute", "class", "lt-live")
		s := w.live.Get("style")
		for _, p := range [][2]string{{"position", "absolute"}, {"width", "1px"}, {"height", "1px"}, {"overflow", "hidden"},
			{"clip-path", "inset(50%)"}, {"white-space", "nowrap"}, {"margin", "-1px"}, {"padding", "0"}, {"border", "0"}} {
			s.Call("setProperty", p[0], p[1])
		}
	}
	return w.live
}

// formState returns the inputs of the markup on show by name, and the
// name of the one that has focus.
func (w *Widget) formState() (map[string]js.Value, string) {
	out := map[string]js.Value{}
	form := w.root.Call("querySelector", "form")
	if form.IsNull() {
		return out, ""
	}
	els := form.Get("elements")
	for i := 0; i < els.Get("length").Int(); i++ {
		el := els.Index(i)
		if name := str(el.Get("name")); name != "" && name != "action" {
			out[name] = el
		}
	}
	active := w.root.Call("getRootNode").Get("activeElement")
	if active.IsUndefined() || active.IsNull() || !w.root.Call("contains", active).Bool() {
		return out, ""
	}
	if name := str(active.Get("name")); name != "action" {
		return out, name
	}
	return out, "" // a button: the next step decides where focus goes
}

// field returns the form control named name, or null.
func (w *Widget) field(name string) js.Value {
	form := w.root.Call("querySelector", "form")
	if form.IsNull() {
		return form
	}
	return form.Get("elements").Call("namedItem", name)
}

// focus moves focus to the field named name, or to the first button.
func (w *Widget) focus(name string) {
	el := js.Null()
	if name != "" {
		el = w.field(name)
	}
	if el.IsNull() || el.IsUndefined() {
		el = w.root.Call("querySelector", "button")
	}
	if !el.IsNull() && !el.IsUndefined() && el.Get("focus").Type() != js.TypeFunction {
		// Several controls share the name (a RadioNodeList): the first.
		el = el.Call("item", 0)
	}
	if !el.IsNull() && !el.IsUndefined() && el.Get("focus").Type() == js.TypeFunction {
		opts := object()
		opts.Set("preventScroll", false)
		el.Call("focus", opts)
	}
}

// poll reads a waiting step again every few seconds, and shows it once it
// changed; it stops when another step is on show.
func (w *Widget) poll(gen int) {
	for {
		sleep(core.PollSeconds)
		if gen != w.gen || w.busy {
			return
		}
		changed, err := w.client.Refresh()
		if gen != w.gen {
			return
		}
		if err != nil {
			if _, ok := err.(*wire.APIError); ok {
				w.fail(err)
				return
			}
			continue // offline for a moment: try again
		}
		if changed {
			w.show(w.client.Flow, false)
			return
		}
	}
}

// onSubmit handles the form's submit: the pressed button's value is the
// action; unless it is formnovalidate, the fields are checked first.
func (w *Widget) onSubmit(ev js.Value) {
	ev.Call("preventDefault")
	if w.busy {
		return
	}
	f := w.shown
	action := ""
	novalidate := false
	if b := ev.Get("submitter"); !b.IsUndefined() && !b.IsNull() {
		action = str(b.Get("value"))
		novalidate = b.Call("hasAttribute", "formnovalidate").Bool()
	}
	if action == "" {
		for _, a := range f.FormActions() {
			if a.Primary {
				action = a.Name
			}
		}
	}
	if !novalidate {
		if problems := w.validate(w.client.Flow); len(problems) > 0 {
			w.render(core.WithProblems(w.client.Flow, problems), true)
			w.focus(problems[0].Field)
			return
		}
	}
	if e := core.SubmitEffect(f, action); e.Kind == core.EffectNavigate {
		w.gen++
		w.navigate(e)
		return
	}
	if f.HasWebAuthn() && action == f.WebAuthnAction() && webauthnSupported() {
		go w.ceremony(f, "")
		return
	}
	w.send(action, core.Values(f, w.read))
}

// onClick follows the step's link actions (GET) by reading the flow
// again, as the hosted page reloads itself; other links (a terms
// document) open as links do.
func (w *Widget) onClick(ev js.Value) {
	t := ev.Get("target")
	if t.IsUndefined() || t.IsNull() || t.Get("closest").IsUndefined() {
		return
	}
	a := t.Call("closest", `a[part="link"]`)
	if a.IsNull() || str(a.Call("getAttribute", "target")) == "_blank" {
		return
	}
	ev.Call("preventDefault")
	if w.busy {
		return
	}
	w.busy = true
	go func() {
		_, err := w.client.Refresh()
		w.busy = false
		if err != nil {
			w.fail(err)
			return
		}
		w.show(w.client.Flow, false)
	}()
}

// read returns a control's value and whether it is checked.
func (w *Widget) read(name string) (string, bool) {
	el := w.field(name)
	if el.IsNull() || el.IsUndefined() {
		return "", false
	}
	return str(el.Get("value")), el.Get("checked").Truthy()
}

// validate checks the step's input fields as the browser sees them, plus
// the flow's own constraints, and returns the problems.
func (w *Widget) validate(f wire.Flow) []wire.Message {
	var out []wire.Message
	for _, x := range f.InputFields() {
		el := w.field(x.Name)
		if el.IsNull() || el.IsUndefined() || el.Get("validity").IsUndefined() {
			continue
		}
		s := el.Get("validity")
		v := core.Validity{
			ValueMissing:    s.Get("valueMissing").Truthy(),
			TooShort:        s.Get("tooShort").Truthy(),
			TooLong:         s.Get("tooLong").Truthy(),
			TypeMismatch:    s.Get("typeMismatch").Truthy(),
			PatternMismatch: s.Get("patternMismatch").Truthy(),
			BadInput:        s.Get("badInput").Truthy(),
		}
		value, _ := w.read(x.Name)
		v = core.Check(x, value, v, matches)
		if m, ok := core.Problem(x, v); ok {
			out = append(out, m)
		}
	}
	return out
}

// matches runs pattern as the HTML pattern attribute does: the whole
// value, with the u flag. A pattern JavaScript cannot compile is passed
// over (the server checks anyway).
func matches(pattern, value string) bool {
	re, err := newRegExp("^(?:" + pattern + ")$")
	if err != nil {
		return true
	}
	return re.Call("test", value).Bool()
}

func newRegExp(src string) (re js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("bad pattern")
		}
	}()
	return js.Global().Get("RegExp").New(src, "u"), nil
}

// send continues the flow with action and values, and shows the answer.
func (w *Widget) send(action string, values []wire.Param) {
	w.busy = true
	if form := w.root.Call("querySelector", "form"); !form.IsNull() {
		form.Call("setAttribute", "aria-busy", "true")
	}
	go func() {
		err := w.client.Continue(action, values)
		w.busy = false
		if form := w.root.Call("querySelector", "form"); !form.IsNull() {
			form.Call("removeAttribute", "aria-busy")
		}
		if err != nil {
			w.fail(err)
			return
		}
		w.show(w.client.Flow, false)
	}()
}

// fail tells the loader about an error and shows it: an ended or unknown
// flow as an error step, anything else as a message above the step on
// show, which stays usable.
func (w *Widget) fail(err error) {
	code, msg := "network_error", "error.server"
	if apiErr, ok := err.(*wire.APIError); ok {
		code, msg = apiErr.Code, apiErr.Message
	}
	w.notify("error", code, msg)
	problem := wire.Message{ID: msg, Level: wire.LevelError}
	if code == "flow_not_found" || code == "flow_expired" || w.client.Catalog.Lang == "" || w.shown.ID == "" {
		if w.client.Catalog.Lang == "" {
			return // no texts to show it with: the server's markup stays
		}
		w.render(wire.Flow{ID: w.client.FlowID, Step: wire.StepError, Messages: []wire.Message{problem}}, false)
		return
	}
	f := w.client.Flow
	f.Messages = append([]wire.Message{problem}, f.Messages...)
	w.render(f, true)
}
