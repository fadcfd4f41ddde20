// Package store is Lintel's durable storage: one SQL implementation with a
// SQLite dialect (the embedded default) and a PostgreSQL dialect (for many
// nodes), schema migrations embedded per dialect, and transactions that retry
// when the database reports contention.
//
// Packages that own data (tenants, directory, secrets, …) write their SQL
// against the Tx interface with `?` placeholders; the store rewrites them for
// the dialect and turns driver errors into the sentinel errors below, so
// callers never look at driver error codes.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotFound is returned by Row.Scan when the query matched no row.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a write violates a unique or primary-key
	// constraint: the thing being created already exists.
	ErrConflict = errors.New("store: conflict with an existing row")
	// ErrSchemaTooNew is returned by Open when the database was migrated by a
	// newer Lintel than this binary; starting would risk corrupting it.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
	// ErrNestedTx is returned when a transaction is started from inside
	// another one on the same Store (with the context handed to the outer
	// function); on SQLite it would deadlock on the single writer.
	ErrNestedTx = errors.New("store: transaction started inside another transaction")
	// ErrTooManyRetries wraps the last contention error when a transaction
	// still could not commit after the retry budget.
	ErrTooManyRetries = errors.New("store: transaction retried too many times")
)

// Dialect names a SQL dialect the store speaks.
type Dialect string

// The dialects Lintel supports.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is a handle to Lintel's database.
//
// Contract, for every implementation and dialect (checked by storetest):
//   - A Store is safe for concurrent use by many goroutines.
//   - Tx runs fn in one read-write transaction and commits when fn returns
//     nil. If fn returns an error or panics, everything it wrote is rolled
//     back; the error is returned unchanged (errors.Is works on it) and the
//     panic is re-raised after the rollback.
//   - Transactions are serializable on both dialects. When the database
//     refuses one for contention (SQLITE_BUSY, PostgreSQL serialization
//     failure or deadlock), Tx rolls back and runs fn again from the start
//     with backoff, so fn must be safe to repeat and must not have effects
//     outside the transaction (send mail through an outbox table instead).
//     After the retry budget the error wraps ErrTooManyRetries.
//   - When ctx is cancelled or its deadline passes, the statement in flight
//     is interrupted, the transaction is rolled back, and the returned error
//     satisfies errors.Is(err, ctx.Err()). Nothing is committed.
//   - fn must not start another transaction on the same Store with the
//     context it was given: that returns ErrNestedTx.
//   - View runs fn in a read-only transaction; a write inside it fails.
//   - Times are stored in UTC at microsecond precision: a time.Time written
//     is read back equal to t.UTC().Truncate(time.Microsecond), in UTC.
//   - Unique and primary-key violations return errors wrapping ErrConflict;
//     Row.Scan on no rows returns ErrNotFound.
type Store interface {
	// Tx runs fn in a read-write transaction, see the Store contract.
	Tx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// View runs fn in a read-only transaction, see the Store contract.
	View(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Dialect reports which SQL dialect the database speaks.
	Dialect() Dialect
	// Stats reports counters since the Store was opened.
	Stats() Stats
	// Close releases the connections. Calls after Close fail.
	Close() error
}

// Tx is one open transaction. It is valid only inside the function handed
// to Store.Tx or Store.View and must not be used from other goroutines.
//
// Queries use `?` placeholders on every dialect. Arguments of type time.Time
// are normalised to UTC at microsecond precision; []byte is stored as
// bytes; JSON is passed and read as []byte (json.RawMessage).
type Tx interface {
	// Exec runs a statement and reports how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// QueryRow runs a query expected to return at most one row.
	QueryRow(ctx context.Context, query string, args ...any) *Row
	// Query runs a query returning rows; the caller must close them.
	Query(ctx context.Context, query string, args ...any) (*Rows, error)
	// Dialect reports the SQL dialect, for the rare statement that differs.
	Dialect() Dialect
}

// Stats are counters an operator watches (also exported as metrics).
type Stats struct {
	// Commits is the number of transactions committed.
	Commits int64
	// Rollbacks is the number of transactions rolled back, retries included.
	Rollbacks int64
	// Retries is the number of times a transaction was run again after the
	// database refused it for contention.
	Retries int64
}

// Default tuning; Options override them.
const (
	defaultMaxAttempts = 12
	defaultBusyTimeout = 5 * time.Second
)
