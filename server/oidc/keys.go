package oidc

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Signing algorithms: ID tokens are RS256 by default (OIDC Core requires
// it), ES256 or EdDSA (Ed25519) for clients that register it; access
// tokens are ES256 (RFC 9068).
const (
	algRS256 = "RS256"
	algES256 = "ES256"
	algEdDSA = "EdDSA"
)

// keyAlgs are the algorithms a server has keys for, in the order keys of
// one status are published.
var keyAlgs = []string{algRS256, algES256, algEdDSA}

// Stored key statuses. An active key signs and is published as its
// schedule says (rotation.go); a revoked key (an operator's emergency
// rotation) is neither used nor published, whatever its schedule.
const (
	keyActive  = "active"
	keyRevoked = "revoked"
)

// keyPurpose binds sealed private keys (secrets.Binding.Purpose).
const keyPurpose = "oidc.signing-key"

// activeKeyTTL is how long a node trusts its cached schedule of a slot's
// keys. The schedule carries each key's activation time, so a node
// switches to a pre-published key on time without reading the database;
// the TTL only bounds how late it learns of keys created or revoked on
// another node.
const activeKeyTTL = 5 * time.Minute

// keySlot is what a signing key signs for: one algorithm of one server.
type keySlot struct{ tenantID, server, alg string }

// signingKey is a parsed key pair. Keys are immutable once stored.
type signingKey struct {
	kid     string
	slot    keySlot
	private crypto.Signer
	public  jose.JSONWebKey
}

// slotKeys is a node's cached view of one slot: its schedule and the
// parsed keys of those that were published when it was read.
type slotKeys struct {
	sched schedule
	keys  map[string]*signingKey // by kid
	until time.Time              // stale from then on
}

// signing returns the key that signs at now, nil if none does.
func (s slotKeys) signing(now time.Time) *signingKey {
	if i := s.sched.current(now); i >= 0 {
		return s.keys[s.sched[i].kid]
	}
	return nil
}

// lookup reports whether kid is a key of the slot and returns it when it
// is published at now.
func (s slotKeys) lookup(kid string, now time.Time) (*signingKey, bool) {
	for i, r := range s.sched {
		if r.kid == kid {
			if !s.sched.published(i, now) {
				return nil, true
			}
			return s.keys[kid], true
		}
	}
	return nil, false
}

// keyCols are the columns of a key's place in its schedule (keyRow.scan).
const keyCols = `id, tenant_id, server, alg, generation, status, created_at, activates_at`

// signer returns the key that signs for alg on iss now: of the slot's
// keys not revoked, the newest generation already activated. The first key
// of a slot is created here, activating at once. It runs its own
// transactions: never call it inside one.
func (p *Provider) signer(ctx context.Context, iss Issuer, alg string) (*signingKey, error) {
	slot := keySlot{iss.TenantID, iss.Server, alg}
	if k := p.cachedSigner(slot); k != nil {
		return k, nil
	}
	// One load at a time per node, so that concurrent first requests do
	// not each generate a key.
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	if k := p.cachedSigner(slot); k != nil {
		return k, nil
	}
	k, err := p.loadSigner(ctx, slot)
	if err == nil && k == nil {
		if err = p.createFirstKey(ctx, slot); err == nil {
			k, err = p.loadSigner(ctx, slot)
		}
	}
	if err == nil && k == nil {
		err = errors.New("no key signs after creating one")
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: %s signing key: %w", alg, err)
	}
	return k, nil
}

// cachedSigner returns the signing key of a slot from a fresh cache, nil
// when the cache is stale or names none.
func (p *Provider) cachedSigner(slot keySlot) *signingKey {
	now := p.clk.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.active[slot]; ok && now.Before(s.until) {
		return s.signing(now)
	}
	return nil
}

// loadSigner reloads a slot and returns its signing key, nil if none.
// The caller holds loadMu.
func (p *Provider) loadSigner(ctx context.Context, slot keySlot) (*signingKey, error) {
	loaded, err := p.loadSlots(ctx, slot.tenantID, slot.server)
	if err != nil {
		return nil, err
	}
	return loaded[slot].signing(p.clk.Now()), nil
}

// loadSlots reads the keys of every slot of one server, opens those that
// are published, and caches the result for activeKeyTTL. The caller holds
// loadMu, so that a load that started before a change on this node cannot
// overwrite the cache after it.
func (p *Provider) loadSlots(ctx context.Context, tenantID, server string) (map[keySlot]slotKeys, error) {
	now := p.clk.Now()
	var out map[keySlot]slotKeys
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		out = map[keySlot]slotKeys{}
		for _, alg := range keyAlgs {
			out[keySlot{tenantID, server, alg}] = slotKeys{keys: map[string]*signingKey{}}
		}
		rows, err := tx.Query(ctx, `SELECT `+keyCols+`, private_sealed FROM oidc_keys
			WHERE tenant_id = ? AND server = ? ORDER BY alg, generation`, tenantID, server)
		if err != nil {
			return err
		}
		var all []keyRow
		for rows.Next() {
			var r keyRow
			if err := r.scan(rows, &r.sealed); err != nil {
				rows.Close()
				return err
			}
			if _, ok := out[r.slot]; ok {
				all = append(all, r)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range all {
			s := out[r.slot]
			s.sched = append(s.sched, r)
			out[r.slot] = s
		}
		for slot, s := range out {
			for i, r := range s.sched {
				if !s.sched.published(i, now) {
					continue
				}
				k, err := p.openKey(ctx, tx, r)
				if err != nil {
					return err
				}
				s.keys[r.kid] = k
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
	p.mu.Lock()
	defer p.mu.Unlock()
	for slot, s := range out {
		for kid := range p.active[slot].keys {
			if s.keys[kid] == nil {
				delete(p.byKID, kid) // deleted, revoked or past retention
			}
		}
		s.until = until
		p.active[slot] = s
	}
	return out, nil
}

// forget marks the cached keys of every slot of one server stale, so that
// the next use reads the database. Parsed keys stay for reuse.
func (p *Provider) forget(tenantID, server string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, alg := range keyAlgs {
		slot := keySlot{tenantID, server, alg}
		if s, ok := p.active[slot]; ok {
			s.until = time.Time{}
			p.active[slot] = s
		}
	}
}

// createFirstKey makes the key a slot signs with when it has none (its
// first, or after every key was revoked), activating at once. Nodes racing
// to create it insert the same generation; the loser's insert conflicts
// and it reads the winner's key instead, so every node signs with one key.
func (p *Provider) createFirstKey(ctx context.Context, slot keySlot) error {
	nk, err := p.newKey(slot)
	if err != nil {
		return err
	}
	now := p.now()
	var gen int64
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
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
		p.log.DebugContext(ctx, "signing key made by another node", "tenant", slot.tenantID, "alg", slot.alg, "conflict", errors.Is(err, store.ErrConflict))
		return nil
	case err != nil:
		return err
	}
	p.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
		"kid", nk.kid, "generation", gen, "activates_at", now)
	p.remember(&nk.signingKey)
	return nil
}

// errKeyExists stops creating a key that another node already made.
var errKeyExists = errors.New("oidc: signing key exists")

// keyByKID returns a key of iss by kid, for verifying a token: any key of
// the issuer that is published (rotation.go), whatever its place in the
// schedule. A revoked key, a key past its retention, and a key of another
// tenant or server are store.ErrNotFound. A key revoked on another node
// is refused here once this node's cache of its slot is stale (at most
// activeKeyTTL later).
func (p *Provider) keyByKID(ctx context.Context, iss Issuer, kid string) (*signingKey, error) {
	if kid == "" || len(kid) > 64 {
		return nil, store.ErrNotFound
	}
	if k, known := p.cachedKID(iss, kid); known {
		if k == nil {
			return nil, store.ErrNotFound
		}
		return k, nil
	}
	var alg string
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT alg FROM oidc_keys WHERE id = ? AND tenant_id = ? AND server = ?`,
			kid, iss.TenantID, iss.Server).Scan(&alg)
	})
	if err != nil {
		return nil, err
	}
	slot := keySlot{iss.TenantID, iss.Server, alg}
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	loaded, err := p.loadSlots(ctx, slot.tenantID, slot.server)
	if err != nil {
		return nil, err
	}
	if k, _ := loaded[slot].lookup(kid, p.clk.Now()); k != nil {
		return k, nil
	}
	return nil, store.ErrNotFound
}

// cachedKID looks kid up in the fresh caches of iss's slots: known is
// false when none of them has it, k nil when it is not published.
func (p *Provider) cachedKID(iss Issuer, kid string) (k *signingKey, known bool) {
	now := p.clk.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, alg := range keyAlgs {
		s, ok := p.active[keySlot{iss.TenantID, iss.Server, alg}]
		if !ok || !now.Before(s.until) {
			continue
		}
		if k, known := s.lookup(kid, now); known {
			return k, true
		}
	}
	return nil, false
}

// publishedKeys returns the public keys of iss that verify its tokens:
// every key published now (not revoked, not past its retention). The keys
// that sign now come first, then the next keys, then retired ones; within
// each, by algorithm (RS256, ES256, EdDSA) and newest first. It reads the
// database, so a key created on another node is published at once.
func (p *Provider) publishedKeys(ctx context.Context, iss Issuer) ([]jose.JSONWebKey, error) {
	var rows []keyRow
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rows, err = readKeys(ctx, tx, true, `WHERE tenant_id = ? AND server = ?`, iss.TenantID, iss.Server)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := p.clk.Now()
	type ranked struct {
		rank, alg int
		gen       int64
		key       jose.JSONWebKey
	}
	var list []ranked
	for _, sched := range bySlot(rows) {
		for i, r := range sched {
			if !sched.published(i, now) {
				continue
			}
			var k jose.JSONWebKey
			if err := k.UnmarshalJSON(r.jwk); err != nil {
				return nil, fmt.Errorf("oidc: stored public key %s: %w", r.kid, err)
			}
			list = append(list, ranked{rank: statusRank[sched.status(i, now)], alg: algRank(r.slot.alg), gen: r.generation, key: k})
		}
	}
	slices.SortFunc(list, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.alg, b.alg), cmp.Compare(b.gen, a.gen))
	})
	keys := make([]jose.JSONWebKey, len(list))
	for i, r := range list {
		keys[i] = r.key
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

// openKey opens the private key of a row read with its sealed key,
// unless it is cached.
func (p *Provider) openKey(ctx context.Context, tx store.Tx, r keyRow) (*signingKey, error) {
	p.mu.Lock()
	k, ok := p.byKID[r.kid]
	p.mu.Unlock()
	if ok {
		return k, nil
	}
	der, err := p.sec.Open(ctx, tx, keyBinding(r.slot.tenantID, r.kid), r.sealed)
	if err != nil {
		return nil, fmt.Errorf("oidc: open signing key %s: %w", r.kid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oidc: parse signing key %s: %w", r.kid, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok || !keyFits(r.slot.alg, priv) {
		return nil, fmt.Errorf("oidc: signing key %s is not an %s key", r.kid, r.slot.alg)
	}
	k = &signingKey{kid: r.kid, slot: r.slot, private: priv, public: publicJWK(r.kid, r.slot.alg, priv)}
	p.remember(k)
	return k, nil
}

// remember caches a parsed key by kid.
func (p *Provider) remember(k *signingKey) {
	p.mu.Lock()
	p.byKID[k.kid] = k
	p.mu.Unlock()
}

// newKey is a generated key with its sealed private part and public JWK,
// ready to insert.
type newKey struct {
	signingKey
	sealed, jwk []byte
}

// newKey generates a key for slot and seals its private part through the
// secrets service. It does not touch the database.
func (p *Provider) newKey(slot keySlot) (newKey, error) {
	priv, err := generateKey(slot.alg)
	if err != nil {
		return newKey{}, err
	}
	kid := randomToken(16)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return newKey{}, fmt.Errorf("oidc: marshal private key: %w", err)
	}
	sealed, err := p.sec.Seal(keyBinding(slot.tenantID, kid), der)
	if err != nil {
		return newKey{}, err
	}
	pub := publicJWK(kid, slot.alg, priv)
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return newKey{}, fmt.Errorf("oidc: marshal public key: %w", err)
	}
	return newKey{signingKey: signingKey{kid: kid, slot: slot, private: priv, public: pub}, sealed: sealed, jwk: jwk}, nil
}

// insert stores the key as generation gen of its slot, signing from
// activates. A generation that exists is store.ErrConflict.
func (k newKey) insert(ctx context.Context, tx store.Tx, gen int64, activates, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO oidc_keys (`+keyCols+`, public_jwk, private_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.kid, k.slot.tenantID, k.slot.server, k.slot.alg, gen, keyActive, now, activates, string(k.jwk), k.sealed)
	return err
}

// publicJWK is the published form of a key.
func publicJWK(kid, alg string, priv crypto.Signer) jose.JSONWebKey {
	return jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}
}

// keyBinding is the row a sealed private key belongs to.
func keyBinding(tenantID, kid string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: keyPurpose, Row: kid}
}

// generateKey makes a key pair for alg: RSA 2048, P-256 or Ed25519.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case algRS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case algES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case algEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("oidc: no key type for %q", alg)
}

// keyFits reports whether priv is the key type alg signs with.
func keyFits(alg string, priv crypto.Signer) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return alg == algRS256
	case *ecdsa.PrivateKey:
		return alg == algES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == algEdDSA
	}
	return false
}

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
