package tenant

import (
	"context"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

func TestTenantHasHost(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, globex := e.tenant(t, "acme", ""), e.tenant(t, "globex", "")
		domain := func(tenantID, host string, state DomainState) {
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				d, err := e.svc.CreateDomain(ctx, tx, tenantID, DomainInput{Hostname: host})
				if err == nil && state != DomainPending {
					_, err = e.svc.SetDomainState(ctx, tx, d.ID, state, "")
				}
				return err
			})
		}
		domain(acme.ID, "login.acme.com", DomainActive)
		domain(acme.ID, "auth.acme.com", DomainVerified)
		domain(acme.ID, "new.acme.com", DomainPending)
		domain(globex.ID, "login.globex.com", DomainActive)
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			// A certificate that failed keeps the proof; a failed
			// ownership check revokes it.
			for host, fail := range map[string]func(d Domain) error{
				"cert.acme.com": func(d Domain) error {
					_, err := e.svc.RecordCertificateFailed(ctx, tx, acme.ID, d.ID, "acme: timeout")
					return err
				},
				"lost.acme.com": func(d Domain) error {
					_, err := e.svc.RecordOwnershipFailed(ctx, tx, acme.ID, d.ID, "no TXT record")
					return err
				},
			} {
				d, err := e.svc.CreateDomain(ctx, tx, acme.ID, DomainInput{Hostname: host})
				if err == nil {
					_, err = e.svc.RecordOwnershipProven(ctx, tx, acme.ID, d.ID)
				}
				if err == nil {
					err = fail(d)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		for _, tc := range []struct {
			name, host string
			want       bool
		}{
			{"accepts the instance's public host", "id.example.com", true},
			{"accepts the tenant's own subdomain", "acme.id.example.com", true},
			{"accepts an active custom domain, ignoring case", "LOGIN.acme.com", true},
			{"accepts a verified custom domain", "auth.acme.com", true},
			{"refuses a pending custom domain", "new.acme.com", false},
			{"accepts a proven domain whose certificate failed", "cert.acme.com", true},
			{"refuses a domain whose ownership check failed after it was proven", "lost.acme.com", false},
			{"refuses another tenant's domain", "login.globex.com", false},
			{"refuses another tenant's subdomain", "globex.id.example.com", false},
			{"refuses an unknown host", "evil.example.net", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got bool
				e.ok(t, func(ctx context.Context, tx store.Tx) error {
					var err error
					got, err = e.svc.TenantHasHost(ctx, tx, acme.ID, tc.host)
					return err
				})
				if got != tc.want {
					t.Fatalf("TenantHasHost(%q) = %v, want %v", tc.host, got, tc.want)
				}
			})
		}
	})
}
