package settings

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/dnsname"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/themes"
)

// KeySize is the size in bytes of a key-encryption key (AES-256).
const KeySize = secrets.KeySize

// Accepted values of log.format and log.level.
var (
	logFormats = []string{"auto", "text", "json"}
	logLevels  = []string{"debug", "info", "warn", "error"}
	mailTLS    = []string{"starttls", "implicit", "none"}
)

// Validate reports every problem with c at once, joined with errors.Join,
// each as a *FieldError wrapping ErrInvalidValue or ErrInvalidSecretKey.
// Error texts never contain key material or database credentials.
func (c Config) Validate() error {
	var errs []error
	check := func(path string, err error) {
		if err != nil {
			errs = append(errs, fieldError(path, err))
		}
	}
	check("addr", checkAddr(c.Addr))
	check("public_url", checkPublicURL(c.PublicURL))
	if c.DataDir == "" {
		check("data_dir", fmt.Errorf("%w: must not be empty", ErrInvalidValue))
	}
	check("database_url", checkDatabaseURL(c.DatabaseURL))
	check("log.format", oneOf(c.Log.Format, logFormats))
	check("log.level", oneOf(c.Log.Level, logLevels))
	if n, err := strconv.Atoi(c.Tenants.MaxDepth); err != nil || n < 1 || n > 10 {
		check("tenants.max_depth", fmt.Errorf("%w: must be a whole number from 1 to 10", ErrInvalidValue))
	}
	if d, err := time.ParseDuration(c.Events.Retention); err != nil || d < 0 || (d > 0 && d < time.Hour) {
		check("events.retention", fmt.Errorf("%w: must be 0 (keep forever) or a duration of at least 1h, such as 8760h", ErrInvalidValue))
	}

	for _, l := range []struct {
		path, example string
		list          []string
	}{{"egress.allow", "10.0.5.0/24 or fd00::/64", c.Egress.Allow}, {"trusted_proxies", "10.0.0.0/8 or 2001:db8::/48", c.TrustedProxies}} {
		for i, a := range l.list {
			if _, err := netip.ParsePrefix(a); err != nil {
				check(fmt.Sprintf("%s[%d]", l.path, i), fmt.Errorf("%w: must be a network in CIDR form, such as %s", ErrInvalidValue, l.example))
			}
		}
	}
	for _, l := range []struct{ path, v string }{{"limits.ip", c.Limits.IP}, {"limits.tenant", c.Limits.Tenant}, {"limits.client", c.Limits.Client},
		{"limits.token_client", c.Limits.TokenClient}, {"limits.token_ip", c.Limits.TokenIP}, {"limits.mgmt_ip", c.Limits.MgmtIP}, {"limits.mgmt_credential", c.Limits.MgmtCredential}} {
		if _, err := ParseRateLimit(l.v); err != nil {
			check(l.path, err)
		}
	}
	for _, e := range c.checkTLS() {
		check(e.path, e.err)
	}
	for _, e := range c.checkMail() {
		check(e.path, e.err)
	}
	for _, e := range c.checkSessions() {
		check(e.path, e.err)
	}
	if c.Secrets.Key == "" && len(c.Secrets.PreviousKeys) > 0 {
		check("secrets.key", fmt.Errorf("%w: required when secrets.previous_keys is set", ErrInvalidValue))
	}
	usedBy := map[string]string{} // key ID → path of the key that has it
	checkKey := func(path, s string) {
		id, _, err := ParseKey(s)
		if err == nil {
			if other, dup := usedBy[id]; dup {
				err = fmt.Errorf("%w: key ID %q is also used by %s; each key needs its own ID", ErrInvalidValue, id, other)
			}
			usedBy[id] = path
		}
		check(path, err)
	}
	if c.Secrets.Key != "" {
		checkKey("secrets.key", c.Secrets.Key)
	}
	for i, k := range c.Secrets.PreviousKeys {
		checkKey(fmt.Sprintf("secrets.previous_keys[%d]", i), k)
	}
	return errors.Join(errs...)
}

// fieldError names the setting at path in err.
func fieldError(path string, err error) error {
	fe := &FieldError{Key: path, Err: err}
	if f, ok := fieldByPath(path); ok {
		fe.Env, fe.Flag = f.env, "--"+f.flag
	}
	return fe
}

// ParseKey parses a key-encryption key written ID:BASE64 (see
// secrets.ParseKEK, which owns the format). Errors wrap ErrInvalidSecretKey
// and never contain the key material, nor an ID that failed to parse (it
// may be material pasted in the wrong place).
func ParseKey(s string) (id string, key []byte, err error) {
	k, err := secrets.ParseKEK(s)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrInvalidSecretKey, err)
	}
	return k.ID, k.Key, nil
}

func checkAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%w: %q: want host:port, such as localhost:8080 or :443", ErrInvalidValue, s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%w: %q: port must be a number from 0 to 65535", ErrInvalidValue, s)
	}
	return nil
}

// checkPublicURL accepts the origin Lintel is reached at. Lintel serves
// from the root of its host, so a path would only break issuers and links;
// plain http is only for localhost, where browsers still treat the page as
// a secure context.
func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" {
		return fmt.Errorf("%w: want an absolute https URL, such as https://login.example.com", ErrInvalidValue)
	}
	var problem string
	switch {
	case u.Host == "" || u.Hostname() == "":
		problem = "has no host"
	case u.User != nil:
		problem = "must not contain credentials"
	case u.RawQuery != "" || u.ForceQuery:
		problem = "must not have a query"
	case u.Fragment != "" || strings.Contains(s, "#"):
		problem = "must not have a fragment"
	case u.Path != "" && u.Path != "/":
		problem = "must not have a path; Lintel serves from the root of its host"
	case u.Scheme == "http" && !isLocalhost(u.Hostname()):
		problem = "must use https unless the host is localhost"
	default:
		return nil
	}
	if u.User != nil {
		return fmt.Errorf("%w: %s", ErrInvalidValue, problem)
	}
	return fmt.Errorf("%w: %q %s", ErrInvalidValue, s, problem)
}

func isLocalhost(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizePublicURL returns a valid public URL in one spelling, lower
// case and without a trailing slash, so that issuers built from it compare
// equal.
func normalizePublicURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

// checkDatabaseURL never quotes s: it may hold a password, and a malformed
// URL may put part of the password where a host or port is expected.
func checkDatabaseURL(s string) error {
	if s == "" {
		return nil
	}
	if !hasPostgresScheme(s) {
		return fmt.Errorf("%w: want empty (SQLite in data_dir) or a postgres:// or postgresql:// URL", ErrInvalidValue)
	}
	if _, err := url.Parse(s); err != nil {
		return fmt.Errorf("%w: not a valid URL; percent-encode special characters in the user name and password", ErrInvalidValue)
	}
	return nil
}

func oneOf(s string, accepted []string) error {
	if slices.Contains(accepted, s) {
		return nil
	}
	return fmt.Errorf("%w: %q: want one of %s", ErrInvalidValue, s, strings.Join(accepted, ", "))
}

// problem is one refused setting.
type problem struct {
	path string
	err  error
}

// checkMail checks the mail settings. It never quotes the user name or
// the password.
func (c Config) checkMail() []problem {
	var out []problem
	bad := func(path, format string, args ...any) {
		out = append(out, problem{path, fmt.Errorf("%w: "+format, append([]any{ErrInvalidValue}, args...)...)})
	}
	m := c.Mail
	if d, err := time.ParseDuration(m.Retention); err != nil || d < time.Hour {
		bad("mail.retention", "must be a duration of at least 1h, such as 168h")
	}
	if err := oneOf(m.SMTP.TLS, mailTLS); err != nil {
		out = append(out, problem{"mail.smtp.tls", err})
	}
	if m.SMTP.Port != "" {
		if n, err := strconv.Atoi(m.SMTP.Port); err != nil || n < 1 || n > 65535 {
			bad("mail.smtp.port", "must be a number from 1 to 65535, or empty for the TLS policy's usual port")
		}
	}
	if m.SMTP.Host == "" {
		for _, s := range []struct{ path, v string }{
			{"mail.smtp.port", m.SMTP.Port}, {"mail.smtp.username", m.SMTP.Username},
			{"mail.smtp.password", m.SMTP.Password}, {"mail.from", m.From},
		} {
			if s.v != "" {
				bad(s.path, "needs mail.smtp.host")
			}
		}
		return out
	}
	if why := badMailHost(m.SMTP.Host); why != "" {
		bad("mail.smtp.host", "%q %s", m.SMTP.Host, why)
	} else if addr, ok := mailHostAddr(m.SMTP.Host); ok && !egress.New(egress.Options{Allow: c.EgressAllow()}).Allowed(addr) {
		bad("mail.smtp.host", "%q is an internal address that outbound connections may not reach; list it in egress.allow (e.g. %s)", m.SMTP.Host, netip.PrefixFrom(addr, addr.BitLen()))
	}
	if m.From == "" {
		bad("mail.from", "required with mail.smtp.host: the sender of tenants without their own")
	} else if _, err := mail.ParseAddress(m.From); err != nil || len(m.From) > 320 {
		bad("mail.from", "must be one email address, such as 'Acme <no-reply@acme.example>'")
	}
	if m.SMTP.Password != "" && m.SMTP.Username == "" {
		bad("mail.smtp.password", "needs mail.smtp.username")
	}
	if strings.ContainsAny(m.SMTP.Username, "\x00\r\n") || len(m.SMTP.Username) > 256 {
		bad("mail.smtp.username", "must be at most 256 bytes without line breaks")
	}
	if strings.ContainsAny(m.SMTP.Password, "\x00\r\n") || len(m.SMTP.Password) > 1024 {
		bad("mail.smtp.password", "must be at most 1024 bytes without line breaks")
	}
	return out
}

// checkSessions checks the session timeouts: each within its bounds, and
// the absolute one no shorter than the idle one (which would make the idle
// one meaningless and is most likely a mix-up).
func (c Config) checkSessions() []problem {
	var out []problem
	bad := func(path, format string, args ...any) {
		out = append(out, problem{path, fmt.Errorf("%w: "+format, append([]any{ErrInvalidValue}, args...)...)})
	}
	idle, err := time.ParseDuration(c.Sessions.Idle)
	idleOK := err == nil && idle >= MinSessionIdle && idle <= MaxSessionIdle
	if !idleOK {
		bad("sessions.idle", "must be a duration from 1m to 720h (30 days), such as 30m")
	}
	switch abs, err := time.ParseDuration(c.Sessions.Absolute); {
	case err != nil || abs <= 0 || abs > MaxSessionAbsolute:
		bad("sessions.absolute", "must be a duration of at most 9600h (400 days), such as 12h")
	case idleOK && abs < idle:
		bad("sessions.absolute", "must be at least sessions.idle (%s)", idle)
	}
	return out
}

// badMailHost says what is wrong with an SMTP host, or "" when it is an IP
// address or a DNS name (labels of letters, digits and hyphens, not
// starting or ending with a hyphen; a last label that is not a number).
func badMailHost(host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "must not have a zone"
		}
		return ""
	}
	if !dnsname.Host(strings.TrimSuffix(host, ".")) {
		return "must be a DNS name or an IP address"
	}
	return ""
}

