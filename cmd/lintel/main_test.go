package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// binary is the lintel binary built once for these end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lintel-bin-")
	if err != nil {
		panic(err)
	}
	// World-readable so the read-only test can run it as another user.
	_ = os.Chmod(dir, 0o755)
	binary = filepath.Join(dir, "lintel")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build lintel: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	storetest.DropTemplate()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// lintel runs the binary to completion with only the given environment.
func lintel(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run lintel: %v", err)
	}
	return out.String(), errb.String(), code
}

// server is a running `lintel serve`.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr *testWriter
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// startServer runs `lintel serve` on a free loopback port and waits for its
// start line.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	return startServerOutput(t, env, args...).server
}

// started is a server and what it printed before its start line.
type started struct {
	*server
	output string
}

// startServerOutput is startServer that also returns the standard output
// printed up to the start line.
func startServerOutput(t *testing.T, env []string, args ...string) started {
	t.Helper()
	return startCommand(t, exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...), env)
}

// startCommand runs a prepared serve command until its start line.
func startCommand(t *testing.T, cmd *exec.Cmd, env []string) started {
	t.Helper()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testWriter{t: t}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	var printed strings.Builder
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("lintel serve exited before listening")
			}
			printed.WriteString(l + "\n")
			if m := listening.FindStringSubmatch(l); m != nil {
				return started{server: &server{cmd: cmd, base: m[1], stderr: stderr}, output: printed.String()}
			}
		case <-timeout:
			t.Fatal("lintel serve did not start in time")
		}
	}
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("lintel serve did not exit cleanly on SIGTERM: %v", err)
	}
}

func (s *server) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// testWriter shows a server's log in the test output and keeps it for
// canary checks.
type testWriter struct {
	t   *testing.T
	mu  sync.Mutex
	all strings.Builder
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.all.Write(p)
	w.mu.Unlock()
	w.t.Logf("lintel: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (w *testWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

func newKEK(t *testing.T, id string) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(k)
}

func TestServeAnswersOperationalEndpoints(t *testing.T) {
	backends := []struct {
		name string
		env  func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data")} }},
		{"postgres", func(t *testing.T) []string {
			return []string{"LINTEL_DATABASE_URL=" + storetest.NewPostgresDatabase(t), "LINTEL_SECRETS_KEY=" + newKEK(t, "main")}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b.env(t))
			for _, c := range []struct {
				path string
				want string
			}{
				{"/healthz", `"status":"ok"`},
				{"/readyz", `"status":"ready"`},
				{"/metrics", "lintel_store_commits_total"},
			} {
				code, body := s.get(t, c.path)
				if code != http.StatusOK || !strings.Contains(body, c.want) {
					t.Errorf("GET %s = %d %q, want 200 with %q", c.path, code, body, c.want)
				}
			}
			s.stop(t)
		})
	}
}

