package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

const tenant = "ten_scim"

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// allScopes is the token of a client that may do everything.
const allScopes = "scim.users.read scim.users.write scim.groups.read scim.groups.write"

// fakeAuth reads "Bearer <space-separated scopes>" as a token.
type fakeAuth struct{}

func (fakeAuth) Authorize(r *http.Request, tenantID, scope string) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || tenantID != tenant {
		return ErrUnauthenticated
	}
	if !slices.Contains(strings.Fields(tok), scope) {
		return errors.New("missing scope")
	}
	return nil
}

// env is a SCIM service on loopback over a fresh database.
type env struct {
	st  store.Store
	dir *directory.Directory
	clk *clock.Fake
	srv *httptest.Server
	d   Deps
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b.Open(t))) })
	}
}

// newEnv serves SCIM over st; opts change the Service's Deps.
func newEnv(t testing.TB, st store.Store, opts ...func(*Deps)) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.New(st, sec, clk)
	dir := directory.New(clk, ev, sec)
	d := Deps{Store: st, Directory: dir, Events: ev, Clock: clk, Authorize: fakeAuth{}}
	for _, o := range opts {
		o(&d)
	}
	e := &env{st: st, dir: dir, clk: clk, d: d}
	e.serve(t)
	return e
}

// serve starts e.srv, a Service over e.d.
func (e *env) serve(t testing.TB) {
	h := New(e.d).Handler(func(*http.Request) (string, bool) { return tenant, true }, func(*http.Request) string { return e.srv.URL })
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
}

// with returns an env over the same database and clock whose Service has
// e's Deps changed by opt.
func (e *env) with(t testing.TB, opt func(*Deps)) *env {
	e2 := *e
	opt(&e2.d)
	e2.serve(t)
	return &e2
}

// response is an answer, its body decoded.
type response struct {
	status int
	header http.Header
	body   map[string]any
}

// do sends a request with the token of scopes and optional headers
// (name, value pairs).
func (e *env) do(t testing.TB, method, path, scopes string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/scim/v2"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	if scopes != "" {
		req.Header.Set("Authorization", "Bearer "+scopes)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	return r
}

// want fails unless r has status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %v", r.status, status, r.body)
	}
	return r
}

// wantError fails unless r is a SCIM error of status and scimType.
func (r response) wantError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.want(t, status)
	if got := r.body["schemas"]; !slices.Equal(toStrings(got), []string{SchemaErrorResp}) {
		t.Errorf("error schemas = %v", got)
	}
	if r.body["status"] != itoa(status) {
		t.Errorf("error status = %v, want %q", r.body["status"], itoa(status))
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q", got, scimType)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func toStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}

func alice() map[string]any {
	return map[string]any{
		"schemas": []string{SchemaUser}, "userName": "alice@example.com", "externalId": "hr-1",
		"name":        map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"displayName": "Alice L.", "active": true, "locale": "en-GB",
		"emails":       []map[string]any{{"value": "alice@example.com", "type": "work", "primary": true}},
		"phoneNumbers": []map[string]any{{"value": "+14155550100"}},
	}
}

func TestUsers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		created := e.do(t, "POST", "/Users", allScopes, alice()).want(t, http.StatusCreated)
		id := str(created.body, "id")
		loc := e.srv.URL + "/scim/v2/Users/" + id
		if created.header.Get("Location") != loc || str(created.body, "meta", "location") != loc {
			t.Errorf("location = %q / %q, want %q", created.header.Get("Location"), str(created.body, "meta", "location"), loc)
		}
		tag := created.header.Get("ETag")
		if !strings.HasPrefix(tag, `W/"`) || str(created.body, "meta", "version") != tag {
			t.Errorf("ETag %q, meta.version %q", tag, str(created.body, "meta", "version"))
		}
		if str(created.body, "name", "givenName") != "Alice" || created.body["active"] != true || str(created.body, "displayName") != "Alice L." {
			t.Errorf("created %v", created.body)
		}
		u := storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
			return e.dir.User(ctx, tx, tenant, id)
		})
		if u.Email != "alice@example.com" || u.EmailVerified || u.Phone != "+14155550100" || u.Status != directory.StatusActive {
			t.Errorf("stored %+v", u)
		}

		got := e.do(t, "GET", "/Users/"+id, allScopes, nil).want(t, http.StatusOK)
		if str(got.body, "userName") != "alice@example.com" || got.header.Get("ETag") != tag {
			t.Errorf("got %v, ETag %q", got.body, got.header.Get("ETag"))
		}
		e.do(t, "GET", "/Users/"+id, allScopes, nil, "If-None-Match", tag).want(t, http.StatusNotModified)
		e.do(t, "GET", "/Users/"+id, allScopes, nil, "If-None-Match", `W/"other"`).want(t, http.StatusOK)
		e.do(t, "POST", "/Users", allScopes, alice()).wantError(t, http.StatusConflict, "uniqueness")

		put := alice()
		put["displayName"], put["active"] = "Alice Liddell", false
		e.do(t, "PUT", "/Users/"+id, allScopes, put, "If-Match", `W/"stale"`).wantError(t, http.StatusPreconditionFailed, "")
		e.clk.Advance(time.Minute)
		replaced := e.do(t, "PUT", "/Users/"+id, allScopes, put, "If-Match", tag).want(t, http.StatusOK)
		if replaced.body["active"] != false || str(replaced.body, "displayName") != "Alice Liddell" || replaced.header.Get("ETag") == tag {
			t.Errorf("replaced %v, ETag %q", replaced.body, replaced.header.Get("ETag"))
		}
		u = storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
			return e.dir.User(ctx, tx, tenant, id)
		})
		if u.Status != directory.StatusSuspended || u.Name != "Alice Liddell" {
			t.Errorf("after PUT: %+v", u)
		}
		put["active"] = true
		if r := e.do(t, "PUT", "/Users/"+id, allScopes, put).want(t, http.StatusOK); r.body["active"] != true {
			t.Errorf("reactivated %v", r.body)
		}
		put["userName"] = "bob@example.com"
		e.do(t, "PUT", "/Users/"+id, allScopes, put).wantError(t, http.StatusBadRequest, "mutability")
		e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": ""}).wantError(t, http.StatusBadRequest, "invalidValue")
		e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "x", "locale": "!!"}).wantError(t, http.StatusBadRequest, "invalidValue")

		e.do(t, "DELETE", "/Users/"+id, allScopes, nil, "If-Match", `W/"stale"`).wantError(t, http.StatusPreconditionFailed, "")
		e.do(t, "DELETE", "/Users/"+id, allScopes, nil).want(t, http.StatusNoContent)
		e.do(t, "GET", "/Users/"+id, allScopes, nil).wantError(t, http.StatusNotFound, "")
		e.do(t, "DELETE", "/Users/"+id, allScopes, nil).wantError(t, http.StatusNotFound, "")
	})
}

