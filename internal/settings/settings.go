// Package settings holds the runtime configuration of the lintel binary and loads it from flags, LINTEL_* environment variables and an optional YAML file.
//
// Precedence, highest first: command-line flags that were set, LINTEL_*
// environment variables, the YAML file named by --config or LINTEL_CONFIG,
// then [Default]. Every setting has one name per source, all derived from its
// YAML path, so that an operator can move a setting between sources without
// looking anything up: the YAML key log.level is LINTEL_LOG_LEVEL and
// --log-level.
//
// Loading is strict: unknown YAML keys and unknown LINTEL_* variables are
// errors, because a misspelt setting that is silently ignored leaves a server
// running with a default the operator believes they changed.
package settings

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the runtime configuration of the lintel binary.
//
// The yaml tags name each setting; the environment variable and flag names
// are derived from them. The help tags are the flag help text.
type Config struct {
	// Addr is the address the server listens on, host:port.
	Addr string `yaml:"addr" help:"address to listen on, host:port; an empty host listens on every interface"`
	// PublicURL is the external base URL of the instance, used for issuers
	// and links in mail. After Load it carries no trailing slash.
	PublicURL string `yaml:"public_url" help:"external base URL of this instance, used in issuers and mailed links; http only for localhost"`
	// DataDir holds local state, including the SQLite database when
	// DatabaseURL is empty. A relative path is relative to the working
	// directory, not to the config file.
	DataDir string `yaml:"data_dir" help:"directory for local state, including the SQLite database"`
	// DatabaseURL selects the store: empty means SQLite in DataDir, otherwise
	// a postgres:// or postgresql:// URL.
	DatabaseURL string `yaml:"database_url" help:"PostgreSQL URL (postgres://...); empty uses SQLite in the data directory"`
	// DefaultTenant is the tenant (slug) the public URL's host serves;
	// every tenant also answers on {slug}.{public host}.
	DefaultTenant string `yaml:"default_tenant" help:"tenant slug served on the public URL's host; every tenant also answers on {slug}.{public host}"`
	// Log configures the process log.
	Log Log `yaml:"log"`
	// Secrets holds the key-encryption keys of the envelope-encryption
	// service.
	Secrets Secrets `yaml:"secrets"`
	// Tenants bounds tenant nesting.
	Tenants Tenants `yaml:"tenants"`
	// Events configures the system log.
	Events Events `yaml:"events"`
	Egress Egress `yaml:"egress"`
	// Mail configures outgoing mail: the instance's default SMTP relay and
	// sender, and how long sent mail is kept.
	Mail Mail `yaml:"mail"`
	// Sessions configures how long sign-in sessions last.
	Sessions Sessions `yaml:"sessions"`
	// TLS serves HTTPS with certificates obtained automatically (custom
	// login domains); off when TLS.Addr is empty.
	TLS TLS `yaml:"tls"`
	// ACME names the certificate authority TLS obtains certificates from.
	ACME ACME `yaml:"acme"`
	// DNS configures the lookups of custom-domain ownership checks.
	DNS DNS `yaml:"dns"`
	// Theme is the instance's own level of the branding cascade, under
	// every tenant's.
	Theme Theme `yaml:"theme"`
	// Redis, when set, holds what nodes share at high rate: rate limits
	// (later also sessions and flow state).
	Redis Redis `yaml:"redis"`
	// TrustedProxies lists the networks (CIDR) of reverse proxies whose
	// X-Forwarded-For Lintel believes; read it with
	// [Config.TrustedProxyPrefixes].
	TrustedProxies []string `yaml:"trusted_proxies" help:"networks (CIDR) of reverse proxies whose X-Forwarded-For is believed, comma-separated; empty: the client address is the connection's"`
	// Limits bound the edge's requests; read each with [ParseRateLimit].
	Limits Limits `yaml:"limits"`

	// ConfigFile is the YAML file that was read, from --config or
	// LINTEL_CONFIG; empty when none was named.
	ConfigFile string `yaml:"-"`
}

// Log configures the process log.
type Log struct {
	// Format is auto (text when stderr is a terminal, JSON otherwise), text
	// or json.
	Format string `yaml:"format" help:"log format: auto (text on a terminal, JSON otherwise), text or json"`
	// Level is the minimum level logged: debug, info, warn or error.
	Level string `yaml:"level" help:"minimum log level: debug, info, warn or error"`
}

