package keyring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// KeyInfo describes a signing key for operators: never its private half.
type KeyInfo struct {
	// ID is the key's kid.
	ID string
	// Alg is RS256, ES256 or EdDSA.
	Alg string
	// Status is "current" (signs now), "next" (published, signs from
	// ActivatesAt), "retired" (no longer signs, published until its
	// tokens have expired) or "revoked" (withdrawn by an immediate
	// rotation: neither used nor published).
	Status string
	// CreatedAt is when the key was made, which is when it was first
	// published unless revoked.
	CreatedAt time.Time
	// ActivatesAt is when the key starts signing.
	ActivatesAt time.Time
	// RetiresAt is when the key stops (or stopped) signing: the
	// ActivatesAt of the next key that is not revoked; nil while there is
	// none.
	RetiresAt *time.Time
}

// List lists the signing keys of one authorization server of a tenant,
// by algorithm (ES256, EdDSA, RS256) and newest first. Deleted keys (past
// their retention, removed by Rotate) are not listed. It refreshes this
// node's cache of the server's keys. It does not check that the tenant or
// server exists: one without keys has none listed.
func (r *Ring) List(ctx context.Context, tenantID, server string) ([]KeyInfo, error) {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	return r.keyInfos(ctx, tenantID, server)
}

// keyInfos lists the keys of a server. The caller holds loadMu.
func (r *Ring) keyInfos(ctx context.Context, tenantID, server string) ([]KeyInfo, error) {
	loaded, err := r.loadSlots(ctx, tenantID, server)
	if err != nil {
		return nil, fmt.Errorf("keyring: list keys: %w", err)
	}
	now := r.clk.Now()
	type listed struct {
		info KeyInfo
		gen  int64
	}
	var list []listed
	for _, s := range loaded {
		for i, kr := range s.sched {
			k := KeyInfo{ID: kr.kid, Alg: kr.slot.alg, Status: s.sched.status(i, now),
				CreatedAt: kr.createdAt, ActivatesAt: kr.activatesAt}
			if end, ok := s.sched.retiresAt(i); ok {
				k.RetiresAt = &end
			}
			list = append(list, listed{k, kr.generation})
		}
	}
	slices.SortFunc(list, func(a, b listed) int {
		return cmp.Or(strings.Compare(a.info.Alg, b.info.Alg), cmp.Compare(b.gen, a.gen))
	})
	out := make([]KeyInfo, len(list))
	for i, l := range list {
		out[i] = l.info
	}
	return out, nil
}

// RotateNow rotates every signing key (RS256, ES256, EdDSA) of one
// authorization server of a tenant at an operator's request, and returns
// the server's keys as List does. A slot without keys gets its first key,
// signing at once. It does not check that the tenant or server exists:
// the caller does, or it creates keys for them.
//
// Not immediate, each slot gets a next key that signs from now + Lead (a
// slot that already has a next key keeps it): relying parties see it
// first, and every token stays valid.
//
// Immediate is for a compromised key: each slot gets a key that signs at
// once, and the key that signed until now is revoked — unpublished at
// once, so every token it signed stops verifying, here at once and on
// other nodes within their cache's lifetime (5 minutes), during which
// they may also still sign with it. A next key waiting to sign is revoked
// too (it would never sign, and may share the compromise). Retired keys
// stay until their retention ends.
//
// The change is visible on this node at once (its cache is refreshed).
// It is safe to run on many nodes at once: a slot changed concurrently by
// another node is tried again on the new state (up to three times).
func (r *Ring) RotateNow(ctx context.Context, tenantID, server string, immediate bool) ([]KeyInfo, error) {
	for _, alg := range keyAlgs {
		slot := keySlot{tenantID, server, alg}
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if err = r.rotateNow(ctx, slot, immediate); !errors.Is(err, store.ErrConflict) {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("keyring: rotate %s key of %s/%s: %w", alg, tenantID, server, err)
		}
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	return r.keyInfos(ctx, tenantID, server)
}

// rotateNow does RotateNow's work on one slot. A generation inserted
// concurrently by another node is store.ErrConflict: the caller tries
// again on the new state.
func (r *Ring) rotateNow(ctx context.Context, slot keySlot, immediate bool) error {
	var sched schedule
	err := r.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		sched, err = readSchedule(ctx, tx, slot)
		return err
	})
	if err != nil {
		return err
	}
	now := r.now()
	cur := sched.current(now)
	if !immediate && cur >= 0 && len(sched.pending(now)) > 0 {
		return nil // keep the next key
	}
	nk, err := r.newKey(slot)
	if err != nil {
		return err
	}
	// Hold loadMu from the write to forgetting the cache, so that no load
	// of this node that read the old keys can cache them afterwards.
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	now = r.now()
	var activates time.Time
	var revoked []keyRow
	err = r.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		activates, revoked = now.Add(r.lead), nil
		sched, err := readSchedule(ctx, tx, slot)
		if err != nil {
			return err
		}
		cur := sched.current(now)
		switch {
		case immediate:
			activates = now
			if cur >= 0 {
				revoked = append(revoked, sched[cur])
			}
			for _, i := range sched.pending(now) {
				revoked = append(revoked, sched[i])
			}
		case cur < 0:
			activates = now // a first key, or none left that signs
		case len(sched.pending(now)) > 0:
			return errKeyExists
		}
		for _, kr := range revoked {
			if _, err := tx.Exec(ctx, `UPDATE oidc_keys SET status = ? WHERE id = ?`, keyRevoked, kr.kid); err != nil {
				return err
			}
		}
		return nk.insert(ctx, tx, sched.nextGeneration(), activates, now)
	})
	if errors.Is(err, errKeyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	r.forget(slot.tenantID, slot.server)
	r.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
		"kid", nk.kid, "activates_at", activates, "operator", true)
	for _, kr := range revoked {
		r.log.WarnContext(ctx, "revoked signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
			"kid", kr.kid, "generation", kr.generation)
	}
	return nil
}
