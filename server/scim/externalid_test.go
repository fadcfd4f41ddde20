package scim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExternalID stores a client's externalId as given, returns it,
// finds resources by it exactly (through the directory: the service
// reads no more than two resources into memory here) and lets PUT and
// PATCH change it; it is not unique.
func TestExternalID(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		limited := e.with(t, func(d *Deps) { d.ScanLimit = 2 })
		find := func(t *testing.T, kind, ext string) []string {
			t.Helper()
			scope := "scim.users.read"
			if kind == "/Groups" {
				scope = "scim.groups.read"
			}
			return ids(limited.do(t, "GET", kind+"?filter="+url.QueryEscape(`externalId eq "`+ext+`"`), scope, nil).want(t, http.StatusOK))
		}

		t.Run("users", func(t *testing.T) {
			a := e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "ann", "externalId": "00aa-HR"}).want(t, http.StatusCreated)
			ann := str(a.body, "id")
			if str(a.body, "externalId") != "00aa-HR" {
				t.Errorf("created %v", a.body)
			}
			e.clk.Advance(time.Second)
			bob := str(e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "bob", "externalId": "00aa-HR"}).want(t, http.StatusCreated).body, "id")
			e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "cat"}).want(t, http.StatusCreated)
			if got := str(e.do(t, "GET", "/Users/"+ann, allScopes, nil).want(t, http.StatusOK).body, "externalId"); got != "00aa-HR" {
				t.Errorf("read back %q", got)
			}
			for _, tc := range []struct {
				ext  string
				want []string
			}{
				{"00aa-HR", []string{ann, bob}},
				{"00AA-hr", []string{}},
				{"00aa", []string{}},
			} {
				if got := find(t, "/Users", tc.ext); !slices.Equal(got, tc.want) {
					t.Errorf("externalId eq %q: %v, want %v", tc.ext, got, tc.want)
				}
			}
			// A scan compares it exactly too.
			r := e.do(t, "GET", "/Users?filter="+url.QueryEscape(`externalId sw "00AA"`), "scim.users.read", nil).want(t, http.StatusOK)
			if got := ids(r); len(got) != 0 {
				t.Errorf("externalId sw ignores case: %v", got)
			}

			tag := e.do(t, "GET", "/Users/"+bob, allScopes, nil).header.Get("ETag")
			e.clk.Advance(time.Second)
			p := e.do(t, "PATCH", "/Users/"+bob, allScopes, patchBody(map[string]any{"op": "replace", "path": "externalId", "value": "HR-2"})).want(t, http.StatusOK)
			if str(p.body, "externalId") != "HR-2" || p.header.Get("ETag") == tag {
				t.Errorf("patched %v, ETag %s", p.body, p.header.Get("ETag"))
			}
			if got := find(t, "/Users", "HR-2"); !slices.Equal(got, []string{bob}) {
				t.Errorf("after PATCH: %v", got)
			}
			e.do(t, "PATCH", "/Users/"+bob, allScopes, patchBody(map[string]any{"op": "remove", "path": "externalId"})).want(t, http.StatusOK)
			if got := e.do(t, "GET", "/Users/"+bob, allScopes, nil).body; got["externalId"] != nil {
				t.Errorf("after remove: %v", got)
			}
			// PUT replaces: no externalId clears it.
			e.do(t, "PUT", "/Users/"+ann, allScopes, map[string]any{"userName": "ann"}).want(t, http.StatusOK)
			if got := find(t, "/Users", "00aa-HR"); len(got) != 0 {
				t.Errorf("after PUT: %v", got)
			}
			e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "dan", "externalId": strings.Repeat("x", 256)}).
				wantError(t, http.StatusBadRequest, ScimInvalidValue)
			e.do(t, "PATCH", "/Users/"+ann, allScopes, patchBody(map[string]any{"op": "add", "path": "externalId", "value": 5})).
				wantError(t, http.StatusBadRequest, ScimInvalidValue)
		})

		t.Run("groups", func(t *testing.T) {
			c := e.do(t, "POST", "/Groups", allScopes, map[string]any{"displayName": "Ops", "externalId": "g-1"}).want(t, http.StatusCreated)
			ops := str(c.body, "id")
			if str(c.body, "externalId") != "g-1" {
				t.Errorf("created %v", c.body)
			}
			e.clk.Advance(time.Second)
			dev := str(e.do(t, "POST", "/Groups", allScopes, map[string]any{"displayName": "Dev", "externalId": "g-1"}).want(t, http.StatusCreated).body, "id")
			e.do(t, "POST", "/Groups", allScopes, map[string]any{"displayName": "QA"}).want(t, http.StatusCreated)
			if got := find(t, "/Groups", "g-1"); !slices.Equal(got, []string{ops, dev}) {
				t.Errorf("externalId eq: %v", got)
			}
			if got := find(t, "/Groups", "G-1"); len(got) != 0 {
				t.Errorf("externalId eq ignores case: %v", got)
			}
			tag := c.header.Get("ETag")
			e.clk.Advance(time.Second)
			put := e.do(t, "PUT", "/Groups/"+ops, allScopes, map[string]any{"displayName": "Ops", "externalId": "g-2"}, "If-Match", tag).want(t, http.StatusOK)
			if str(put.body, "externalId") != "g-2" || put.header.Get("ETag") == tag {
				t.Errorf("PUT %v, ETag %s", put.body, put.header.Get("ETag"))
			}
			e.do(t, "PATCH", "/Groups/"+dev, allScopes, patchBody(map[string]any{"op": "remove", "path": "externalId"})).want(t, http.StatusOK)
			if got := find(t, "/Groups", "g-1"); len(got) != 0 {
				t.Errorf("after PATCH remove: %v", got)
			}
			if got := str(e.do(t, "GET", "/Groups/"+ops, allScopes, nil).want(t, http.StatusOK).body, "externalId"); got != "g-2" {
				t.Errorf("read back %q", got)
			}
			e.do(t, "PUT", "/Groups/"+ops, allScopes, map[string]any{"displayName": "Ops", "externalId": "a\x00b"}).
				wantError(t, http.StatusBadRequest, ScimInvalidValue)
		})
	})
}