func TestListUsers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var ids []string
		for _, name := range []string{"a", "b", "c", "d", "e"} {
			e.clk.Advance(time.Second)
			r := e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": name, "displayName": strings.ToUpper(name)}).want(t, http.StatusCreated)
			ids = append(ids, str(r.body, "id"))
		}
		tests := []struct {
			query       string
			total, from int
			ids         []string
		}{
			{"", 5, 1, ids},
			{"?startIndex=2&count=2", 5, 2, ids[1:3]},
			{"?startIndex=0&count=1", 5, 1, ids[:1]},
			{"?startIndex=5&count=10", 5, 5, ids[4:]},
			{"?startIndex=9", 5, 9, nil},
			{"?count=0", 5, 1, nil},
		}
		for _, tc := range tests {
			r := e.do(t, "GET", "/Users"+tc.query, "scim.users.read", nil).want(t, http.StatusOK)
			if !slices.Equal(toStrings(r.body["schemas"]), []string{SchemaListResp}) || r.body["totalResults"] != float64(tc.total) || r.body["startIndex"] != float64(tc.from) {
				t.Errorf("%s: %v", tc.query, r.body)
			}
			var got []string
			for _, res := range r.body["Resources"].([]any) {
				got = append(got, str(res.(map[string]any), "id"))
			}
			if !slices.Equal(got, tc.ids) || r.body["itemsPerPage"] != float64(len(tc.ids)) {
				t.Errorf("%s: ids %v, want %v", tc.query, got, tc.ids)
			}
		}
		r := e.do(t, "GET", "/Users?attributes=userName&count=1", "scim.users.read", nil).want(t, http.StatusOK)
		res := r.body["Resources"].([]any)[0].(map[string]any)
		if _, ok := res["displayName"]; ok || str(res, "userName") != "a" || str(res, "id") == "" {
			t.Errorf("attributes=userName: %v", res)
		}
		r = e.do(t, "GET", "/Users?excludedAttributes=displayName,id&count=1", "scim.users.read", nil).want(t, http.StatusOK)
		res = r.body["Resources"].([]any)[0].(map[string]any)
		if _, ok := res["displayName"]; ok || str(res, "id") == "" || str(res, "userName") != "a" {
			t.Errorf("excludedAttributes: %v", res)
		}
		e.do(t, "GET", "/Users?count=x", "scim.users.read", nil).wantError(t, http.StatusBadRequest, "invalidValue")
		e.do(t, "GET", "/Users?sortOrder=up", "scim.users.read", nil).wantError(t, http.StatusBadRequest, "invalidValue")
		e.do(t, "GET", "/Users?filter="+url.QueryEscape(`userName eq`), "scim.users.read", nil).wantError(t, http.StatusBadRequest, "invalidFilter")

		filters := []struct {
			query string
			ids   []string
		}{
			{"filter=" + url.QueryEscape(`userName eq "C"`), ids[2:3]},
			{"filter=" + url.QueryEscape(`displayName eq "B" or userName sw "d"`), []string{ids[1], ids[3]}},
			{"filter=" + url.QueryEscape(`id eq "`+ids[4]+`"`), ids[4:]},
			{"filter=" + url.QueryEscape(`id eq "`+strings.ToUpper(ids[4])+`"`), nil},
			{"filter=" + url.QueryEscape(`meta.created gt "`+t0.Add(3*time.Second).Format(time.RFC3339)+`"`), ids[3:]},
			{"sortBy=userName&sortOrder=descending", []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"filter=" + url.QueryEscape(`active eq true`) + "&sortBy=displayName&startIndex=4", ids[3:]},
		}
		for _, tc := range filters {
			r := e.do(t, "GET", "/Users?"+tc.query, "scim.users.read", nil).want(t, http.StatusOK)
			var got []string
			for _, res := range r.body["Resources"].([]any) {
				got = append(got, str(res.(map[string]any), "id"))
			}
			if !slices.Equal(got, tc.ids) {
				t.Errorf("%s: ids %v, want %v", tc.query, got, tc.ids)
			}
		}
	})
}

