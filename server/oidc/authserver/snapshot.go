package authserver

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/lintel-id/lintel/server/store"
)

// The configuration cache. A token request needs what a server's
// configuration says (its scopes, active policies and rules, claims with
// their compiled expressions); reading and compiling it all in every
// request's transaction doubled the cost of a token. A Service keeps it
// instead as an immutable snapshot per (tenant, server), tagged with the
// server's config_version.
//
// config_version is a column of auth_servers that every change of the
// server's configuration sets to a new random value, in the transaction
// that makes the change (changed; insertServer and UpdateServer write it
// themselves). A request reads the version in its own transaction (one
// indexed SELECT) and uses the cached snapshot only when its version is
// the same; otherwise it reads the configuration in the same transaction
// and caches that. Because transactions are serializable, the version and
// the configuration a transaction reads are of the same state, so:
//
//   - a change committed on this node or any other is seen by the next
//     transaction that starts after the commit, with no TTL and no
//     message between nodes;
//   - a snapshot built inside a transaction that changed the server
//     (uncommitted data) is cached under that transaction's version. If
//     it commits, that is the committed state; if it rolls back, no
//     committed state ever has that version again, since versions are
//     random rather than counted, so the snapshot is never used;
//   - on PostgreSQL the read of the server row keeps the request's
//     serializable read dependency on every change of the configuration,
//     as reading the configuration rows did.
//
// A snapshot is shared by concurrent requests and never modified: what
// Decide and TokenClaims hand out of it is copied.

// maxSnapshots bounds the cache; past it an arbitrary snapshot is
// dropped, to be read again when next needed.
const maxSnapshots = 4096

// snapshotKey names a server of a tenant.
type snapshotKey struct{ tenantID, serverID string }

// snapshot is what token requests read of a server's configuration.
type snapshot struct {
	version int64
	// scopes are the server's scopes by name, byName indexes them.
	scopes []Scope
	byName map[string]Scope
	// policies are the active policies by priority; rules the active
	// rules of each by priority (as ActivePolicies).
	policies []Policy
	rules    map[string][]Rule
	// claims are every claim by target then name, active ones compiled.
	claims []snapClaim
}

// snapClaim is a stored claim with its compiled expression, or the
// error compiling it gave (reported only when the claim is issued).
type snapClaim struct {
	Claim
	compiled *compiledClaim
	err      error
}

// snapshots is a Service's cache. The zero value is empty and ready.
type snapshots struct {
	mu sync.Mutex
	m  map[snapshotKey]*snapshot
}

func (c *snapshots) get(k snapshotKey) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *snapshots) put(k snapshotKey, sn *snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[snapshotKey]*snapshot{}
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= maxSnapshots {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = sn
}

func (c *snapshots) drop(k snapshotKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// newConfigVersion returns a config_version for a change: random, so
// that it never repeats the version of a change that was rolled back.
func newConfigVersion() int64 { return rand.Int64() }

// changed records in tx that the configuration of server serverID
// changes: every mutator calls it (before its first write, so that a
// write that fails half-way still moves the version) unless it writes
// config_version itself.
func changed(ctx context.Context, tx store.Tx, serverID string) error {
	_, err := tx.Exec(ctx, `UPDATE auth_servers SET config_version = ? WHERE id = ?`, newConfigVersion(), serverID)
	return err
}

// snapshotOf returns the configuration of a server of a tenant as tx
// sees it, from the cache when its version is current. A server that does
// not exist (or is another tenant's) is ErrNotFound.
func (s *Service) snapshotOf(ctx context.Context, tx store.Tx, tenantID, serverID string) (*snapshot, error) {
	k := snapshotKey{tenantID, serverID}
	var version int64
	err := tx.QueryRow(ctx, `SELECT config_version FROM auth_servers WHERE id = ? AND tenant_id = ?`, serverID, tenantID).Scan(&version)
	if errors.Is(err, store.ErrNotFound) {
		s.snaps.drop(k)
		return nil, notFound("authorization server", serverID)
	}
	if err != nil {
		return nil, err
	}
	if sn := s.snaps.get(k); sn != nil && sn.version == version {
		return sn, nil
	}
	sn, err := s.readSnapshot(ctx, tx, tenantID, serverID)
	if err != nil {
		return nil, err
	}
	sn.version = version
	s.snaps.put(k, sn)
	return sn, nil
}

// readSnapshot reads the configuration of a server known to exist.
func (s *Service) readSnapshot(ctx context.Context, tx store.Tx, tenantID, serverID string) (*snapshot, error) {
	scopes, err := s.scopesOf(ctx, tx, tenantID, serverID)
	if err != nil {
		return nil, err
	}
	pols, rules, err := s.activePoliciesOf(ctx, tx, tenantID, serverID)
	if err != nil {
		return nil, err
	}
	claims, err := s.storedClaims(ctx, tx, tenantID, serverID)
	if err != nil {
		return nil, err
	}
	sn := &snapshot{scopes: scopes, byName: make(map[string]Scope, len(scopes)), policies: pols, rules: rules}
	for _, sc := range scopes {
		sn.byName[sc.Name] = sc
	}
	for _, c := range claims {
		sc := snapClaim{Claim: c}
		if c.Active {
			sc.compiled, sc.err = compileClaim(c.Expression)
		}
		sn.claims = append(sn.claims, sc)
	}
	return sn, nil
}

// clonePolicy returns a copy of p that shares nothing with it.
func clonePolicy(p *Policy) *Policy {
	c := *p
	c.Clients = slices.Clone(p.Clients)
	return &c
}

// cloneRule returns a copy of r that shares nothing with it.
func cloneRule(r *Rule) *Rule {
	c := *r
	c.GrantTypes, c.Scopes, c.Groups = slices.Clone(r.GrantTypes), slices.Clone(r.Scopes), slices.Clone(r.Groups)
	c.Zones, c.ExcludeZones = slices.Clone(r.Zones), slices.Clone(r.ExcludeZones)
	return &c
}
