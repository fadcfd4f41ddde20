package ownership

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// ErrNotAllowed is wrapped when no certificate may be obtained (or
// recorded) for a host: it is not a custom domain, or its ownership is not
// proven.
var ErrNotAllowed = errors.New("ownership: no certificate allowed for this host")

// maxCause bounds the part of a certificate error kept as a domain's last
// error: enough for an ACME problem's type and detail.
const maxCause = 300

// Allowed returns nil when a certificate may be obtained for host (a
// custom domain whose ownership is proven: state verified, active, or
// failed after it was proven), else an error wrapping ErrNotAllowed. Store
// errors come back wrapped, without ErrNotAllowed; either way the caller
// must not obtain a certificate. host comes from a TLS ClientHello: any
// case, a trailing dot allowed.
func (v *Verifier) Allowed(ctx context.Context, host string) error {
	var ok bool
	err := v.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		ok, err = v.Tenants.CertificateAllowed(ctx, tx, host)
		return err
	})
	if err != nil {
		return fmt.Errorf("ownership: certificate decision for %.253q: %w", host, err)
	}
	if !ok {
		return fmt.Errorf("%w: %.253q is not a custom domain with proven ownership", ErrNotAllowed, host)
	}
	return nil
}

// Obtained records that host now has a certificate: the domain becomes
// active, with an EventCertificateObtained event when it was not active
// already (renewals write none). A host that is not a custom domain wraps
// ErrNotAllowed and store.ErrNotFound; one whose ownership is not proven
// (revoked while the certificate was being obtained, say) wraps
// ErrNotAllowed and tenant.ErrOwnershipNotProven, and nothing changes.
func (v *Verifier) Obtained(ctx context.Context, host string) error {
	return v.certificate(ctx, host, EventCertificateObtained, events.Success, func(ctx context.Context, tx store.Tx, d tenant.Domain) (tenant.Domain, error) {
		return v.Tenants.RecordCertificateObtained(ctx, tx, d.TenantID, d.ID)
	})
}

// Failed records that obtaining (or renewing) a certificate for host
// failed: the domain becomes failed, with cause (its first 300 bytes) as
// its last error, and keeps its proof so that issuance may be retried. An
// EventCertificateFailed event is written when the state or the reason
// changed. Errors are those of Obtained.
func (v *Verifier) Failed(ctx context.Context, host string, cause error) error {
	reason := "certificate not obtained"
	if cause != nil {
		reason = "certificate: " + clip(strings.TrimSpace(cause.Error()), maxCause)
	}
	return v.certificate(ctx, host, EventCertificateFailed, events.Failure, func(ctx context.Context, tx store.Tx, d tenant.Domain) (tenant.Domain, error) {
		return v.Tenants.RecordCertificateFailed(ctx, tx, d.TenantID, d.ID, reason)
	})
}

// certificate records a certificate outcome for host in one transaction
// with its event, written only when the outcome changed the domain.
func (v *Verifier) certificate(ctx context.Context, host, typ string, outcome events.Outcome,
	record func(ctx context.Context, tx store.Tx, d tenant.Domain) (tenant.Domain, error)) error {
	err := v.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		before, err := v.Tenants.DomainByHost(ctx, tx, host)
		if err != nil {
			return err
		}
		after, err := record(ctx, tx, before)
		if err != nil || !changed(before, after) {
			return err
		}
		_, err = v.Events.Append(ctx, tx, events.Event{Type: typ, TenantID: after.TenantID, Actor: tlsActor,
			Target: events.Ref{Type: "domain", ID: after.ID}, Outcome: outcome, RequestID: requestid.From(ctx)})
		return err
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, tenant.ErrOwnershipNotProven):
		return fmt.Errorf("%w: %.253q: %w", ErrNotAllowed, host, err)
	}
	return fmt.Errorf("ownership: record certificate of %.253q: %w", host, err)
}
