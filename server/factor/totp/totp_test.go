package totp

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is 10 s into a 30 s time step, so that moving by whole steps never
// lands on a boundary.
var t0 = time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)

// world is a Service on a real store and secrets service, with a clock
// the test moves.
type world struct {
	st  store.Store
	sec *secrets.Service
	clk *clock.Fake
}

func newWorld(t testing.TB, st store.Store) world {
	t.Helper()
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	return world{st: st, sec: sec, clk: clk}
}

// service returns a Service of w with opts.
func (w world) service(t testing.TB, opts ...Option) *Service {
	t.Helper()
	s, err := New(Deps{Secrets: w.sec, Clock: w.clk}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// codeAt returns the code of seed at time at, computed by pquerna/otp's
// own TOTP function, independently of Verify's window arithmetic.
func codeAt(t testing.TB, seed Seed, at time.Time) string {
	t.Helper()
	c, err := pqtotp.GenerateCodeCustom(seed.Base32(), at, pqtotp.ValidateOpts{
		Period: uint(seed.Period), Digits: otp.Digits(seed.Digits), Algorithm: algorithms[seed.Algorithm],
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	w := newWorld(t, storetest.SQLite().Open(t))
	tests := []struct {
		name string
		deps Deps
		opts []Option
		ok   bool
	}{
		{"accepts both dependencies", Deps{Secrets: w.sec, Clock: w.clk}, nil, true},
		{"accepts no skew", Deps{Secrets: w.sec, Clock: w.clk}, []Option{Skew(0)}, true},
		{"accepts the widest skew", Deps{Secrets: w.sec, Clock: w.clk}, []Option{Skew(MaxSkew)}, true},
		{"refuses a missing secrets service", Deps{Clock: w.clk}, nil, false},
		{"refuses a missing clock", Deps{Secrets: w.sec}, nil, false},
		{"refuses a negative skew", Deps{Secrets: w.sec, Clock: w.clk}, []Option{Skew(-1)}, false},
		{"refuses a skew beyond the widest", Deps{Secrets: w.sec, Clock: w.clk}, []Option{Skew(MaxSkew + 1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.deps, tt.opts...)
			if (err == nil) != tt.ok || (s != nil) != tt.ok {
				t.Fatalf("New = %v, %v; want ok %v", s, err, tt.ok)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	s := newWorld(t, storetest.SQLite().Open(t)).service(t)
	e, err := s.Generate("Acme & Co", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	key, err := otp.NewKeyFromURL(e.URI)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"makes a 160-bit seed", len(e.Seed.Key), 20},
		{"uses SHA1", e.Seed.Algorithm, SHA1},
		{"uses 6 digits", e.Seed.Digits, 6},
		{"uses 30 s", e.Seed.Period, 30},
		{"shows the seed in base32", e.Secret, e.Seed.Base32()},
		{"puts the seed in the URI", key.Secret(), e.Secret},
		{"names the issuer in the URI's parameter", key.Issuer(), "Acme & Co"},
		{"names the account in the URI's label", key.AccountName(), "alice@example.com"},
		{"puts the algorithm in the URI", key.Algorithm(), otp.AlgorithmSHA1},
		{"puts the digits in the URI", key.Digits(), otp.DigitsSix},
		{"puts the period in the URI", key.Period(), uint64(30)},
		{"is a TOTP URI", key.Type(), "totp"},
		{"prefixes the label with the issuer", strings.HasPrefix(e.URI, "otpauth://totp/Acme%20%26%20Co:alice@example.com?"), true},
		{"encodes spaces in the issuer parameter as %20", strings.Contains(e.URI, "&issuer=Acme%20%26%20Co&"), true},
		{"shows the secret as 32 base32 characters", regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(e.Secret), true},
		{"renders the QR code of the URI", e.QR, mustQR(t, e.URI)},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	t.Run("draws a new seed each time", func(t *testing.T) {
		again, err := s.Generate("Acme & Co", "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if again.Secret == e.Secret {
			t.Fatal("two enrollments share a seed")
		}
	})
}

func mustQR(t *testing.T, uri string) string {
	t.Helper()
	q, err := qrSVG(uri)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestGenerateRefusesLabelsTheURICannotCarry(t *testing.T) {
	s := newWorld(t, storetest.SQLite().Open(t)).service(t)
	tests := []struct {
		name, issuer, account, field string
	}{
		{"refuses an empty issuer", "", "alice", "issuer"},
		{"refuses a blank issuer", "  ", "alice", "issuer"},
		{"refuses an empty account", "Acme", "", "account"},
		{"refuses a colon in the issuer", "Acme:EU", "alice", "issuer"},
		{"refuses a colon in the account", "Acme", "alice:admin", "account"},
		{"refuses a control character", "Acme", "alice\nbob", "account"},
		{"refuses invalid UTF-8", "Acme\xff", "alice", "issuer"},
		{"refuses an overlong account", "Acme", strings.Repeat("a", maxLabelPart+1), "account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := s.Generate(tt.issuer, tt.account)
			all := invalid.All(err)
			if len(all) != 1 || all[0].Field != tt.field {
				t.Fatalf("err = %v, want an *invalid.Error naming %q", err, tt.field)
			}
			if e.Secret != "" || e.Seed.Key != nil {
				t.Error("a refused enrollment carries a seed")
			}
		})
	}
}

func TestKeyURIEscapesLabelAndParameters(t *testing.T) {
	seed := Seed{Key: []byte("12345678901234567890"), Algorithm: SHA256, Digits: 8, Period: 60}
	tests := []struct {
		name, issuer, account string
	}{
		{"plain", "Acme", "alice@example.com"},
		{"spaces", "Acme Co", "Alice Smith"},
		{"URI delimiters", "A&B=C?#/", "a/b?c#d&e=f%"},
		{"non-ASCII", "Ünïcødé 株式会社", "ålice@exämple.com"},
		{"plus sign", "A+B", "alice+tag@example.com"},
	}
	for _, tt := range tests {
		t.Run("round-trips "+tt.name, func(t *testing.T) {
			uri := keyURI(tt.issuer, tt.account, seed)
			key, err := otp.NewKeyFromURL(uri)
			if err != nil {
				t.Fatal(err)
			}
			if key.Issuer() != tt.issuer || key.AccountName() != tt.account {
				t.Errorf("issuer %q account %q, want %q %q (from %s)", key.Issuer(), key.AccountName(), tt.issuer, tt.account, uri)
			}
			if key.Secret() != seed.Base32() || key.Algorithm() != otp.AlgorithmSHA256 || key.Digits() != 8 || key.Period() != 60 {
				t.Errorf("parameters lost in %s", uri)
			}
			if strings.Contains(uri, "+") || strings.Contains(uri, " ") {
				t.Errorf("%s carries + or a space, which some apps misread", uri)
			}
		})
	}
}

func TestEnrollmentAndSeedNeverPrintTheSeed(t *testing.T) {
	s := newWorld(t, storetest.SQLite().Open(t)).service(t)
	e, err := s.Generate("Acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("enrolled", "enrollment", e, "seed", e.Seed)
	for _, out := range []string{
		fmt.Sprint(e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e),
		fmt.Sprint(e.Seed), fmt.Sprintf("%+v", e.Seed), fmt.Sprintf("%#v", e.Seed), log.String(),
	} {
		if strings.Contains(out, e.Secret) || strings.Contains(out, e.Secret[:8]) || strings.Contains(out, string(e.Seed.Key)) {
			t.Errorf("printed the seed: %s", out)
		}
		if !strings.Contains(out, "SHA1") && !strings.Contains(out, "algorithm") {
			t.Errorf("printed nothing useful: %s", out)
		}
	}
}
