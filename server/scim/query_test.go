package scim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestProbes(t *testing.T) {
	tests := []struct {
		name, filter string
		core         string
		want         []probe // nil: a scan
	}{
		{"userName eq", `userName eq "Ann"`, SchemaUser, []probe{{"username", "Ann"}}},
		{"any case of the attribute", `USERNAME EQ "ann"`, SchemaUser, []probe{{"username", "ann"}}},
		{"the core schema URN", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, SchemaUser, []probe{{"username", "a"}}},
		{"externalId eq", `externalId eq "HR-1"`, SchemaUser, []probe{{"externalid", "HR-1"}}},
		{"id eq", `id eq "usr_1"`, SchemaUser, []probe{{"id", "usr_1"}}},
		{"emails eq", `emails eq "a@x.org"`, SchemaUser, []probe{{"emails", "a@x.org"}}},
		{"emails.value eq", `emails.value eq "a@x.org"`, SchemaUser, []probe{{"emails", "a@x.org"}}},
		{"a value filter on value", `emails[value eq "a@x.org"]`, SchemaUser, []probe{{"emails", "a@x.org"}}},
		{"a value filter with type", `emails[type eq "work" and value eq "a@x.org"]`, SchemaUser, []probe{{"emails", "a@x.org"}}},
		{"Entra's form", `emails[type eq "work"].value eq "a@x.org"`, SchemaUser, []probe{{"emails", "a@x.org"}}},
		{"either side of and", `active eq true and externalId eq "e"`, SchemaUser, []probe{{"externalid", "e"}}},
		{"the smaller side of and", `(userName eq "a" or userName eq "b") and id eq "usr_1"`, SchemaUser, []probe{{"id", "usr_1"}}},
		{"both sides of or", `userName eq "a" or emails.value eq "b@x.org"`, SchemaUser, []probe{{"username", "a"}, {"emails", "b@x.org"}}},
		{"group displayName", `displayName eq "Ops"`, SchemaGroup, []probe{{"displayname", "Ops"}}},
		{"group externalId", `externalId eq "g1" and displayName sw "O"`, SchemaGroup, []probe{{"externalid", "g1"}}},
		{"or with a side to scan", `userName eq "a" or active eq true`, SchemaUser, nil},
		{"not", `not (userName eq "a")`, SchemaUser, nil},
		{"ne", `userName ne "a"`, SchemaUser, nil},
		{"sw", `userName sw "a"`, SchemaUser, nil},
		{"a number", `externalId eq 5`, SchemaUser, nil},
		{"null", `externalId eq null`, SchemaUser, nil},
		{"a timestamp, which compares chronologically", `externalId eq "2026-03-01T09:00:00Z"`, SchemaUser, nil},
		{"an extension's attribute", ProfileSchemaPrefix + `staff:2.0:User:userName eq "a"`, SchemaUser, nil},
		{"an attribute not looked up", `displayName eq "Ann"`, SchemaUser, nil},
		{"a value filter on type only", `emails[type eq "work"]`, SchemaUser, nil},
		{"a value filter with or", `emails[type eq "work" or value eq "a@x.org"]`, SchemaUser, nil},
		{"another sub-attribute", `emails.type eq "work"`, SchemaUser, nil},
		{"a user attribute of a group", `userName eq "a"`, SchemaGroup, nil},
		{"members", `members.value eq "usr_1"`, SchemaGroup, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			can := userLookups
			if tc.core == SchemaGroup {
				can = groupLookups
			}
			got, ok := probes(f, tc.core, can)
			if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
				t.Fatalf("probes = %v, %v; want %v", got, ok, tc.want)
			}
		})
	}
}

// ids returns the ids of a list response's resources, in order.
func ids(r response) []string {
	out := []string{}
	for _, res := range r.body["Resources"].([]any) {
		out = append(out, str(res.(map[string]any), "id"))
	}
	return out
}

