package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// policyFile is a file of assertions for `lintel policy test`: token
// requests to one authorization server and what each must get. The
// format is documented in docs/policy-test.md.
type policyFile struct {
	// Tenant is the tenant's slug or ID; Server the authorization
	// server's name.
	Tenant string       `yaml:"tenant"`
	Server string       `yaml:"server"`
	Tests  []policyCase `yaml:"tests"`
}

// policyCase is one test: a token request and what it must get.
type policyCase struct {
	Name   string   `yaml:"name"`
	Client string   `yaml:"client"`
	Grant  string   `yaml:"grant"`
	User   string   `yaml:"user"`
	Scopes []string `yaml:"scopes"`
	IP     string   `yaml:"ip"`
	// Expect is expectGranted or expectDenied.
	Expect string `yaml:"expect"`
	// Rule, when set, is the name of the rule that must decide.
	Rule string `yaml:"rule"`
	// Error, when set, is the OAuth error a denied request must get.
	Error string `yaml:"error"`
	// ScopesGranted, when set (even empty), is the exact set of scopes
	// a granted request must get.
	ScopesGranted *[]string `yaml:"scopes_granted"`
	// Claims and IDClaims are claims the access and ID tokens must carry
	// with these values (compared as JSON); a null value means the claim
	// must be absent. Checking fills them with their JSON form.
	Claims   map[string]any `yaml:"claims"`
	IDClaims map[string]any `yaml:"id_claims"`

	// line is where the test starts in the file, keyLines where each of
	// its own keys is.
	line     int
	keyLines map[string]int
}

const (
	expectGranted = "granted"
	expectDenied  = "denied"
)

// grantNames maps the grant types a test may name to the grant_type a
// token request sends; any other absolute URI is sent as it is.
var grantNames = map[string]string{
	"authorization_code": "authorization_code",
	"refresh_token":      "refresh_token",
	"client_credentials": "client_credentials",
	"device_code":        "urn:ietf:params:oauth:grant-type:device_code",
	"token_exchange":     "urn:ietf:params:oauth:grant-type:token-exchange",
}

// errBadPolicyFile marks a file that cannot be tested: unreadable, not
// YAML, unknown keys or invalid tests.
var errBadPolicyFile = errors.New("bad policy test file")

// parsePolicyFile reads and checks a policy test file named name. Every
// problem is reported at once, each as "name:line:column: …", joined in
// an error that wraps errBadPolicyFile.
func parsePolicyFile(name string, data []byte) (policyFile, error) {
	bad := func(errs ...error) (policyFile, error) {
		return policyFile{}, fmt.Errorf("%w %s:\n%w", errBadPolicyFile, name, errors.Join(errs...))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return bad(fmt.Errorf("%s: empty: want tenant, server and tests", name))
	} else if err != nil {
		return bad(fmt.Errorf("%s: %w", name, err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return bad(fmt.Errorf("%s: want one YAML document", name))
	}
	ck := keyChecker{file: name}
	root := resolveNode(doc.Content[0])
	ck.mapping(root, reflect.TypeFor[policyFile](), "")
	var at []policyCase // the positions of the tests
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "tests" {
			continue
		}
		if seq := resolveNode(root.Content[i+1]); seq.Kind == yaml.SequenceNode {
			for j, item := range seq.Content {
				item = resolveNode(item)
				pos := policyCase{line: item.Line, keyLines: map[string]int{}}
				for k := 0; item.Kind == yaml.MappingNode && k < len(item.Content); k += 2 {
					pos.keyLines[item.Content[k].Value] = item.Content[k].Line
				}
				at = append(at, pos)
				ck.mapping(item, reflect.TypeFor[policyCase](), fmt.Sprintf("tests[%d].", j))
			}
		}
	}
	if len(ck.errs) > 0 {
		return bad(ck.errs...)
	}
	var f policyFile
	if err := doc.Decode(&f); err != nil {
		return bad(fmt.Errorf("%s: %w", name, err))
	}
	for i := range f.Tests {
		if i < len(at) {
			f.Tests[i].line, f.Tests[i].keyLines = at[i].line, at[i].keyLines
		}
	}
	if errs := f.check(name); len(errs) > 0 {
		return bad(errs...)
	}
	return f, nil
}

// check validates the file's content and puts grants and expected claims
// in the form the comparison uses.
func (f *policyFile) check(file string) []error {
	var errs []error
	top := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{file}, args...)...))
	}
	if f.Tenant == "" {
		top("tenant: required (the tenant's slug or ID)")
	} else if strings.ContainsAny(f.Tenant, "/?# \t") {
		top("tenant: %q is not a slug or ID", f.Tenant)
	}
	if f.Server == "" {
		top("server: required (the authorization server's name)")
	} else if strings.ContainsAny(f.Server, "/?# \t") {
		top("server: %q is not a server name", f.Server)
	}
	if len(f.Tests) == 0 {
		top("tests: at least one test is required")
	}
	seen := map[string]int{}
	for i := range f.Tests {
		c := &f.Tests[i]
		test := fmt.Sprintf("test %q", c.Name)
		if c.Name == "" {
			test = fmt.Sprintf("tests[%d]", i)
		}
		at := func(p fieldProblem) {
			key, _, _ := strings.Cut(p.key, ".")
			key, _, _ = strings.Cut(key, "[")
			line, ok := c.keyLines[key]
			if !ok {
				line = c.line
			}
			errs = append(errs, fmt.Errorf("%s:%d: %s: %s: %s", file, line, test, p.key, p.problem))
		}
		if c.Name == "" {
			at(fieldProblem{"name", "required"})
		} else if first, dup := seen[c.Name]; dup {
			at(fieldProblem{"name", fmt.Sprintf("already used by the test on line %d", first)})
		} else {
			seen[c.Name] = c.line
		}
		for _, p := range c.check() {
			at(p)
		}
	}
	return errs
}

