package tenant

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lintel-id/lintel/server/store"
)

func TestDomainChecks(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, other := e.tenant(t, "acme", ""), e.tenant(t, "other", "")
		d := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
			return e.svc.CreateDomain(ctx, tx, acme.ID, DomainInput{Hostname: "login.acme.com"})
		})
		read := func(t *testing.T) Domain {
			return get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) { return e.svc.Domain(ctx, tx, acme.ID, d.ID) })
		}
		allowed := func(t *testing.T, host string) bool {
			return get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) { return e.svc.CertificateAllowed(ctx, tx, host) })
		}
		hasHost := func(t *testing.T) bool {
			return get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
				return e.svc.TenantHasHost(ctx, tx, acme.ID, "login.acme.com")
			})
		}
		step := func(t *testing.T, fn func(ctx context.Context, tx store.Tx) (Domain, error)) Domain {
			t.Helper()
			e.clk.Advance(time.Minute)
			got := get(t, e, fn)
			if again := read(t); again.State != got.State || again.LastError != got.LastError || again.OwnershipProven() != got.OwnershipProven() {
				t.Fatalf("returned %+v, stored %+v", got, again)
			}
			return got
		}

		t.Run("shows what to publish", func(t *testing.T) {
			if got, want := d.ChallengeName(), "_lintel-challenge.login.acme.com"; got != want {
				t.Errorf("ChallengeName = %q, want %q", got, want)
			}
			if got, want := d.ChallengeValue(), "lintel-verification="+d.VerificationToken; got != want {
				t.Errorf("ChallengeValue = %q, want %q", got, want)
			}
			if got, want := d.ChallengeURL(), "http://login.acme.com/.well-known/lintel-challenge/"+d.ID; got != want {
				t.Errorf("ChallengeURL = %q, want %q", got, want)
			}
		})
		t.Run("a new domain is not proven", func(t *testing.T) {
			if d.OwnershipProven() || allowed(t, "login.acme.com") || hasHost(t) {
				t.Fatalf("new domain %+v counts as proven", d)
			}
		})
		t.Run("refuses certificate outcomes before ownership is proven", func(t *testing.T) {
			for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
				"obtained": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.RecordCertificateObtained(ctx, tx, acme.ID, d.ID)
					return err
				},
				"failed": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.RecordCertificateFailed(ctx, tx, acme.ID, d.ID, "acme: timeout")
					return err
				},
			} {
				t.Run(name, func(t *testing.T) {
					err := e.do(t, fn)
					if !errors.Is(err, ErrOwnershipNotProven) {
						t.Fatalf("got %v, want ErrOwnershipNotProven", err)
					}
					wantFields(t, err, "state")
					if got := read(t); got.State != DomainPending || got.LastError != "" {
						t.Fatalf("refusal changed the domain: %+v", got)
					}
				})
			}
		})
		t.Run("records a failed check: failed, with the reason", func(t *testing.T) {
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordOwnershipFailed(ctx, tx, acme.ID, d.ID, "no TXT record")
			})
			if got.State != DomainFailed || got.LastError != "no TXT record" || got.OwnershipProven() || !got.UpdatedAt.After(d.UpdatedAt) {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("records a successful retry: verified, error cleared", func(t *testing.T) {
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordOwnershipProven(ctx, tx, acme.ID, d.ID)
			})
			if got.State != DomainVerified || got.LastError != "" || !got.OwnershipProven() || !got.VerifiedAt.Equal(e.clk.Now()) {
				t.Fatalf("got %+v", got)
			}
			if !allowed(t, "LOGIN.acme.com.") || !hasHost(t) {
				t.Fatal("a proven domain is not allowed a certificate or an issuer")
			}
		})
		t.Run("becomes active with a certificate", func(t *testing.T) {
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordCertificateObtained(ctx, tx, acme.ID, d.ID)
			})
			if got.State != DomainActive || !got.OwnershipProven() {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("stays active when proven again", func(t *testing.T) {
			before := read(t)
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordOwnershipProven(ctx, tx, acme.ID, d.ID)
			})
			if got.State != DomainActive || !got.VerifiedAt.After(*before.VerifiedAt) {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("keeps the proof when a certificate fails", func(t *testing.T) {
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordCertificateFailed(ctx, tx, acme.ID, d.ID, "acme: rate limited")
			})
			if got.State != DomainFailed || got.LastError != "acme: rate limited" || !got.OwnershipProven() {
				t.Fatalf("got %+v", got)
			}
			if !allowed(t, "login.acme.com") || !hasHost(t) {
				t.Fatal("a failed certificate revoked the proof")
			}
			got = step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordCertificateObtained(ctx, tx, acme.ID, d.ID)
			})
			if got.State != DomainActive || got.LastError != "" {
				t.Fatalf("retry: got %+v", got)
			}
		})
		t.Run("revokes the proof of an active domain that fails a check", func(t *testing.T) {
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordOwnershipFailed(ctx, tx, acme.ID, d.ID, "TXT record gone")
			})
			if got.State != DomainFailed || got.OwnershipProven() {
				t.Fatalf("got %+v", got)
			}
			if allowed(t, "login.acme.com") || hasHost(t) {
				t.Fatal("a revoked domain is still allowed a certificate or an issuer")
			}
		})
		t.Run("clips a long reason at a character boundary", func(t *testing.T) {
			got := step(t, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.RecordOwnershipFailed(ctx, tx, acme.ID, d.ID, "x"+strings.Repeat("é", MaxLastErrorLen))
			})
			if len(got.LastError) > MaxLastErrorLen || !utf8.ValidString(got.LastError) || len(got.LastError) < MaxLastErrorLen-1 {
				t.Fatalf("last error of %d bytes (valid %v)", len(got.LastError), utf8.ValidString(got.LastError))
			}
		})
		t.Run("hides another tenant's domain", func(t *testing.T) {
			for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
				"proven": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.RecordOwnershipProven(ctx, tx, other.ID, d.ID)
					return err
				},
				"failed": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.RecordOwnershipFailed(ctx, tx, other.ID, d.ID, "x")
					return err
				},
				"obtained": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.RecordCertificateObtained(ctx, tx, other.ID, d.ID)
					return err
				},
				"certificate failed": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.RecordCertificateFailed(ctx, tx, other.ID, d.ID, "x")
					return err
				},
			} {
				t.Run(name, func(t *testing.T) { wantNotFound(t, e.do(t, fn)) })
			}
		})
		t.Run("allows no certificate for an unknown host", func(t *testing.T) {
			if allowed(t, "nope.acme.com") || allowed(t, "id.example.com") {
				t.Fatal("allowed an unknown host")
			}
		})
	})
}

func TestDomainsDueForCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, globex := e.tenant(t, "acme", ""), e.tenant(t, "globex", "")
		mk := func(tenantID, host string, fn func(ctx context.Context, tx store.Tx, d Domain) error) Domain {
			e.clk.Advance(time.Minute)
			return get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
				d, err := e.svc.CreateDomain(ctx, tx, tenantID, DomainInput{Hostname: host})
				if err == nil && fn != nil {
					err = fn(ctx, tx, d)
				}
				return d, err
			})
		}
		failOwnership := func(ctx context.Context, tx store.Tx, d Domain) error {
			_, err := e.svc.RecordOwnershipFailed(ctx, tx, d.TenantID, d.ID, "no TXT record")
			return err
		}
		prove := func(ctx context.Context, tx store.Tx, d Domain) error {
			_, err := e.svc.RecordOwnershipProven(ctx, tx, d.TenantID, d.ID)
			return err
		}
		failCertificate := func(ctx context.Context, tx store.Tx, d Domain) error {
			if err := prove(ctx, tx, d); err != nil {
				return err
			}
			_, err := e.svc.RecordCertificateFailed(ctx, tx, d.TenantID, d.ID, "acme: timeout")
			return err
		}
		old := mk(acme.ID, "old.acme.com", nil)
		e.clk.Advance(8 * 24 * time.Hour)
		pending := mk(acme.ID, "new.acme.com", nil)
		failed := mk(globex.ID, "login.globex.com", failOwnership)
		mk(acme.ID, "login.acme.com", prove)
		mk(acme.ID, "auth.acme.com", failCertificate)
		pending2 := mk(globex.ID, "next.globex.com", nil)
		window := 7 * 24 * time.Hour
		due := func(t *testing.T, limit int) []string {
			list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Domain, error) {
				return e.svc.DomainsDueForCheck(ctx, tx, window, limit)
			})
			var ids []string
			for _, d := range list {
				ids = append(ids, d.Hostname)
			}
			return ids
		}
		t.Run("lists pending and unproven failed domains of every tenant, least recently changed first", func(t *testing.T) {
			got, want := due(t, 50), []string{pending.Hostname, failed.Hostname, pending2.Hostname}
			if !slices.Equal(got, want) {
				t.Fatalf("due %q, want %q (not %s, created before the window)", got, want, old.Hostname)
			}
		})
		t.Run("takes turns in bounded batches", func(t *testing.T) {
			if got := due(t, 2); !slices.Equal(got, []string{pending.Hostname, failed.Hostname}) {
				t.Fatalf("first batch %q", got)
			}
			e.clk.Advance(time.Minute)
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return failOwnership(ctx, tx, pending) })
			if got := due(t, 2); !slices.Equal(got, []string{failed.Hostname, pending2.Hostname}) {
				t.Fatalf("after checking %s: %q", pending.Hostname, got)
			}
		})
		t.Run("refuses a limit out of range", func(t *testing.T) {
			for _, n := range []int{0, MaxLimit + 1} {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.DomainsDueForCheck(ctx, tx, window, n)
					return err
				}), "limit")
			}
		})
	})
}
