package ownership_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ownership"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// The Verifier is what the management API and the TLS manager call.
var (
	_ mgmt.DomainVerifier = (*ownership.Verifier)(nil)
	_ interface {
		Allowed(ctx context.Context, host string) error
		Obtained(ctx context.Context, host string) error
		Failed(ctx context.Context, host string, cause error) error
	} = (*ownership.Verifier)(nil)
)

// env is a Verifier over a fresh database, checking against a world.
type env struct {
	*world
	st       store.Store
	clk      *clock.Fake
	tenants  *tenant.Service
	log      *events.Log
	v        *ownership.Verifier
	logs     *bytes.Buffer
	acme, ex tenant.Tenant
}

func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	e := &env{world: newWorld(t), st: b.Open(t), clk: clock.NewFake(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{}}
	kek, err := secrets.GenerateKEK(e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(t.Context(), e.st, secrets.Keyring{Current: kek}, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	e.tenants = tenant.New(sec, e.clk, tenant.Options{PublicHost: "id.example.com"})
	e.log = events.New(e.st, sec, e.clk)
	e.v, err = ownership.NewVerifier(ownership.Deps{Store: e.st, Tenants: e.tenants, Events: e.log, Checker: e.checker,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, ownership.Options{Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	e.tx(t, func(ctx context.Context, tx store.Tx) (err error) {
		if e.acme, err = e.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"}); err != nil {
			return err
		}
		e.ex, err = e.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "example", Name: "Example"})
		return err
	})
	return e
}

func (e *env) tx(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := e.st.Tx(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
}

func (e *env) create(t *testing.T, tenantID, host string) tenant.Domain {
	t.Helper()
	e.clk.Advance(time.Second)
	var d tenant.Domain
	e.tx(t, func(ctx context.Context, tx store.Tx) (err error) {
		d, err = e.tenants.CreateDomain(ctx, tx, tenantID, tenant.DomainInput{Hostname: host})
		return err
	})
	return d
}

func (e *env) read(t *testing.T, d tenant.Domain) tenant.Domain {
	t.Helper()
	var got tenant.Domain
	e.tx(t, func(ctx context.Context, tx store.Tx) (err error) {
		got, err = e.tenants.Domain(ctx, tx, d.TenantID, d.ID)
		return err
	})
	return got
}

// events lists the domain events of a tenant as "type outcome target details".
func (e *env) events(t *testing.T, tenantID string) []string {
	t.Helper()
	list, _, err := e.log.Query(t.Context(), events.Query{TenantID: tenantID, Types: []string{"domain.*"}})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, ev := range list {
		s := fmt.Sprintf("%s %s %s/%s", ev.Type, ev.Outcome, ev.Actor.Type, ev.Actor.ID)
		if len(ev.Details) > 0 {
			s += fmt.Sprint(" ", ev.Details)
		}
		out = append(out, s+" "+ev.Target.ID)
	}
	return out
}

func (e *env) publishTXT(d tenant.Domain) { e.zone.setTXT(d.ChallengeName(), d.ChallengeValue()) }

func TestVerifier(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b)
			d := e.create(t, e.acme.ID, "login.acme.test")
			var logged []string
			step := func(t *testing.T, want ...string) {
				t.Helper()
				for _, w := range want {
					logged = append(logged, w+" "+d.ID)
				}
				if got := e.events(t, e.acme.ID); !slices.Equal(got, logged) {
					t.Fatalf("events\n%q\nwant\n%q", got, logged)
				}
				// Events of one instant have no order.
				e.clk.Advance(time.Second)
			}
			allowed := func(host string) error { return e.v.Allowed(t.Context(), host) }

			t.Run("a pending domain gets no certificate", func(t *testing.T) {
				for _, host := range []string{"login.acme.test", "unknown.acme.test", "id.example.com"} {
					if err := allowed(host); !errors.Is(err, ownership.ErrNotAllowed) {
						t.Errorf("Allowed(%q) = %v, want ErrNotAllowed", host, err)
					}
				}
			})
			t.Run("refuses a certificate for an unverified domain", func(t *testing.T) {
				err := e.v.Obtained(t.Context(), "login.acme.test")
				if !errors.Is(err, ownership.ErrNotAllowed) || !errors.Is(err, tenant.ErrOwnershipNotProven) {
					t.Fatalf("Obtained = %v, want ErrNotAllowed and ErrOwnershipNotProven", err)
				}
				if err := e.v.Obtained(t.Context(), "unknown.acme.test"); !errors.Is(err, ownership.ErrNotAllowed) || !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("Obtained(unknown) = %v, want ErrNotAllowed and ErrNotFound", err)
				}
				if got := e.read(t, d); got.State != tenant.DomainPending {
					t.Fatalf("refusal changed the domain: %+v", got)
				}
				step(t)
			})
			t.Run("pending to failed, with the reason", func(t *testing.T) {
				got, err := e.v.Verify(t.Context(), e.acme.ID, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tenant.DomainFailed || got.OwnershipProven() || got.LastError == "" || e.read(t, d).LastError != got.LastError {
					t.Fatalf("got %+v", got)
				}
				step(t, "domain.verification_failed failure system/ownership")
			})
			t.Run("failed to verified on retry", func(t *testing.T) {
				e.publishTXT(d)
				e.clk.Advance(time.Minute)
				got, err := e.v.Verify(t.Context(), e.acme.ID, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tenant.DomainVerified || !got.OwnershipProven() || got.LastError != "" || !got.VerifiedAt.Equal(e.clk.Now()) {
					t.Fatalf("got %+v", got)
				}
				step(t, "domain.verified success system/ownership map[method:dns]")
				if err := allowed("LOGIN.acme.test."); err != nil {
					t.Fatalf("Allowed = %v", err)
				}
				if err := allowed("other.acme.test"); !errors.Is(err, ownership.ErrNotAllowed) {
					t.Fatalf("Allowed(another host) = %v", err)
				}
			})
			t.Run("verified to active when a certificate is obtained, once", func(t *testing.T) {
				for range 2 {
					if err := e.v.Obtained(t.Context(), "login.acme.test"); err != nil {
						t.Fatal(err)
					}
				}
				if got := e.read(t, d); got.State != tenant.DomainActive {
					t.Fatalf("got %+v", got)
				}
				step(t, "domain.certificate_obtained success system/tls")
			})
			t.Run("a failed certificate keeps the proof", func(t *testing.T) {
				if err := e.v.Failed(t.Context(), "login.acme.test", errors.New("acme: urn:ietf:params:acme:error:rateLimited")); err != nil {
					t.Fatal(err)
				}
				got := e.read(t, d)
				if got.State != tenant.DomainFailed || !got.OwnershipProven() || got.LastError != "certificate: acme: urn:ietf:params:acme:error:rateLimited" {
					t.Fatalf("got %+v", got)
				}
				if err := allowed("login.acme.test"); err != nil {
					t.Fatalf("Allowed after a failed certificate = %v", err)
				}
				step(t, "domain.certificate_failed failure system/tls")
				if err := e.v.Obtained(t.Context(), "login.acme.test"); err != nil {
					t.Fatal(err)
				}
				step(t, "domain.certificate_obtained success system/tls")
			})
			t.Run("hides another tenant's domain", func(t *testing.T) {
				if _, err := e.v.Verify(t.Context(), e.ex.ID, d.ID); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("Verify = %v, want ErrNotFound", err)
				}
				step(t)
			})
			t.Run("an explicit check that fails revokes the proof of an active domain", func(t *testing.T) {
				e.zone.mu.Lock()
				delete(e.zone.txt, fqdn(d.ChallengeName()))
				e.zone.mu.Unlock()
				got, err := e.v.Verify(t.Context(), e.acme.ID, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tenant.DomainFailed || got.OwnershipProven() {
					t.Fatalf("got %+v", got)
				}
				if err := allowed("login.acme.test"); !errors.Is(err, ownership.ErrNotAllowed) {
					t.Fatalf("Allowed after revocation = %v", err)
				}
				step(t, "domain.verification_failed failure system/ownership map[revoked:true]")
				if err := e.v.Failed(t.Context(), "login.acme.test", errors.New("late")); !errors.Is(err, ownership.ErrNotAllowed) {
					t.Fatalf("Failed after revocation = %v, want ErrNotAllowed", err)
				}
			})
		})
	}
}

