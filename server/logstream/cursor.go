package logstream

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// storeCursor keeps a stream's position in its log_streams row.
type storeCursor struct {
	st store.Store
	id string
}

// Load reads the row's cursor; a deleted stream is ErrNotFound.
func (c storeCursor) Load(ctx context.Context) (string, error) {
	var v string
	err := c.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT cursor FROM log_streams WHERE id = ?`, c.id).Scan(&v)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", notFound(c.id)
	}
	return v, err
}

// Save stores the cursor and clears last_error: a save follows a round
// the receiver accepted. A deleted stream is ErrNotFound, which ends its
// follower.
func (c storeCursor) Save(ctx context.Context, v string) error {
	return c.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE log_streams SET cursor = ?, last_error = '' WHERE id = ?`, v, c.id)
		if err == nil && n == 0 {
			err = notFound(c.id)
		}
		return err
	})
}

// FileCursor keeps a position in a file, for `lintel events tail
// --cursor-file`. Save replaces the file atomically (a temporary file in
// the same directory, synced, then renamed over it), so a crash leaves
// the old position or the new one, never a torn one. It is not safe for
// two processes sharing one file.
type FileCursor struct {
	path string
}

// NewFileCursor returns the cursor kept in path.
func NewFileCursor(path string) *FileCursor { return &FileCursor{path: path} }

// Load returns the position in the file, "" when the file does not exist.
func (c *FileCursor) Load(context.Context) (string, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("logstream: cursor file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Save writes v to the file atomically and durably.
func (c *FileCursor) Save(_ context.Context, v string) error {
	dir := filepath.Dir(c.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(c.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("logstream: cursor file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.WriteString(v + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err != nil {
		return fmt.Errorf("logstream: cursor file: %w", err)
	}
	// The rename is durable once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

var (
	_ events.Cursor = storeCursor{}
	_ events.Cursor = (*FileCursor)(nil)
)
