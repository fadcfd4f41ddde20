package policy

import (
	"context"
	"errors"
	"sync"

	"github.com/lintel-id/lintel/server/store"
)

// The program cache. Compiling a policy's conditions costs far more than
// reading its row, so a Service keeps each policy's compiled rules,
// tagged with the policy's version: a random value every write of the
// policy sets in its transaction. SignOn reads the version in its own
// transaction (one indexed SELECT) and uses the cached rules only when
// the version is the same; otherwise it reads and compiles the rules and
// caches them. As transactions are serializable, a change committed on
// this node or any other is seen by the next transaction, with no TTL;
// the version of a change that was rolled back is never written again
// (it is random, not counted), so rules cached by such a transaction are
// never used. Cached rules are shared and never modified.

// maxCachedPolicies bounds the cache; past it an arbitrary entry is
// dropped, to be compiled again when next needed.
const maxCachedPolicies = 4096

// compiledPolicy is a policy's rules with their compiled conditions.
type compiledPolicy struct {
	version int64
	rules   []Rule
	// conds[i] is the condition of rules[i]; nil when the stored
	// condition no longer compiles (see errs).
	conds []*condition
	// errs[i] is why rules[i]'s condition did not compile, if it did not.
	errs []error
}

// programCache is a Service's cache. The zero value is empty and ready.
type programCache struct {
	mu sync.Mutex
	m  map[string]*compiledPolicy
}

func (c *programCache) get(id string, version int64) *compiledPolicy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.m[id]; p != nil && p.version == version {
		return p
	}
	return nil
}

func (c *programCache) put(id string, p *compiledPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*compiledPolicy{}
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= maxCachedPolicies {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[id] = p
}

// effective returns the compiled sign-on policy that applies to an app of
// the tenant: the app's, else the tenant default; nil when there is
// neither.
func (s *Service) effective(ctx context.Context, tx store.Tx, tenantID, appID string) (string, *compiledPolicy, error) {
	var id string
	var version int64
	// The app's own policy sorts before the default ('' is the least).
	err := tx.QueryRow(ctx, `SELECT id, version FROM signon_policies WHERE tenant_id = ? AND app_id IN (?, '')
		ORDER BY app_id DESC LIMIT 1`, tenantID, appID).Scan(&id, &version)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if p := s.cache.get(id, version); p != nil {
		return id, p, nil
	}
	var raw []byte
	if err := tx.QueryRow(ctx, `SELECT rules FROM signon_policies WHERE id = ?`, id).Scan(&raw); err != nil {
		return "", nil, err
	}
	rules, err := decodeRules(raw)
	if err != nil {
		return "", nil, err
	}
	p := &compiledPolicy{version: version, rules: rules, conds: make([]*condition, len(rules)), errs: make([]error, len(rules))}
	for i, r := range rules {
		p.conds[i], p.errs[i] = s.compileCondition("condition", r.Condition)
	}
	s.cache.put(id, p)
	return id, p, nil
}
