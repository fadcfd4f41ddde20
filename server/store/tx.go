package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sqlTx implements Tx over database/sql for both dialects.
type sqlTx struct {
	tx      *sql.Tx
	dialect Dialect
	// stmts caches prepared statements of the transaction's pool (SQLite).
	stmts *stmtCache
}

func (t *sqlTx) Dialect() Dialect { return t.dialect }

func (t *sqlTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	query = t.rebind(query)
	var res sql.Result
	st, err := t.stmt(ctx, query)
	switch {
	case err != nil:
	case st != nil:
		res, err = st.ExecContext(ctx, t.args(args)...)
	default:
		res, err = t.tx.ExecContext(ctx, query, t.args(args)...)
	}
	if err != nil {
		return 0, translateErr(t.dialect, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: rows affected: %w", err)
	}
	return n, nil
}

func (t *sqlTx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	rows, err := t.Query(ctx, query, args...)
	return &Row{rows: rows, err: err}
}

func (t *sqlTx) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	query = t.rebind(query)
	var rows *sql.Rows
	st, err := t.stmt(ctx, query)
	switch {
	case err != nil:
	case st != nil:
		rows, err = st.QueryContext(ctx, t.args(args)...)
	default:
		rows, err = t.tx.QueryContext(ctx, query, t.args(args)...)
	}
	if err != nil {
		return nil, translateErr(t.dialect, err)
	}
	return &Rows{rows: rows, dialect: t.dialect}, nil
}

// rebind turns `?` placeholders into PostgreSQL's `$n`, skipping quoted
// strings, quoted identifiers and comments.
func (t *sqlTx) rebind(q string) string {
	if t.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	return rebindDollar(q)
}

func rebindDollar(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// args normalises arguments so both dialects store the same values.
func (t *sqlTx) args(in []any) []any {
	out := in
	for i, a := range in {
		var v any
		switch x := a.(type) {
		case time.Time:
			v = t.timeArg(x)
		case *time.Time:
			if x == nil {
				v = nil
			} else {
				v = t.timeArg(*x)
			}
		case sql.NullTime:
			if !x.Valid {
				v = nil
			} else {
				v = t.timeArg(x.Time)
			}
		default:
			continue
		}
		if &out[0] == &in[0] {
			out = append([]any(nil), in...)
		}
		out[i] = v
	}
	return out
}

// sqliteTimeLayout is fixed-width so that text comparison orders times.
const sqliteTimeLayout = "2006-01-02 15:04:05.000000+00:00"

func (t *sqlTx) timeArg(v time.Time) any {
	v = v.UTC().Truncate(time.Microsecond)
	if t.dialect == SQLite {
		return v.Format(sqliteTimeLayout)
	}
	return v
}

// Row is the result of Tx.QueryRow.
type Row struct {
	rows *Rows
	err  error
}

// Scan copies the row's columns into dest. It returns ErrNotFound when the
// query matched no row.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return ErrNotFound
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// Rows is the result of Tx.Query. Close it when done.
type Rows struct {
	rows    *sql.Rows
	dialect Dialect
}

// Next prepares the next row for Scan and reports whether there is one.
func (r *Rows) Next() bool { return r.rows.Next() }

// Err reports the error that ended iteration, if any.
func (r *Rows) Err() error {
	if err := r.rows.Err(); err != nil {
		return translateErr(r.dialect, err)
	}
	return nil
}

// Close releases the rows; it is safe to call more than once.
func (r *Rows) Close() error {
	if err := r.rows.Close(); err != nil {
		return translateErr(r.dialect, err)
	}
	return nil
}

// Scan copies the current row's columns into dest. Times come back in UTC.
func (r *Rows) Scan(dest ...any) error {
	targets := dest
	for i, d := range dest {
		switch x := d.(type) {
		case *time.Time:
			if &targets[0] == &dest[0] {
				targets = append([]any(nil), dest...)
			}
			targets[i] = &timeScanner{t: x}
		case *sql.NullTime:
			if &targets[0] == &dest[0] {
				targets = append([]any(nil), dest...)
			}
			targets[i] = &timeScanner{nt: x}
		}
	}
	if err := r.rows.Scan(targets...); err != nil {
		return translateErr(r.dialect, fmt.Errorf("store: scan: %w", err))
	}
	return nil
}

// timeScanner reads times stored by either dialect, including SQLite text
// values whose column type the driver cannot see (expressions, aggregates).
type timeScanner struct {
	t  *time.Time
	nt *sql.NullTime
}

func (s *timeScanner) Scan(src any) error {
	var v time.Time
	switch x := src.(type) {
	case nil:
		if s.nt != nil {
			*s.nt = sql.NullTime{}
			return nil
		}
		return errors.New("store: NULL time scanned into time.Time (use sql.NullTime)")
	case time.Time:
		v = x
	case string:
		p, err := parseStoredTime(x)
		if err != nil {
			return err
		}
		v = p
	case []byte:
		p, err := parseStoredTime(string(x))
		if err != nil {
			return err
		}
		v = p
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	v = v.UTC()
	if s.nt != nil {
		*s.nt = sql.NullTime{Time: v, Valid: true}
	} else {
		*s.t = v
	}
	return nil
}

func parseStoredTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("store: unrecognised stored time %q", s)
}
