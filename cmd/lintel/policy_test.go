package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/mgmt"
)

// examplePolicyFile is docs/examples/policy-test.yaml with its
// placeholders replaced by vars; an unknown placeholder fails the test.
func examplePolicyFile(t *testing.T, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "policy-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return os.Expand(string(b), func(k string) string {
		v, ok := vars[k]
		if !ok {
			t.Fatalf("docs/examples/policy-test.yaml: no value for ${%s}", k)
		}
		return v
	})
}

var exampleVars = map[string]string{"TENANT": "acme", "ROBOT_CLIENT_ID": "app_robot", "SHOP_CLIENT_ID": "app_shop", "USER_ID": "usr_ada"}

func TestPolicyFileAcceptsTheDocumentedExample(t *testing.T) {
	example := examplePolicyFile(t, exampleVars)
	f, err := parsePolicyFile("example.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if f.Tenant != "acme" || f.Server != "orders" || len(f.Tests) != 3 {
		t.Fatalf("parsed %+v", f)
	}
	robot := f.Tests[0]
	line := strings.Count(example[:strings.Index(example, "- name: the robot reads orders")], "\n") + 1
	if robot.line != line || robot.Grant != "client_credentials" || robot.ScopesGranted == nil || len(*robot.ScopesGranted) != 1 || robot.Claims["tier"] != "gold" {
		t.Errorf("first test %+v", robot)
	}
	if aud, _ := robot.Claims["aud"].([]any); len(aud) != 1 || aud[0] != "api://orders" {
		t.Errorf("aud not in its JSON form: %#v", robot.Claims["aud"])
	}
}

