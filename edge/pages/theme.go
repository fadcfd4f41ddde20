package pages

import (
	"slices"
	"strings"

	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// Theme is the resolved look of the page's brand and app: the edge
// resolves the branding cascade (DESIGN "Branding cascade") into one
// Theme; the zero Theme is Lintel's default look, and writes nothing.
type Theme struct {
	// CSS is custom properties from themes.CSS, written in a
	// <style nonce=…> after lintel.css so that they override its
	// defaults; "" writes none. themes.CSS builds it from type-checked
	// tokens and never writes "<"; a CSS with "<" is still refused (not
	// written), since it could close the <style> element.
	CSS string
	// Logo is the URL of the brand's logo, "" for none: an
	// <img class="lt-logo"> at the top of the card, or in the page
	// template's logo slot. Its alt text is the brand's name, which the
	// logo then carries alone (the name's text line is left out).
	Logo string
	// Favicon is the URL of the brand's icon, "" for none:
	// <link rel="icon">.
	Favicon string
	// Template is the brand's own page around Lintel's parts, nil for
	// Lintel's layout. Its head slot gets Lintel's head elements, its
	// form slot the card (<main id="main" class="lt-card">), its footer
	// slot the footer line and its logo slot the logo (which is then not
	// in the card; without a logo slot the card shows it).
	Template *pagetemplate.Template
	// Dark says the theme is dark, for the browser's own parts (form
	// controls, scroll bars): <meta name="color-scheme" content="dark">,
	// "light" otherwise. The zero Theme writes no color-scheme.
	Dark bool
}

// IsZero reports whether t is Lintel's default look.
func (t Theme) IsZero() bool { return t == Theme{} }

// style returns the CSS to write in the page's <style>, "" for none.
func (t Theme) style() string {
	if strings.Contains(t.CSS, "<") {
		return ""
	}
	return t.CSS
}

// colorScheme is the color-scheme meta's content, "" for none.
func (t Theme) colorScheme() string {
	switch {
	case t.IsZero():
		return ""
	case t.Dark:
		return "dark"
	}
	return "light"
}

// logoInSlot reports whether the logo goes in the page template's logo
// slot rather than in the card.
func (t Theme) logoInSlot() bool {
	return t.Logo != "" && t.Template != nil && slices.Contains(t.Template.Slots(), pagetemplate.SlotLogo)
}

// logoInCard reports whether the card starts with the logo.
func (t Theme) logoInCard() bool { return t.Logo != "" && !t.logoInSlot() }