// Secrets holds the key-encryption keys, each in the form ID:BASE64 (see
// [ParseKey]).
type Secrets struct {
	// Key seals new data. It may be empty only if nothing needs sealing,
	// so commands that encrypt must check it.
	Key string `yaml:"key" help:"current key-encryption key, ID:BASE64 of 32 bytes; prefer the environment or the file, since flags show in process listings"`
	// PreviousKeys are retired keys, kept so data sealed before a rotation
	// can still be opened.
	PreviousKeys []string `yaml:"previous_keys" help:"retired key-encryption keys, ID:BASE64, comma-separated; kept to open data sealed before a rotation"`
}

// Tenants bounds tenant nesting.
type Tenants struct {
	// MaxDepth is how deep sub-tenants may nest, 1 to 10; read it with
	// [Config.TenantMaxDepth].
	MaxDepth string `yaml:"max_depth" help:"how deep sub-tenants may nest, 1 to 10 (a top-level tenant is depth 1)"`
}

// Events configures the system log.
type Events struct {
	// Retention is how long events are kept, a Go duration such as 8760h;
	// 0 keeps them forever. Read it with [Config.EventRetention].
	Retention string `yaml:"retention" help:"how long the system log keeps events, e.g. 8760h (a year); 0 keeps them forever"`
}

// Egress configures outbound calls (client jwks_uri, later hooks and
// identity providers), which never reach internal addresses unless listed.
type Egress struct {
	// Allow lists internal networks (CIDR) outbound calls may reach; read
	// it with [Config.EgressAllow].
	Allow []string `yaml:"allow" help:"internal networks outbound calls may reach, CIDR, comma-separated (e.g. 10.0.5.0/24); loopback and private ranges are refused otherwise"`
}

// Mail configures outgoing mail. Tenants may configure their own relay
// through the management API; the relay here serves every other tenant.
// With no host, mail of such tenants waits in the outbox until one is
// configured.
type Mail struct {
	// SMTP is the instance's default relay.
	SMTP MailSMTP `yaml:"smtp"`
	// From is the default sender address (RFC 5322, a display name
	// allowed); required with a relay.
	From string `yaml:"from" help:"default sender address of mail, such as 'Acme <no-reply@acme.example>'; required with mail.smtp.host"`
	// Retention is how long delivered and failed mail is kept, a Go
	// duration of at least 1h; read it with [Config.MailRetention].
	Retention string `yaml:"retention" help:"how long delivered and failed mail (addresses and bodies) is kept, e.g. 168h, at least 1h"`
}

// MailSMTP is the instance's default SMTP relay. Its connections go through
// the egress dialer like any other outbound call: a relay on loopback or a
// private network must be listed in egress.allow.
type MailSMTP struct {
	// Host is the relay's DNS name or IP address; empty means none.
	Host string `yaml:"host" help:"default SMTP relay host (DNS name or IP); empty: tenants without their own relay cannot send mail; a loopback or private relay must be listed in egress.allow"`
	// Port is 1 to 65535; empty means 587, 465 for implicit TLS or 25 for
	// none. Read it with [Config.MailSMTPPort].
	Port string `yaml:"port" help:"SMTP relay port; empty: 587 (starttls), 465 (implicit) or 25 (none)"`
	// Username and Password authenticate to the relay when Username is
	// set. The password never appears in logs or in Redacted.
	Username string `yaml:"username" help:"SMTP user name; empty: no authentication"`
	Password string `yaml:"password" help:"SMTP password; prefer the environment or the file, since flags show in process listings"`
	// TLS is starttls (require STARTTLS), implicit (TLS from the start) or
	// none (never encrypt).
	TLS string `yaml:"tls" help:"SMTP TLS: starttls (required STARTTLS), implicit (SMTPS) or none (plaintext, only for a relay you trust the path to)"`
}

// Sessions configures how long a sign-in (SSO) session lasts: it ends
// after Idle without use or Absolute after sign-in, whichever comes first.
// Both are Go durations; changes apply to sessions started or used after
// a restart (a session's absolute end is fixed when it starts).
type Sessions struct {
	// Idle ends a session this long after its last use, 1m to 720h; read
	// it with [Config.SessionIdle].
	Idle string `yaml:"idle" help:"how long a sign-in session lasts without use, e.g. 30m; 1m to 720h (30 days)"`
	// Absolute ends a session this long after sign-in however active, at
	// least Idle and at most 9600h; read it with [Config.SessionAbsolute].
	Absolute string `yaml:"absolute" help:"how long a sign-in session lasts after sign-in however active, e.g. 12h; at least sessions.idle, at most 9600h (400 days)"`
}

