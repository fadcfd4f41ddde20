package keyring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/store"
)

// Signer returns the key that signs for alg (RS256, ES256 or EdDSA) on
// one authorization server of a tenant now: of the slot's keys not
// revoked, the newest generation already activated. The first key of a
// slot (or the first after every key was revoked) is created here,
// activating at once; nodes racing to create it agree on one key. It
// answers from this node's cache while it is fresh, so a next key takes
// over at its activation without a database read. It runs its own
// transactions: never call it inside one. An unknown alg is an error.
func (r *Ring) Signer(ctx context.Context, tenantID, server, alg string) (*Key, error) {
	if !slices.Contains(keyAlgs, alg) {
		return nil, fmt.Errorf("keyring: no key type for %q", alg)
	}
	slot := keySlot{tenantID, server, alg}
	if k := r.cachedSigner(slot); k != nil {
		return k, nil
	}
	// One load at a time per node, so that concurrent first requests do
	// not each generate a key.
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if k := r.cachedSigner(slot); k != nil {
		return k, nil
	}
	k, err := r.loadSigner(ctx, slot)
	if err == nil && k == nil {
		if err = r.createFirstKey(ctx, slot); err == nil {
			k, err = r.loadSigner(ctx, slot)
		}
	}
	if err == nil && k == nil {
		err = errors.New("no key signs after creating one")
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %s signing key: %w", alg, err)
	}
	return k, nil
}

// createFirstKey makes the key a slot signs with when it has none (its
// first, or after every key was revoked), activating at once. Nodes racing
// to create it insert the same generation; the loser's insert conflicts
// and it reads the winner's key instead, so every node signs with one key.
func (r *Ring) createFirstKey(ctx context.Context, slot keySlot) error {
	nk, err := r.newKey(slot)
	if err != nil {
		return err
	}
	now := r.now()
	var gen int64
	err = r.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		sched, err := readSchedule(ctx, tx, slot)
		if err != nil {
			return err
		}
		if sched.current(now) >= 0 {
			return errKeyExists
		}
		gen = sched.nextGeneration()
		return nk.insert(ctx, tx, gen, now, now)
	})
	switch {
	case errors.Is(err, errKeyExists) || errors.Is(err, store.ErrConflict):
		r.log.DebugContext(ctx, "signing key made by another node", "tenant", slot.tenantID, "alg", slot.alg, "conflict", errors.Is(err, store.ErrConflict))
		return nil
	case err != nil:
		return err
	}
	r.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
		"kid", nk.kid, "generation", gen, "activates_at", now)
	r.remember(&nk.Key)
	return nil
}

// errKeyExists stops creating a key that another node already made.
var errKeyExists = errors.New("keyring: signing key exists")

// ByKID returns a key of one authorization server of a tenant by kid,
// for verifying a token: any key of the server that is published,
// whatever its place in the schedule. A revoked key, a key past its
// retention, and a key of another tenant or server are an error wrapping
// store.ErrNotFound; so is an empty kid or one longer than 64 bytes. A
// key revoked on another node is refused here once this node's cache of
// its slot is stale (at most 5 minutes later). It never creates a key.
func (r *Ring) ByKID(ctx context.Context, tenantID, server, kid string) (*Key, error) {
	if kid == "" || len(kid) > 64 {
		return nil, store.ErrNotFound
	}
	if k, known := r.cachedKID(tenantID, server, kid); known {
		if k == nil {
			return nil, store.ErrNotFound
		}
		return k, nil
	}
	var alg string
	err := r.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT alg FROM oidc_keys WHERE id = ? AND tenant_id = ? AND server = ?`,
			kid, tenantID, server).Scan(&alg)
	})
	if err != nil {
		return nil, err
	}
	slot := keySlot{tenantID, server, alg}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	loaded, err := r.loadSlots(ctx, slot.tenantID, slot.server)
	if err != nil {
		return nil, err
	}
	if k, _ := loaded[slot].lookup(kid, r.clk.Now(), r.retention); k != nil {
		return k, nil
	}
	return nil, store.ErrNotFound
}

// Published returns the public keys of one authorization server of a
// tenant that verify its tokens, as JWKs (kid, alg, use "sig", no private
// part): every key published now (not revoked, not past its retention).
// The keys that sign now come first, then the next keys, then retired
// ones; within each, by algorithm (RS256, ES256, EdDSA) and newest first.
// It reads the database, so a key created on another node is published
// at once. It creates no key: call Signer for each of Algs first for a
// set that is never empty.
func (r *Ring) Published(ctx context.Context, tenantID, server string) ([]jose.JSONWebKey, error) {
	var rows []keyRow
	err := r.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rows, err = readKeys(ctx, tx, true, `WHERE tenant_id = ? AND server = ?`, tenantID, server)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := r.clk.Now()
	type ranked struct {
		rank, alg int
		gen       int64
		key       jose.JSONWebKey
	}
	var list []ranked
	for _, sched := range bySlot(rows) {
		for i, kr := range sched {
			if !sched.published(i, now, r.retention) {
				continue
			}
			var k jose.JSONWebKey
			if err := k.UnmarshalJSON(kr.jwk); err != nil {
				return nil, fmt.Errorf("keyring: stored public key %s: %w", kr.kid, err)
			}
			list = append(list, ranked{rank: statusRank[sched.status(i, now)], alg: algRank(kr.slot.alg), gen: kr.generation, key: k})
		}
	}
	slices.SortFunc(list, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.alg, b.alg), cmp.Compare(b.gen, a.gen))
	})
	keys := make([]jose.JSONWebKey, len(list))
	for i, kr := range list {
		keys[i] = kr.key
	}
	return keys, nil
}

// statusRank orders published keys: those that sign first.
var statusRank = map[string]int{keyStatusCurrent: 0, keyStatusNext: 1, keyStatusRetired: 2}

// algRank is the position of alg in keyAlgs.
func algRank(alg string) int {
	for i, a := range keyAlgs {
		if a == alg {
			return i
		}
	}
	return len(keyAlgs)
}
