package keyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// RotationReport is what one run of Rotate did.
type RotationReport struct {
	// Created counts next keys created, Deleted keys removed after their
	// retention.
	Created, Deleted int
}

// Rotate is the scheduled rotation job; the binary runs it hourly on
// every node. For each slot (tenant, authorization server, algorithm)
// whose current key activated at least Rotation − Lead ago and that has
// no next key yet, it creates the next generation, activating at the
// current key's activation plus Rotation, but never earlier than now +
// Lead (a job that ran late still publishes the key a full lead before it
// signs). It deletes keys past their retention. Slots without a key are
// left alone: their first key is created on first use (Signer).
//
// It is safe to run on many nodes at once: nodes racing on a slot insert
// the same generation, the unique index refuses all but one and the
// others count nothing. A failure on one slot does not stop the others:
// the report counts what was done and the error joins the failures. It
// stops at the first error when ctx ends. Private keys are sealed by the
// secrets service; nothing of them is logged.
func (r *Ring) Rotate(ctx context.Context) (RotationReport, error) {
	var rows []keyRow
	err := r.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rows, err = readKeys(ctx, tx, false, "")
		return err
	})
	if err != nil {
		return RotationReport{}, fmt.Errorf("keyring: rotate keys: %w", err)
	}
	var rep RotationReport
	var errs []error
	for _, sched := range bySlot(rows) {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("keyring: rotate keys: %w", err)
		}
		created, deleted, err := r.rotateSlot(ctx, sched)
		rep.Created += created
		rep.Deleted += deleted
		if err != nil {
			slot := sched[0].slot
			errs = append(errs, fmt.Errorf("keyring: rotate keys of %s/%s %s: %w", slot.tenantID, slot.server, slot.alg, err))
		}
	}
	return rep, errors.Join(errs...)
}

// rotateSlot does Rotate's work on one slot.
func (r *Ring) rotateSlot(ctx context.Context, sched schedule) (created, deleted int, err error) {
	slot := sched[0].slot
	now := r.now()
	var errs []error
	if cur := sched.current(now); cur >= 0 && len(sched.pending(now)) == 0 &&
		!now.Before(sched[cur].activatesAt.Add(r.rotation-r.lead)) {
		activates := sched[cur].activatesAt.Add(r.rotation)
		if earliest := now.Add(r.lead); activates.Before(earliest) {
			activates = earliest
		}
		ok, err := r.createNextKey(ctx, slot, sched.nextGeneration(), activates)
		if ok {
			created++
		}
		errs = append(errs, err)
	}
	for _, i := range sched.expired(now, r.retention) {
		kr := sched[i]
		var n int64
		err := r.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM oidc_keys WHERE id = ? AND tenant_id = ? AND server = ?`,
				kr.kid, slot.tenantID, slot.server)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n > 0 {
			deleted++
			r.log.InfoContext(ctx, "deleted signing key past its retention", "tenant", slot.tenantID, "server", slot.server,
				"alg", slot.alg, "kid", kr.kid, "generation", kr.generation)
		}
	}
	return created, deleted, errors.Join(errs...)
}

// createNextKey inserts generation gen of slot, activating at activates.
// It reports false, and no error, when another node inserted that
// generation first.
func (r *Ring) createNextKey(ctx context.Context, slot keySlot, gen int64, activates time.Time) (bool, error) {
	nk, err := r.newKey(slot)
	if err != nil {
		return false, err
	}
	now := r.now()
	err = r.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		return nk.insert(ctx, tx, gen, activates, now)
	})
	if errors.Is(err, store.ErrConflict) {
		r.log.DebugContext(ctx, "next signing key made by another node", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg, "generation", gen)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
		"kid", nk.kid, "generation", gen, "activates_at", activates)
	return true, nil
}
