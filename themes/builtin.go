package themes

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
)

// DefaultBase is the built-in theme a cascade starts from when no level
// names one.
const DefaultBase = "light"

// builtinNames lists the built-in themes; each has builtin/<name>.json.
var builtinNames = []string{"light", "dark", "high-contrast"}

// BuiltinNames returns the names of the built-in themes:
// "light", "dark", "high-contrast".
func BuiltinNames() []string { return slices.Clone(builtinNames) }

// builtins loads the embedded themes once. They are part of the binary,
// so a broken file is a build defect, not a run-time condition: it
// panics on first use, and the tests run it.
var builtins = sync.OnceValue(func() map[string]Tokens {
	m, err := loadBuiltins(FS())
	if err != nil {
		panic(err)
	}
	return m
})

// loadBuiltins reads builtin/<name>.json for every built-in name from
// fsys and requires each to be valid and complete.
func loadBuiltins(fsys fs.FS) (map[string]Tokens, error) {
	out := make(map[string]Tokens, len(builtinNames))
	for _, name := range builtinNames {
		b, err := fs.ReadFile(fsys, "builtin/"+name+".json")
		if err != nil {
			return nil, fmt.Errorf("themes: built-in theme %s: %w", name, err)
		}
		var t Tokens
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("themes: built-in theme %s: %w", name, err)
		}
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("themes: built-in theme %s: %w", name, err)
		}
		for _, d := range defs {
			if _, ok := t[d.Name]; !ok {
				return nil, fmt.Errorf("themes: built-in theme %s lacks %s: %w", name, d.Name, ErrValue)
			}
		}
		out[name] = t.Normalize()
	}
	return out, nil
}

// Builtin returns a copy of the built-in theme name, a full token set,
// and false for an unknown name.
func Builtin(name string) (Tokens, bool) {
	t, ok := builtins()[name]
	if !ok {
		return nil, false
	}
	return maps.Clone(t), true
}
