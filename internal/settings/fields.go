package settings

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/pflag"
)

// Flags selects the groups of flags Bind registers, so that each command
// offers only the settings it uses (migrate has no --addr). Load reads
// whichever of them a flag set has.
type Flags uint

// The flag groups. FlagLog and FlagSecrets cover every setting under log
// and secrets.
const (
	FlagConfig         Flags = 1 << iota // --config
	FlagAddr                             // --addr
	FlagPublicURL                        // --public-url
	FlagDataDir                          // --data-dir
	FlagDatabaseURL                      // --database-url
	FlagLog                              // --log-format, --log-level
	FlagSecrets                          // --secrets-key, --secrets-previous-keys
	FlagTenants                          // --tenants-max-depth
	FlagDefaultTenant                    // --default-tenant
	FlagEvents                           // --events-retention
	FlagEgress                           // --egress-allow
	FlagMail                             // --mail-smtp-host, --mail-from, …
	FlagSessions                         // --sessions-idle, --sessions-absolute
	FlagTLS                              // --tls-addr, --tls-http-addr, --acme-*, --dns-resolver
	FlagRedis                            // --redis-url
	FlagTrustedProxies                   // --trusted-proxies
	FlagLimits                           // --limits-ip, --limits-tenant, …
	FlagTheme                            // --theme-base

	// AllFlags is every group, for the serve command.
	AllFlags = FlagConfig | FlagAddr | FlagPublicURL | FlagDataDir | FlagDatabaseURL | FlagLog | FlagSecrets | FlagTenants | FlagEvents | FlagDefaultTenant | FlagEgress | FlagMail | FlagSessions | FlagTLS | FlagRedis | FlagTrustedProxies | FlagLimits | FlagTheme
)

// flagGroups maps each top-level YAML key to its group. A new top-level
// setting needs an entry here (init panics otherwise); a new setting under
// an existing key joins that key's group with no change.
var flagGroups = map[string]Flags{
	"addr":            FlagAddr,
	"public_url":      FlagPublicURL,
	"data_dir":        FlagDataDir,
	"database_url":    FlagDatabaseURL,
	"log":             FlagLog,
	"secrets":         FlagSecrets,
	"tenants":         FlagTenants,
	"default_tenant":  FlagDefaultTenant,
	"events":          FlagEvents,
	"egress":          FlagEgress,
	"mail":            FlagMail,
	"sessions":        FlagSessions,
	"tls":             FlagTLS,
	"acme":            FlagTLS,
	"dns":             FlagTLS,
	"redis":           FlagRedis,
	"trusted_proxies": FlagTrustedProxies,
	"limits":          FlagLimits,
	"theme":           FlagTheme,
}

// The settings outside Config's YAML: the config file itself.
const (
	configFlag = "config"
	configEnv  = "LINTEL_CONFIG"
	envPrefix  = "LINTEL_"
)

// field is one setting of Config, with its name in every source.
type field struct {
	path  string // YAML path, dot-separated: "log.level"
	env   string // "LINTEL_LOG_LEVEL"
	flag  string // "log-level"
	help  string
	index []int // reflect index path into Config
	list  bool  // []string rather than string
	group Flags
}

// fields is the table of settings, derived from Config's tags so that a new
// field gets its variable and flag without further code. It is built once
// and never changed.
var fields = collectFields(reflect.TypeFor[Config](), nil, nil)

// collectFields walks t's yaml-tagged fields depth first. It panics on a
// field it cannot load, since that is a mistake in Config, found by any test.
func collectFields(t reflect.Type, index []int, path []string) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name := yamlName(sf)
		if name == "" {
			continue
		}
		p := append(path[:len(path):len(path)], name)
		idx := append(index[:len(index):len(index)], i)
		if sf.Type.Kind() == reflect.Struct {
			out = append(out, collectFields(sf.Type, idx, p)...)
			continue
		}
		f := field{
			path:  strings.Join(p, "."),
			env:   envPrefix + strings.ToUpper(strings.Join(p, "_")),
			flag:  strings.ReplaceAll(strings.Join(p, "-"), "_", "-"),
			help:  sf.Tag.Get("help"),
			index: idx,
			group: flagGroups[p[0]],
		}
		switch {
		case sf.Type.Kind() == reflect.String:
		case sf.Type == reflect.TypeFor[[]string]():
			f.list = true
		default:
			panic(fmt.Sprintf("settings: %s: unsupported type %s", f.path, sf.Type))
		}
		if f.help == "" || f.group == 0 {
			panic(fmt.Sprintf("settings: %s needs a help tag and a flag group", f.path))
		}
		out = append(out, f)
	}
	return out
}

// yamlName returns the YAML key of sf, or "" if YAML does not carry it.
func yamlName(sf reflect.StructField) string {
	if !sf.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		panic(fmt.Sprintf("settings: field %s needs a yaml tag", sf.Name))
	}
	return name
}

// fieldByPath returns the setting at a YAML path, ignoring a list index.
func fieldByPath(path string) (field, bool) {
	path, _, _ = strings.Cut(path, "[")
	for _, f := range fields {
		if f.path == path {
			return f, true
		}
	}
	return field{}, false
}

func (f field) value(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index)
}

// set stores s in c; a list takes s as comma-separated items.
func (f field) set(c *Config, s string) {
	if f.list {
		f.setList(c, strings.Split(s, ","))
		return
	}
	f.value(c).SetString(s)
}

// setList stores items in the list f, trimmed, without empty items, so that
// "a, b," means [a b] and "" means no items.
func (f field) setList(c *Config, items []string) {
	var out []string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	f.value(c).Set(reflect.ValueOf(out))
}

// Bind registers the flags of the selected groups on fs. The help of each
// flag names its environment variable; pflag adds the default. Flag values
// are read by Load, and only if set, so the defaults shown here never
// override the environment or the file.
func Bind(fs *pflag.FlagSet, which Flags) {
	if which&FlagConfig != 0 {
		fs.String(configFlag, "", "YAML configuration file (env "+configEnv+"); flags and environment override it")
	}
	d := Default()
	for _, f := range fields {
		if which&f.group == 0 {
			continue
		}
		usage := f.help + " (env " + f.env + ")"
		v := f.value(&d)
		if f.list {
			fs.StringSlice(f.flag, v.Interface().([]string), usage)
		} else {
			fs.String(f.flag, v.String(), usage)
		}
	}
}
