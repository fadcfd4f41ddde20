package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	// The pgx driver registers itself with database/sql as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens one pool used for reads and writes.
func (db *DB) openPostgres(opts Options) error {
	if opts.URL == "" {
		return errors.New("store: PostgreSQL needs a database URL")
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return fmt.Errorf("store: database URL %s is not a postgres:// URL with a host", redactURL(opts.URL))
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		// Fail fast on an unreachable server instead of hanging start-up.
		q.Set("connect_timeout", "10")
	}
	if q.Get("plan_cache_mode") == "" {
		// Plan every statement with its values and the table's current
		// statistics: a plan cached while a table was empty (all indexes
		// cost alike then) can otherwise pick a non-unique index and make
		// lookups linear in the table's size.
		q.Set("plan_cache_mode", "force_custom_plan")
	}
	u.RawQuery = q.Encode()
	p, err := sql.Open("pgx", u.String())
	if err != nil {
		return fmt.Errorf("store: open %s: %w", redactURL(opts.URL), err)
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 20
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db.write, db.read = p, p
	return nil
}

// redactURL drops the password from a connection URL so it can be shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