// TLS configures the HTTPS listener that serves customers' custom login
// domains (and the public host, when public_url is https) with
// certificates obtained on demand from the ACME CA, once a domain's
// ownership is verified.
type TLS struct {
	// Addr is the HTTPS listener, host:port; empty: no HTTPS listener and
	// no custom domains.
	Addr string `yaml:"addr" help:"HTTPS listener for custom login domains, host:port such as :443; empty: no HTTPS and no custom domains"`
	// HTTPAddr is a plain HTTP listener that answers ACME HTTP-01
	// challenges and redirects everything else to HTTPS; empty: none
	// (certificates are then validated by TLS-ALPN-01 on Addr only).
	HTTPAddr string `yaml:"http_addr" help:"HTTP listener answering ACME http-01 challenges and redirecting to HTTPS, host:port such as :80; empty: none (tls-alpn-01 only)"`
}

// ACME names the certificate authority and the account certificates are
// obtained with.
type ACME struct {
	// Directory is the CA's ACME directory URL, or letsencrypt (the
	// default) or letsencrypt-staging; read it with
	// [Config.ACMEDirectory].
	Directory string `yaml:"directory" help:"ACME directory URL of the certificate authority, or letsencrypt or letsencrypt-staging"`
	// Email is the ACME account's contact address (expiry notices).
	Email string `yaml:"email" help:"contact address of the ACME account, for the CA's notices"`
	// EABKeyID and EABMACKey bind the ACME account to an account at the
	// CA (external account binding), for CAs that require it.
	EABKeyID  string `yaml:"eab_key_id" help:"external account binding key ID, for CAs that require one"`
	EABMACKey string `yaml:"eab_mac_key" help:"external account binding MAC key (base64url); prefer the environment or the file, since flags show in process listings"`
	// CARoots is a PEM file of root certificates trusted for the ACME
	// server's own HTTPS, for a private CA; empty: the system's roots.
	CARoots string `yaml:"ca_roots" help:"PEM file of roots trusted for the ACME server's HTTPS (a private CA); empty: the system's roots"`
}

// ACME directories by name.
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// ACMEDirectory returns acme.directory as a URL, with the names
// letsencrypt and letsencrypt-staging (and empty) resolved.
func (c Config) ACMEDirectory() string {
	switch c.ACME.Directory {
	case "", "letsencrypt":
		return LetsEncrypt
	case "letsencrypt-staging":
		return LetsEncryptStaging
	}
	return c.ACME.Directory
}

// DNS configures lookups for custom-domain ownership checks.
type DNS struct {
	// Resolver is a DNS server, host:port, asked instead of the system's.
	Resolver string `yaml:"resolver" help:"DNS server (host:port) for custom-domain ownership checks; empty: the system's resolver"`
}

// Theme is the instance's level of the branding cascade.
type Theme struct {
	// Base is the built-in theme pages and emails start from, unless a
	// tenant, brand or app chooses another.
	Base string `yaml:"base" help:"built-in theme of every page and email unless a tenant's theme chooses another: light, dark or high-contrast"`
}

// Redis points the nodes at a shared Redis.
type Redis struct {
	// URL is redis:// or rediss://; empty keeps rate limits in process
	// (one node).
	URL string `yaml:"url" help:"Redis URL (redis:// or rediss://) shared by every node, for rate limits; empty: in process (one node)"`
}

// Limits bound the requests the edge serves, each written RATE/PERIOD or
// RATE/PERIOD,BURST ("600/1m,200": 600 a minute, 200 at once); empty takes
// the edge's default.
type Limits struct {
	IP             string `yaml:"ip" help:"requests per client address (an IPv6 /64) to all sites, RATE/PERIOD[,BURST] such as 600/1m,200; empty: the default"`
	Tenant         string `yaml:"tenant" help:"requests to one tenant's sites from everyone, RATE/PERIOD[,BURST]; empty: the default"`
	Client         string `yaml:"client" help:"sign-ins started per OAuth client, RATE/PERIOD[,BURST]; empty: the default"`
	TokenClient    string `yaml:"token_client" help:"token requests per OAuth client, RATE/PERIOD[,BURST]; empty: the default"`
	TokenIP        string `yaml:"token_ip" help:"token requests per client address, RATE/PERIOD[,BURST]; empty: the default"`
	MgmtIP         string `yaml:"mgmt_ip" help:"management API requests per client address, RATE/PERIOD[,BURST]; empty: the default"`
	MgmtCredential string `yaml:"mgmt_credential" help:"management API requests per credential, RATE/PERIOD[,BURST]; empty: the default"`
}

