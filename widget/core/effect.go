package core

import "github.com/lintel-id/lintel/server/engine/wire"

// PollSeconds is how often a waiting step (poll) reads the flow again.
const PollSeconds = 3

// EffectKind is what the widget does with a step.
type EffectKind int

// The effects of a step.
const (
	// EffectRender shows the step; with Poll set, it reads the flow
	// again every PollSeconds while the step waits.
	EffectRender EffectKind = iota
	// EffectDone hands the flow's redirect (the app's redirect URI with
	// code and state) to the loader, which checks state and calls the
	// app's onSuccess.
	EffectDone
	// EffectNavigate sends the whole page to URL (an identity provider's
	// sign-in page): it cannot run inside the widget.
	EffectNavigate
)

// Effect is the widget's decision about a step.
type Effect struct {
	Kind EffectKind
	URL  string // EffectDone: the redirect; EffectNavigate: where to go
	Poll bool   // EffectRender: read the flow again every PollSeconds
}

// EffectOf decides what to do with step f. A done step without a
// redirect, or a redirect-idp step without an address, is rendered (the
// server's messages say what went wrong).
func EffectOf(f wire.Flow) Effect {
	switch f.Step {
	case wire.StepDone:
		if f.Redirect != "" {
			return Effect{Kind: EffectDone, URL: f.Redirect}
		}
	case wire.StepRedirectIdP:
		if href := idpHref(f); href != "" {
			return Effect{Kind: EffectNavigate, URL: href}
		}
	case wire.StepPoll:
		return Effect{Kind: EffectRender, Poll: true}
	}
	return Effect{Kind: EffectRender}
}

// idpHref is the address of a redirect-idp step: its primary action's
// href, else the first action's with one; only https (or http on
// loopback, for development) addresses are followed.
func idpHref(f wire.Flow) string {
	var href string
	for _, a := range f.Actions {
		if a.Href != "" && (href == "" || a.Primary) {
			href = a.Href
			if a.Primary {
				break
			}
		}
	}
	if href == "" {
		return ""
	}
	// The same check as a document link (DocumentURL): https, or http on
	// loopback; anything else (javascript:, data:) is never followed.
	return wire.Field{LabelParams: []wire.Param{{Name: "url", Value: href}}}.DocumentURL()
}
