package main

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLockedDatabaseIsNamed holds SQLite's exclusive lock from another
// connection, as a second program would, and expects a message about it.
func TestLockedDatabaseIsNamed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"LINTEL_DATA_DIR=" + dir}
	if _, errOut, code := lintel(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.Join(dir, "lintel.db"), RawQuery: "_pragma=locking_mode(EXCLUSIVE)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	// In exclusive locking mode the lock stays after the write commits.
	if _, err := db.ExecContext(ctx, `UPDATE secret_data_keys SET kek_id = kek_id`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, errOut, code := lintel(t, env, "migrate")
	if code == 0 || !strings.Contains(errOut, "locked by another process") {
		t.Fatalf("exit %d, stderr %q; want a message about the lock", code, errOut)
	}
	t.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
}

// TestReadOnlyDataDirIsNamed runs lintel against a data directory it may
// not write. As root (which ignores permissions) it runs as nobody.
func TestReadOnlyDataDirIsNamed(t *testing.T) {
	base, err := os.MkdirTemp("", "lintel-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "migrate", "--data-dir", dir)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("migrate succeeded on a read-only data directory: %s", out)
	}
	if !strings.Contains(string(out), "not writable") {
		t.Fatalf("output %q does not say the directory is not writable", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("%d files written into the read-only directory", len(entries))
	}
}