// TestListWithoutScan lists a tenant of more users than the service reads
// into memory: what the directory looks up answers as a scan would have,
// the rest is refused as tooMany.
func TestListWithoutScan(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var all []string
		users := []map[string]any{
			{"userName": "ann@example.com", "displayName": "Ann"},
			{"userName": "Bob", "emails": []map[string]any{{"value": "Bob@Example.com", "type": "work"}}, "active": false},
			{"userName": "cat", "emails": []map[string]any{{"value": "bob@example.com"}}},
			{"userName": "dan", "displayName": "Dan"},
			{"userName": "eve"},
		}
		for _, u := range users {
			e.clk.Advance(time.Second)
			all = append(all, str(e.do(t, "POST", "/Users", allScopes, u).want(t, http.StatusCreated).body, "id"))
		}
		// What the filter matches among every user, as a scan finds it.
		every := e.do(t, "GET", "/Users", "scim.users.read", nil).want(t, http.StatusOK).body["Resources"].([]any)
		scan := func(filter string) []string {
			f, err := ParseFilter(filter)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, res := range every {
				if f.MatchWith(res.(map[string]any), caseExact) {
					out = append(out, str(res.(map[string]any), "id"))
				}
			}
			return out
		}
		limited := e.with(t, func(d *Deps) { d.ScanLimit = 2 })

		pushed := []struct {
			filter string
			want   []string
		}{
			{`userName eq "ANN@example.com"`, all[:1]},
			{`userName eq "bob"`, all[1:2]},
			{`userName eq " bob"`, []string{}},
			{`userName eq "nobody"`, []string{}},
			{`userName eq ""`, []string{}},
			{`emails.value eq "BOB@example.com"`, all[1:3]},
			{`emails eq "bob@example.com" and active eq true`, all[2:3]},
			{`emails[type eq "work"].value eq "bob@example.com"`, []string{}}, // Lintel keeps no email type
			{`emails[value eq "ann@example.com"]`, all[:1]},
			{`id eq "` + all[3] + `"`, all[3:4]},
			{`id eq "` + all[3] + `" or userName eq "eve"`, all[3:]},
			{`userName eq "eve" or id eq "` + all[0] + `"`, []string{all[0], all[4]}},
			{`externalId eq "x"`, []string{}},
			{`externalId eq ""`, []string{}},
		}
		for _, tc := range pushed {
			r := limited.do(t, "GET", "/Users?filter="+url.QueryEscape(tc.filter), "scim.users.read", nil).want(t, http.StatusOK)
			if got := ids(r); !slices.Equal(got, tc.want) || r.body["totalResults"] != float64(len(tc.want)) {
				t.Errorf("%s: %v (total %v), want %v", tc.filter, got, r.body["totalResults"], tc.want)
			}
			if got := scan(tc.filter); !slices.Equal(got, tc.want) {
				t.Errorf("%s: a scan finds %v, want %v", tc.filter, got, tc.want)
			}
		}
		r := limited.do(t, "GET", "/Users?filter="+url.QueryEscape(`emails eq "bob@example.com"`)+"&sortBy=userName&sortOrder=descending&count=1&startIndex=1",
			"scim.users.read", nil).want(t, http.StatusOK)
		if got := ids(r); !slices.Equal(got, all[2:3]) || r.body["totalResults"] != float64(2) {
			t.Errorf("sorted page of a lookup: %v (total %v)", got, r.body["totalResults"])
		}

		pages := []struct {
			query string
			want  []string
		}{
			{"", all},
			{"?startIndex=2&count=2", all[1:3]},
			{"?startIndex=5&count=9", all[4:]},
			{"?startIndex=6", []string{}},
			{"?startIndex=" + strconv.Itoa(1<<62), []string{}},
			{"?count=0", []string{}},
		}
		for _, tc := range pages {
			r := limited.do(t, "GET", "/Users"+tc.query, "scim.users.read", nil).want(t, http.StatusOK)
			if got := ids(r); !slices.Equal(got, tc.want) || r.body["totalResults"] != float64(len(all)) || r.body["itemsPerPage"] != float64(len(tc.want)) {
				t.Errorf("%q: %v, want %v; body %v", tc.query, got, tc.want, r.body)
			}
		}

		for _, q := range []string{
			"filter=" + url.QueryEscape(`active eq true`),
			"filter=" + url.QueryEscape(`userName eq "ann@example.com" or displayName eq "Dan"`),
			"sortBy=userName",
			// Lookups that find more users than the limit.
			"filter=" + url.QueryEscape(`emails eq "bob@example.com" or userName eq "ann@example.com"`),
		} {
			limited.do(t, "GET", "/Users?"+q, "scim.users.read", nil).wantError(t, http.StatusBadRequest, ScimTooMany)
		}
		// Under the limit the same requests are answered from memory.
		r = e.do(t, "GET", "/Users?filter="+url.QueryEscape(`active eq true and displayName pr`), "scim.users.read", nil).want(t, http.StatusOK)
		if got := ids(r); !slices.Equal(got, []string{all[0], all[3]}) {
			t.Errorf("scan: %v", got)
		}
	})
}