// mailHostAddr returns the address a host names without a lookup: an IP
// literal, or loopback for localhost.
func mailHostAddr(host string) (netip.Addr, bool) {
	if isLocalhost(host) {
		if a, err := netip.ParseAddr(host); err == nil {
			return a, true
		}
		return netip.MustParseAddr("127.0.0.1"), true
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// checkTLS checks the HTTPS listener, the ACME CA and the resolver. It
// never quotes the EAB MAC key or the Redis URL (it may carry a password).
func (c Config) checkTLS() []problem {
	var out []problem
	add := func(path string, err error) { out = append(out, problem{path, err}) }
	if c.TLS.Addr != "" {
		if err := checkAddr(c.TLS.Addr); err != nil {
			add("tls.addr", err)
		}
	}
	if c.TLS.HTTPAddr != "" {
		if err := checkAddr(c.TLS.HTTPAddr); err != nil {
			add("tls.http_addr", err)
		}
		if c.TLS.Addr == "" {
			add("tls.http_addr", fmt.Errorf("%w: needs tls.addr (it redirects to HTTPS and answers the CA for it)", ErrInvalidValue))
		}
	}
	if u, err := url.Parse(c.ACMEDirectory()); err != nil || u.Scheme != "https" || u.Host == "" {
		add("acme.directory", fmt.Errorf("%w: want letsencrypt, letsencrypt-staging or an https URL of an ACME directory", ErrInvalidValue))
	}
	if c.ACME.Email != "" {
		if a, err := mail.ParseAddress(c.ACME.Email); err != nil || a.Name != "" {
			add("acme.email", fmt.Errorf("%w: want a bare email address, such as ops@example.com", ErrInvalidValue))
		}
	}
	if (c.ACME.EABKeyID == "") != (c.ACME.EABMACKey == "") {
		add("acme.eab_key_id", fmt.Errorf("%w: acme.eab_key_id and acme.eab_mac_key go together", ErrInvalidValue))
	}
	if c.DNS.Resolver != "" {
		if _, _, err := net.SplitHostPort(c.DNS.Resolver); err != nil {
			add("dns.resolver", fmt.Errorf("%w: want host:port of a DNS server, such as 127.0.0.1:53", ErrInvalidValue))
		}
	}
	if c.Theme.Base != "" && !slices.Contains(themes.BuiltinNames(), c.Theme.Base) {
		add("theme.base", fmt.Errorf("%w: want light, dark or high-contrast", ErrInvalidValue))
	}
	if c.Redis.URL != "" {
		if u, err := url.Parse(c.Redis.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			add("redis.url", fmt.Errorf("%w: want a redis:// or rediss:// URL; percent-encode special characters in the password", ErrInvalidValue))
		}
	}
	return out
}
