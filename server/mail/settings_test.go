package mail

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// loopbackEgress allows loopback, as tests do; production allows nothing.
func loopbackEgress() *egress.Dialer {
	return egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
}

// secrets returns the secrets service of e's store, made on first use.
func (e *env) secrets(t testing.TB) *secrets.Service {
	t.Helper()
	if e.sec == nil {
		kek, err := secrets.GenerateKEK(e.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if e.sec, err = secrets.New(context.Background(), e.st, secrets.Keyring{Current: kek}, e.clk); err != nil {
			t.Fatal(err)
		}
	}
	return e.sec
}

// settings returns Settings over e's store.
func (e *env) settings(t testing.TB, opts SettingsOptions) *Settings {
	t.Helper()
	s, err := NewSettings(e.st, e.secrets(t), e.clk, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ptr(s string) *string { return &s }

// relayInput is a valid tenant relay with a password.
func relayInput() RelayInput {
	return RelayInput{Host: "smtp.acme.example", Port: 587, Username: "acme", Password: ptr("hunter2-pa55"),
		TLS: StartTLS, From: "Acme <no-reply@acme.example>"}
}

func put(t testing.TB, e *env, s *Settings, tenantID string, in RelayInput) (TenantRelay, error) {
	t.Helper()
	var out TenantRelay
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = s.Put(ctx, tx, tenantID, in)
		return err
	})
	return out, err
}

func get(t testing.TB, e *env, s *Settings, tenantID string) (TenantRelay, error) {
	t.Helper()
	var out TenantRelay
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = s.Get(ctx, tx, tenantID)
		return err
	})
	return out, err
}

func from(t testing.TB, e *env, s *Settings, tenantID string) (string, error) {
	t.Helper()
	var out string
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = s.From(ctx, tx, tenantID)
		return err
	})
	return out, err
}

func TestSettings(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"stores a relay, sealing its password, which is never read back", testSettingsPut},
		{"a Put without a password keeps the stored one", testSettingsKeepsPassword},
		{"refuses bad input naming the field and changes nothing", testSettingsRefuses},
		{"Delete removes the relay; a missing one is not found", testSettingsDelete},
		{"From is the tenant's sender, else the instance's, else not configured", testSettingsFrom},
		{"a sealed password copied to another tenant does not open", testSettingsBinding},
		{"senders see a change on this node at once, other nodes' within the TTL", testSettingsCache},
	})
}