func TestPolicyFileValidation(t *testing.T) {
	const head = "tenant: acme\nserver: orders\ntests:\n"
	const robot = "  - name: robot\n    client: app_1\n    grant: client_credentials\n"
	for _, tc := range []struct {
		name, file string
		// where is the position the error must name ("f.yaml:4:5"), or
		// "" for a valid file.
		where string
	}{
		{"accepts a minimal test", head + robot + "    expect: granted\n", ""},
		{"accepts anchors and merge keys", head + "  - &r\n    name: robot\n    client: app_1\n    grant: client_credentials\n    expect: granted\n  - <<: *r\n    name: again\n    expect: denied\n", ""},
		{"accepts a null claim as absence", head + robot + "    expect: granted\n    claims: {tier: null}\n", ""},
		{"accepts a grant type URI", head + "  - {name: x, client: c, grant: 'urn:example:grant', user: u, expect: denied}\n", ""},
		{"refuses an empty file", "# nothing\n", "f.yaml: empty"},
		{"refuses two documents", head + robot + "    expect: granted\n---\ntenant: b\n", "f.yaml: want one YAML document"},
		{"refuses what is not YAML", "tenant: [acme\n", "f.yaml: yaml: line"},
		{"refuses an unknown top-level key with its position", "tenant: acme\nservers: orders\ntests: []\n", "f.yaml:2:1"},
		{"refuses an unknown test key with its position", head + robot + "    scope: [a]\n    expect: granted\n", "f.yaml:7:5"},
		{"refuses an unknown key merged in", head + robot + "    expect: granted\n  - <<: &r {clientt: c}\n    name: b\n", "f.yaml:8:13"},
		{"refuses a list where a mapping goes", head + "  - [a, b]\n", "f.yaml:4:5"},
		{"refuses a scalar where a list goes", head + robot + "    scopes: orders.read\n    expect: granted\n", "line 7"},
		{"refuses a key given twice", head + robot + "    expect: granted\n    expect: denied\n", "line 8"},
		{"refuses a file without tenant", "server: orders\ntests:\n" + robot + "    expect: granted\n", "f.yaml: tenant"},
		{"refuses a file without tests", "tenant: acme\nserver: orders\n", "f.yaml: tests"},
		{"refuses a test without a name", head + "  - client: c\n    grant: client_credentials\n    expect: granted\n", "f.yaml:4: tests[0]: name"},
		{"refuses a name used twice", head + robot + "    expect: granted\n" + robot + "    expect: denied\n", "f.yaml:8: test \"robot\": name: already used by the test on line 4"},
		{"refuses a test without a client", head + "  - name: x\n    grant: client_credentials\n    expect: granted\n", "f.yaml:4: test \"x\": client"},
		{"refuses an unknown grant", head + "  - {name: x, client: c, grant: password, user: u, expect: denied}\n", "f.yaml:4: test \"x\": grant"},
		{"refuses a missing expectation", head + robot, "f.yaml:4: test \"robot\": expect"},
		{"refuses an expectation other than granted or denied", head + robot + "    expect: allowed\n", "test \"robot\": expect"},
		{"refuses a user for client credentials", head + robot + "    user: usr_1\n    expect: granted\n", "test \"robot\": user"},
		{"requires a user for a person's grant", head + "  - {name: x, client: c, grant: authorization_code, expect: denied}\n", "test \"x\": user"},
		{"refuses an address that is not one", head + robot + "    ip: 203.0.113.300\n    expect: granted\n", "test \"robot\": ip"},
		{"refuses a scope with a space", head + robot + "    scopes: ['a b']\n    expect: granted\n", "test \"robot\": scopes[0]"},
		{"refuses claims for a denial", head + robot + "    expect: denied\n    claims: {a: 1}\n", "test \"robot\": claims"},
		{"refuses granted scopes for a denial", head + robot + "    expect: denied\n    scopes_granted: []\n", "test \"robot\": scopes_granted"},
		{"refuses an error for a grant", head + robot + "    expect: granted\n    error: access_denied\n", "test \"robot\": error"},
		{"refuses ID token claims for client credentials", head + robot + "    expect: granted\n    id_claims: {a: 1}\n", "test \"robot\": id_claims"},
		{"refuses a claim JSON cannot hold", head + robot + "    expect: granted\n    claims: {a: {1: x}}\n", "test \"robot\": claims.a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePolicyFile("f.yaml", []byte(tc.file))
			if tc.where == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, errBadPolicyFile) {
				t.Fatalf("got %v, want a bad file", err)
			}
			if !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("error does not name %q:\n%v", tc.where, err)
			}
		})
	}
}

