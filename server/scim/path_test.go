package scim

import (
	"errors"
	"fmt"
	"testing"
)

func TestParsePath(t *testing.T) {
	// The paths of RFC 7644 §3.5.2 and its examples in §3.5.2.1–3.
	tests := []struct {
		path                string
		schema, attr, sub   string
		filter              string // the Filter's String, "" for none
		matches, mismatches string // a value the Filter matches and one it does not
	}{
		{path: `members`, attr: "members"},
		{path: `name.familyName`, attr: "name", sub: "familyName"},
		{path: `emails`, attr: "emails"},
		{path: `userName`, attr: "userName"},
		{path: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
			schema: enterprise, attr: "employeeNumber"},
		{path: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
			schema: enterprise, attr: "manager", sub: "value"},
		{path: `addresses[type eq "work"]`, attr: "addresses", filter: `type eq "work"`,
			matches: `{"type": "work"}`, mismatches: `{"type": "home"}`},
		{path: `members[value eq "2819c223-7f76-453a-919d-413861904646"]`, attr: "members",
			filter:  `value eq "2819c223-7f76-453a-919d-413861904646"`,
			matches: `{"value": "2819c223-7f76-453a-919d-413861904646"}`, mismatches: `{"value": "902c246b"}`},
		{path: `members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`, attr: "members", sub: "displayName",
			filter:  `value eq "2819c223-7f76-453a-919d-413861904646"`,
			matches: `{"value": "2819c223-7f76-453a-919d-413861904646"}`, mismatches: `{}`},
		{path: `emails[type eq "work" and value ew "example.com"]`, attr: "emails",
			filter:  `type eq "work" and value ew "example.com"`,
			matches: `{"type": "work", "value": "b@Example.com"}`, mismatches: `{"type": "work", "value": "b@example.org"}`},
		{path: `addresses[type eq "work"].streetAddress`, attr: "addresses", sub: "streetAddress",
			filter: `type eq "work"`, matches: `{"type": "Work"}`, mismatches: `{"type": "home"}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := ParsePath(tt.path)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			if p.Schema != tt.schema || p.Attr != tt.attr || p.Sub != tt.sub {
				t.Errorf("got %q %q %q, want %q %q %q", p.Schema, p.Attr, p.Sub, tt.schema, tt.attr, tt.sub)
			}
			if got := p.String(); got != tt.path {
				t.Errorf("String = %q", got)
			}
			if tt.filter == "" {
				if p.Filter != nil {
					t.Fatalf("Filter = %v, want none", p.Filter)
				}
				return
			}
			if p.Filter == nil || p.Filter.String() != tt.filter {
				t.Fatalf("Filter = %v, want %s", p.Filter, tt.filter)
			}
			rs := resources(t, tt.matches, tt.mismatches)
			if !p.Filter.Match(rs[0]) {
				t.Errorf("Filter does not match %s", tt.matches)
			}
			if p.Filter.Match(rs[1]) {
				t.Errorf("Filter matches %s", tt.mismatches)
			}
		})
	}
}

func TestPathFilterCaseExact(t *testing.T) {
	p, err := ParsePath(`members[value eq "AbC"]`)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	exact := func(path string) bool { asked = append(asked, path); return true }
	if p.Filter.MatchWith(map[string]any{"value": "abc"}, exact) {
		t.Error("case-exact value matched another case")
	}
	if fmt.Sprint(asked) != "[members.value]" {
		t.Errorf("caseExact asked about %q, want members.value", asked)
	}
}

func TestParsePathRefuses(t *testing.T) {
	for _, path := range []string{
		``,
		`members[`,
		`members]`,
		`members[value eq 1`,
		`members[value eq]`,
		`members[]`,
		`a.b.c`,
		`members[value pr].`,
		`members[value pr].a.b`,
		`members[value pr]x`,
		`members[value pr] and x pr`,
		`name.familyName[value pr]`,
		`members[emails[type pr]]`,
		`userName eq "x"`,
		`urx:a:b`,
		`1members`,
	} {
		t.Run(path, func(t *testing.T) {
			p, err := ParsePath(path)
			var e *Error
			if !errors.As(err, &e) || e.ScimType != ScimInvalidPath || e.Status != 400 {
				t.Fatalf("ParsePath(%q) = %+v, %v; want an invalidPath *Error", path, p, err)
			}
		})
	}
}

func TestSortBy(t *testing.T) {
	rs := func() []map[string]any {
		return resources(t,
			`{"id": "1", "userName": "b", "n": 2, "meta": {"created": "2020-01-01T10:00:00+02:00"},
			  "emails": [{"value": "z@x"}, {"value": "c@x", "primary": true}], "name": {"familyName": "Zed"}}`,
			`{"id": "2", "userName": "A", "n": 10, "meta": {"created": "2020-01-01T09:00:00Z"},
			  "emails": [{"value": "b@x"}], "name": {"familyName": "adams"}}`,
			`{"id": "3", "n": 1, "meta": {"created": "2020-01-01T08:30:00Z"}}`,
			`{"id": "4", "userName": "c", "emails": [], "name": {}}`,
			`{"id": "5", "userName": "B", "n": 2, "meta": {"created": "2020-01-01T07:59:59.5Z"},
			  "emails": [{"value": "a@x"}], "name": {"familyName": "Moe"}}`,
		)
	}
	ids := func(items []map[string]any) string {
		s := ""
		for _, it := range items {
			s += it["id"].(string)
		}
		return s
	}
	tests := []struct {
		attr       string
		descending bool
		want       string
	}{
		// Case-insensitive and stable; missing values last either way.
		{"userName", false, "21543"},
		{"userName", true, "41523"},
		{"USERNAME", false, "21543"},
		{"n", false, "31524"},
		{"n", true, "21534"},
		// Dates chronologically: 10:00+02:00 is 08:00Z.
		{"meta.created", false, "51324"},
		{"meta.created", true, "23154"},
		// A multi-valued attribute by its primary value, else its first.
		{"emails", false, "52134"},
		{"emails.value", false, "52134"},
		{"name.familyName", false, "25134"},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", false, "21543"},
		// Not an attribute path: the order stays.
		{"a.b.c", false, "12345"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attr, tt.descending), func(t *testing.T) {
			items := rs()
			SortBy(items, tt.attr, tt.descending)
			if got := ids(items); got != tt.want {
				t.Errorf("order %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzParsePath checks that ParsePath never panics, fails only with
// invalidPath, and that a parsed path's String reads back the same.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		`members`,
		`name.familyName`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		`members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`,
		`emails[type eq "work" and value ew "example.com"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.ScimType != ScimInvalidPath {
				t.Fatalf("ParsePath(%q): %v is not invalidPath", s, err)
			}
			return
		}
		if p.Attr == "" {
			t.Fatalf("ParsePath(%q) has no attribute", s)
		}
		str := p.String()
		if len(str) > maxFilterLen {
			return
		}
		q, err := ParsePath(str)
		if err != nil {
			t.Fatalf("ParsePath(%q) of String: %v", str, err)
		}
		if q.String() != str {
			t.Fatalf("String %q re-parses as %q", str, q.String())
		}
	})
}
