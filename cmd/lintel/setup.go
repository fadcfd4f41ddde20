package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// newLogger builds the process logger: text on a terminal, JSON otherwise
// (log collectors parse JSON), unless the configuration says which.
func (e *env) newLogger(c settings.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Log.Level)) // validated by settings
	opts := &slog.HandlerOptions{Level: level}
	format := c.Log.Format
	if format == "auto" {
		format = "json"
		if f, ok := e.stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// checkKeyConfig refuses PostgreSQL without a configured key-encryption
// key before anything touches the database: every node must share the
// key, so a key file on one node's disk would not do.
func checkKeyConfig(c settings.Config) error {
	if c.Dialect() == settings.DialectPostgres && c.Secrets.Key == "" {
		return errors.New("PostgreSQL needs a key-encryption key shared by every node: set secrets.key (LINTEL_SECRETS_KEY or --secrets-key) to ID:BASE64 of 32 random bytes, e.g. main:$(head -c32 /dev/urandom | base64)")
	}
	return nil
}

// openStore opens the configured database. With SQLite it first makes sure
// the data directory exists and is writable, so the operator reads that
// rather than a driver error.
func openStore(ctx context.Context, c settings.Config, log *slog.Logger, migrate bool) (*store.DB, error) {
	opts := store.Options{Migrate: migrate, Logger: log}
	switch c.Dialect() {
	case settings.DialectSQLite:
		if err := prepareDataDir(c.DataDir); err != nil {
			return nil, err
		}
		opts.Dialect, opts.Path = store.SQLite, c.SQLitePath()
	case settings.DialectPostgres:
		opts.Dialect, opts.URL = store.Postgres, c.DatabaseURL
	default:
		return nil, fmt.Errorf("database_url: unsupported database %q", c.Redacted().DatabaseURL)
	}
	return store.Open(ctx, opts)
}

// prepareDataDir creates the data directory (private to this user) and
// checks that files can be written in it.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s cannot be created: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), "read-only") {
			return fmt.Errorf("data directory %s is not writable: %w", dir, err)
		}
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// keyring returns the key-encryption keys: from configuration when set,
// otherwise (SQLite only) from the key file in the data directory, created
// on first start. It refuses to create a new key file when the database
// already holds data keys: the old file was lost and a new key would not
// open them.
func keyring(ctx context.Context, c settings.Config, st store.Store, clk clock.Clock) (ring secrets.Keyring, keyFile string, created bool, err error) {
	if c.Secrets.Key != "" {
		ring.Current, err = secrets.ParseKEK(c.Secrets.Key)
		if err != nil {
			return ring, "", false, fmt.Errorf("secrets.key: %w", err)
		}
		for i, p := range c.Secrets.PreviousKeys {
			k, err := secrets.ParseKEK(p)
			if err != nil {
				return ring, "", false, fmt.Errorf("secrets.previous_keys[%d]: %w", i, err)
			}
			ring.Previous = append(ring.Previous, k)
		}
		return ring, "", false, ring.Validate()
	}
	if err := checkKeyConfig(c); err != nil {
		return ring, "", false, err
	}
	keyFile = filepath.Join(c.DataDir, secrets.KeyFileName)
	if _, statErr := os.Stat(keyFile); errors.Is(statErr, fs.ErrNotExist) {
		used, err := secrets.UsedKEKs(ctx, st)
		if err != nil {
			return ring, keyFile, false, err
		}
		if len(used) > 0 {
			return ring, keyFile, false, fmt.Errorf("the key file %s is missing but the database holds secrets sealed under key(s) %s: restore the file from a backup, or configure those keys with secrets.key / secrets.previous_keys", keyFile, strings.Join(used, ", "))
		}
	}
	ring, created, err = secrets.LoadOrCreateKeyFile(keyFile, clk.Now())
	return ring, keyFile, created, err
}