func TestProfileExtension(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		schema := `{"type":"object","additionalProperties":false,"properties":{"employee_number":{"type":"string","maxLength":20},"level":{"type":"integer"}},"required":["employee_number"]}`
		storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
			return e.dir.CreateUserType(ctx, tx, tenant, directory.UserTypeInput{Name: "staff", Schema: json.RawMessage(schema)})
		})
		urn := ProfileSchemaPrefix + "staff:2.0:User"
		body := map[string]any{"schemas": []string{SchemaUser, urn}, "userName": "carol", urn: map[string]any{"employee_number": "E7", "level": 3}}
		r := e.do(t, "POST", "/Users", allScopes, body).want(t, http.StatusCreated)
		if ext, _ := r.body[urn].(map[string]any); ext["employee_number"] != "E7" || !slices.Contains(toStrings(r.body["schemas"]), urn) {
			t.Errorf("created %v", r.body)
		}
		id := str(r.body, "id")

		// A profile the type's schema refuses changes nothing.
		bad := map[string]any{"schemas": []string{SchemaUser, urn}, "userName": "carol", "displayName": "Carol", urn: map[string]any{"level": "high"}}
		e.do(t, "PUT", "/Users/"+id, allScopes, bad).wantError(t, http.StatusBadRequest, "invalidValue")
		u := storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
			return e.dir.User(ctx, tx, tenant, id)
		})
		if u.Name != "" || u.Profile["employee_number"] != "E7" {
			t.Errorf("a refused PUT changed the user: %+v", u)
		}
		other := ProfileSchemaPrefix + "nobody:2.0:User"
		e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "dan", other: map[string]any{}}).wantError(t, http.StatusBadRequest, "invalidValue")
		e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "dan", urn: map[string]any{"level": 1}}).wantError(t, http.StatusBadRequest, "invalidValue")

		s := e.do(t, "GET", "/Schemas", "", nil).want(t, http.StatusOK)
		var ids []string
		for _, sc := range s.body["Resources"].([]any) {
			m := sc.(map[string]any)
			ids = append(ids, str(m, "id"))
			if str(m, "id") == urn {
				attrs := m["attributes"].([]any)
				if len(attrs) != 2 || str(attrs[0].(map[string]any), "name") != "employee_number" || attrs[0].(map[string]any)["required"] != true || str(attrs[1].(map[string]any), "type") != "integer" {
					t.Errorf("profile schema attributes %v", attrs)
				}
			}
		}
		if len(ids) < 3 || ids[0] != SchemaUser || ids[1] != SchemaGroup || !slices.Contains(ids, urn) {
			t.Errorf("schemas %v", ids)
		}
		rt := e.do(t, "GET", "/ResourceTypes", "", nil).want(t, http.StatusOK)
		if rt.body["totalResults"] != float64(2) {
			t.Errorf("resource types %v", rt.body)
		}
		sp := e.do(t, "GET", "/ServiceProviderConfig", "", nil).want(t, http.StatusOK)
		if etag, _ := sp.body["etag"].(map[string]any); etag["supported"] != true {
			t.Errorf("service provider config %v", sp.body)
		}
	})
}

