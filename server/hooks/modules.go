package hooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// maxCachedModuleBytes bounds the module bytes a node keeps in memory.
const maxCachedModuleBytes = 64 << 20

// moduleKey is the cache and storage key of a module: its lowercase hex
// SHA-256.
func moduleKey(module []byte) string {
	sum := sha256.Sum256(module)
	return hex.EncodeToString(sum[:])
}

// putModule stores module for tenantID unless the tenant has it already,
// and returns its key.
func (s *Service) putModule(ctx context.Context, tx store.Tx, tenantID string, module []byte, now time.Time) (string, error) {
	key := moduleKey(module)
	_, err := tx.Exec(ctx, `INSERT INTO hook_modules (tenant_id, sha256, bytes, size, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, sha256) DO NOTHING`, tenantID, key, module, len(module), now)
	if err != nil {
		return "", fmt.Errorf("hooks: store module: %w", err)
	}
	return key, nil
}

// dropModule deletes a tenant's module once no hook of the tenant names
// it. An empty key (HTTP hooks) does nothing.
func dropModule(ctx context.Context, tx store.Tx, tenantID, key string) error {
	if key == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM hook_modules WHERE tenant_id = ? AND sha256 = ?
		AND NOT EXISTS (SELECT 1 FROM hooks WHERE tenant_id = ? AND module_sha256 = ?)`, tenantID, key, tenantID, key)
	if err != nil {
		return fmt.Errorf("hooks: delete module: %w", err)
	}
	return nil
}

// moduleCache keeps module bytes by key on this node. Keys are content
// hashes, so an entry never goes stale and tenants that upload the same
// module share it.
type moduleCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	bytes int
}

func (c *moduleCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b, ok
}

func (c *moduleCache) put(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(b) > maxCachedModuleBytes {
		// Dropping everything is crude but bounded; tenants with that
		// many distinct modules are rare, and a miss is one read.
		c.m, c.bytes = map[string][]byte{}, 0
	}
	if _, ok := c.m[key]; !ok && len(b) <= maxCachedModuleBytes {
		c.m[key] = b
		c.bytes += len(b)
	}
}

// module returns a tenant's module by key, from the cache or through tx.
func (s *Service) module(ctx context.Context, tx store.Tx, tenantID, key string) ([]byte, error) {
	if b, ok := s.modules.get(key); ok {
		return b, nil
	}
	var b []byte
	err := tx.QueryRow(ctx, `SELECT bytes FROM hook_modules WHERE tenant_id = ? AND sha256 = ?`, tenantID, key).Scan(&b)
	if err != nil {
		return nil, fmt.Errorf("hooks: load module %s: %w", key, err)
	}
	if moduleKey(b) != key {
		return nil, fmt.Errorf("hooks: module %s: stored bytes do not match their hash", key)
	}
	s.modules.put(key, b)
	return b, nil
}