func testSettingsPut(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{})
	in := relayInput()
	in.Host, in.From = "SMTP.Acme.Example.", "no-reply@acme.example"
	got, err := put(t, e, s, "ten_a", in)
	if err != nil {
		t.Fatal(err)
	}
	want := TenantRelay{TenantID: "ten_a", Host: "smtp.acme.example", Port: 587, Username: "acme", PasswordSet: true,
		TLS: StartTLS, From: "<no-reply@acme.example>", UpdatedAt: t0}
	if got != want {
		t.Fatalf("Put = %+v, want %+v", got, want)
	}
	if read, err := get(t, e, s, "ten_a"); err != nil || read != want {
		t.Fatalf("Get = %+v, %v; want %+v", read, err, want)
	}
	var sealed []byte
	err = e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT password_sealed FROM mail_settings WHERE tenant_id = ?`, "ten_a").Scan(&sealed)
	})
	if err != nil || len(sealed) == 0 || bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatalf("stored password %q, %v: want sealed", sealed, err)
	}
	r, err := s.route(context.Background(), "ten_a")
	if err != nil || r.Password != "hunter2-pa55" || r.Host != "smtp.acme.example" {
		t.Fatalf("route = %+v, %v", r, err)
	}

	// Replace it without credentials: no password remains.
	in = relayInput()
	in.Username, in.Password, in.TLS, in.Port = "", nil, ImplicitTLS, 465
	e.clk.Advance(time.Minute)
	if got, err = put(t, e, s, "ten_a", in); err != nil || got.PasswordSet || got.Username != "" || got.TLS != ImplicitTLS || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Put without credentials = %+v, %v", got, err)
	}
	if _, err := get(t, e, s, "ten_b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(another tenant) = %v, want ErrNotFound", err)
	}
}

func testSettingsKeepsPassword(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{})
	if _, err := put(t, e, s, "ten_a", relayInput()); err != nil {
		t.Fatal(err)
	}
	in := relayInput()
	in.Password, in.Host = nil, "smtp2.acme.example"
	got, err := put(t, e, s, "ten_a", in)
	if err != nil || !got.PasswordSet || got.Host != "smtp2.acme.example" {
		t.Fatalf("Put = %+v, %v", got, err)
	}
	if r, err := s.route(context.Background(), "ten_a"); err != nil || r.Password != "hunter2-pa55" {
		t.Fatalf("route = %+v, %v: want the kept password", r, err)
	}
	in.Password = ptr("")
	if got, err := put(t, e, s, "ten_a", in); err != nil || got.PasswordSet {
		t.Fatalf("Put with an empty password = %+v, %v; want it removed", got, err)
	}
	if r, err := s.route(context.Background(), "ten_a"); err != nil || r.Password != "" || r.Username != "acme" {
		t.Fatalf("route = %+v, %v", r, err)
	}
}

func testSettingsRefuses(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{Egress: egress.New(egress.Options{})})
	stored, err := put(t, e, s, "ten_a", relayInput())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, field string
		edit        func(in *RelayInput)
	}{
		{"no host", "host", func(in *RelayInput) { in.Host = "" }},
		{"a host with a port", "host", func(in *RelayInput) { in.Host = "smtp.acme.example:587" }},
		{"a host that is not a name", "host", func(in *RelayInput) { in.Host = "smtp acme" }},
		{"a host ending in a number", "host", func(in *RelayInput) { in.Host = "10.0.0" }},
		{"a private address", "host", func(in *RelayInput) { in.Host = "10.0.0.25" }},
		{"localhost, which egress refuses", "host", func(in *RelayInput) { in.Host = "localhost"; in.TLS = NoTLS }},
		{"port 0", "port", func(in *RelayInput) { in.Port = 0 }},
		{"port 65536", "port", func(in *RelayInput) { in.Port = 65536 }},
		{"an unknown TLS policy", "tls", func(in *RelayInput) { in.TLS = "ssl" }},
		{"no TLS to a remote relay", "tls", func(in *RelayInput) { in.TLS = NoTLS }},
		{"no sender", "from", func(in *RelayInput) { in.From = "" }},
		{"a sender that is not an address", "from", func(in *RelayInput) { in.From = "Acme" }},
		{"two senders", "from", func(in *RelayInput) { in.From = "a@acme.example, b@acme.example" }},
		{"a password without a user", "password", func(in *RelayInput) { in.Username = "" }},
		{"a password with a line break", "password", func(in *RelayInput) { in.Password = ptr("hunter2\r\nRSET") }},
		{"a user with a line break", "username", func(in *RelayInput) { in.Username = "acme\r\n" }},
		{"a long password", "password", func(in *RelayInput) { in.Password = ptr(strings.Repeat("p", MaxPasswordLen+1)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tenantID := range []string{"ten_a", "ten_new"} {
				in := relayInput()
				tt.edit(&in)
				_, err := put(t, e, s, tenantID, in)
				fields := invalid.All(err)
				if len(fields) != 1 || fields[0].Field != tt.field {
					t.Fatalf("%s: err = %v, want one invalid field %q", tenantID, err, tt.field)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error quotes the password: %v", err)
				}
			}
			if got, err := get(t, e, s, "ten_a"); err != nil || got != stored {
				t.Fatalf("stored relay became %+v, %v; want %+v", got, err, stored)
			}
			if _, err := get(t, e, s, "ten_new"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a refused Put created a relay: %v", err)
			}
		})
	}
	t.Run("no TLS to loopback, when egress allows it", func(t *testing.T) {
		s := e.settings(t, SettingsOptions{Egress: loopbackEgress()})
		in := relayInput()
		in.Host, in.TLS = "127.0.0.1", NoTLS
		if _, err := put(t, e, s, "ten_loop", in); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an invalid instance relay", func(t *testing.T) {
		_, err := NewSettings(e.st, e.secrets(t), e.clk, SettingsOptions{Instance: Relay{Host: "smtp.example.com", Port: 587}})
		if fields := invalid.All(err); len(fields) != 1 || fields[0].Field != "from" {
			t.Fatalf("NewSettings = %v, want the missing sender refused", err)
		}
	})
}

func testSettingsDelete(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{})
	if _, err := put(t, e, s, "ten_a", relayInput()); err != nil {
		t.Fatal(err)
	}
	del := func() error {
		return e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error { return s.Delete(ctx, tx, "ten_a") })
	}
	if err := del(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, e, s, "ten_a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if err := del(); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete again = %v, want ErrNotFound", err)
	}
	if _, err := s.route(context.Background(), "ten_a"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("route after Delete = %v, want ErrNotConfigured", err)
	}
}

func testSettingsFrom(t *testing.T, e *env) {
	bare := e.settings(t, SettingsOptions{})
	if _, err := from(t, e, bare, "ten_a"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("From with nothing configured = %v, want ErrNotConfigured", err)
	}
	inst := e.settings(t, SettingsOptions{Instance: Relay{Host: "smtp.lintel.example", Port: 587, From: "Lintel <mail@lintel.example>"}})
	if got, err := from(t, e, inst, "ten_a"); err != nil || got != `"Lintel" <mail@lintel.example>` {
		t.Fatalf("From = %q, %v; want the instance's", got, err)
	}
	if _, err := put(t, e, inst, "ten_a", relayInput()); err != nil {
		t.Fatal(err)
	}
	if got, err := from(t, e, inst, "ten_a"); err != nil || got != `"Acme" <no-reply@acme.example>` {
		t.Fatalf("From = %q, %v; want the tenant's", got, err)
	}
	if got, err := from(t, e, inst, "ten_b"); err != nil || got != `"Lintel" <mail@lintel.example>` {
		t.Fatalf("From(another tenant) = %q, %v; want the instance's", got, err)
	}
}

func testSettingsBinding(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{})
	for _, id := range []string{"ten_a", "ten_b"} {
		if _, err := put(t, e, s, id, relayInput()); err != nil {
			t.Fatal(err)
		}
	}
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE mail_settings SET password_sealed = (SELECT password_sealed FROM mail_settings WHERE tenant_id = ?)
			WHERE tenant_id = ?`, "ten_a", "ten_b")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.route(context.Background(), "ten_b"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("route = %v, want ErrDecrypt", err)
	}
}

