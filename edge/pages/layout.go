package pages

import (
	"context"
	"html"
	"io"

	"github.com/a-h/templ"

	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// Layout is the frame of every hosted page, around its children: Lintel's
// own page (language and direction from the localizer, the stylesheet of
// design tokens, then the theme's custom properties, no inline script),
// or, when the theme has a page template, the brand's page with Lintel's
// head elements, card, footer and logo in its slots.
func Layout(p Page) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		content := templ.GetChildren(ctx)
		ctx = templ.ClearChildren(ctx)
		if p.Theme.Template == nil {
			return document(p, content).Render(ctx, w)
		}
		return brandPage(ctx, w, p, content)
	})
}

// brandPage renders the theme's page template with Lintel's parts in its
// slots; a template without a footer slot shows no footer line.
func brandPage(ctx context.Context, w io.Writer, p Page, content templ.Component) error {
	parts := pagetemplate.Parts{
		Head:   func(w io.Writer) error { return head(p).Render(ctx, w) },
		Form:   func(w io.Writer) error { return card(p, content).Render(ctx, w) },
		Footer: func(w io.Writer) error { return footerLine(p).Render(ctx, w) },
		Lang:   p.L.Lang(),
		Dir:    p.L.Dir(),
		Nonce:  p.Nonce,
	}
	if p.Theme.logoInSlot() {
		parts.Logo = func(w io.Writer) error { return logo(p).Render(ctx, w) }
	}
	return p.Theme.Template.Render(w, parts)
}

// style writes the theme's custom properties in a <style> with the
// page's nonce. css is the caller's checked CSS (Theme.style): templ
// would escape it as text, which CSS is not.
func style(nonce, css string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<style nonce="`+html.EscapeString(nonce)+`">`+css+`</style>`)
		return err
	})
}