func TestRecheck(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b)
			old := e.create(t, e.acme.ID, "old.acme.test")
			e.clk.Advance(8 * 24 * time.Hour)
			byDNS := e.create(t, e.acme.ID, "dns.acme.test")
			byHTTP := e.create(t, e.ex.ID, "http.example.test")
			gone := e.create(t, e.ex.ID, "gone.example.test")
			failing := e.create(t, e.acme.ID, "failing.acme.test")
			proven := e.create(t, e.acme.ID, "proven.acme.test")
			e.publishTXT(old)
			e.publishTXT(byDNS)
			e.publishTXT(proven)
			if _, err := e.v.Verify(t.Context(), e.acme.ID, proven.ID); err != nil {
				t.Fatal(err)
			}
			e.zone.setA(byHTTP.Hostname, "127.0.0.1")
			// Answering byHTTP's token deletes gone, checked next: its
			// check fails, and the batch goes on.
			e.handlers[byHTTP.ID] = func(rw http.ResponseWriter, r *http.Request) {
				err := e.st.Tx(r.Context(), func(ctx context.Context, tx store.Tx) error {
					return e.tenants.DeleteDomain(ctx, tx, e.ex.ID, gone.ID)
				})
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Error(err)
				}
				_, _ = rw.Write([]byte(byHTTP.VerificationToken))
			}
			run := func(t *testing.T, ticks int) {
				tick := make(chan time.Time)
				done := make(chan struct{})
				go func() {
					defer close(done)
					e.v.Run(t.Context(), tick)
				}()
				for range ticks {
					tick <- e.clk.Now()
				}
				close(tick)
				<-done
			}
			run(t, 1)
			for _, tc := range []struct {
				d      tenant.Domain
				state  tenant.DomainState
				proven bool
			}{
				{old, tenant.DomainPending, false},
				{byDNS, tenant.DomainVerified, true},
				{byHTTP, tenant.DomainVerified, true},
				{failing, tenant.DomainFailed, false},
				{proven, tenant.DomainVerified, true},
			} {
				if got := e.read(t, tc.d); got.State != tc.state || got.OwnershipProven() != tc.proven {
					t.Errorf("%s: %s (proven %v), want %s (%v)", tc.d.Hostname, got.State, got.OwnershipProven(), tc.state, tc.proven)
				}
			}
			// The batch's events share one instant: compare them sorted.
			acmeEvents := sorted(
				"domain.verified success system/ownership map[method:dns] "+proven.ID,
				"domain.verified success system/ownership map[method:dns] "+byDNS.ID,
				"domain.verification_failed failure system/ownership "+failing.ID,
			)
			if got := sorted(e.events(t, e.acme.ID)...); !slices.Equal(got, acmeEvents) {
				t.Errorf("acme's events\n%q\nwant\n%q", got, acmeEvents)
			}
			if got, want := e.events(t, e.ex.ID), []string{"domain.verified success system/ownership map[method:http] " + byHTTP.ID}; !slices.Equal(got, want) {
				t.Errorf("example's events %q, want %q", got, want)
			}
			t.Run("a domain that keeps failing is checked again without new events", func(t *testing.T) {
				before := e.read(t, failing)
				e.clk.Advance(time.Minute)
				run(t, 2)
				if got := e.read(t, failing); !got.UpdatedAt.After(before.UpdatedAt) || got.State != tenant.DomainFailed {
					t.Fatalf("not checked again: %+v", got)
				}
				if got := sorted(e.events(t, e.acme.ID)...); !slices.Equal(got, acmeEvents) {
					t.Fatalf("events\n%q\nwant\n%q", got, acmeEvents)
				}
			})
			if bytes.Contains(e.logs.Bytes(), []byte(byDNS.VerificationToken)) || bytes.Contains(e.logs.Bytes(), []byte(byHTTP.VerificationToken)) {
				t.Errorf("a token was logged:\n%s", e.logs)
			}
		})
	}
}

func sorted(s ...string) []string { return slices.Sorted(slices.Values(s)) }

func TestRunStopsWithItsContext(t *testing.T) {
	e := newEnv(t, storetest.SQLite())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.v.Run(ctx, make(chan time.Time))
	}()
	cancel()
	<-done
	if n, err := e.v.RecheckDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("RecheckDue with nothing due = %d, %v", n, err)
	}
}
