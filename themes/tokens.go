package themes

import (
	"errors"
	"maps"
	"slices"
)

// ContractVersion is the version of the token set, "v1" in
// docs/theming.md. A new version may add tokens; it never renames or
// removes one, nor changes a kind.
const ContractVersion = 1

// Kind is the type of a token's value; it decides what Validate accepts
// and how the value is written as CSS.
type Kind int

// The kinds of token values. docs/theming.md states each one's rules.
const (
	// KindColor is "#rgb" or "#rrggbb".
	KindColor Kind = iota + 1
	// KindLength is a non-negative number with "px" or "rem", within
	// bounds set per token.
	KindLength
	// KindFont is a comma-separated list of font family names.
	KindFont
	// KindWeight is a font weight, 100 to 900 in steps of 100.
	KindWeight
	// KindAsset is an asset ID ("ast_…") or "" for none; it becomes a
	// URL only through CSS's resolver.
	KindAsset
)

// String returns the kind's name as docs/theming.md writes it.
func (k Kind) String() string {
	switch k {
	case KindColor:
		return "color"
	case KindLength:
		return "length"
	case KindFont:
		return "font"
	case KindWeight:
		return "weight"
	case KindAsset:
		return "asset"
	}
	return "unknown"
}

// Def defines one token of the contract.
type Def struct {
	// Name is the token's name without the "--lt-" prefix:
	// "color-primary".
	Name string
	// Kind is the type of its value.
	Kind Kind
	// Doc says in one line what the token styles.
	Doc string
	// Light is its value in the light theme, the default.
	Light string
}

// defs is the contract, in the order CSS writes it: v0's tokens first,
// each kind's additions after them.
var defs = []Def{
	{"color-primary", KindColor, "buttons, links, focus accents", "#3b4fd8"},
	{"color-on-primary", KindColor, "text on primary", "#ffffff"},
	{"color-surface", KindColor, "card and input background", "#ffffff"},
	{"color-background", KindColor, "page background", "#f4f5f8"},
	{"color-text", KindColor, "body text", "#1b1d24"},
	{"color-text-muted", KindColor, "secondary text", "#5a5f6e"},
	{"color-border", KindColor, "card and input borders", "#8a8f9e"},
	{"color-error", KindColor, "error messages, invalid inputs", "#b3261e"},
	{"color-warning", KindColor, "warnings", "#8a5a00"},
	{"color-info", KindColor, "information", "#1f5fa8"},
	{"color-focus", KindColor, "focus ring", "#1a73e8"},
	{"color-link", KindColor, "links in text", "#3b4fd8"},
	{"color-success", KindColor, "success messages", "#1e7a34"},
	{"font-family", KindFont, "all text", `system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans Arabic", sans-serif`},
	{"font-size", KindLength, "base size", "16px"},
	{"heading-weight", KindWeight, "weight of titles and labels", "600"},
	{"radius", KindLength, "card radius (inputs use half)", "8px"},
	{"space", KindLength, "spacing unit", "8px"},
	{"card-width", KindLength, "maximum card width", "400px"},
	{"logo", KindAsset, "logo above the card", ""},
	{"favicon", KindAsset, "the page's icon", ""},
	{"background-image", KindAsset, "image behind the page", ""},
}

// Defs returns the contract, in a stable order (the order of CSS).
func Defs() []Def { return slices.Clone(defs) }

// Lookup returns the definition of the token name ("color-primary").
func Lookup(name string) (Def, bool) {
	for _, d := range defs {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

// ErrValue is wrapped by every refusal of a value: a token's value that
// does not fit its kind, and any other invalid field of a Document.
var ErrValue = errors.New("invalid value")

// ErrUnknownToken is wrapped when a token name is not in the contract.
var ErrUnknownToken = errors.New("unknown design token")

// Tokens maps token names ("color-primary") to values. A layer of the
// cascade holds some tokens; a resolved theme holds every one.
type Tokens map[string]string

// Validate checks every name against the contract and every value
// against its kind. It reports all problems at once, each an
// *invalid.Error named "tokens.<name>" that also wraps ErrValue or
// ErrUnknownToken.
func (t Tokens) Validate() error { return errors.Join(t.problems("tokens")...) }

// problems returns one error per invalid entry, fields named
// prefix+"."+name, in contract order, then unknown names sorted.
func (t Tokens) problems(prefix string) []error {
	var errs []error
	for _, d := range defs {
		v, ok := t[d.Name]
		if !ok {
			continue
		}
		if reason := checkValue(d, v); reason != "" {
			errs = append(errs, problem(prefix+"."+d.Name, ErrValue, "%s", reason))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t)) {
		if _, ok := Lookup(name); !ok {
			errs = append(errs, problem(prefix+"."+fieldName(name), ErrUnknownToken, "is not a design token of contract v%d", ContractVersion))
		}
	}
	return errs
}

// Normalize returns a copy with every value in its canonical form
// ("#ABC" → "#aabbcc", "16PX" → "16px", font lists re-quoted). It
// assumes t is valid: an invalid value or unknown name is copied as is.
func (t Tokens) Normalize() Tokens {
	out := make(Tokens, len(t))
	for name, v := range t {
		if d, ok := Lookup(name); ok && checkValue(d, v) == "" {
			v = normalizeValue(d, v)
		}
		out[name] = v
	}
	return out
}

// Merge returns a copy of t in which over's entries replace t's.
func (t Tokens) Merge(over Tokens) Tokens {
	out := make(Tokens, len(t)+len(over))
	maps.Copy(out, t)
	maps.Copy(out, over)
	return out
}