func TestListGroupsWithoutScan(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := str(e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": "u1", "displayName": "User One"}).want(t, http.StatusCreated).body, "id")
		var all []string
		for _, name := range []string{"Sales", "Ops", "Dev"} {
			e.clk.Advance(time.Second)
			body := map[string]any{"displayName": name, "members": []map[string]any{{"value": u}}}
			all = append(all, str(e.do(t, "POST", "/Groups", allScopes, body).want(t, http.StatusCreated).body, "id"))
		}
		limited := e.with(t, func(d *Deps) { d.ScanLimit = 2 })
		for _, tc := range []struct {
			query string
			total int
			want  []string
		}{
			{"filter=" + url.QueryEscape(`displayName eq "ops"`), 1, all[1:2]},
			{"filter=" + url.QueryEscape(`displayName eq "Ops" or id eq "`+all[2]+`"`), 2, all[1:]},
			{"filter=" + url.QueryEscape(`displayName eq "nobody"`), 0, []string{}},
			{"startIndex=2&count=1", 3, all[1:2]},
			{"", 3, all},
		} {
			r := limited.do(t, "GET", "/Groups?"+tc.query, "scim.groups.read", nil).want(t, http.StatusOK)
			if got := ids(r); !slices.Equal(got, tc.want) || r.body["totalResults"] != float64(tc.total) {
				t.Errorf("%q: %v (total %v), want %v", tc.query, got, r.body["totalResults"], tc.want)
			}
		}
		limited.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName sw "O"`), "scim.groups.read", nil).wantError(t, http.StatusBadRequest, ScimTooMany)
		limited.do(t, "GET", "/Groups?sortBy=displayName", "scim.groups.read", nil).wantError(t, http.StatusBadRequest, ScimTooMany)

		// Without members the version and times stay those of the group
		// with its members.
		full := e.do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Sales"`), "scim.groups.read", nil).want(t, http.StatusOK)
		lean := e.do(t, "GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "Sales"`), "scim.groups.read", nil).want(t, http.StatusOK)
		fres, lres := full.body["Resources"].([]any)[0].(map[string]any), lean.body["Resources"].([]any)[0].(map[string]any)
		if _, ok := lres["members"]; ok || len(fres["members"].([]any)) != 1 || str(fres, "meta", "version") != str(lres, "meta", "version") ||
			str(fres, "meta", "lastModified") != str(lres, "meta", "lastModified") {
			t.Errorf("with members %v, without %v", fres, lres)
		}
		// A filter on members still sees them.
		r := e.do(t, "GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`members.value eq "`+u+`"`), "scim.groups.read", nil).want(t, http.StatusOK)
		if got := ids(r); !slices.Equal(got, all) {
			t.Errorf("members filter: %v", got)
		}
	})
}

func TestScanLimitDefault(t *testing.T) {
	e := newEnv(t, storetest.SQLite().Open(t))
	r := e.do(t, "GET", "/Users?filter="+url.QueryEscape(`active eq true`), "scim.users.read", nil).want(t, http.StatusOK)
	if r.body["totalResults"] != float64(0) {
		t.Errorf("an empty tenant: %v", r.body)
	}
	if (&Service{}).scanLimit() != DefaultScanLimit {
		t.Error("a zero ScanLimit is not DefaultScanLimit")
	}
}
