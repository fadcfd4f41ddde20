package store

import (
	"encoding/json"
	"fmt"
)

// Scanner reads one row: a *Row, or *Rows positioned on a row.
type Scanner interface{ Scan(dest ...any) error }

// Collect scans every row of rows with scan into a non-nil slice and
// closes rows. err is the error of the query that made rows, passed
// through so that callers can write Collect(tx.Query(…)) in one step.
func Collect[T any](rows *Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// JSONList encodes a list of strings for a JSON column, always as an
// array (never null). It is text, which SQLite's JSON functions read and
// PostgreSQL casts to jsonb.
func JSONList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always encodes
	return string(b)
}

// ParseJSONList decodes a JSON column holding a list of strings into a
// non-nil list.
func ParseJSONList(b []byte, dst *[]string) error {
	*dst = []string{}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("store: stored list: %w", err)
	}
	return nil
}
