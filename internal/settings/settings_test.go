package settings_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/settings"
	"github.com/spf13/pflag"
)

// testKey returns a valid key-encryption key whose material is b repeated.
func testKey(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, settings.KeySize))
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// load runs Load with every flag bound and args parsed, and file (if not
// empty) named by LINTEL_CONFIG.
func load(t *testing.T, file string, env, args []string) (settings.Config, error) {
	t.Helper()
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	settings.Bind(flags, settings.AllFlags)
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	if file != "" {
		env = append(slices.Clip(env), "LINTEL_CONFIG="+writeFile(t, t.TempDir(), "lintel.yaml", file))
	}
	return settings.Load(flags, env)
}

// fieldKeys returns the Key of every FieldError joined in err.
func fieldKeys(err error) []string {
	var keys []string
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*settings.FieldError); ok {
			keys = append(keys, fe.Key)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return keys
}

func TestLoadPrecedence(t *testing.T) {
	k0, k1, k2, k3, k4 := testKey("k0", 0), testKey("k1", 1), testKey("k2", 2), testKey("k3", 3), testKey("k4", 4)
	addr := func(c settings.Config) string { return c.Addr }
	level := func(c settings.Config) string { return c.Log.Level }
	previous := func(c settings.Config) string { return strings.Join(c.Secrets.PreviousKeys, "|") }
	keysFile := fmt.Sprintf("secrets:\n  key: %s\n  previous_keys: [%s]\n", k0, k1)
	tests := []struct {
		name string
		file string
		env  []string
		args []string
		get  func(settings.Config) string
		want string
	}{
		{"default applies when nothing sets a key", "", nil, nil, addr, "localhost:8080"},
		{"file beats default", "addr: :1\n", nil, nil, addr, ":1"},
		{"env beats file", "addr: :1\n", []string{"LINTEL_ADDR=:2"}, nil, addr, ":2"},
		{"flag beats env", "addr: :1\n", []string{"LINTEL_ADDR=:2"}, []string{"--addr=:3"}, addr, ":3"},
		{"flag left at its default does not beat env", "", []string{"LINTEL_ADDR=:2"}, []string{"--data-dir=d"}, addr, ":2"},
		{"file setting one nested key keeps the other's default", "log:\n  level: warn\n", nil, nil,
			func(c settings.Config) string { return c.Log.Format }, "auto"},
		{"nested key: env beats file", "log:\n  level: warn\n", []string{"LINTEL_LOG_LEVEL=debug"}, nil, level, "debug"},
		{"nested key: flag beats env", "log:\n  level: warn\n", []string{"LINTEL_LOG_LEVEL=debug"}, []string{"--log-level=error"}, level, "error"},
		{"list: file beats default", keysFile, nil, nil, previous, k1},
		{"list: env beats file", keysFile, []string{"LINTEL_SECRETS_PREVIOUS_KEYS=" + k2 + "," + k3}, nil, previous, k2 + "|" + k3},
		{"list: flag beats env", keysFile, []string{"LINTEL_SECRETS_PREVIOUS_KEYS=" + k2}, []string{"--secrets-previous-keys=" + k4}, previous, k4},
		{"empty variable overrides the file", "database_url: postgres://db/lintel\n", []string{"LINTEL_DATABASE_URL="}, nil,
			func(c settings.Config) string { return c.DatabaseURL }, ""},
		{"sessions: file beats default", "sessions:\n  idle: 10m\n", nil, nil, func(c settings.Config) string { return c.Sessions.Idle }, "10m"},
		{"sessions: flag beats env", "", []string{"LINTEL_SESSIONS_ABSOLUTE=24h"}, []string{"--sessions-absolute=48h"},
			func(c settings.Config) string { return c.Sessions.Absolute }, "48h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.file, tt.env, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	fromFlag := writeFile(t, dir, "flag.yaml", "addr: :1\n")
	fromEnv := writeFile(t, dir, "env.yaml", "addr: :2\n")
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantFile string
		wantAddr string
		wantErr  error
	}{
		{"reads the file named by LINTEL_CONFIG", []string{"LINTEL_CONFIG=" + fromEnv}, nil, fromEnv, ":2", nil},
		{"--config beats LINTEL_CONFIG", []string{"LINTEL_CONFIG=" + fromEnv}, []string{"--config", fromFlag}, fromFlag, ":1", nil},
		{"empty LINTEL_CONFIG reads no file", []string{"LINTEL_CONFIG="}, nil, "", "localhost:8080", nil},
		{"refuses a missing file named by --config", nil, []string{"--config", missing}, "", "", fs.ErrNotExist},
		{"refuses a missing file named by LINTEL_CONFIG", []string{"LINTEL_CONFIG=" + missing}, nil, "", "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, "", tt.env, tt.args)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if c.ConfigFile != tt.wantFile || c.Addr != tt.wantAddr {
				t.Errorf("got file %q addr %q, want %q %q", c.ConfigFile, c.Addr, tt.wantFile, tt.wantAddr)
			}
		})
	}
}

