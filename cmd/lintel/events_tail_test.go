package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tailLine is the part of an exported event these tests read.
type tailLine struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	TenantID string `json:"tenant_id"`
	Target   struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"target"`
}

// parseTail reads JSON Lines, failing on anything else.
func parseTail(t *testing.T, out string) []tailLine {
	t.Helper()
	var lines []tailLine
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var tl tailLine
		if err := json.Unmarshal([]byte(l), &tl); err != nil || tl.ID == "" {
			t.Fatalf("not an event line: %q (%v)", l, err)
		}
		lines = append(lines, tl)
	}
	return lines
}

var tokenIDPattern = regexp.MustCompile(`token (tok_[0-9a-z]+)`)

// createToken makes a management token with the CLI and returns its ID;
// the system log records mgmt_token.created.
func createTokenID(t *testing.T, env []string, name string) string {
	t.Helper()
	_, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "read-only", "--name", name)
	id := tokenIDPattern.FindStringSubmatch(errOut)
	if code != 0 || id == nil {
		t.Fatalf("token create: exit %d, %q", code, errOut)
	}
	return id[1]
}

// targets returns the IDs of the tokens the lines created.
func createdTokens(lines []tailLine) []string {
	var out []string
	for _, l := range lines {
		if l.Type == "mgmt_token.created" {
			out = append(out, l.Target.ID)
		}
	}
	return out
}

func TestEventsTailResumesFromItsCursorFile(t *testing.T) {
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
	cursor := filepath.Join(t.TempDir(), "cursor")
	tail := func(args ...string) []tailLine {
		t.Helper()
		args = append([]string{"events", "tail", "--settle", "1ms"}, args...)
		out, errOut, code := lintel(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, errOut)
		}
		return parseTail(t, out)
	}
	resume := []string{"--all", "--cursor-file", cursor, "--since-start"}

	first := createTokenID(t, env, "first")
	run1 := tail(resume...)
	if got := createdTokens(run1); !slices.Equal(got, []string{first}) {
		t.Fatalf("first run: tokens %v, want %s; lines %+v", got, first, run1)
	}
	second := createTokenID(t, env, "second")
	run2 := tail(resume...)
	if got := createdTokens(run2); !slices.Equal(got, []string{second}) {
		t.Fatalf("second run: tokens %v, want only the newer %s", got, second)
	}
	for _, l := range run2 {
		if slices.ContainsFunc(run1, func(o tailLine) bool { return o.ID == l.ID }) {
			t.Fatalf("second run repeated %s", l.ID)
		}
	}
	if run3 := tail(resume...); len(run3) != 0 {
		t.Fatalf("third run with nothing new wrote %+v", run3)
	}

	// Filters, and a tail that starts now without a saved position.
	if got := createdTokens(tail("--tenant", "system", "--since-start", "--type", "mgmt_token.*")); !slices.Equal(got, []string{first, second}) {
		t.Fatalf("filtered run: tokens %v", got)
	}
	if lines := tail("--tenant", "system", "--type", "user.*", "--since-start"); len(lines) != 0 {
		t.Fatalf("a type filter that matches nothing wrote %+v", lines)
	}
	if lines := tail("--all"); len(lines) != 0 {
		t.Fatalf("a tail starting now wrote older events %+v", lines)
	}

	for _, bad := range [][]string{{"events", "tail"}, {"events", "tail", "--all", "--tenant", "system"}} {
		if _, errOut, code := lintel(t, env, bad...); code == 0 || !strings.Contains(errOut, "--tenant SLUG or --all") {
			t.Fatalf("%v: exit %d, %q", bad, code, errOut)
		}
	}
	if _, errOut, code := lintel(t, env, "events", "tail", "--tenant", "nope"); code == 0 || !strings.Contains(errOut, `no tenant "nope"`) {
		t.Fatalf("unknown tenant: exit %d, %q", code, errOut)
	}
}

func TestEventsTailFollowsIntoAFile(t *testing.T) {
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
	out := filepath.Join(t.TempDir(), "events.jsonl")
	// The first run creates the data directory and the system tenant.
	before := createTokenID(t, env, "before")
	cmd := exec.Command(binary, "events", "tail", "--tenant", "system", "--follow", "--interval", "20ms", "--settle", "1ms", "--out", out)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// The tail starts now: of the tokens, only those made while it runs
	// reach the file. Its start takes a moment, so make tokens until one
	// arrives.
	var during []string
	var lines []tailLine
	deadline := time.Now().Add(60 * time.Second)
	for arrived := false; !arrived; {
		if time.Now().After(deadline) {
			t.Fatalf("no token made during the tail reached %s (%+v); stderr:\n%s", out, lines, stderr.String())
		}
		during = append(during, createTokenID(t, env, "during"))
		for wait := time.Now().Add(2 * time.Second); !arrived && time.Now().Before(wait); {
			time.Sleep(50 * time.Millisecond)
			b, _ := os.ReadFile(out)
			lines = parseTail(t, string(b))
			arrived = len(createdTokens(lines)) > 0
		}
	}
	for _, id := range createdTokens(lines) {
		if !slices.Contains(during, id) {
			t.Fatalf("the tail wrote token %s, not one made while it ran (%v)", id, during)
		}
	}
	if slices.Contains(createdTokens(lines), before) {
		t.Fatalf("a tail starting now wrote the older token %s", before)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("interrupted tail: %v; stderr:\n%s", err, stderr.String())
	}
}