func TestGroups(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u1 := str(e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "u1", "displayName": "User One"}).want(t, http.StatusCreated).body, "id")
		u2 := str(e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "u2"}).want(t, http.StatusCreated).body, "id")

		created := e.do(t, "POST", "/Groups", allScopes, map[string]any{
			"schemas": []string{SchemaGroup}, "displayName": "Admins", "members": []map[string]any{{"value": u1}},
		}).want(t, http.StatusCreated)
		id := str(created.body, "id")
		members := created.body["members"].([]any)
		if len(members) != 1 || str(members[0].(map[string]any), "value") != u1 || str(members[0].(map[string]any), "display") != "User One" ||
			str(members[0].(map[string]any), "$ref") != e.srv.URL+"/scim/v2/Users/"+u1 {
			t.Errorf("members %v", members)
		}
		tag := created.header.Get("ETag")
		e.do(t, "GET", "/Groups/"+id, allScopes, nil, "If-None-Match", tag).want(t, http.StatusNotModified)
		e.do(t, "POST", "/Groups", allScopes, map[string]any{"displayName": "admins"}).wantError(t, http.StatusConflict, "uniqueness")

		// A member that is no user refuses the whole PUT.
		e.do(t, "PUT", "/Groups/"+id, allScopes, map[string]any{"displayName": "Renamed", "members": []map[string]any{{"value": u2}, {"value": "usr_nobody"}}}).
			wantError(t, http.StatusBadRequest, "invalidValue")
		got := e.do(t, "GET", "/Groups/"+id, allScopes, nil).want(t, http.StatusOK)
		if str(got.body, "displayName") != "Admins" || len(got.body["members"].([]any)) != 1 || got.header.Get("ETag") != tag {
			t.Errorf("a refused PUT changed the group: %v", got.body)
		}

		e.do(t, "PUT", "/Groups/"+id, allScopes, map[string]any{"displayName": "Ops"}, "If-Match", `W/"stale"`).wantError(t, http.StatusPreconditionFailed, "")
		put := e.do(t, "PUT", "/Groups/"+id, allScopes, map[string]any{"displayName": "Ops", "members": []map[string]any{{"value": u2}}}, "If-Match", tag).
			want(t, http.StatusOK)
		members = put.body["members"].([]any)
		if str(put.body, "displayName") != "Ops" || len(members) != 1 || str(members[0].(map[string]any), "value") != u2 || put.header.Get("ETag") == tag {
			t.Errorf("after PUT %v", put.body)
		}
		list := e.do(t, "GET", "/Groups", "scim.groups.read", nil).want(t, http.StatusOK)
		if list.body["totalResults"] != float64(1) {
			t.Errorf("list %v", list.body)
		}
		e.do(t, "DELETE", "/Groups/"+id, allScopes, nil).want(t, http.StatusNoContent)
		e.do(t, "GET", "/Groups/"+id, allScopes, nil).wantError(t, http.StatusNotFound, "")
	})
}

func TestAuth(t *testing.T) {
	e := newEnv(t, storetest.SQLite().Open(t))
	tests := []struct {
		method, path, scopes string
		status               int
	}{
		{"GET", "/Users", "", http.StatusUnauthorized},
		{"GET", "/Groups/grp_x", "", http.StatusUnauthorized},
		{"POST", "/Users", "scim.users.read", http.StatusForbidden},
		{"GET", "/Groups", "scim.users.read scim.users.write", http.StatusForbidden},
		{"DELETE", "/Groups/grp_x", "scim.groups.read", http.StatusForbidden},
		{"GET", "/Users", "scim.users.read", http.StatusOK},
		{"GET", "/ServiceProviderConfig", "", http.StatusOK},
	}
	for _, tc := range tests {
		r := e.do(t, tc.method, tc.path, tc.scopes, nil)
		if r.status != tc.status {
			t.Errorf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.scopes, r.status, tc.status)
			continue
		}
		if tc.status >= 400 {
			r.wantError(t, tc.status, "")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", tc.method, tc.path, r.header.Get("WWW-Authenticate"))
			}
		}
	}
	e.do(t, "GET", "/Nothing", allScopes, nil).wantError(t, http.StatusNotFound, "")
}