// fieldProblem is what is wrong with one key of a test.
type fieldProblem struct{ key, problem string }

// check validates one test and returns its problems.
func (c *policyCase) check() []fieldProblem {
	var bad []fieldProblem
	add := func(key, format string, args ...any) {
		bad = append(bad, fieldProblem{key, fmt.Sprintf(format, args...)})
	}
	if c.Client == "" {
		add("client", "required (the app's client_id)")
	}
	switch g, ok := grantNames[c.Grant]; {
	case c.Grant == "":
		add("grant", "required (authorization_code, refresh_token, client_credentials, device_code, token_exchange or a grant type URI)")
	case ok:
		c.Grant = g
	case !strings.Contains(c.Grant, ":"):
		add("grant", "%q is not a grant type (authorization_code, refresh_token, client_credentials, device_code, token_exchange or a URI)", c.Grant)
	}
	machine := c.Grant == "client_credentials"
	switch {
	case machine && c.User != "":
		add("user", "a client_credentials request has no user")
	case !machine && c.Grant != "" && c.User == "":
		add("user", "required for the %s grant (the user's ID)", c.Grant)
	}
	for j, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			add(fmt.Sprintf("scopes[%d]", j), "%q is not a scope name", s)
		}
	}
	if c.IP != "" {
		if _, err := netip.ParseAddr(c.IP); err != nil {
			add("ip", "%q is not an IPv4 or IPv6 address", c.IP)
		}
	}
	granted := c.Expect == expectGranted
	switch {
	case c.Expect == "":
		add("expect", "required (granted or denied)")
	case !granted && c.Expect != expectDenied:
		add("expect", "%q is neither granted nor denied", c.Expect)
	}
	if c.Expect == expectDenied {
		for _, k := range []struct {
			set  bool
			name string
		}{{c.ScopesGranted != nil, "scopes_granted"}, {len(c.Claims) > 0, "claims"}, {len(c.IDClaims) > 0, "id_claims"}} {
			if k.set {
				add(k.name, "only for expect: granted (a denied request gets no token)")
			}
		}
	}
	if c.Error != "" && granted {
		add("error", "only for expect: denied")
	}
	if machine && len(c.IDClaims) > 0 {
		add("id_claims", "a client_credentials request gets no ID token")
	}
	if c.ScopesGranted != nil {
		for j, s := range *c.ScopesGranted {
			if s == "" || strings.ContainsAny(s, " \t\r\n") {
				add(fmt.Sprintf("scopes_granted[%d]", j), "%q is not a scope name", s)
			}
		}
	}
	var err error
	var claim string
	if c.Claims, claim, err = jsonClaims(c.Claims); err != nil {
		add("claims."+claim, "%v", err)
	}
	if c.IDClaims, claim, err = jsonClaims(c.IDClaims); err != nil {
		add("id_claims."+claim, "%v", err)
	}
	return bad
}

// jsonClaims returns claims as encoding/json decodes them (numbers as
// float64, maps keyed by strings), so that they compare with a server's
// answer; for a value JSON cannot hold it returns the claim's name and why.
func jsonClaims(claims map[string]any) (_ map[string]any, bad string, _ error) {
	if len(claims) == 0 {
		return nil, "", nil
	}
	out := make(map[string]any, len(claims))
	for _, k := range slices.Sorted(maps.Keys(claims)) {
		b, err := json.Marshal(claims[k])
		if err != nil {
			return nil, k, errors.New("not a JSON value (maps need string keys, numbers must be finite)")
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, k, err
		}
		out[k] = v
	}
	return out, "", nil
}
