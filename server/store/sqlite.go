package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"modernc.org/sqlite"
)

// openSQLite opens two pools on one file: a single writer connection whose
// transactions take the write lock at BEGIN (so two writers never deadlock
// upgrading their locks), and a pool of read-only connections that WAL lets
// run beside the writer.
func (db *DB) openSQLite(opts Options) error {
	if opts.Path == "" {
		return errors.New("store: SQLite needs a database file path")
	}
	dir := filepath.Dir(opts.Path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("store: data directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("store: data directory %s is not a directory", dir)
	}
	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	base := (&url.URL{Scheme: "file", OmitHost: true, Path: opts.Path}).String()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+busy+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	wq := url.Values{"_pragma": q["_pragma"], "_txlock": {"immediate"}}
	w, err := sql.Open("sqlite", base+"?"+wq.Encode())
	if err != nil {
		return fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)

	rq := url.Values{"_pragma": append(append([]string(nil), q["_pragma"]...), "query_only(1)")}
	r, err := sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		_ = w.Close()
		return fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	n := opts.MaxConns
	if n <= 0 {
		n = max(4, runtime.NumCPU())
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.write, db.read = w, r
	db.stmts = map[*sql.DB]*stmtCache{w: newStmtCache(w), r: newStmtCache(r)}
	return nil
}

// describeOpenError turns failures while opening into messages an operator
// can act on without reading driver codes.
func (db *DB) describeOpenError(opts Options, err error) error {
	switch db.dialect {
	case SQLite:
		var se *sqlite.Error
		if errors.As(err, &se) {
			switch se.Code() & 0xff {
			case sqliteBusy, sqliteLocked:
				return fmt.Errorf("store: database %s is locked by another process (is another lintel using this data directory?): %w", opts.Path, err)
			case sqliteReadOnly:
				return fmt.Errorf("store: database %s is read-only: the data directory and file must be writable: %w", opts.Path, err)
			case sqliteCantOpen:
				return fmt.Errorf("store: cannot open database %s (is the data directory writable?): %w", opts.Path, err)
			}
		}
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("store: no permission to write the database %s: %w", opts.Path, err)
		}
		return fmt.Errorf("store: open SQLite database %s: %w", opts.Path, err)
	default:
		return fmt.Errorf("store: PostgreSQL at %s is unreachable or refused the connection: %w", redactURL(opts.URL), err)
	}
}