func testSettingsCache(t *testing.T, e *env) {
	s := e.settings(t, SettingsOptions{})
	if _, err := put(t, e, s, "ten_a", relayInput()); err != nil {
		t.Fatal(err)
	}
	// Right after a change on this node the relay is read every time.
	e.clk.Advance(DefaultCacheTTL)
	if r, err := s.route(context.Background(), "ten_a"); err != nil || r.Host != "smtp.acme.example" {
		t.Fatalf("route = %+v, %v", r, err)
	}
	// Another node changes the host: this node goes on with its copy for
	// at most the TTL.
	setHost := func(host string) {
		t.Helper()
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE mail_settings SET host = ? WHERE tenant_id = ?`, host, "ten_a")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setHost("elsewhere.acme.example")
	e.clk.Advance(DefaultCacheTTL - time.Second)
	if r, _ := s.route(context.Background(), "ten_a"); r.Host != "smtp.acme.example" {
		t.Fatalf("host %q within the TTL, want the cached one", r.Host)
	}
	e.clk.Advance(time.Second)
	if r, _ := s.route(context.Background(), "ten_a"); r.Host != "elsewhere.acme.example" {
		t.Fatalf("host %q after the TTL, want the other node's", r.Host)
	}
	// A change on this node is seen at once.
	in := relayInput()
	in.Host = "new.acme.example"
	if _, err := put(t, e, s, "ten_a", in); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.route(context.Background(), "ten_a"); r.Host != "new.acme.example" {
		t.Fatalf("host %q after Put, want the new one", r.Host)
	}
}