func TestLoadMailFromFile(t *testing.T) {
	file := "mail:\n  from: Acme <no-reply@acme.example>\n  smtp:\n    host: smtp.example.com\n    username: lintel\n    password: from-file\n"
	c, err := load(t, file, []string{"LINTEL_MAIL_SMTP_PASSWORD=from-env"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Mail{SMTP: settings.MailSMTP{Host: "smtp.example.com", Username: "lintel", Password: "from-env", TLS: "starttls"},
		From: "Acme <no-reply@acme.example>", Retention: "168h"}
	if c.Mail != want {
		t.Errorf("got %+v, want %+v", c.Mail, want)
	}
}

func TestLoadAcceptsFilesWithoutSettings(t *testing.T) {
	for name, file := range map[string]string{
		"empty":         "\n",
		"only comments": "# nothing yet\n",
		"null document": "~\n",
		"empty mapping": "log: {}\nsecrets:\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := load(t, file, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := settings.Default(); c.Addr != want.Addr || c.Log != want.Log {
				t.Errorf("got %+v, want defaults", c)
			}
		})
	}
}

func TestLoadRefusesUnknownYAMLKey(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // substrings: each key, its suggestion, the file
	}{
		{"top-level key, suggesting the near one", "adr: :1\n", []string{`"adr"`, `did you mean "addr"`, "lintel.yaml:1:1"}},
		{"nested key, by its full path", "log:\n  formt: json\n", []string{`"log.formt"`, `did you mean "log.format"`, "lintel.yaml:2:3"}},
		{"key spelt with a dash", "data-dir: d\n", []string{`"data-dir"`, `did you mean "data_dir"`}},
		{"every unknown key at once", "foo: 1\naddr: :1\nbar: 2\n", []string{`"foo"`, `"bar"`}},
		{"key brought in by a merge", "base: &b\n  level: info\n  colour: red\nlog:\n  <<: *b\n", []string{`"base"`, `"log.colour"`}},
		{"the config file's own setting", "config: other.yaml\n", []string{`"config"`}},
		{"a key two levels deep", "mail:\n  smtp:\n    hots: smtp.example.com\n", []string{`"mail.smtp.hots"`, `did you mean "mail.smtp.host"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, nil, nil)
			if !errors.Is(err, settings.ErrUnknownKey) {
				t.Fatalf("got %v, want ErrUnknownKey", err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %s", err, s)
				}
			}
		})
	}
}

func TestLoadRefusesMalformedFile(t *testing.T) {
	for name, file := range map[string]string{
		"a mapping given a single value":  "log: json\n",
		"a single value given a list":     "addr: [a, b]\n",
		"a list given a single value":     "secrets:\n  previous_keys: k1\n",
		"a list item that is a mapping":   "secrets:\n  previous_keys: [{a: b}]\n",
		"a document that is not a map":    "- addr\n",
		"invalid YAML":                    "addr: [\n",
		"a key defined twice":             "addr: :1\naddr: :2\n",
		"two documents":                   "addr: :1\n---\naddr: :2\n",
		"a merge that contains itself":    "log: &l\n  <<: *l\n",
		"a value that is invalid":         "log:\n  level: loud\n",
		"a key that is not a string":      "? [a]\n: b\n",
		"an alias to an unknown anchor":   "addr: *nope\n",
		"a tagged value of the wrong tag": "addr: !!map {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := load(t, file, nil, nil); err == nil {
				t.Fatal("loaded, want an error")
			}
		})
	}
}

func TestLoadIgnoresClientVariables(t *testing.T) {
	for _, name := range settings.ClientVariables {
		t.Run(name, func(t *testing.T) {
			if _, err := load(t, "", []string{name + "=x"}, nil); err != nil {
				t.Fatalf("a client command's %s stops the server: %v", name, err)
			}
		})
	}
}

func TestLoadRefusesUnknownVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		want    []string // substrings, in this order
		notWant string
	}{
		{"suggests the near name", []string{"LINTEL_DATA_DRI=d"}, []string{"LINTEL_DATA_DRI (did you mean LINTEL_DATA_DIR?)"}, ""},
		{"suggests the upper-case name", []string{"lintel_addr=:1"}, []string{"lintel_addr (did you mean LINTEL_ADDR?)"}, ""},
		{"suggests nothing when no name is near", []string{"LINTEL_FROBNICATE=1"}, []string{"LINTEL_FROBNICATE"}, "did you mean"},
		{"lists every unknown name, sorted", []string{"LINTEL_ZZZ=1", "LINTEL_ADDR=:1", "LINTEL_AAA=1"}, []string{"LINTEL_AAA", "LINTEL_ZZZ"}, "LINTEL_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, "", tt.env, nil)
			if !errors.Is(err, settings.ErrUnknownVariable) {
				t.Fatalf("got %v, want ErrUnknownVariable", err)
			}
			msg := err.Error()
			at := 0
			for _, s := range tt.want {
				i := strings.Index(msg[at:], s)
				if i < 0 {
					t.Fatalf("error %q lacks %q after byte %d", msg, s, at)
				}
				at += i + len(s)
			}
			if tt.notWant != "" && strings.Contains(msg, tt.notWant) {
				t.Errorf("error %q contains %q", msg, tt.notWant)
			}
		})
	}
}

func TestLoadIgnoresOtherVariables(t *testing.T) {
	env := []string{"PATH=/bin", "LINTELX=1", "MY_LINTEL_ADDR=1", "malformed", "=C:=C:\\"}
	if _, err := settings.Load(nil, env); err != nil {
		t.Fatal(err)
	}
}

func TestLoadKnowsEveryVariable(t *testing.T) {
	env := []string{
		"LINTEL_ADDR=:1",
		"LINTEL_PUBLIC_URL=https://login.example.com",
		"LINTEL_DATA_DIR=/var/lib/lintel",
		"LINTEL_DATABASE_URL=postgresql://lintel@db/lintel",
		"LINTEL_LOG_FORMAT=json",
		"LINTEL_LOG_LEVEL=warn",
		"LINTEL_SECRETS_KEY=" + testKey("k2", 2),
		"LINTEL_SECRETS_PREVIOUS_KEYS=" + testKey("k1", 1),
		"LINTEL_TENANTS_MAX_DEPTH=5",
		"LINTEL_EVENTS_RETENTION=720h",
		"LINTEL_MAIL_SMTP_HOST=smtp.example.com",
		"LINTEL_MAIL_SMTP_PORT=2525",
		"LINTEL_MAIL_SMTP_USERNAME=lintel",
		"LINTEL_MAIL_SMTP_PASSWORD=hunter2",
		"LINTEL_MAIL_SMTP_TLS=implicit",
		"LINTEL_MAIL_FROM=Acme <no-reply@acme.example>",
		"LINTEL_MAIL_RETENTION=48h",
		"LINTEL_SESSIONS_IDLE=15m",
		"LINTEL_SESSIONS_ABSOLUTE=8h",
		"LINTEL_TLS_ADDR=:443",
		"LINTEL_TLS_HTTP_ADDR=:80",
		"LINTEL_ACME_DIRECTORY=letsencrypt-staging",
		"LINTEL_ACME_EMAIL=ops@example.com",
		"LINTEL_ACME_EAB_KEY_ID=kid-1",
		"LINTEL_ACME_EAB_MAC_KEY=bWFjLWtleQ",
		"LINTEL_ACME_CA_ROOTS=/etc/lintel/ca.pem",
		"LINTEL_DNS_RESOLVER=127.0.0.53:53",
		"LINTEL_THEME_BASE=dark",
		"LINTEL_REDIS_URL=redis://redis:6379/0",
		"LINTEL_TRUSTED_PROXIES=10.0.0.0/8,2001:db8::/48",
		"LINTEL_LIMITS_IP=1200/1m,400",
		"LINTEL_LIMITS_TENANT=50000/1m",
		"LINTEL_LIMITS_CLIENT=100/1s",
		"LINTEL_LIMITS_TOKEN_CLIENT=10/1s,50",
		"LINTEL_LIMITS_TOKEN_IP=5/1s",
		"LINTEL_LIMITS_MGMT_IP=20/1s",
		"LINTEL_LIMITS_MGMT_CREDENTIAL=10/1s",
		"LINTEL_CONFIG=",
	}
	c, err := settings.Load(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Config{
		Addr:        ":1",
		PublicURL:   "https://login.example.com",
		DataDir:     "/var/lib/lintel",
		DatabaseURL: "postgresql://lintel@db/lintel",
		Log:         settings.Log{Format: "json", Level: "warn"},
		Secrets:     settings.Secrets{Key: testKey("k2", 2), PreviousKeys: []string{testKey("k1", 1)}},
		Tenants:     settings.Tenants{MaxDepth: "5"},
		Events:      settings.Events{Retention: "720h"},
		Mail: settings.Mail{
			SMTP: settings.MailSMTP{Host: "smtp.example.com", Port: "2525", Username: "lintel", Password: "hunter2", TLS: "implicit"},
			From: "Acme <no-reply@acme.example>", Retention: "48h",
		},
		Sessions:       settings.Sessions{Idle: "15m", Absolute: "8h"},
		TLS:            settings.TLS{Addr: ":443", HTTPAddr: ":80"},
		ACME:           settings.ACME{Directory: "letsencrypt-staging", Email: "ops@example.com", EABKeyID: "kid-1", EABMACKey: "bWFjLWtleQ", CARoots: "/etc/lintel/ca.pem"},
		DNS:            settings.DNS{Resolver: "127.0.0.53:53"},
		Theme:          settings.Theme{Base: "dark"},
		Redis:          settings.Redis{URL: "redis://redis:6379/0"},
		TrustedProxies: []string{"10.0.0.0/8", "2001:db8::/48"},
		Limits: settings.Limits{IP: "1200/1m,400", Tenant: "50000/1m", Client: "100/1s", TokenClient: "10/1s,50", TokenIP: "5/1s",
			MgmtIP: "20/1s", MgmtCredential: "10/1s"},
	}
	if c.ACMEDirectory() != settings.LetsEncryptStaging || len(c.TrustedProxyPrefixes()) != 2 {
		t.Errorf("typed TLS values %q, %v", c.ACMEDirectory(), c.TrustedProxyPrefixes())
	}
	if c.SessionIdle() != 15*time.Minute || c.SessionAbsolute() != 8*time.Hour {
		t.Errorf("session timeouts %v, %v", c.SessionIdle(), c.SessionAbsolute())
	}
	if c.TenantMaxDepth() != 5 || c.EventRetention() != 720*time.Hour || c.MailSMTPPort() != 2525 || c.MailRetention() != 48*time.Hour {
		t.Errorf("typed values %d, %v, %d, %v", c.TenantMaxDepth(), c.EventRetention(), c.MailSMTPPort(), c.MailRetention())
	}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestLoadSplitsListVariables(t *testing.T) {
	k1, k2 := testKey("k1", 1), testKey("k2", 2)
	tests := []struct {
		name  string
		value string
		want  []string
	}{
		{"one item", k1, []string{k1}},
		{"items separated by commas", k1 + "," + k2, []string{k1, k2}},
		{"spaces and empty items dropped", " " + k1 + " , ,\t" + k2 + ",", []string{k1, k2}},
		{"empty value means no items", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"LINTEL_SECRETS_KEY=" + testKey("k0", 0), "LINTEL_SECRETS_PREVIOUS_KEYS=" + tt.value}
			c, err := load(t, "secrets:\n  previous_keys: [k9]\n", env, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Secrets.PreviousKeys, tt.want) {
				t.Errorf("got %q, want %q", c.Secrets.PreviousKeys, tt.want)
			}
		})
	}
}

func TestLoadNormalisesPublicURL(t *testing.T) {
	c, err := settings.Load(nil, []string{"LINTEL_PUBLIC_URL=HTTPS://Login.Example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://login.example.com"; c.PublicURL != want {
		t.Errorf("got %q, want %q", c.PublicURL, want)
	}
}

func TestValidatePublicURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://login.example.com", true},
		{"https://login.example.com/", true},
		{"https://login.example.com:8443", true},
		{"http://localhost:8080", true},
		{"http://app.localhost", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"http://login.example.com", false},
		{"ftp://login.example.com", false},
		{"login.example.com", false},
		{"localhost:8080", false},
		{"/relative", false},
		{"https://", false},
		{"https://:443", false},
		{"https://login.example.com/app", false},
		{"https://login.example.com//", false},
		{"https://login.example.com?x=1", false},
		{"https://login.example.com/?", false},
		{"https://login.example.com#top", false},
		{"https://login.example.com/#", false},
		{"https://user:pass@login.example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := settings.Default()
			c.PublicURL = tt.url
			err := c.Validate()
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, settings.ErrInvalidValue) || !slices.Equal(fieldKeys(err), []string{"public_url"}) {
				t.Fatalf("got %v, want an invalid public_url", err)
			}
			if strings.Contains(err.Error(), "pass") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestValidateAddr(t *testing.T) {
	for addr, ok := range map[string]bool{
		"localhost:8080": true,
		":443":           true,
		"[::1]:0":        true,
		"0.0.0.0:65535":  true,
		"localhost":      false,
		":65536":         false,
		":http":          false,
		"":               false,
	} {
		t.Run(addr, func(t *testing.T) {
			c := settings.Default()
			c.Addr = addr
			if err := c.Validate(); (err == nil) != ok {
				t.Fatalf("got %v, want ok=%v", err, ok)
			} else if err != nil && !errors.Is(err, settings.ErrInvalidValue) {
				t.Fatalf("got %v, want ErrInvalidValue", err)
			}
		})
	}
}

func TestValidateDatabaseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		dialect string // "" when refused
	}{
		{"empty means SQLite", "", settings.DialectSQLite},
		{"postgres scheme", "postgres://lintel:s3cret@db:5432/lintel?sslmode=verify-full", settings.DialectPostgres},
		{"postgresql scheme", "postgresql://db/lintel", settings.DialectPostgres},
		{"scheme in capitals", "POSTGRES://db/lintel", settings.DialectPostgres},
		{"refuses another scheme", "mysql://root:s3cret@db/lintel", ""},
		{"refuses a key=value DSN", "host=db password=s3cret", ""},
		{"refuses a file path", "./data/lintel.db", ""},
		{"refuses a malformed URL without quoting it", "postgres://lintel:s3c/ret@db/lintel", ""},
		{"refuses control characters", "postgres://lintel:s3cret@db/\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := settings.Default()
			c.DatabaseURL = tt.url
			err := c.Validate()
			if tt.dialect != "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Dialect() != tt.dialect {
					t.Errorf("dialect %q, want %q", c.Dialect(), tt.dialect)
				}
				return
			}
			if !errors.Is(err, settings.ErrInvalidValue) || !slices.Equal(fieldKeys(err), []string{"database_url"}) {
				t.Fatalf("got %v, want an invalid database_url", err)
			}
			if strings.Contains(err.Error(), "s3c") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestSQLitePath(t *testing.T) {
	c := settings.Default()
	c.DataDir = "/var/lib/lintel"
	if got, want := c.SQLitePath(), filepath.Join("/var/lib/lintel", "lintel.db"); got != want {
		t.Errorf("SQLite: got %q, want %q", got, want)
	}
	c.DatabaseURL = "postgres://db/lintel"
	if got := c.SQLitePath(); got != "" {
		t.Errorf("PostgreSQL: got %q, want none", got)
	}
}

func TestParseKey(t *testing.T) {
	material := bytes.Repeat([]byte{7}, settings.KeySize)
	encoded := base64.StdEncoding.EncodeToString(material)
	id, key, err := settings.ParseKey("k-2026_01:" + encoded)
	if err != nil || id != "k-2026_01" || !bytes.Equal(key, material) {
		t.Fatalf("got %q %x %v", id, key, err)
	}

	short := base64.StdEncoding.EncodeToString(material[:16])
	tests := []struct{ name, key, secret string }{
		{"refuses a key without an ID", encoded, encoded},
		{"refuses an empty ID", ":" + encoded, encoded},
		{"refuses an upper-case ID", "K1:" + encoded, encoded},
		{"refuses an ID starting with a dash", "-k:" + encoded, encoded},
		{"refuses an ID of 33 characters", strings.Repeat("k", 33) + ":" + encoded, encoded},
		{"refuses material that is not base64", "k1:" + encoded[:20] + "!" + encoded[21:], encoded[:20]},
		{"refuses URL-safe base64", "k1:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), "-"},
		{"refuses unpadded base64", "k1:" + strings.TrimRight(encoded, "="), encoded[:40]},
		{"refuses 16 bytes", "k1:" + short, short},
		{"refuses an empty key", "k1:", "k1:"},
		{"refuses material pasted as the ID", encoded[:20] + ":" + encoded[20:], encoded[:20]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := settings.ParseKey(tt.key)
			if !errors.Is(err, settings.ErrInvalidSecretKey) {
				t.Fatalf("got %v, want ErrInvalidSecretKey", err)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows key material", err)
			}
		})
	}
}

func TestValidateSecrets(t *testing.T) {
	k1, k2 := testKey("k1", 1), testKey("k2", 2)
	tests := []struct {
		name     string
		secrets  settings.Secrets
		wantKeys []string
	}{
		{"accepts no keys", settings.Secrets{}, nil},
		{"accepts a key and previous keys", settings.Secrets{Key: k2, PreviousKeys: []string{k1}}, nil},
		{"refuses previous keys without a key", settings.Secrets{PreviousKeys: []string{k1}}, []string{"secrets.key"}},
		{"refuses a bad previous key by its index", settings.Secrets{Key: k2, PreviousKeys: []string{k1, "k3:short"}}, []string{"secrets.previous_keys[1]"}},
		{"refuses a previous key with the key's ID", settings.Secrets{Key: k1, PreviousKeys: []string{testKey("k1", 9)}}, []string{"secrets.previous_keys[0]"}},
		{"refuses two previous keys with one ID", settings.Secrets{Key: k2, PreviousKeys: []string{k1, k1}}, []string{"secrets.previous_keys[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := settings.Default()
			c.Secrets = tt.secrets
			err := c.Validate()
			if got := fieldKeys(err); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got %v (%v), want problems with %q", got, err, tt.wantKeys)
			}
			if err != nil && strings.Contains(err.Error(), k1[3:]) {
				t.Errorf("error %q shows key material", err)
			}
		})
	}
}

func TestValidateEgress(t *testing.T) {
	tests := []struct {
		name     string
		allow    []string
		wantKeys []string
		want     []netip.Prefix
	}{
		{"allows nothing by default", nil, nil, nil},
		{"accepts networks of both families", []string{"10.0.5.0/24", "fd00::/64"}, nil,
			[]netip.Prefix{netip.MustParsePrefix("10.0.5.0/24"), netip.MustParsePrefix("fd00::/64")}},
		{"refuses an address without a length", []string{"10.0.5.0/24", "10.0.5.1"}, []string{"egress.allow[1]"}, nil},
		{"refuses a name", []string{"intranet"}, []string{"egress.allow[0]"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := settings.Default()
			c.Egress.Allow = tt.allow
			err := c.Validate()
			if got := fieldKeys(err); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got %v (%v), want problems with %q", got, err, tt.wantKeys)
			}
			if err == nil && !slices.Equal(c.EgressAllow(), tt.want) {
				t.Fatalf("EgressAllow() = %v, want %v", c.EgressAllow(), tt.want)
			}
		})
	}
}

func TestValidateSessions(t *testing.T) {
	tests := []struct {
		name           string
		idle, absolute string
		wantKeys       []string
	}{
		{"accepts the defaults", "30m", "12h", nil},
		{"accepts equal timeouts", "1h", "1h", nil},
		{"accepts the bounds", "720h", "9600h", nil},
		{"accepts the shortest idle time", "1m", "1m", nil},
		{"refuses an idle time of 0", "0", "12h", []string{"sessions.idle"}},
		{"refuses a negative idle time", "-5m", "12h", []string{"sessions.idle"}},
		{"refuses an idle time under a minute", "30s", "12h", []string{"sessions.idle"}},
		{"refuses an idle time over 30 days", "721h", "9600h", []string{"sessions.idle"}},
		{"refuses an idle time without a unit", "30", "12h", []string{"sessions.idle"}},
		{"refuses an empty idle time", "", "12h", []string{"sessions.idle"}},
		{"refuses an absolute time of 0", "30m", "0", []string{"sessions.absolute"}},
		{"refuses an absolute time over 400 days", "30m", "9601h", []string{"sessions.absolute"}},
		{"refuses an absolute time shorter than the idle time", "2h", "1h", []string{"sessions.absolute"}},
		{"refuses an absolute time that is not a duration", "30m", "a day", []string{"sessions.absolute"}},
		{"names both when both are wrong", "x", "y", []string{"sessions.idle", "sessions.absolute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := settings.Default()
			c.Sessions = settings.Sessions{Idle: tt.idle, Absolute: tt.absolute}
			err := c.Validate()
			if got := fieldKeys(err); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got %v (%v), want problems with %q", got, err, tt.wantKeys)
			}
			if err != nil && !errors.Is(err, settings.ErrInvalidValue) {
				t.Fatalf("got %v, want ErrInvalidValue", err)
			}
			if err == nil {
				idle, _ := time.ParseDuration(tt.idle)
				abs, _ := time.ParseDuration(tt.absolute)
				if c.SessionIdle() != idle || c.SessionAbsolute() != abs {
					t.Fatalf("typed values %v, %v", c.SessionIdle(), c.SessionAbsolute())
				}
			}
		})
	}
}

func TestValidateMail(t *testing.T) {
	relay := func(edit func(m *settings.Mail)) settings.Config {
		c := settings.Default()
		c.Mail.SMTP = settings.MailSMTP{Host: "smtp.example.com", Username: "lintel", Password: "hunter2", TLS: "starttls"}
		c.Mail.From = "Acme <no-reply@acme.example>"
		edit(&c.Mail)
		return c
	}
	tests := []struct {
		name     string
		c        settings.Config
		wantKeys []string
		port     int
	}{
		{"no relay by default", settings.Default(), nil, 587},
		{"a relay with a sender", relay(func(*settings.Mail) {}), nil, 587},
		{"implicit TLS defaults to 465", relay(func(m *settings.Mail) { m.SMTP.TLS = "implicit" }), nil, 465},
		{"no TLS defaults to 25", relay(func(m *settings.Mail) { m.SMTP.TLS = "none" }), nil, 25},
		{"an IP address host", relay(func(m *settings.Mail) { m.SMTP.Host = "2001:db8::25"; m.SMTP.Port = "587" }), nil, 587},
		{"refuses an unknown TLS policy", relay(func(m *settings.Mail) { m.SMTP.TLS = "tls" }), []string{"mail.smtp.tls"}, 0},
		{"refuses port 0", relay(func(m *settings.Mail) { m.SMTP.Port = "0" }), []string{"mail.smtp.port"}, 0},
		{"refuses port 65536", relay(func(m *settings.Mail) { m.SMTP.Port = "65536" }), []string{"mail.smtp.port"}, 0},
		{"refuses a host that is not a name", relay(func(m *settings.Mail) { m.SMTP.Host = "smtp example" }), []string{"mail.smtp.host"}, 0},
		{"refuses a host:port", relay(func(m *settings.Mail) { m.SMTP.Host = "smtp.example.com:25" }), []string{"mail.smtp.host"}, 0},
		{"refuses loopback without egress.allow", relay(func(m *settings.Mail) { m.SMTP.Host = "localhost" }), []string{"mail.smtp.host"}, 0},
		{"refuses a private relay without egress.allow", relay(func(m *settings.Mail) { m.SMTP.Host = "10.0.5.25" }), []string{"mail.smtp.host"}, 0},
		{"a relay without a sender", relay(func(m *settings.Mail) { m.From = "" }), []string{"mail.from"}, 0},
		{"a sender that is not an address", relay(func(m *settings.Mail) { m.From = "Acme" }), []string{"mail.from"}, 0},
		{"a password without a user", relay(func(m *settings.Mail) { m.SMTP.Username = "" }), []string{"mail.smtp.password"}, 0},
		{"a password with a line break", relay(func(m *settings.Mail) { m.SMTP.Password = "a\r\nb" }), []string{"mail.smtp.password"}, 0},
		{"settings without a host", func() settings.Config {
			c := settings.Default()
			c.Mail.From, c.Mail.SMTP.Username, c.Mail.SMTP.Password = "a@b.example", "u", "p"
			return c
		}(), []string{"mail.smtp.username", "mail.smtp.password", "mail.from"}, 0},
		{"a retention under an hour", func() settings.Config { c := settings.Default(); c.Mail.Retention = "30m"; return c }(), []string{"mail.retention"}, 0},
		{"a retention of 0", func() settings.Config { c := settings.Default(); c.Mail.Retention = "0"; return c }(), []string{"mail.retention"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if got := fieldKeys(err); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got %v (%v), want problems with %q", got, err, tt.wantKeys)
			}
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "lintel\"")) {
				t.Errorf("error shows a credential: %v", err)
			}
			if err == nil && tt.c.MailSMTPPort() != tt.port {
				t.Errorf("MailSMTPPort() = %d, want %d", tt.c.MailSMTPPort(), tt.port)
			}
		})
	}
	t.Run("egress.allow admits a loopback relay", func(t *testing.T) {
		c := relay(func(m *settings.Mail) { m.SMTP.Host = "127.0.0.1"; m.SMTP.TLS = "none" })
		c.Egress.Allow = []string{"127.0.0.0/8"}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := settings.Config{
		Addr:        "nowhere",
		PublicURL:   "ftp://x",
		DatabaseURL: "mysql://db",
		Log:         settings.Log{Format: "xml", Level: "loud"},
		Secrets:     settings.Secrets{PreviousKeys: []string{"bad"}},
		Tenants:     settings.Tenants{MaxDepth: "11"},
		Events:      settings.Events{Retention: "10m"},
	}
	err := c.Validate()
	want := []string{"addr", "public_url", "data_dir", "database_url", "log.format", "log.level", "tenants.max_depth", "events.retention", "mail.retention", "mail.smtp.tls", "sessions.idle", "sessions.absolute", "secrets.key", "secrets.previous_keys[0]"}
	if got := fieldKeys(err); !slices.Equal(got, want) {
		t.Fatalf("got problems with %q, want %q", got, want)
	}
	if !errors.Is(err, settings.ErrInvalidValue) || !errors.Is(err, settings.ErrInvalidSecretKey) {
		t.Errorf("got %v, want both ErrInvalidValue and ErrInvalidSecretKey", err)
	}
	var fe *settings.FieldError
	if !errors.As(err, &fe) || fe.Env != "LINTEL_ADDR" || fe.Flag != "--addr" {
		t.Errorf("first problem %+v does not name LINTEL_ADDR and --addr", fe)
	}
	if !strings.Contains(err.Error(), "secrets.previous_keys[0] (LINTEL_SECRETS_PREVIOUS_KEYS, --secrets-previous-keys)") {
		t.Errorf("error %q does not name the list's variable and flag", err)
	}
}

func TestBind(t *testing.T) {
	t.Run("registers every flag, naming its variable", func(t *testing.T) {
		flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
		settings.Bind(flags, settings.AllFlags)
		var names []string
		flags.VisitAll(func(f *pflag.Flag) {
			names = append(names, f.Name)
			env := "(env LINTEL_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")) + ")"
			if f.Usage == "" || !strings.Contains(f.Usage, env) {
				t.Errorf("--%s usage %q does not name %s", f.Name, f.Usage, env)
			}
		})
		want := []string{"acme-ca-roots", "acme-directory", "acme-eab-key-id", "acme-eab-mac-key", "acme-email", "addr", "config", "data-dir", "database-url", "default-tenant", "dns-resolver", "egress-allow", "events-retention",
			"limits-client", "limits-ip", "limits-mgmt-credential", "limits-mgmt-ip", "limits-tenant", "limits-token-client", "limits-token-ip", "log-format", "log-level",
			"mail-from", "mail-retention", "mail-smtp-host", "mail-smtp-password", "mail-smtp-port", "mail-smtp-tls", "mail-smtp-username", "public-url", "redis-url", "secrets-key", "secrets-previous-keys", "sessions-absolute", "sessions-idle", "tenants-max-depth", "theme-base", "tls-addr", "tls-http-addr", "trusted-proxies"}
		if !slices.Equal(names, want) {
			t.Errorf("got flags %q, want %q", names, want)
		}
		if usage := flags.FlagUsages(); !strings.Contains(usage, `(default "localhost:8080")`) {
			t.Errorf("usage does not show the default address:\n%s", usage)
		}
	})
	t.Run("registers only the selected groups", func(t *testing.T) {
		flags := pflag.NewFlagSet("migrate", pflag.ContinueOnError)
		settings.Bind(flags, settings.FlagDataDir|settings.FlagDatabaseURL|settings.FlagLog)
		var names []string
		flags.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if want := []string{"data-dir", "database-url", "log-format", "log-level"}; !slices.Equal(names, want) {
			t.Errorf("got flags %q, want %q", names, want)
		}
		if err := flags.Parse([]string{"--data-dir=/srv"}); err != nil {
			t.Fatal(err)
		}
		c, err := settings.Load(flags, []string{"LINTEL_ADDR=:9"})
		if err != nil {
			t.Fatal(err)
		}
		if c.DataDir != "/srv" || c.Addr != ":9" {
			t.Errorf("got data dir %q addr %q", c.DataDir, c.Addr)
		}
	})
}

func TestRedacted(t *testing.T) {
	c := settings.Default()
	c.DatabaseURL = "postgres://lintel:s3cret@db/lintel?password=s3cret2&sslmode=require"
	c.Secrets = settings.Secrets{Key: testKey("k2", 2), PreviousKeys: []string{testKey("k1", 1), "garbage"}}
	c.Mail.SMTP = settings.MailSMTP{Host: "smtp.example.com", Username: "lintel", Password: "smtp-pa55", TLS: "starttls"}
	r := c.Redacted()
	got := fmt.Sprintf("%+v", r)
	for _, secret := range []string{"s3cret", testKey("k2", 2)[3:], testKey("k1", 1)[3:], "garbage", "smtp-pa55"} {
		if strings.Contains(got, secret) {
			t.Errorf("%s shows %q", got, secret)
		}
	}
	for _, kept := range []string{"k2:REDACTED", "k1:REDACTED", "sslmode=require", "@db/lintel", "smtp.example.com", "lintel"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%s lacks %q", got, kept)
		}
	}
	if c.Secrets.PreviousKeys[0] != testKey("k1", 1) {
		t.Error("Redacted changed the original")
	}
}

func ExampleLoad() {
	flags := pflag.NewFlagSet("lintel serve", pflag.ContinueOnError)
	settings.Bind(flags, settings.AllFlags)
	_ = flags.Parse([]string{"--log-level=debug"})

	c, err := settings.Load(flags, []string{"LINTEL_LOG_LEVEL=warn", "LINTEL_PUBLIC_URL=https://login.example.com/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Log.Level, c.PublicURL, c.Dialect(), c.SQLitePath())
	// Output: debug https://login.example.com sqlite data/lintel.db
}

func FuzzLoadYAML(f *testing.F) {
	f.Add([]byte("addr: :1\nlog:\n  level: debug\n"))
	f.Add([]byte("secrets:\n  key: k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n  previous_keys: [a, b]\n"))
	f.Add([]byte("base: &b {level: info}\nlog: {<<: *b}\n"))
	f.Add([]byte("log: &l\n  <<: *l\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("? [a]\n: b\n"))
	f.Add([]byte("--- !!str\n"))
	path := filepath.Join(f.TempDir(), "lintel.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := settings.Load(nil, []string{"LINTEL_CONFIG=" + path})
		if err == nil {
			if err := c.Validate(); err != nil {
				t.Errorf("Load accepted a config that Validate refuses: %v", err)
			}
		}
	})
}

func TestValidateTLS(t *testing.T) {
	tests := []struct {
		name     string
		change   func(c *settings.Config)
		wantKeys []string
	}{
		{"accepts no HTTPS listener", func(c *settings.Config) {}, nil},
		{"accepts both listeners", func(c *settings.Config) { c.TLS = settings.TLS{Addr: ":443", HTTPAddr: ":80"} }, nil},
		{"refuses an HTTPS listener without a port", func(c *settings.Config) { c.TLS.Addr = "0.0.0.0" }, []string{"tls.addr"}},
		{"refuses an HTTP listener without HTTPS", func(c *settings.Config) { c.TLS.HTTPAddr = ":80" }, []string{"tls.http_addr"}},
		{"accepts a named directory", func(c *settings.Config) { c.ACME.Directory = "letsencrypt-staging" }, nil},
		{"accepts any https directory", func(c *settings.Config) { c.ACME.Directory = "https://ca.internal:14000/dir" }, nil},
		{"refuses an http directory", func(c *settings.Config) { c.ACME.Directory = "http://ca.internal/dir" }, []string{"acme.directory"}},
		{"refuses an unknown directory name", func(c *settings.Config) { c.ACME.Directory = "zerossl" }, []string{"acme.directory"}},
		{"refuses an email with a display name", func(c *settings.Config) { c.ACME.Email = "Ops <ops@example.com>" }, []string{"acme.email"}},
		{"refuses half an EAB", func(c *settings.Config) { c.ACME.EABKeyID = "kid" }, []string{"acme.eab_key_id"}},
		{"refuses a resolver without a port", func(c *settings.Config) { c.DNS.Resolver = "127.0.0.53" }, []string{"dns.resolver"}},
		{"refuses a theme that is not built in", func(c *settings.Config) { c.Theme.Base = "purple" }, []string{"theme.base"}},
		{"refuses a Redis URL of another scheme", func(c *settings.Config) { c.Redis.URL = "http://redis:6379" }, []string{"redis.url"}},
		{"accepts a Redis URL with TLS", func(c *settings.Config) { c.Redis.URL = "rediss://:pw@redis:6380/1" }, nil},
		{"refuses a trusted proxy without a length", func(c *settings.Config) { c.TrustedProxies = []string{"10.0.0.0/8", "10.1.1.1"} }, []string{"trusted_proxies[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := settings.Default()
			tt.change(&c)
			err := c.Validate()
			if got := fieldKeys(err); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got %v (%v), want problems with %q", got, err, tt.wantKeys)
			}
			if err != nil && !errors.Is(err, settings.ErrInvalidValue) {
				t.Fatalf("got %v, want ErrInvalidValue", err)
			}
		})
	}
	t.Run("redacts the EAB key and the Redis password", func(t *testing.T) {
		c := settings.Default()
		c.ACME.EABMACKey = "bWFjLWtleS1zZWNyZXQ"
		c.Redis.URL = "redis://:s3cret-pw@redis:6379/0"
		r := fmt.Sprint(c.Redacted())
		if strings.Contains(r, "bWFjLWtleS1zZWNyZXQ") || strings.Contains(r, "s3cret-pw") {
			t.Fatalf("Redacted shows a secret: %s", r)
		}
		if !strings.Contains(r, "redis:6379") {
			t.Fatalf("Redacted hides the Redis host: %s", r)
		}
	})
}

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    settings.RateLimit
		invalid bool
	}{
		{"", settings.RateLimit{}, false},
		{"600/1m", settings.RateLimit{Rate: 600, Per: time.Minute}, false},
		{"600/1m,200", settings.RateLimit{Rate: 600, Per: time.Minute, Burst: 200}, false},
		{" 10 / 1s , 5 ", settings.RateLimit{Rate: 10, Per: time.Second, Burst: 5}, false},
		{"600", settings.RateLimit{}, true},
		{"600/minute", settings.RateLimit{}, true},
		{"0/1m", settings.RateLimit{}, true},
		{"-5/1m", settings.RateLimit{}, true},
		{"5/100ms", settings.RateLimit{}, true},
		{"5/48h", settings.RateLimit{}, true},
		{"5/1m,0", settings.RateLimit{}, true},
		{"5/1m,x", settings.RateLimit{}, true},
		{"2000000/1m", settings.RateLimit{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := settings.ParseRateLimit(tt.in)
			if tt.invalid {
				if !errors.Is(err, settings.ErrInvalidValue) {
					t.Fatalf("ParseRateLimit(%q) = %+v, %v; want ErrInvalidValue", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRateLimit(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
	t.Run("Validate names the setting", func(t *testing.T) {
		c := settings.Default()
		c.Limits.TokenIP = "lots"
		if got := fieldKeys(c.Validate()); !slices.Equal(got, []string{"limits.token_ip"}) {
			t.Fatalf("got problems with %v", got)
		}
	})
}
