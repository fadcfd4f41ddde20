package mgmt

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store/storetest"
)

// goldenCells reads testdata/authz.golden: "METHOD PATH IA TA HD RO", each
// role column four letters for own / child+ / child- / other.
func goldenCells(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("testdata/authz.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 2+len(Roles) {
			t.Fatalf("malformed golden line %q", line)
		}
		key := fs[0] + " " + fs[1]
		if _, dup := cells[key]; dup {
			t.Fatalf("route %s twice in the golden file", key)
		}
		cells[key] = fs[2:]
	}
	return cells
}

// destructive routes change the relations themselves, so each of their
// cells runs in a fresh world.
func destructive(r Route) bool {
	return r.ID == "delete-tenant" || r.ID == "revoke-delegation"
}

// requestFor fills a route's path for a target tenant: real fixture IDs,
// except that deletes of sub-resources name records that do not exist (so
// an allowed call answers 404 and the world stays intact). Bodies are empty
// objects: an authorized write fails validation (422) or is a no-op.
func requestFor(w *world, r Route, rel string) (path, body string) {
	tn := w.target(rel)
	f := w.fixture[tn.ID]
	repl := []string{"{tenant}", tn.ID, "{server}", "default"}
	if r.Method != http.MethodDelete && strings.Contains(r.Path, "/authorization-servers/{server}/") && !strings.Contains(r.Path, "/keys") {
		// Reads and changes of a server's records go to the fixture
		// server, so they find them; deletes stay on "default" (naming
		// records that do not exist), and so does every call on a server
		// itself: deleting "default" is refused (built in).
		repl[3] = f["server"]
	}
	for _, kind := range []string{"app", "brand", "domain", "origin", "token", "user", "credential", "group", "type", "rule", "zone",
		"authscope", "claim", "policy", "policyrule", "session"} {
		id := f[kind]
		if r.Method == http.MethodDelete {
			id = "nope_00000000000000000000000000"
		}
		repl = append(repl, "{"+kind+"}", id)
	}
	path = strings.NewReplacer(repl...).Replace(r.Path)
	if r.Method != http.MethodGet && r.Method != http.MethodDelete {
		body = "{}"
	}
	return path, body
}

// TestAuthorizationMatrix walks every registered route for every role and
// relation and compares who got through with the hand-written golden file.
func TestAuthorizationMatrix(t *testing.T) {
	golden := goldenCells(t)
	backend := storetest.SQLite()
	shared := newWorld(t, backend)
	seen := map[string]bool{}
	for _, r := range shared.api.Routes() {
		key := r.Method + " " + r.Path
		seen[key] = true
		want, ok := golden[key]
		if !ok {
			t.Errorf("route %s (%s) is missing from testdata/authz.golden", key, r.ID)
			continue
		}
		for ri, role := range Roles {
			got := ""
			for _, rel := range relations {
				w := shared
				if destructive(r) {
					w = newWorld(t, backend)
				}
				path, body := requestFor(w, r, rel)
				status, _, resp := w.do(t, r.Method, path, w.token[role], body)
				switch {
				case status == http.StatusUnauthorized || status == http.StatusForbidden:
					got += "-"
				case status >= 500:
					t.Errorf("%s as %s on %s: %d %s", key, role, rel, status, resp)
					got += "!"
				default:
					got += "A"
				}
			}
			if got != want[ri] {
				t.Errorf("%s as %s: got %s, golden %s (own, child+, child-, other)", key, role, got, want[ri])
			}
		}
	}
	for key := range golden {
		if !seen[key] {
			t.Errorf("golden route %s is not registered", key)
		}
	}
}

// TestRefusesMissingAndDeadTokens checks the 401 answers.
func TestRefusesMissingAndDeadTokens(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	path := "/api/v1/mgmt/tenants/" + w.a.ID + "/apps"
	cases := []struct {
		name  string
		token func() string
	}{
		{"no token", func() string { return "" }},
		{"not a token", func() string { return "hunter2" }},
		{"unknown token", func() string { return TokenPrefix + strings.Repeat("a", 52) }},
		{"revoked token", func() string {
			w.revoke(t, RoleReadOnly)
			return w.token[RoleReadOnly]
		}},
		{"expired token", func() string {
			w.clock.Advance(DefaultTokenTTL + 1)
			return w.token[RoleTenantAdmin]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := w.do(t, http.MethodGet, path, c.token(), "")
			if status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", status, body)
			}
			if h.Get("Content-Type") != "application/problem+json" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("headers %v", h)
			}
		})
	}
}

func (w *world) revoke(t *testing.T, r Role) {
	t.Helper()
	tok := w.tokenRec[r]
	status, _, body := w.do(t, http.MethodDelete, fmt.Sprintf("/api/v1/mgmt/tenants/%s/tokens/%s", tok.TenantID, tok.ID), w.token[RoleTenantAdmin], "")
	if status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
}
