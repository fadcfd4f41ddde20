package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

// column is a column in a dialect-neutral form.
type column struct {
	Type     string
	Nullable bool
	PK       bool
}

// index is an index in a dialect-neutral form.
type index struct {
	Table   string
	Unique  bool
	Columns string
}

type schema struct {
	Columns map[string]column // "table.column"
	Indexes map[string]index  // by name
}

// sqliteTypes and postgresTypes map declared types to neutral kinds; a type
// missing here fails the test so that a new kind is mapped on purpose.
var (
	sqliteTypes = map[string]string{
		"TEXT": "text", "INTEGER": "integer", "BIGINT": "integer", "BLOB": "bytes",
		"TIMESTAMP": "timestamp", "BOOLEAN": "bool", "JSON_TEXT": "json", "REAL": "float",
	}
	postgresTypes = map[string]string{
		"text": "text", "bigint": "integer", "integer": "integer", "smallint": "integer", "bytea": "bytes",
		"timestamp with time zone": "timestamp", "boolean": "bool", "jsonb": "json", "double precision": "float",
	}
)

// TestSchemaParity checks that both dialects' migrations build the same
// tables, columns (neutral types, nullability, primary keys) and indexes.
// The version table belongs to goose and differs by design.
func TestSchemaParity(t *testing.T) {
	opts := freshOptions(t)
	var got [2]schema
	for i, o := range opts {
		s, err := store.Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		switch o.Dialect {
		case store.SQLite:
			got[i] = sqliteSchema(t, s)
		case store.Postgres:
			got[i] = postgresSchema(t, s)
		}
	}
	lite, pg := got[0], got[1]
	if len(lite.Columns) == 0 {
		t.Fatal("no columns found")
	}
	for _, k := range union(lite.Columns, pg.Columns) {
		a, okA := lite.Columns[k]
		b, okB := pg.Columns[k]
		switch {
		case !okA:
			t.Errorf("column %s exists only in PostgreSQL", k)
		case !okB:
			t.Errorf("column %s exists only in SQLite", k)
		case a != b:
			t.Errorf("column %s: SQLite %+v, PostgreSQL %+v", k, a, b)
		}
	}
	for _, k := range union(lite.Indexes, pg.Indexes) {
		a, okA := lite.Indexes[k]
		b, okB := pg.Indexes[k]
		switch {
		case !okA:
			t.Errorf("index %s exists only in PostgreSQL", k)
		case !okB:
			t.Errorf("index %s exists only in SQLite", k)
		case a != b:
			t.Errorf("index %s: SQLite %+v, PostgreSQL %+v", k, a, b)
		}
	}
}

func union[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func sqliteSchema(t *testing.T, s store.Store) schema {
	sc := schema{Columns: map[string]column{}, Indexes: map[string]index{}}
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		tables, err := strings1(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version' ORDER BY name`)
		if err != nil {
			return err
		}
		for _, tbl := range tables {
			rows, err := tx.Query(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, tbl)
			if err != nil {
				return err
			}
			for rows.Next() {
				var name, typ string
				var notnull, pk int
				if err := rows.Scan(&name, &typ, &notnull, &pk); err != nil {
					return err
				}
				kind, ok := sqliteTypes[strings.ToUpper(typ)]
				if !ok {
					t.Errorf("SQLite column %s.%s has unmapped type %q", tbl, name, typ)
				}
				sc.Columns[tbl+"."+name] = column{Type: kind, Nullable: notnull == 0 && pk == 0, PK: pk > 0}
			}
			if err := rows.Close(); err != nil {
				return err
			}
			idx, err := tx.Query(ctx, `SELECT name, "unique", origin FROM pragma_index_list(?)`, tbl)
			if err != nil {
				return err
			}
			type ix struct {
				name, origin string
				unique       bool
			}
			var list []ix
			for idx.Next() {
				var x ix
				if err := idx.Scan(&x.name, &x.unique, &x.origin); err != nil {
					return err
				}
				list = append(list, x)
			}
			if err := idx.Close(); err != nil {
				return err
			}
			for _, x := range list {
				if x.origin == "pk" {
					continue // primary keys are compared as columns
				}
				if x.origin == "u" {
					t.Errorf("table %s has an inline UNIQUE constraint (%s): use a named CREATE UNIQUE INDEX so both dialects match", tbl, x.name)
					continue
				}
				cols, err := strings1(ctx, tx, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, x.name)
				if err != nil {
					return err
				}
				sc.Indexes[x.name] = index{Table: tbl, Unique: x.unique, Columns: strings.Join(cols, ",")}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func postgresSchema(t *testing.T, s store.Store) schema {
	sc := schema{Columns: map[string]column{}, Indexes: map[string]index{}}
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'YES',
			       EXISTS (SELECT 1 FROM information_schema.table_constraints tc
			               JOIN information_schema.key_column_usage k
			                 ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
			               WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = c.table_name AND k.column_name = c.column_name)
			FROM information_schema.columns c
			WHERE c.table_schema = 'public' AND c.table_name <> 'schema_version'`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var tbl, name, typ string
			var nullable, pk bool
			if err := rows.Scan(&tbl, &name, &typ, &nullable, &pk); err != nil {
				return err
			}
			kind, ok := postgresTypes[typ]
			if !ok {
				t.Errorf("PostgreSQL column %s.%s has unmapped type %q", tbl, name, typ)
			}
			sc.Columns[tbl+"."+name] = column{Type: kind, Nullable: nullable && !pk, PK: pk}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		ix, err := tx.Query(ctx, `
			SELECT i.relname, t.relname, x.indisunique, x.indisprimary,
			       (SELECT string_agg(a.attname, ',' ORDER BY k.n)
			          FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
			          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
			FROM pg_index x
			JOIN pg_class i ON i.oid = x.indexrelid
			JOIN pg_class t ON t.oid = x.indrelid
			JOIN pg_namespace ns ON ns.oid = t.relnamespace
			WHERE ns.nspname = 'public' AND t.relname <> 'schema_version'`)
		if err != nil {
			return err
		}
		for ix.Next() {
			var name, tbl, cols string
			var unique, primary bool
			if err := ix.Scan(&name, &tbl, &unique, &primary, &cols); err != nil {
				return err
			}
			if primary {
				continue
			}
			sc.Indexes[name] = index{Table: tbl, Unique: unique, Columns: cols}
		}
		return ix.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func strings1(ctx context.Context, tx store.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
}
