package pages

import (
	"github.com/a-h/templ"

	"github.com/lintel-id/lintel/server/engine/wire"
)

// Screen is one hosted page a designer sees, rendered from sample data:
// the goldens, the management API's preview, the studio and the
// screenshots all show the same screens.
type Screen struct {
	// Name is stable kebab-case ("identify", "challenge-password",
	// "error-404", "logout"): it names the screen in URLs and files.
	Name string
	// Title is the message ID of the page's title.
	Title string
	// Render renders the screen's sample with p (the person's language,
	// the brand, its theme, the CSRF token and nonce): p.Title is set to
	// Title, and a step's page loads the scripts the edge would load for
	// it (passkey.js, poll.js).
	Render func(p Page) templ.Component
}

// pollSeconds is how often a waiting step looks again, as on the edge.
const pollSeconds = 3

// sampleSecret is the flow secret the step screens' forms carry.
const sampleSecret = "SECRET"

// Screens lists every screen, in a stable order: each step the engine
// sends (as SampleFlows has them), then the other pages (error pages,
// logout, the confirm and information pages of emailed links, the
// account's sign-in methods). A new call returns new values, which the
// caller may change.
func Screens() []Screen {
	var out []Screen
	for _, s := range stepSamples() {
		out = append(out, stepScreen(s))
	}
	return append(out, otherScreens()...)
}

// ScreenByName returns the screen named name, and false when there is
// none.
func ScreenByName(name string) (Screen, bool) {
	for _, s := range Screens() {
		if s.Name == name {
			return s, true
		}
	}
	return Screen{}, false
}

// SampleFlows are the sample flows behind the step screens (every step
// kind the engine sends and every field type), in Screens' order,
// followed by edge cases no screen shows: hostile names and parameters,
// a step kind and a field type no renderer knows. widget/core's
// conformance test renders each of them both ways.
func SampleFlows() []wire.Flow {
	var out []wire.Flow
	for _, s := range stepSamples() {
		out = append(out, s.flow)
	}
	out = append(out, edgeCases()...)
	return append(out, idpEdgeCases()...)
}

// stepSamples are the step screens' flows, in the order of a journey.
func stepSamples() []stepSample {
	out := signInSamples()
	out = append(out, federationSamples()...)
	out = append(out, enrollSamples()...)
	return append(out, accountSamples()...)
}

// stepScreen shows a step as the hosted page does (edge/signin.go): a
// flow that is done shows where it went on, every other step its form.
func stepScreen(s stepSample) Screen {
	if s.flow.Step == wire.StepDone {
		return screen(s.name, "done.title", func(p Page) templ.Component { return InfoPage(p, "done.elsewhere") })
	}
	return screen(s.name, StepTitle(s.flow.Step), func(p Page) templ.Component {
		p.Passkey = HasWebAuthn(s.flow)
		if polls(s.flow) {
			p.Refresh = pollSeconds
		}
		return FlowPage(p, FlowForm{Flow: s.flow, Action: "/signin/" + s.flow.ID, Secret: sampleSecret, Autofocus: true})
	})
}

// polls reports whether a step waits for something to happen elsewhere
// (it offers the GET "poll" action).
func polls(f wire.Flow) bool {
	for _, a := range f.Actions {
		if a.Name == "poll" && a.Method == "GET" {
			return true
		}
	}
	return false
}

// screen is a Screen whose Render sets the page's title.
func screen(name, title string, render func(p Page) templ.Component) Screen {
	return Screen{Name: name, Title: title, Render: func(p Page) templ.Component {
		p.Title = title
		return render(p)
	}}
}