func TestPolicyFileNormalizesGrants(t *testing.T) {
	f, err := parsePolicyFile("f.yaml", []byte("tenant: a\nserver: s\ntests:\n  - {name: x, client: c, grant: device_code, user: u, expect: denied}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g := f.Tests[0].Grant; g != "urn:ietf:params:oauth:grant-type:device_code" {
		t.Fatalf("grant %q", g)
	}
}

func TestPolicyCompare(t *testing.T) {
	parse := func(t *testing.T, test string) policyCase {
		t.Helper()
		f, err := parsePolicyFile("f.yaml", []byte("tenant: a\nserver: s\ntests:\n  - "+test+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return f.Tests[0]
	}
	const cc = "name: x, client: c, grant: client_credentials, "
	machines := &mgmt.PreviewRef{ID: "rul_1", Name: "Machines"}
	granted := mgmt.PreviewView{Granted: true, Rule: machines, Scopes: []string{"orders.write", "orders.read"},
		AccessTokenClaims: map[string]any{"aud": []any{"api://orders"}, "n": float64(3), "obj": map[string]any{"a": []any{true, nil}}, "tier": "gold"}}
	denied := mgmt.PreviewView{Error: "access_denied", ErrorDescription: "no rule of policy P matches the request", AccessTokenClaims: map[string]any{}}
	person := granted
	person.IDTokenClaims = map[string]any{"email": "ada@example.com"}
	for _, tc := range []struct {
		name string
		test string
		got  mgmt.PreviewView
		// diffs holds a word each expected difference mentions.
		diffs []string
	}{
		{"passes a grant with its rule, scopes and claims", cc + "expect: granted, rule: Machines, scopes_granted: [orders.read, orders.write], claims: {aud: [api://orders], n: 3, obj: {a: [true, null]}, tier: gold, gone: null}", granted, nil},
		{"passes a denial with its error", cc + "expect: denied, error: access_denied", denied, nil},
		{"fails a denial expected as a grant", cc + "expect: granted", denied, []string{"expected granted"}},
		{"fails a grant expected as a denial", cc + "expect: denied", granted, []string{"expected denied"}},
		{"fails when another rule decides", cc + "expect: granted, rule: People", granted, []string{`rule "People"`}},
		{"fails when no rule decides", cc + "expect: denied, rule: Deny robots", denied, []string{"no rule"}},
		{"fails another error", cc + "expect: denied, error: invalid_scope", denied, []string{"invalid_scope"}},
		{"fails a missing granted scope", cc + "expect: granted, scopes_granted: [orders.read]", granted, []string{"not expected orders.write"}},
		{"fails an extra expected scope", cc + "expect: granted, scopes_granted: [orders.read, orders.write, orders.admin]", granted, []string{"missing orders.admin"}},
		{"fails a claim of another value", cc + "expect: granted, claims: {tier: silver, n: '3'}", granted, []string{`claim n: expected "3", got 3`, "claim tier"}},
		{"fails a missing claim", cc + "expect: granted, claims: {region: eu}", granted, []string{"claim region"}},
		{"fails a claim expected absent", cc + "expect: granted, claims: {tier: null}", granted, []string{"expected absent"}},
		{"fails a single audience written as a string", cc + "expect: granted, claims: {aud: api://orders}", granted, []string{"claim aud"}},
		{"compares ID token claims", "{name: x, client: c, grant: authorization_code, user: u, expect: granted, id_claims: {email: ada@example.com}}", person, nil},
		{"fails ID token claims without an ID token", "{name: x, client: c, grant: authorization_code, user: u, expect: granted, id_claims: {email: ada@example.com}}", granted, []string{"ID token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test := tc.test
			if !strings.HasPrefix(test, "{") {
				test = "{" + test + "}"
			}
			diffs := parse(t, test).compare(tc.got)
			if len(diffs) != len(tc.diffs) {
				t.Fatalf("differences %q, want %d", diffs, len(tc.diffs))
			}
			for i, w := range tc.diffs {
				if !strings.Contains(diffs[i], w) {
					t.Errorf("difference %q does not mention %q", diffs[i], w)
				}
			}
		})
	}
}

// TestPolicyTestExitCodes runs the command in-process against stand-ins
// for a server: every outcome has its exit status, and the token never
// shows.
func TestPolicyTestExitCodes(t *testing.T) {
	const token = "lmgt_secretsecret"
	answer := func(status int, v any) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Path != "/base/api/v1/mgmt/tenants/acme/authorization-servers/orders/preview" {
				http.Error(w, "wrong request", http.StatusTeapot)
				return
			}
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}))
		t.Cleanup(s.Close)
		return s
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good.yaml", "tenant: acme\nserver: orders\ntests:\n  - {name: robot reads, client: c, grant: client_credentials, expect: granted}\n")
	wrong := file("wrong.yaml", "tenant: acme\nserver: orders\ntests:\n  - {name: robot reads, client: c, grant: client_credentials, expect: denied}\n")
	granted := answer(http.StatusOK, mgmt.PreviewView{Granted: true, Rule: &mgmt.PreviewRef{Name: "Machines"},
		Trace: []mgmt.PreviewStep{{PolicyName: "Robots", RuleID: "rul_1", RuleName: "Machines", Matched: true, Reason: "rule matches: the request is allowed"}}})
	refused := answer(http.StatusUnauthorized, map[string]any{"title": "Unauthorized", "status": 401, "detail": "invalid token"})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		// out and errOut are texts standard output and error must hold.
		out, errOut string
	}{
		{"passes", []string{"LINTEL_URL=" + granted.URL + "/base/", "LINTEL_TOKEN=" + token}, []string{good}, 0, "ok   robot reads\n1 passed, 0 failed\n", ""},
		{"fails with the rule and trace", []string{"LINTEL_TOKEN=" + token}, []string{"--url", granted.URL + "/base", wrong}, 1,
			"FAIL robot reads: expected denied, got granted by rule \"Machines\"\n     decided by: no policy, rule \"Machines\"\n     granted: []\n     trace: yes policy \"Robots\" rule \"Machines\": rule matches: the request is allowed\n0 passed, 1 failed\n", "1 of 1 tests failed"},
		{"wants a file", []string{"LINTEL_URL=http://x", "LINTEL_TOKEN=" + token}, nil, 2, "", "want one FILE"},
		{"refuses an unknown flag", nil, []string{"--urll", "x", good}, 2, "", "urll"},
		{"refuses a bad file before asking", []string{"LINTEL_URL=" + granted.URL, "LINTEL_TOKEN=" + token}, []string{file("bad.yaml", "tenant: acme\n")}, 2, "", "tests"},
		{"refuses a missing file", nil, []string{filepath.Join(dir, "nope.yaml")}, 2, "", "nope.yaml"},
		{"wants a URL", []string{"LINTEL_TOKEN=" + token}, []string{good}, 2, "", "LINTEL_URL"},
		{"wants a token", []string{"LINTEL_URL=" + granted.URL}, []string{good}, 2, "", "LINTEL_TOKEN"},
		{"refuses credentials in the URL", []string{"LINTEL_URL=http://u:" + token + "@x", "LINTEL_TOKEN=" + token}, []string{good}, 2, "", "credentials"},
		{"says the server refused", []string{"LINTEL_URL=" + refused.URL + "/base", "LINTEL_TOKEN=" + token}, []string{good}, 3, "", "401 Unauthorized: invalid token"},
		{"says the server is unreachable", []string{"LINTEL_URL=" + closed.URL, "LINTEL_TOKEN=" + token}, []string{good}, 3, "", "cannot reach " + closed.URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(context.Background(), append([]string{"policy", "test"}, tc.args...), tc.env, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errOut.String())
			}
			if strings.Contains(out.String()+errOut.String(), "secretsecret") {
				t.Fatalf("the token shows:\n%s\n%s", out.String(), errOut.String())
			}
		})
	}
}