// RateLimit is a parsed limit: Rate events per Per, Burst at once (0: Rate).
type RateLimit struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// ParseRateLimit parses RATE/PERIOD or RATE/PERIOD,BURST ("600/1m,200");
// "" is the zero RateLimit (the default). Errors wrap ErrInvalidValue.
func ParseRateLimit(s string) (RateLimit, error) {
	if s == "" {
		return RateLimit{}, nil
	}
	bad := fmt.Errorf("%w: %q: want RATE/PERIOD or RATE/PERIOD,BURST, such as 600/1m,200", ErrInvalidValue, s)
	rate, rest, ok := strings.Cut(s, "/")
	if !ok {
		return RateLimit{}, bad
	}
	per, burst, hasBurst := strings.Cut(rest, ",")
	var l RateLimit
	var err error
	if l.Rate, err = strconv.Atoi(strings.TrimSpace(rate)); err != nil || l.Rate < 1 {
		return RateLimit{}, bad
	}
	if l.Per, err = time.ParseDuration(strings.TrimSpace(per)); err != nil || l.Per < time.Second || l.Per > 24*time.Hour {
		return RateLimit{}, fmt.Errorf("%w: %q: the period must be a duration from 1s to 24h", ErrInvalidValue, s)
	}
	if hasBurst {
		if l.Burst, err = strconv.Atoi(strings.TrimSpace(burst)); err != nil || l.Burst < 1 {
			return RateLimit{}, bad
		}
	}
	if l.Rate > 1_000_000 || l.Burst > 1_000_000 {
		return RateLimit{}, fmt.Errorf("%w: %q: at most 1000000 events", ErrInvalidValue, s)
	}
	return l, nil
}

// TrustedProxyPrefixes returns trusted_proxies; Validate guarantees each
// parses.
func (c Config) TrustedProxyPrefixes() []netip.Prefix { return prefixes(c.TrustedProxies) }

// Bounds of the session timeouts.
const (
	// MinSessionIdle is the shortest idle timeout: a session's last use is
	// recorded at most once a minute, so a shorter one would end sessions
	// in use.
	MinSessionIdle = time.Minute
	// MaxSessionIdle is the longest idle timeout, 30 days.
	MaxSessionIdle = 30 * 24 * time.Hour
	// MaxSessionAbsolute is the longest absolute timeout, 400 days (the
	// longest lifetime browsers allow a cookie).
	MaxSessionAbsolute = 400 * 24 * time.Hour
)

// SessionIdle returns sessions.idle; Validate guarantees it parses.
func (c Config) SessionIdle() time.Duration {
	d, _ := time.ParseDuration(c.Sessions.Idle)
	return d
}

// SessionAbsolute returns sessions.absolute; Validate guarantees it
// parses.
func (c Config) SessionAbsolute() time.Duration {
	d, _ := time.ParseDuration(c.Sessions.Absolute)
	return d
}

// MailSMTPPort returns mail.smtp.port, or the TLS policy's usual port when
// it is empty; Validate guarantees it parses.
func (c Config) MailSMTPPort() int {
	if n, err := strconv.Atoi(c.Mail.SMTP.Port); err == nil {
		return n
	}
	switch c.Mail.SMTP.TLS {
	case "implicit":
		return 465
	case "none":
		return 25
	}
	return 587
}

// MailRetention returns mail.retention; Validate guarantees it parses.
func (c Config) MailRetention() time.Duration {
	d, _ := time.ParseDuration(c.Mail.Retention)
	return d
}

// EgressAllow returns egress.allow; Validate guarantees each parses.
func (c Config) EgressAllow() []netip.Prefix { return prefixes(c.Egress.Allow) }

// prefixes parses a list of networks in CIDR form, leaving out any that
// does not parse (Validate refuses those).
func prefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TenantMaxDepth returns tenants.max_depth; Validate guarantees it parses.
func (c Config) TenantMaxDepth() int {
	n, _ := strconv.Atoi(c.Tenants.MaxDepth)
	return n
}

// EventRetention returns events.retention; Validate guarantees it parses.
func (c Config) EventRetention() time.Duration {
	d, _ := time.ParseDuration(c.Events.Retention)
	return d
}

// Dialects returned by [Config.Dialect], named as the store package names its
// SQL dialects.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// sqliteFile is the database file name inside DataDir.
const sqliteFile = "lintel.db"

