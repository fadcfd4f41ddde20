package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var tokenPattern = regexp.MustCompile(`lmgt_[a-z0-9]+`)

// mgmtGet calls the management API with a token and returns the status.
func mgmtGet(t *testing.T, s *server, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAdminTokensWorkAgainstTheServer(t *testing.T) {
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
	out, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "read-only", "--name", "ops")
	tok := strings.TrimSpace(out)
	if code != 0 || !tokenPattern.MatchString(tok) {
		t.Fatalf("create: exit %d, %q, %q", code, out, errOut)
	}
	glass, errOut, code := lintel(t, env, "admin", "break-glass", "--expires", "30m")
	if code != 0 || !tokenPattern.MatchString(glass) {
		t.Fatalf("break-glass: exit %d, %q, %q", code, glass, errOut)
	}
	glass = strings.TrimSpace(glass)
	s := startServer(t, env)
	if got := mgmtGet(t, s, "/api/v1/mgmt/tenants/system/apps", tok); got != http.StatusOK {
		t.Fatalf("read-only token: %d", got)
	}
	if got := mgmtGet(t, s, "/api/v1/mgmt/tenants", glass); got != http.StatusOK {
		t.Fatalf("break-glass token: %d", got)
	}
	s.stop(t)

	list, _, code := lintel(t, env, "admin", "token", "list", "--tenant", "system")
	if code != 0 || !strings.Contains(list, "ops") || !strings.Contains(list, "break-glass") || strings.Contains(list, tok) {
		t.Fatalf("list: exit %d\n%s", code, list)
	}
	id := regexp.MustCompile(`tok_[0-9a-z]+`).FindString(list)
	if _, errOut, code := lintel(t, env, "admin", "token", "revoke", "--tenant", "system", id); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	if _, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "nope", "--role", "read-only"); code == 0 || !strings.Contains(errOut, `no tenant "nope"`) {
		t.Fatalf("unknown tenant: exit %d, %q", code, errOut)
	}
	if _, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "read-only", "--scopes", "apps:write"); code == 0 || !strings.Contains(errOut, "scopes[0]") {
		t.Fatalf("scope beyond the role: exit %d, %q", code, errOut)
	}
}

func TestDemoPrintsItsTokenOnce(t *testing.T) {
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
	s := startServerOutput(t, env, "--demo")
	tok := tokenPattern.FindString(s.output)
	if tok == "" {
		t.Fatalf("first start printed no token:\n%s", s.output)
	}
	if got := mgmtGet(t, s.server, "/api/v1/mgmt/tenants/demo/apps", tok); got != http.StatusOK {
		t.Fatalf("demo token: %d", got)
	}
	s.stop(t)
	if logs := s.stderr.String(); !strings.Contains(logs, "http request") || strings.Contains(logs, tok) {
		t.Fatal("the token reached the log (or the log is empty and proves nothing)")
	}
	again := startServerOutput(t, env, "--demo")
	if tokenPattern.MatchString(again.output) {
		t.Fatalf("second start printed a token again:\n%s", again.output)
	}
	again.stop(t)
}
