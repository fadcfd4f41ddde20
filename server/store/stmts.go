package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds a statement cache. Queries are constant strings
// in the code, so a few hundred cover them all; past the bound (queries
// built with variable parts) statements are prepared per use as before.
const maxCachedStmts = 512

// stmtCache keeps prepared statements of one pool by query text, so that
// SQLite parses each query once per connection instead of on every use
// (parsing was a fifth of the CPU of a token request). database/sql
// prepares a cached statement lazily on each connection that runs it.
// PostgreSQL needs none: pgx caches prepared statements itself.
type stmtCache struct {
	pool   *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt // nil while being prepared
	closed bool
	// preparing counts background preparations, which close waits for:
	// one still running could otherwise touch the database's files
	// after Close returned.
	preparing sync.WaitGroup
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the cached statement of query, or nil when it is not
// ready: on a miss it is prepared in the background and the caller runs
// the query unprepared this once. Preparing inline could deadlock: the
// SQLite writer pool has one connection, which the caller's transaction
// holds.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[query]
	if ok || len(c.m) >= maxCachedStmts || c.closed {
		return s
	}
	c.m[query] = nil // being prepared
	c.preparing.Add(1)
	go func() {
		defer c.preparing.Done()
		s, err := c.pool.PrepareContext(context.Background(), query)
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case err != nil:
			delete(c.m, query) // try again on a later use
		case c.closed:
			_ = s.Close()
		default:
			c.m[query] = s
		}
	}()
	return nil
}

// close waits for background preparations and closes every cached
// statement. Call it after closing the pool, so that a preparation
// waiting for a connection gives up instead of holding close.
func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.preparing.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for q, s := range c.m {
		if s != nil {
			if err := s.Close(); err != nil && first == nil {
				first = err
			}
		}
		delete(c.m, q)
	}
	return first
}

// stmt returns the transaction's form of query's cached statement, or nil
// when the transaction has no cache or it is full.
func (t *sqlTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if t.stmts == nil {
		return nil, nil
	}
	s := t.stmts.get(query)
	if s == nil {
		return nil, nil
	}
	return t.tx.StmtContext(ctx, s), nil
}