// TestPolicyTestAgainstServer runs docs/examples/policy-test.yaml, as
// docs/policy-test.md shows it, against the real binary set up through the
// management API: it passes, and a file with one wrong expectation fails
// with the rule and trace.
func TestPolicyTestAgainstServer(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := []string{"LINTEL_DATA_DIR=" + dataDir}
	out, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "instance-admin", "--name", "policy-test", "--expires", "10m")
	admin := strings.TrimSpace(out)
	if code != 0 || !tokenPattern.MatchString(admin) {
		t.Fatalf("admin token: exit %d %q", code, errOut)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	s := startCommand(t, exec.Command(binary, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port)), append(env, "LINTEL_PUBLIC_URL="+base))

	api := s.base + mgmt.Prefix + "/tenants/acme"
	create := func(path string, body map[string]any) string {
		t.Helper()
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(call(t, http.MethodPost, api+path, admin, body, http.StatusCreated), &v); err != nil || v.ID == "" {
			t.Fatalf("POST %s: id %q, %v", path, v.ID, err)
		}
		return v.ID
	}
	call(t, http.MethodPost, s.base+mgmt.Prefix+"/tenants", admin, map[string]any{"slug": "acme", "name": "Acme"}, http.StatusCreated)
	robot := create("/apps", map[string]any{"name": "Order robot", "type": "service"})
	shop := create("/apps", map[string]any{"name": "Shop", "type": "web", "redirect_uris": []string{"https://shop.example.com/callback"}})
	user := create("/users", map[string]any{"login": "ada@example.com", "email": "ada@example.com", "name": "Ada", "status": "ACTIVE"})
	create("/authorization-servers", map[string]any{"name": "orders", "audiences": []string{"api://orders"}})
	orders := "/authorization-servers/orders"
	create(orders+"/scopes", map[string]any{"name": "orders.read", "kinds": []string{"machine"}})
	create(orders+"/scopes", map[string]any{"name": "orders.write", "kinds": []string{"machine"}, "implies": []string{"orders.read"}})
	create(orders+"/claims", map[string]any{"name": "tier", "target": "access", "expression": `"gold"`})
	policy := create(orders+"/policies", map[string]any{"name": "Order robots", "priority": 1, "clients": []string{robot}})
	create(orders+"/policies/"+policy+"/rules", map[string]any{"name": "Machines read orders", "priority": 1,
		"grant_types": []string{"client_credentials"}, "scopes": []string{"orders.read"}})

	example := examplePolicyFile(t, map[string]string{"TENANT": "acme", "ROBOT_CLIENT_ID": robot, "SHOP_CLIENT_ID": shop, "USER_ID": user})
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	testEnv := []string{"LINTEL_URL=" + s.base, "LINTEL_TOKEN=" + admin}

	out, errOut, code = lintel(t, testEnv, "policy", "test", write("policy-test.yaml", example))
	t.Logf("the example:\n%s", out)
	if code != 0 || !strings.Contains(out, "ok   the robot reads orders\n") || !strings.HasSuffix(out, "3 passed, 0 failed\n") {
		t.Fatalf("example: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	wrong := strings.Replace(example, "tier: gold", "tier: silver", 1)
	if wrong == example {
		t.Fatal("the example no longer expects tier: gold")
	}
	out, errOut, code = lintel(t, testEnv, "policy", "test", write("wrong.yaml", wrong))
	t.Logf("a wrong expectation:\n%s%s", out, errOut)
	if code != 1 || !strings.Contains(out, `FAIL the robot reads orders: claim tier: expected "silver", got "gold"`+"\n") ||
		!strings.Contains(out, `decided by: policy "Order robots", rule "Machines read orders"`) ||
		!strings.Contains(out, "trace: yes policy \"Order robots\" rule \"Machines read orders\": rule matches") ||
		!strings.HasSuffix(out, "2 passed, 1 failed\n") {
		t.Fatalf("wrong expectation: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, admin) {
		t.Fatal("the token was printed")
	}

	// A mistyped token or server is the server's refusal, not a failed test.
	_, errOut, code = lintel(t, []string{"LINTEL_URL=" + s.base, "LINTEL_TOKEN=lmgt_wrong"}, "policy", "test", write("again.yaml", example))
	if code != 3 || !strings.Contains(errOut, "401 Unauthorized") {
		t.Fatalf("wrong token: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = lintel(t, testEnv, "policy", "test", write("nope.yaml", strings.Replace(example, "server: orders", "server: nope", 1)))
	t.Logf("an unknown server: %s", errOut)
	if code != 3 || !strings.Contains(errOut, "404 Not Found") {
		t.Fatalf("unknown server: exit %d, stderr %q", code, errOut)
	}
}

// TestPolicyTestDocShowsTheExample keeps docs/policy-test.md showing the
// file and command TestPolicyTestAgainstServer runs.
func TestPolicyTestDocShowsTheExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "policy-test.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "policy-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"```yaml\n" + string(example) + "```\n", "export LINTEL_URL=", "export LINTEL_TOKEN=", "\nlintel policy test policy-test.yaml\n"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/policy-test.md does not show %q", want)
		}
	}
}
