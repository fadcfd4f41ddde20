package settings

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Load returns the configuration from, highest precedence first: the flags
// of flags that were set on the command line, the LINTEL_* variables of
// environ (as from os.Environ), the YAML file named by --config or
// LINTEL_CONFIG, and Default. flags may be nil or hold any subset of the
// flags Bind registers.
//
// A variable that is present counts as set, even when empty. A list
// variable such as LINTEL_SECRETS_PREVIOUS_KEYS is comma-separated.
//
// Load refuses, with ErrUnknownVariable, any LINTEL_* variable it does not
// know; with ErrUnknownKey, any unknown key in the file; with an error
// wrapping io/fs.ErrNotExist, a named file that does not exist. It then
// validates the result (see Config.Validate) and drops a trailing slash from
// PublicURL. On error the Config is the zero value.
func Load(flags *pflag.FlagSet, environ []string) (Config, error) {
	env, err := lintelEnv(environ)
	if err != nil {
		return Config{}, err
	}
	c := Default()

	source := ""
	if fl := changed(flags, configFlag); fl != nil {
		c.ConfigFile, source = fl.Value.String(), "--"+configFlag
	} else if v, ok := env[configEnv]; ok {
		c.ConfigFile, source = v, configEnv
	}
	if c.ConfigFile != "" {
		data, err := os.ReadFile(c.ConfigFile)
		if err != nil {
			return Config{}, fmt.Errorf("config file named by %s: %w", source, err)
		}
		if err := decodeYAML(c.ConfigFile, data, &c); err != nil {
			return Config{}, err
		}
	}

	for _, f := range fields {
		if v, ok := env[f.env]; ok {
			f.set(&c, v)
		}
	}
	for _, f := range fields {
		fl := changed(flags, f.flag)
		if fl == nil {
			continue
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok && f.list {
			f.setList(&c, sv.GetSlice())
		} else {
			f.set(&c, fl.Value.String())
		}
	}

	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	c.PublicURL = normalizePublicURL(c.PublicURL)
	return c, nil
}

// changed returns the flag name of flags if it was set, else nil.
func changed(flags *pflag.FlagSet, name string) *pflag.Flag {
	if flags == nil {
		return nil
	}
	if fl := flags.Lookup(name); fl != nil && fl.Changed {
		return fl
	}
	return nil
}

// ClientVariables are LINTEL_* variables of the client commands (lintel
// policy test): the server's settings ignore them rather than refuse them,
// so a CI job may set them beside a server's.
var ClientVariables = []string{"LINTEL_URL", "LINTEL_TOKEN"}

// lintelEnv returns the known LINTEL_* variables of environ by name, the
// first occurrence winning as with os.Getenv. Unknown ones are refused
// together, sorted, so one run shows every typo. The prefix is matched
// regardless of case to catch lintel_addr as well.
func lintelEnv(environ []string) (map[string]string, error) {
	known := []string{configEnv}
	for _, f := range fields {
		known = append(known, f.env)
	}
	env := map[string]string{}
	var unknown []string
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(strings.ToUpper(name), envPrefix) {
			continue
		}
		if slices.Contains(ClientVariables, name) {
			continue // read by client commands, not a setting
		}
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
			continue
		}
		if _, dup := env[name]; !dup {
			env[name] = value
		}
	}
	if len(unknown) == 0 {
		return env, nil
	}
	slices.Sort(unknown)
	unknown = slices.Compact(unknown)
	errs := make([]error, len(unknown))
	for i, name := range unknown {
		hint := ""
		if s := closest(strings.ToUpper(name), known); s != "" {
			hint = " (did you mean " + s + "?)"
		}
		errs[i] = fmt.Errorf("%w %s%s", ErrUnknownVariable, name, hint)
	}
	return nil, errors.Join(errs...)
}

// closest returns the candidate closest to s if it is close enough to be a
// typo of s, else "".
func closest(s string, candidates []string) string {
	const maxDistance = 2
	best, bestDist := "", maxDistance+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes, the usual
// typos.
func editDistance(a, b string) int {
	// Three rows suffice: the current, previous and one before that.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
