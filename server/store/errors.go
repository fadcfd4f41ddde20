package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// contentionError marks a database refusal that a retry can cure.
type contentionError struct{ err error }

func (e *contentionError) Error() string { return e.err.Error() }
func (e *contentionError) Unwrap() error { return e.err }

// SQLite result codes (base and extended) that the store branches on.
const (
	sqliteBusy           = 5
	sqliteLocked         = 6
	sqliteReadOnly       = 8
	sqliteCantOpen       = 14
	sqliteConstraintPK   = 1555
	sqliteConstraintUniq = 2067
)

// translateErr maps driver errors to the store's sentinels, keeping the
// driver error in the chain for logs.
func translateErr(d Dialect, err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return fmt.Errorf("%w: %s: %w", ErrConflict, pg.ConstraintName, err)
		case "40001", "40P01":
			return &contentionError{err}
		}
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqliteConstraintPK || code == sqliteConstraintUniq:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case code&0xff == sqliteBusy || code&0xff == sqliteLocked:
			return &contentionError{err}
		}
	}
	return err
}

// translate is translateErr for the DB's own dialect.
func (db *DB) translate(err error) error { return translateErr(db.dialect, err) }

// retryable reports whether err (possibly wrapped by fn) is contention.
func (db *DB) retryable(err error) bool {
	var c *contentionError
	return errors.As(err, &c)
}

// IsContention reports whether err is a refusal for contention that
// survived the retry budget or came from outside a transaction.
func IsContention(err error) bool {
	var c *contentionError
	return errors.As(err, &c)
}