// Sentinel errors, wrapped by the errors Load, Validate and ParseKey return,
// for callers that branch on the kind of problem. A config file that was
// named but does not exist is reported with [io/fs.ErrNotExist].
var (
	// ErrUnknownKey: the YAML file has a key Config does not know.
	ErrUnknownKey = errors.New("unknown key")
	// ErrUnknownVariable: the environment has a LINTEL_* variable Config
	// does not know.
	ErrUnknownVariable = errors.New("unknown environment variable")
	// ErrInvalidValue: a setting has a value Validate refuses.
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidSecretKey: a key-encryption key is not ID:BASE64 of
	// KeySize bytes.
	ErrInvalidSecretKey = errors.New("invalid secret key")
)

// FieldError is a problem with one setting. It names the setting in every
// form an operator may have used, because the message cannot know which
// source supplied the value.
type FieldError struct {
	Key  string // YAML path, with an index for list items: "secrets.previous_keys[1]"
	Env  string // environment variable: "LINTEL_SECRETS_PREVIOUS_KEYS"
	Flag string // flag, with its dashes: "--secrets-previous-keys"
	Err  error  // the problem; never contains secret values
}

// Error names the setting in every form, then the problem.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s (%s, %s): %v", e.Key, e.Env, e.Flag, e.Err)
}

// Unwrap returns the problem, so that errors.Is finds its sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

// Default returns the configuration used for every setting no source sets:
// a single node on localhost with SQLite in ./data.
func Default() Config {
	return Config{
		Addr:      "localhost:8080",
		PublicURL: "http://localhost:8080",
		DataDir:   "./data",
		Log:       Log{Format: "auto", Level: "info"},
		Tenants:   Tenants{MaxDepth: "3"},
		Events:    Events{Retention: "8760h"},
		Mail:      Mail{SMTP: MailSMTP{TLS: "starttls"}, Retention: "168h"},
		Sessions:  Sessions{Idle: "30m", Absolute: "12h"},
		ACME:      ACME{Directory: "letsencrypt"},
		Theme:     Theme{Base: "light"},
	}
}

// Dialect returns DialectSQLite when DatabaseURL is empty, DialectPostgres
// for a PostgreSQL URL, and "" for anything else (which Validate refuses).
func (c Config) Dialect() string {
	switch {
	case c.DatabaseURL == "":
		return DialectSQLite
	case hasPostgresScheme(c.DatabaseURL):
		return DialectPostgres
	}
	return ""
}

// SQLitePath returns the SQLite database file in DataDir, or "" when the
// store is not SQLite.
func (c Config) SQLitePath() string {
	if c.Dialect() != DialectSQLite {
		return ""
	}
	return filepath.Join(c.DataDir, sqliteFile)
}

// Redacted returns a copy safe to print or log: key material, the
// database password and the SMTP password are replaced, key IDs are kept so that an operator can
// still see which keys are configured.
func (c Config) Redacted() Config {
	const mask = "REDACTED"
	redactKey := func(k string) string {
		if k == "" {
			return ""
		}
		if id, _, err := ParseKey(k); err == nil {
			return id + ":" + mask
		}
		return mask
	}
	r := c
	if c.Mail.SMTP.Password != "" {
		r.Mail.SMTP.Password = mask
	}
	if c.ACME.EABMACKey != "" {
		r.ACME.EABMACKey = mask
	}
	if c.Redis.URL != "" {
		r.Redis.URL = mask
		if u, err := url.Parse(c.Redis.URL); err == nil && u.Host != "" {
			r.Redis.URL = u.Redacted()
		}
	}
	r.Secrets.Key = redactKey(c.Secrets.Key)
	r.Secrets.PreviousKeys = nil
	for _, k := range c.Secrets.PreviousKeys {
		r.Secrets.PreviousKeys = append(r.Secrets.PreviousKeys, redactKey(k))
	}
	if c.DatabaseURL != "" {
		r.DatabaseURL = mask
		if u, err := url.Parse(c.DatabaseURL); err == nil && hasPostgresScheme(c.DatabaseURL) {
			// pgx also takes the password as a query parameter.
			q := u.Query()
			for name := range q {
				if strings.Contains(strings.ToLower(name), "password") {
					q.Set(name, mask)
				}
			}
			u.RawQuery = q.Encode()
			r.DatabaseURL = u.Redacted()
		}
	}
	return r
}

// hasPostgresScheme reports whether s is meant as a PostgreSQL URL; pgx
// accepts both scheme spellings.
func hasPostgresScheme(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}
