package keyring

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// slotKeys is a node's cached view of one slot: its schedule and the
// parsed keys of those that were published when it was read.
type slotKeys struct {
	sched schedule
	keys  map[string]*Key // by kid
	until time.Time       // stale from then on
}

// signing returns the key that signs at now, nil if none does.
func (s slotKeys) signing(now time.Time) *Key {
	if i := s.sched.current(now); i >= 0 {
		return s.keys[s.sched[i].kid]
	}
	return nil
}

// lookup reports whether kid is a key of the slot and returns it when it
// is published at now.
func (s slotKeys) lookup(kid string, now time.Time, retention time.Duration) (*Key, bool) {
	for i, r := range s.sched {
		if r.kid == kid {
			if !s.sched.published(i, now, retention) {
				return nil, true
			}
			return s.keys[kid], true
		}
	}
	return nil, false
}

// cachedSigner returns the signing key of a slot from a fresh cache, nil
// when the cache is stale or names none.
func (r *Ring) cachedSigner(slot keySlot) *Key {
	now := r.clk.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.active[slot]; ok && now.Before(s.until) {
		return s.signing(now)
	}
	return nil
}

// cachedKID looks kid up in the fresh caches of a server's slots: known
// is false when none of them has it, k nil when it is not published.
func (r *Ring) cachedKID(tenantID, server, kid string) (k *Key, known bool) {
	now := r.clk.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, alg := range keyAlgs {
		s, ok := r.active[keySlot{tenantID, server, alg}]
		if !ok || !now.Before(s.until) {
			continue
		}
		if k, known := s.lookup(kid, now, r.retention); known {
			return k, true
		}
	}
	return nil, false
}

// loadSigner reloads a slot and returns its signing key, nil if none.
// The caller holds loadMu.
func (r *Ring) loadSigner(ctx context.Context, slot keySlot) (*Key, error) {
	loaded, err := r.loadSlots(ctx, slot.tenantID, slot.server)
	if err != nil {
		return nil, err
	}
	return loaded[slot].signing(r.clk.Now()), nil
}

// loadSlots reads the keys of every slot of one server, opens those that
// are published, and caches the result for activeKeyTTL. The caller holds
// loadMu, so that a load that started before a change on this node cannot
// overwrite the cache after it.
func (r *Ring) loadSlots(ctx context.Context, tenantID, server string) (map[keySlot]slotKeys, error) {
	now := r.clk.Now()
	var out map[keySlot]slotKeys
	err := r.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		out = map[keySlot]slotKeys{}
		for _, alg := range keyAlgs {
			out[keySlot{tenantID, server, alg}] = slotKeys{keys: map[string]*Key{}}
		}
		rows, err := tx.Query(ctx, `SELECT `+keyCols+`, private_sealed FROM oidc_keys
			WHERE tenant_id = ? AND server = ? ORDER BY alg, generation`, tenantID, server)
		if err != nil {
			return err
		}
		var all []keyRow
		for rows.Next() {
			var kr keyRow
			if err := kr.scan(rows, &kr.sealed); err != nil {
				rows.Close()
				return err
			}
			if _, ok := out[kr.slot]; ok {
				all = append(all, kr)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, kr := range all {
			s := out[kr.slot]
			s.sched = append(s.sched, kr)
			out[kr.slot] = s
		}
		for slot, s := range out {
			for i, kr := range s.sched {
				if !s.sched.published(i, now, r.retention) {
					continue
				}
				k, err := r.openKey(ctx, tx, kr)
				if err != nil {
					return err
				}
				s.keys[kr.kid] = k
			}
			for i := range s.sched {
				s.sched[i].sealed = nil // not kept in memory longer than needed
			}
			out[slot] = s
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	until := now.Add(activeKeyTTL)
	r.mu.Lock()
	defer r.mu.Unlock()
	for slot, s := range out {
		for kid := range r.active[slot].keys {
			if s.keys[kid] == nil {
				delete(r.byKID, kid) // deleted, revoked or past retention
			}
		}
		s.until = until
		r.active[slot] = s
	}
	return out, nil
}

// forget marks the cached keys of every slot of one server stale, so that
// the next use reads the database. Parsed keys stay for reuse.
func (r *Ring) forget(tenantID, server string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, alg := range keyAlgs {
		slot := keySlot{tenantID, server, alg}
		if s, ok := r.active[slot]; ok {
			s.until = time.Time{}
			r.active[slot] = s
		}
	}
}

// openKey opens the private key of a row read with its sealed key,
// unless it is cached.
func (r *Ring) openKey(ctx context.Context, tx store.Tx, kr keyRow) (*Key, error) {
	r.mu.Lock()
	k, ok := r.byKID[kr.kid]
	r.mu.Unlock()
	if ok {
		return k, nil
	}
	der, err := r.sec.Open(ctx, tx, keyBinding(kr.slot.tenantID, kr.kid), kr.sealed)
	if err != nil {
		return nil, fmt.Errorf("keyring: open signing key %s: %w", kr.kid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keyring: parse signing key %s: %w", kr.kid, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok || !keyFits(kr.slot.alg, priv) {
		return nil, fmt.Errorf("keyring: signing key %s is not an %s key", kr.kid, kr.slot.alg)
	}
	k = &Key{kid: kr.kid, slot: kr.slot, private: priv}
	r.remember(k)
	return k, nil
}

// remember caches a parsed key by kid.
func (r *Ring) remember(k *Key) {
	r.mu.Lock()
	r.byKID[k.kid] = k
	r.mu.Unlock()
}
