package ownership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Defaults for the zero values of Options.
const (
	DefaultWindow = 7 * 24 * time.Hour
	DefaultBatch  = 20
)

// The system-log events of this package. They name the tenant and the
// domain by ID only; their details hold no hostname and no reason.
const (
	EventVerified            = "domain.verified"
	EventVerificationFailed  = "domain.verification_failed"
	EventCertificateObtained = "domain.certificate_obtained"
	EventCertificateFailed   = "domain.certificate_failed"
)

// The actors of the events: the ownership checks, and the TLS manager's
// certificate outcomes.
var (
	checkActor = events.Ref{Type: "system", ID: "ownership"}
	tlsActor   = events.Ref{Type: "system", ID: "tls"}
)

// Deps are a Verifier's dependencies, all required.
type Deps struct {
	Store   store.Store
	Tenants *tenant.Service
	Events  *events.Log
	Checker *Checker
	Logger  *slog.Logger
}

// Options tune a Verifier's background re-checks.
type Options struct {
	// Window is how long after its creation an unproven domain is still
	// re-checked in the background (default DefaultWindow); older ones
	// wait for an explicit Verify.
	Window time.Duration
	// Batch is how many domains one tick re-checks at most (default
	// DefaultBatch, at most tenant.MaxLimit). Checks run one after the
	// other, each bounded by the Checker's timeouts.
	Batch int
}

// Verifier checks domains' ownership and records the outcome on the
// domain together with a system-log event, and answers the TLS manager's
// certificate questions (certificates.go). It is safe for concurrent use.
type Verifier struct {
	Deps
	window time.Duration
	batch  int
}

// NewVerifier returns a Verifier; it refuses missing dependencies.
func NewVerifier(d Deps, o Options) (*Verifier, error) {
	if d.Store == nil || d.Tenants == nil || d.Events == nil || d.Checker == nil || d.Logger == nil {
		return nil, errors.New("ownership: every dependency is required")
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	o.Batch = min(o.Batch, tenant.MaxLimit)
	return &Verifier{Deps: d, window: o.Window, batch: o.Batch}, nil
}

// Verify checks now that the tenant owns the domain domainID and records
// the outcome with an event (EventVerified or EventVerificationFailed),
// and returns the domain as recorded. A failed check is not an error: the
// domain comes back in state failed with the reason in LastError (and a
// domain proven before loses its proof, see
// tenant.Service.RecordOwnershipFailed). Errors: an unknown domain, or one
// of another tenant, wraps store.ErrNotFound; when ctx ends during the
// check nothing is recorded and the error wraps ctx.Err(); store errors
// come back wrapped.
//
// The network check runs outside any transaction; only the outcome is
// written, in one transaction with its event.
func (v *Verifier) Verify(ctx context.Context, tenantID, domainID string) (tenant.Domain, error) {
	var d tenant.Domain
	err := v.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		d, err = v.Tenants.Domain(ctx, tx, tenantID, domainID)
		return err
	})
	if err != nil {
		return tenant.Domain{}, err
	}
	return v.check(ctx, d, true)
}

// check proves d's ownership and records the outcome; unless always, the
// event is appended only when the state, the proof or the reason changed,
// so background re-checks of a domain that keeps failing do not flood
// the log.
func (v *Verifier) check(ctx context.Context, d tenant.Domain, always bool) (tenant.Domain, error) {
	method, err := v.Checker.Check(ctx, d)
	var failure *Failure
	if err != nil && !errors.As(err, &failure) {
		return tenant.Domain{}, err
	}
	var out tenant.Domain
	err = v.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		before, err := v.Tenants.Domain(ctx, tx, d.TenantID, d.ID)
		if err != nil {
			return err // deleted since
		}
		ev := events.Event{TenantID: d.TenantID, Actor: checkActor, Target: events.Ref{Type: "domain", ID: d.ID}, RequestID: requestid.From(ctx)}
		if failure == nil {
			out, err = v.Tenants.RecordOwnershipProven(ctx, tx, d.TenantID, d.ID)
			ev.Type, ev.Outcome, ev.Details = EventVerified, events.Success, map[string]any{"method": string(method)}
		} else {
			out, err = v.Tenants.RecordOwnershipFailed(ctx, tx, d.TenantID, d.ID, failure.Reason())
			ev.Type, ev.Outcome = EventVerificationFailed, events.Failure
			if before.OwnershipProven() {
				ev.Details = map[string]any{"revoked": true}
			}
		}
		if err != nil {
			return err
		}
		if !always && !changed(before, out) {
			return nil
		}
		_, err = v.Events.Append(ctx, tx, ev)
		return err
	})
	if err != nil {
		return tenant.Domain{}, fmt.Errorf("ownership: record check of %s: %w", d.ID, err)
	}
	return out, nil
}

// changed reports whether a check changed what people see of a domain.
func changed(before, after tenant.Domain) bool {
	return before.State != after.State || before.LastError != after.LastError || before.OwnershipProven() != after.OwnershipProven()
}

// Run re-checks the domains that are due (see RecheckDue) on every tick,
// until ctx ends or tick is closed. A tick that arrives while a batch is
// still running waits for it.
func (v *Verifier) Run(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-tick:
			if !ok {
				return
			}
			if _, err := v.RecheckDue(ctx); err != nil && ctx.Err() == nil {
				v.Logger.ErrorContext(ctx, "ownership: listing domains due for a check failed", "err", err)
			}
		}
	}
}

// RecheckDue checks one batch of the domains due for a check across
// tenants (tenant.Service.DomainsDueForCheck: pending, or failed and not
// proven, created within the window), one after the other, and returns
// how many it checked. One domain's error does not stop the others: it is
// logged, by domain and tenant ID only. The error is the listing's, or
// ctx's when it ended.
func (v *Verifier) RecheckDue(ctx context.Context) (int, error) {
	var due []tenant.Domain
	err := v.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		due, err = v.Tenants.DomainsDueForCheck(ctx, tx, v.window, v.batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ownership: domains due for a check: %w", err)
	}
	n := 0
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		out, err := v.check(ctx, d, false)
		n++
		switch {
		case err != nil && errors.Is(err, store.ErrNotFound):
			// Deleted while the batch ran: nothing to check.
		case err != nil:
			v.Logger.WarnContext(ctx, "ownership: re-check failed", "domain", d.ID, "tenant", d.TenantID, "err", err)
		case out.OwnershipProven():
			v.Logger.InfoContext(ctx, "ownership: domain verified", "domain", d.ID, "tenant", d.TenantID)
		default:
			v.Logger.DebugContext(ctx, "ownership: domain still not verified", "domain", d.ID, "tenant", d.TenantID)
		}
	}
	return n, nil
}
