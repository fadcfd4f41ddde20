// Package themes holds Lintel's design tokens: the typed, versioned
// contract (Defs, ContractVersion) of CSS custom properties "--lt-*"
// that style the hosted pages, the widget's shadow root and emails; the
// built-in themes (light, dark, high-contrast); the rendering of a token
// set as CSS; the WCAG contrast checks a theme must pass; and the
// branding cascade (instance → tenant → brand → app → locale) that
// resolves what one page in one language shows.
//
// A tenant's token values are untrusted input that ends up inside a
// stylesheet served from Lintel's own origin. A free-form value could
// close the rule, load a remote resource or hide the sign-in form, so
// every value is checked against its kind (colour, length, font list,
// weight, asset ID) and re-serialised by this package before it becomes
// CSS: nothing a tenant types is copied into CSS verbatim.
package themes
