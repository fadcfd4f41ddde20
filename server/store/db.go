package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Options configure Open.
type Options struct {
	// Dialect selects SQLite or PostgreSQL.
	Dialect Dialect
	// Path is the SQLite database file (SQLite only). Its directory must exist.
	Path string
	// URL is the PostgreSQL connection URL (PostgreSQL only).
	URL string
	// Migrate applies pending migrations while opening. When false, a
	// database with pending migrations still opens (for `lintel migrate`
	// and read-only tooling); a newer schema is refused either way.
	Migrate bool
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process before reporting contention. Zero means 5s.
	BusyTimeout time.Duration
	// MaxAttempts bounds how often a transaction runs when the database
	// keeps refusing it for contention. Zero means 12.
	MaxAttempts int
	// MaxConns bounds open connections (PostgreSQL pool, SQLite readers).
	// Zero picks a default.
	MaxConns int
	// Logger receives migration and retry messages. Nil discards them.
	Logger *slog.Logger
}

// DB is the SQL implementation of Store for both dialects.
type DB struct {
	dialect  Dialect
	write    *sql.DB // SQLite: one connection, BEGIN IMMEDIATE; PostgreSQL: the pool
	read     *sql.DB // SQLite: read-only pool; PostgreSQL: same as write
	log      *slog.Logger
	attempts int
	// stmts cache prepared statements per pool (SQLite only; nil else).
	stmts map[*sql.DB]*stmtCache

	commits, rollbacks, retries atomic.Int64
	closed                      atomic.Bool
}

// txKey marks a context as being inside a transaction of a given DB.
type txKey struct{ db *DB }

// Open connects to the database described by opts, refuses a schema newer
// than this binary (ErrSchemaTooNew) and, when opts.Migrate is set, applies
// pending migrations. Errors name the problem (unreachable, locked,
// read-only) so that start-up can print them as they are.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = defaultMaxAttempts
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = defaultBusyTimeout
	}
	db := &DB{dialect: opts.Dialect, log: opts.Logger, attempts: opts.MaxAttempts}
	var err error
	switch opts.Dialect {
	case SQLite:
		err = db.openSQLite(opts)
	case Postgres:
		err = db.openPostgres(opts)
	default:
		return nil, fmt.Errorf("store: unknown dialect %q", opts.Dialect)
	}
	if err != nil {
		return nil, err
	}
	if err := db.prepare(ctx, opts); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// prepare checks reachability and the schema version, then migrates.
func (db *DB) prepare(ctx context.Context, opts Options) error {
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.write.PingContext(pctx); err != nil {
		return db.describeOpenError(opts, err)
	}
	m, err := db.migrator()
	if err != nil {
		return err
	}
	current, target, err := m.versions(ctx)
	if err != nil {
		return db.describeOpenError(opts, err)
	}
	if current > target {
		return fmt.Errorf("%w: the database is at schema version %d but this lintel knows only up to %d; run a newer lintel", ErrSchemaTooNew, current, target)
	}
	if opts.Migrate && current < target {
		if err := m.up(ctx); err != nil {
			return db.describeOpenError(opts, err)
		}
	}
	return nil
}

// Dialect reports the database's SQL dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Stats reports transaction counters since Open.
func (db *DB) Stats() Stats {
	return Stats{Commits: db.commits.Load(), Rollbacks: db.rollbacks.Load(), Retries: db.retries.Load()}
}

// Close releases every connection.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return nil
	}
	// The pools first: a statement being prepared in the background then
	// fails at once, and the caches' close need not wait for it.
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	for _, c := range db.stmts {
		err = errors.Join(err, c.close())
	}
	return err
}

// Tx runs fn in a read-write transaction; see the Store contract.
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return db.run(ctx, db.write, false, fn)
}

// View runs fn in a read-only transaction; see the Store contract.
func (db *DB) View(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return db.run(ctx, db.read, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(ctx context.Context, tx Tx) error) error {
	if ctx.Value(txKey{db}) != nil {
		return ErrNestedTx
	}
	if db.closed.Load() {
		return errors.New("store: closed")
	}
	ctx = context.WithValue(ctx, txKey{db}, true)
	backoff := 2 * time.Millisecond
	var last error
	for attempt := 1; attempt <= db.attempts; attempt++ {
		err := db.once(ctx, pool, readOnly, fn)
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		if ctx.Err() != nil || !db.retryable(err) {
			return err
		}
		last = err
		db.retries.Add(1)
		db.log.DebugContext(ctx, "store: retrying transaction after contention", "attempt", attempt, "err", err)
		// Full jitter keeps competing writers from retrying in lockstep.
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		if backoff < 250*time.Millisecond {
			backoff *= 2
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w)", ctx.Err(), last)
		case <-t.C:
		}
	}
	return fmt.Errorf("%w after %d attempts: %w", ErrTooManyRetries, db.attempts, last)
}

// once runs fn in exactly one transaction.
func (db *DB) once(ctx context.Context, pool *sql.DB, readOnly bool, fn func(ctx context.Context, tx Tx) error) (err error) {
	opts := &sql.TxOptions{ReadOnly: readOnly}
	if db.dialect == Postgres {
		// Serializable on PostgreSQL gives the same guarantees as SQLite's
		// single writer; the retry loop absorbs the resulting refusals.
		opts.Isolation = sql.LevelSerializable
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.translate(fmt.Errorf("store: begin: %w", err))
	}
	done := false
	defer func() {
		if done {
			return
		}
		// Reached on error and on panic: never leave a transaction open.
		_ = stx.Rollback()
		db.rollbacks.Add(1)
	}()
	if err := fn(ctx, &sqlTx{tx: stx, dialect: db.dialect, stmts: db.stmts[pool]}); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		done = true
		db.rollbacks.Add(1)
		return db.translate(fmt.Errorf("store: commit: %w", err))
	}
	done = true
	db.commits.Add(1)
	return nil
}