func TestServeKeepsSecretsAcrossRestartAndRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"LINTEL_DATA_DIR=" + dir}
	startServer(t, env).stop(t)
	keyFile := filepath.Join(dir, "secrets.keys")
	st, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %#o, want 0600", st.Mode().Perm())
	}
	out, errOut, code := lintel(t, env, "secrets", "rotate")
	if code != 0 || !strings.Contains(out, "re-wrapped 1 of 2 data keys") {
		t.Fatalf("rotate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The server starts again with the rotated file: every data key opens.
	startServer(t, env).stop(t)
}

func TestMigrateReportsVersions(t *testing.T) {
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
	out, errOut, code := lintel(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "migrated from version 0 to") {
		t.Fatalf("first migrate: exit %d, %q, %q", code, out, errOut)
	}
	out, _, code = lintel(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: exit %d, %q", code, out)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := lintel(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "lintel ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	for _, cmd := range [][]string{{"serve"}, {"migrate"}, {"secrets", "rotate"}} {
		out, _, code := lintel(t, nil, append(cmd, "--help")...)
		if code != 0 {
			t.Fatalf("%v --help: exit %d", cmd, code)
		}
		_, flags, ok := strings.Cut(out, "\nFlags:\n")
		if !ok {
			t.Fatalf("%v --help has no flags section", cmd)
		}
		for _, line := range strings.Split(flags, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "--") && !strings.Contains(line, "(env LINTEL_") && !strings.Contains(line, "(flag only)") {
				t.Errorf("%v --help: flag without its environment variable: %q", cmd, line)
			}
		}
	}
}

// TestBadInputStopsCleanly checks that each misconfiguration ends with a
// message naming the problem, a non-zero exit, and nothing written.
func TestBadInputStopsCleanly(t *testing.T) {
	type check func(t *testing.T)
	nothingIn := func(dir string) check {
		return func(t *testing.T) {
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				t.Errorf("%s holds %d entries after a refused start", dir, len(entries))
			}
		}
	}
	emptyPostgres := func(url string) check {
		return func(t *testing.T) {
			s, err := store.Open(context.Background(), store.Options{Dialect: store.Postgres, URL: url})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if cur, _, err := s.SchemaVersion(context.Background()); err != nil || cur != 0 {
				t.Errorf("database migrated to %d (%v) by a refused start", cur, err)
			}
		}
	}
	yamlFile := func(t *testing.T, body string) string {
		p := filepath.Join(t.TempDir(), "lintel.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	cases := []struct {
		name  string
		setup func(t *testing.T) (env []string, args []string, after check)
		want  []string
	}{
		{"unknown LINTEL_ variable", func(t *testing.T) ([]string, []string, check) {
			dir := filepath.Join(t.TempDir(), "data")
			return []string{"LINTEL_DATA_DIR=" + dir, "LINTEL_DATA_DIRR=x"}, nil, nothingIn(dir)
		}, []string{"LINTEL_DATA_DIRR", "did you mean LINTEL_DATA_DIR"}},
		{"unknown YAML key", func(t *testing.T) ([]string, []string, check) {
			dir := filepath.Join(t.TempDir(), "data")
			return []string{"LINTEL_DATA_DIR=" + dir}, []string{"--config", yamlFile(t, "addr: 127.0.0.1:0\nlisten_addr: x\n")}, nothingIn(dir)
		}, []string{"listen_addr"}},
		{"bad public URL", func(t *testing.T) ([]string, []string, check) {
			dir := filepath.Join(t.TempDir(), "data")
			return []string{"LINTEL_DATA_DIR=" + dir, "LINTEL_PUBLIC_URL=ftp://login.example.com"}, nil, nothingIn(dir)
		}, []string{"public_url"}},
		{"PostgreSQL without a key-encryption key", func(t *testing.T) ([]string, []string, check) {
			u := storetest.NewPostgresDatabase(t)
			// A fresh database from the template is already migrated; use a
			// brand-new empty one to see that nothing is written.
			u = emptyDatabase(t, u)
			return []string{"LINTEL_DATABASE_URL=" + u}, nil, emptyPostgres(u)
		}, []string{"secrets.key", "LINTEL_SECRETS_KEY"}},
		{"unreachable PostgreSQL", func(t *testing.T) ([]string, []string, check) {
			return []string{"LINTEL_DATABASE_URL=postgres://lintel:hunter2@127.0.0.1:1/x?connect_timeout=2", "LINTEL_SECRETS_KEY=" + newKEK(t, "k")}, nil, func(t *testing.T) {}
		}, []string{"unreachable"}},
		{"data directory that is a file", func(t *testing.T) ([]string, []string, check) {
			f := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"LINTEL_DATA_DIR=" + f}, nil, func(t *testing.T) {}
		}, []string{"data directory"}},
		{"schema from a newer lintel", func(t *testing.T) ([]string, []string, check) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			s, err := store.Open(context.Background(), store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO schema_version (version_id, is_applied) VALUES (99999, TRUE)`)
				return err
			})
			_ = s.Close()
			if err != nil {
				t.Fatal(err)
			}
			return []string{"LINTEL_DATA_DIR=" + dir}, nil, func(t *testing.T) {
				if _, err := os.Stat(filepath.Join(dir, "secrets.keys")); err == nil {
					t.Error("a key file was written by a refused start")
				}
			}
		}, []string{"newer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, args, after := c.setup(t)
			out, errOut, code := lintel(t, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
			if code == 0 {
				t.Fatalf("exit 0; stdout %q", out)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not mention %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("stderr leaks a password: %q", errOut)
			}
			after(t)
		})
	}
}
