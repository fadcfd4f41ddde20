package certstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/server/store"
)

// Store puts value at key, replacing any value there, in one transaction.
// A private key is sealed first. It refuses the root and keys that are
// not UTF-8 (ErrInvalidKey), and a key that is a directory or lies under a
// value (ErrPathConflict).
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	k, err := fileKey(key)
	if err != nil {
		return err
	}
	size := len(value)
	isSealed := sealed(k)
	if isSealed {
		if value, err = s.seal.Seal(binding(k), value); err != nil {
			return fmt.Errorf("certstore: seal %s: %w", k, err)
		}
	}
	if value == nil {
		value = []byte{} // the column is NOT NULL; an empty value is a value
	}
	now := s.clk.Now()
	err = s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := checkPath(ctx, tx, k); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO cert_objects (object_key, value, sealed, size, modified_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (object_key) DO UPDATE SET value = excluded.value, sealed = excluded.sealed,
				size = excluded.size, modified_at = excluded.modified_at`,
			k, value, isSealed, size, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("certstore: store %s: %w", k, err)
	}
	return nil
}

// checkPath refuses to store at k when a value lies at one of its parent
// directories or any key lies below k, with ErrPathConflict.
func checkPath(ctx context.Context, tx store.Tx, k string) error {
	var (
		conds []string
		args  []any
	)
	for i := range len(k) {
		if k[i] == '/' {
			conds = append(conds, `object_key = ?`)
			args = append(args, k[:i])
		}
	}
	lo, hi, _ := below(k)
	conds = append(conds, `(object_key > ? AND object_key < ?)`)
	args = append(args, lo, hi)
	var other string
	err := tx.QueryRow(ctx, `SELECT object_key FROM cert_objects WHERE `+strings.Join(conds, " OR ")+` LIMIT 1`, args...).Scan(&other)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case strings.HasPrefix(other, k+"/"):
		return fmt.Errorf("%w: %s is a directory", ErrPathConflict, k)
	default:
		return fmt.Errorf("%w: %s holds a value", ErrPathConflict, other)
	}
}

// Load returns the value at key, opened if it is a sealed private key. A
// key with no value (missing, or a directory) fails with fs.ErrNotExist.
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	k, err := fileKey(key)
	if err != nil {
		return nil, err
	}
	var value []byte
	err = s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var isSealed bool
		err := tx.QueryRow(ctx, `SELECT value, sealed FROM cert_objects WHERE object_key = ?`, k).Scan(&value, &isSealed)
		if errors.Is(err, store.ErrNotFound) {
			return &fs.PathError{Op: "load", Path: k, Err: fs.ErrNotExist}
		}
		if err != nil || !isSealed {
			return err
		}
		value, err = s.seal.Open(ctx, tx, binding(k), value)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("certstore: load %s: %w", k, err)
	}
	if value == nil {
		value = []byte{}
	}
	return value, nil
}

// Delete removes the value at key, or everything below it if key is a
// directory, in one transaction. A missing key is not an error. The root
// cannot be deleted (ErrInvalidKey).
func (s *Storage) Delete(ctx context.Context, key string) error {
	k, err := fileKey(key)
	if err != nil {
		return err
	}
	lo, hi, _ := below(k)
	err = s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM cert_objects WHERE object_key = ? OR (object_key > ? AND object_key < ?)`, k, lo, hi)
		return err
	})
	if err != nil {
		return fmt.Errorf("certstore: delete %s: %w", k, err)
	}
	return nil
}

// Exists reports whether key holds a value or is a directory. It reports
// false when the database could not be asked.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	_, err := s.Stat(ctx, key)
	return err == nil
}

// List returns the keys below the directory named by path, sorted: its
// immediate children (values and directories) or, with recursive, every
// key below it, directories included, as FileStorage walks them. Keys
// come back in canonical form. A key that holds a value lists nothing; a
// missing key fails with fs.ErrNotExist.
func (s *Storage) List(ctx context.Context, path string, recursive bool) ([]string, error) {
	dir, err := normalize(path)
	if err != nil {
		return nil, err
	}
	var keys []string
	err = s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		q, args := `SELECT object_key FROM cert_objects`, []any(nil)
		if lo, hi, ok := below(dir); ok {
			q += ` WHERE object_key > ? AND object_key < ?`
			args = []any{lo, hi}
		}
		rows, err := tx.Query(ctx, q, args...)
		keys, err = store.Collect(rows, err, func(r store.Scanner) (string, error) {
			var k string
			return k, r.Scan(&k)
		})
		if err != nil || len(keys) > 0 || dir == "" {
			return err
		}
		var one int
		err = tx.QueryRow(ctx, `SELECT 1 FROM cert_objects WHERE object_key = ?`, dir).Scan(&one)
		if errors.Is(err, store.ErrNotFound) {
			return &fs.PathError{Op: "list", Path: dir, Err: fs.ErrNotExist}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("certstore: list %s: %w", dir, err)
	}
	return children(dir, keys, recursive), nil
}

// children turns the keys below dir into List's answer: each key's first
// component below dir or, with recursive, every directory on the way to
// each key and the key itself.
func children(dir string, keys []string, recursive bool) []string {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	out := []string{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range keys {
		rest := k[len(prefix):]
		for i := range len(rest) {
			if rest[i] == '/' {
				add(prefix + rest[:i])
				if !recursive {
					break
				}
			}
		}
		if recursive || !strings.Contains(rest, "/") {
			add(k)
		}
	}
	slices.Sort(out)
	return out
}

// Stat describes key: a value (IsTerminal, its size before sealing, when
// it was stored) or a directory (not terminal, modified when the newest
// key below it was stored; the root is a directory even when empty). A
// missing key fails with fs.ErrNotExist.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	k, err := normalize(key)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	info := certmagic.KeyInfo{Key: k}
	err = s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT size, modified_at FROM cert_objects WHERE object_key = ?`, k).Scan(&info.Size, &info.Modified)
		if !errors.Is(err, store.ErrNotFound) {
			info.IsTerminal = err == nil
			return err
		}
		q, args := `SELECT count(*), max(modified_at) FROM cert_objects`, []any(nil)
		if lo, hi, ok := below(k); ok {
			q += ` WHERE object_key > ? AND object_key < ?`
			args = []any{lo, hi}
		}
		var (
			n        int
			modified sql.NullTime
		)
		if err := tx.QueryRow(ctx, q, args...).Scan(&n, &modified); err != nil {
			return err
		}
		if n == 0 && k != "" {
			return &fs.PathError{Op: "stat", Path: k, Err: fs.ErrNotExist}
		}
		info.Modified = modified.Time
		return nil
	})
	if err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("certstore: stat %s: %w", k, err)
	}
	return info, nil
}
