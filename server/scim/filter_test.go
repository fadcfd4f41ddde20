package scim

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// resources decodes JSON objects into the maps filters match against.
func resources(t testing.TB, docs ...string) []map[string]any {
	t.Helper()
	out := make([]map[string]any, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal([]byte(d), &out[i]); err != nil {
			t.Fatalf("resource %d: %v", i, err)
		}
	}
	return out
}

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// users are three resources the RFC's example filters tell apart.
var users = []string{
	`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + enterprise + `"],
	  "userName": "bjensen", "title": "Tour Guide", "userType": "Employee",
	  "name": {"familyName": "O'Malley", "givenName": "Barbara"},
	  "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
	             {"value": "babs@jensen.org", "type": "home"}],
	  "ims": [{"value": "bjensen@foo.com", "type": "xmpp"}],
	  "meta": {"created": "2011-05-13T04:42:34Z", "lastModified": "2011-05-13T04:42:34Z"},
	  "` + enterprise + `": {"employeeNumber": "701984"}}`,
	`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "userName": "Jsmith", "userType": "Intern", "title": "",
	  "emails": [{"value": "js@example.org", "type": "home"}],
	  "meta": {"lastModified": "2011-05-14T00:00:00+02:00"}}`,
	`{"userName": "alice", "userType": "Contractor",
	  "emails": [{"value": "alice@other.net", "type": "work"}],
	  "meta": {"lastModified": "2011-05-13T04:42:34.5Z"}}`,
}

func TestRFCExampleFilters(t *testing.T) {
	rs := resources(t, users...)
	names := func(f Filter) []string {
		var out []string
		for _, r := range rs {
			if f.Match(r) {
				out = append(out, r["userName"].(string))
			}
		}
		return out
	}
	// Every example filter of RFC 7644 §3.4.2.2, and which user matches.
	tests := []struct {
		filter string
		want   []string
	}{
		{`userName eq "bjensen"`, []string{"bjensen"}},
		{`name.familyName co "O'Malley"`, []string{"bjensen"}},
		{`userName sw "J"`, []string{"Jsmith"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, []string{"Jsmith"}},
		{`title pr`, []string{"bjensen"}},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, []string{"Jsmith", "alice"}},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, []string{"bjensen", "Jsmith", "alice"}},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, nil},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, []string{"bjensen"}},
		{`title pr and userType eq "Employee"`, []string{"bjensen"}},
		{`title pr or userType eq "Intern"`, []string{"bjensen", "Jsmith"}},
		{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, []string{"bjensen"}},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`, []string{"bjensen"}},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`, []string{"alice"}},
		{`userType eq "Employee" and (emails.type eq "work")`, []string{"bjensen"}},
		{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`, []string{"bjensen"}},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`, []string{"bjensen"}},
		// Extension attributes live under their schema's member.
		{enterprise + `:employeeNumber eq "701984"`, []string{"bjensen"}},
		// Names, operators and keywords are case-insensitive.
		{`USERNAME EQ "BJENSEN" AND Emails[TYPE Eq "Work"]`, []string{"bjensen"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := names(f); !slices.Equal(got, tt.want) {
				t.Errorf("matches %q, want %q", got, tt.want)
			}
			assertReparses(t, f)
		})
	}
}

// assertReparses checks that f's String parses back to the same String.
func assertReparses(t testing.TB, f Filter) {
	t.Helper()
	s := f.String()
	g, err := ParseFilter(s)
	if err != nil {
		t.Fatalf("ParseFilter(%q) of String: %v", s, err)
	}
	if g.String() != s {
		t.Fatalf("String %q re-parses as %q", s, g.String())
	}
}

// TestValuePathSub reads "attr[filter].sub op value", the form
// Microsoft Entra ID sends, as "attr[filter and sub op value]".
func TestValuePathSub(t *testing.T) {
	rs := resources(t, users...)
	tests := []struct {
		filter, canonical string
		want              []string
	}{
		{`emails[type eq "work"].value eq "bjensen@example.com"`, `emails[type eq "work" and value eq "bjensen@example.com"]`, []string{"bjensen"}},
		{`emails[type eq "work"].value eq "babs@jensen.org"`, `emails[type eq "work" and value eq "babs@jensen.org"]`, nil},
		{`emails[type eq "work"].value co "@"`, `emails[type eq "work" and value co "@"]`, []string{"bjensen", "alice"}},
		{`EMAILS[TYPE EQ "home"].Value pr and userName sw "j"`, `EMAILS[TYPE eq "home" and Value pr] and userName sw "j"`, []string{"Jsmith"}},
		{`emails[type eq "work" or type eq "home"].value ew ".org"`, `emails[(type eq "work" or type eq "home") and value ew ".org"]`, []string{"bjensen", "Jsmith"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if f.String() != tt.canonical {
				t.Errorf("String() = %q, want %q", f.String(), tt.canonical)
			}
			var got []string
			for _, r := range rs {
				if f.Match(r) {
					got = append(got, r["userName"].(string))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("matches %q, want %q", got, tt.want)
			}
			assertReparses(t, f)
		})
	}
	for _, bad := range []string{
		`emails[type eq "work"].`,
		`emails[type eq "work"]. value eq "x"`,
		`emails[type eq "work"].value.x eq "x"`,
		`emails[type eq "work"].value`,
		`emails[type eq "work"].1x eq "x"`,
		`emails[type eq "work"].value xx "x"`,
	} {
		var e *Error
		if _, err := ParseFilter(bad); !errors.As(err, &e) || e.ScimType != ScimInvalidFilter {
			t.Errorf("ParseFilter(%q) = %v, want invalidFilter", bad, err)
		}
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name, filter, same string
		r                  string
		want               bool
	}{
		{"and binds tighter than or", `a pr or b pr and c pr`, `a pr or (b pr and c pr)`, `{"a": 1}`, true},
		{"and binds tighter than or on the left", `a pr and b pr or c pr`, `(a pr and b pr) or c pr`, `{"c": 1}`, true},
		{"parentheses override", `(a pr or b pr) and c pr`, `(a pr or b pr) and c pr`, `{"a": 1}`, false},
		{"not binds tighter than and", `not (a pr) and b pr`, `(not (a pr)) and b pr`, `{}`, false},
		{"not negates its group", `not (a pr and b pr)`, `not ((a pr and b pr))`, `{"a": 1}`, true},
		{"a chain is left-associative", `a pr or b pr or c pr`, `(a pr or b pr) or c pr`, `{"c": 1}`, true},
		{"not is an attribute without parentheses", `not pr`, `not pr`, `{"not": "x"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			g, err := ParseFilter(tt.same)
			if err != nil {
				t.Fatal(err)
			}
			if f.String() != g.String() {
				t.Errorf("%q parses as %q, want %q", tt.filter, f.String(), g.String())
			}
			if got := f.Match(resources(t, tt.r)[0]); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v", tt.r, got, tt.want)
			}
			assertReparses(t, f)
		})
	}
}

func TestComparisons(t *testing.T) {
	r := resources(t, `{
		"s": "Hello", "n": 5, "b": true, "off": false, "nul": null, "empty": "",
		"d": "2020-01-02T03:04:05Z",
		"tags": ["red", "Blue"], "nums": [1, 10],
		"name": {"givenName": "Barbara", "familyName": "Jensen"},
		"emails": [{"value": "a@Example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
		"esc": "quote\" and \\ and é"
	}`)[0]
	tests := []struct {
		filter string
		want   bool
	}{
		// Strings, case-insensitively.
		{`s eq "hello"`, true},
		{`s eq "hell"`, false},
		{`s ne "hello"`, false},
		{`s ne "world"`, true},
		{`s co "ELL"`, true},
		{`s co "xyz"`, false},
		{`s sw "he"`, true},
		{`s sw "lo"`, false},
		{`s ew "LO"`, true},
		{`s ew "he"`, false},
		{`s gt "hello"`, false},
		{`s ge "hello"`, true},
		{`s gt "Apple"`, true},
		{`s lt "world"`, true},
		{`s le "HELLO"`, true},
		{`s lt "apple"`, false},
		{`esc eq "quote\" and \\ and \u00e9"`, true},
		// Numbers.
		{`n eq 5`, true},
		{`n eq 5.0`, true},
		{`n ne 5`, false},
		{`n gt 4.5`, true},
		{`n gt 5`, false},
		{`n ge 5`, true},
		{`n lt 1e1`, true},
		{`n le -5`, false},
		{`n eq "5"`, false},
		// Booleans.
		{`b eq true`, true},
		{`b eq false`, false},
		{`b ne false`, true},
		{`off eq false`, true},
		{`b eq "true"`, false},
		// Null and absence.
		{`nul eq null`, true},
		{`missing eq null`, true},
		{`s eq null`, false},
		{`s ne null`, true},
		{`missing ne "x"`, true},
		{`missing eq "x"`, false},
		// Dates, chronologically (the offset counts).
		{`d eq "2020-01-02T05:04:05+02:00"`, true},
		{`d gt "2020-01-02T04:04:05+02:00"`, true},
		{`d gt "2020-01-02T03:04:05.001Z"`, false},
		{`d lt "2020-01-02T03:04:05.001Z"`, true},
		{`d ge "2020-01-02T03:04:05Z"`, true},
		{`d le "2019-12-31T23:59:59Z"`, false},
		{`d sw "2020-01"`, true},
		// pr.
		{`s pr`, true},
		{`empty pr`, false},
		{`nul pr`, false},
		{`missing pr`, false},
		{`name pr`, true},
		{`tags pr`, true},
		// Multi-valued: any value.
		{`tags eq "blue"`, true},
		{`tags eq "green"`, false},
		{`tags ne "red"`, false},
		{`nums gt 9`, true},
		{`nums lt 1`, false},
		// Complex: sub-attributes, the value sub-attribute by default.
		{`name.givenName eq "barbara"`, true},
		{`Name.FamilyName sw "j"`, true},
		{`name.middleName pr`, false},
		{`emails co "example.com"`, true},
		{`emails.type eq "home"`, true},
		{`emails[type eq "home" and value co "example"]`, false},
		{`emails[type eq "work" and value co "example"]`, true},
		{`emails[not (type eq "work")]`, true},
		{`s[value pr]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := f.Match(r); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
			assertReparses(t, f)
		})
	}
}

func TestMatchWithCaseExact(t *testing.T) {
	r := resources(t, `{"id": "AbC", "userName": "AbC",
		"emails": [{"value": "A@Example.com", "type": "work"}]}`)[0]
	exact := func(path string) bool { return path == "id" || path == "emails.value" }
	tests := []struct {
		filter         string
		match, matchCE bool
	}{
		{`id eq "abc"`, true, false},
		{`id eq "AbC"`, true, true},
		{`userName eq "abc"`, true, true},
		{`id sw "ab"`, true, false},
		{`emails[value eq "a@example.com"]`, true, false},
		{`emails[value eq "A@Example.com"]`, true, true},
		{`emails[type eq "WORK"]`, true, true},
		{`emails.value co "example"`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(r); got != tt.match {
				t.Errorf("Match = %v, want %v", got, tt.match)
			}
			if got := f.MatchWith(r, exact); got != tt.matchCE {
				t.Errorf("MatchWith = %v, want %v", got, tt.matchCE)
			}
		})
	}
}

func TestMatchJSONNumber(t *testing.T) {
	// Request bodies decoded with UseNumber hold json.Number.
	f, err := ParseFilter(`n gt 4`)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(map[string]any{"n": json.Number("5")}) {
		t.Error("json.Number 5 is not gt 4")
	}
	if f.Match(map[string]any{"n": json.Number("3")}) {
		t.Error("json.Number 3 is gt 4")
	}
}

func TestParseFilterRefuses(t *testing.T) {
	tests := []struct{ name, filter string }{
		{"empty", ``},
		{"blank", `   `},
		{"attribute alone", `userName`},
		{"operator without value", `userName eq`},
		{"unknown operator", `userName xx "a"`},
		{"unterminated string", `userName eq "bjensen`},
		{"bad escape", `userName eq "\x"`},
		{"bare word value", `userName eq bjensen`},
		{"number with leading zero", `n eq 01`},
		{"lone minus", `n eq -`},
		{"number out of range", `n eq 1e999`},
		{"unclosed group", `(userName pr`},
		{"unopened group", `userName pr)`},
		{"empty group", `()`},
		{"not without group", `not userName pr`},
		{"dangling and", `a pr and`},
		{"double or", `a pr or or b pr`},
		{"trailing junk", `a pr b`},
		{"unclosed value path", `emails[type eq "work"`},
		{"nested value path", `emails[type[value pr]]`},
		{"value path on a sub-attribute", `emails.type[value pr]`},
		{"sub-attribute in a value filter", `emails[value.x pr]`},
		{"schema in a value filter", `emails[urn:x:y:value pr]`},
		{"empty value filter", `emails[]`},
		{"not a schema URN", `urx:foo:bar pr`},
		{"name starts with a digit", `1abc pr`},
		{"sub-sub-attribute", `a.b.c pr`},
		{"gt on a boolean", `active gt true`},
		{"lt on null", `title lt null`},
		{"co on a number", `n co 5`},
		{"sw on a boolean", `b sw true`},
		{"too deep", strings.Repeat("(", 33) + "a pr" + strings.Repeat(")", 33)},
		{"too deep with not", strings.Repeat("not (", 33) + "a pr" + strings.Repeat(")", 33)},
		{"too long", `a eq "` + strings.Repeat("x", 4096) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			var e *Error
			if !errors.As(err, &e) || e.ScimType != ScimInvalidFilter || e.Status != 400 {
				t.Fatalf("ParseFilter(%q) = %v, %v; want an invalidFilter *Error", tt.filter, f, err)
			}
		})
	}
}

func TestParseFilterDepthLimit(t *testing.T) {
	deep := strings.Repeat("(", 32) + "a pr" + strings.Repeat(")", 32)
	if _, err := ParseFilter(deep); err != nil {
		t.Errorf("32 levels refused: %v", err)
	}
	// Many operands are no deeper: the limit is on nesting, not length.
	long := strings.Repeat("a pr and ", 400) + "a pr"
	f, err := ParseFilter(long)
	if err != nil {
		t.Fatalf("a long flat filter refused: %v", err)
	}
	if !f.Match(map[string]any{"a": "x"}) {
		t.Error("a long flat filter does not match")
	}
}

func TestErrorString(t *testing.T) {
	err := error(invalidPath("bad"))
	if got := err.Error(); got != "scim: invalidPath: bad" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Status: 404, Detail: "no such user"}).Error(); got != "scim: 404: no such user" {
		t.Errorf("Error() = %q", got)
	}
}

var fuzzFilters = []string{
	`userName eq "bjensen"`,
	`name.familyName co "O'Malley"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr and userType eq "Employee"`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`n ge -1.5e3 or b eq true or x eq null`,
	`a eq "\u00e9\"\\<>&"`,
	`emails[type eq "work"].value eq "a@example.com"`,
}

// FuzzParseFilter checks that ParseFilter never panics, fails only with
// invalidFilter, and that a parsed filter's String reads back the same.
func FuzzParseFilter(f *testing.F) {
	for _, s := range fuzzFilters {
		f.Add(s)
	}
	rs := resources(f, users...)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.ScimType != ScimInvalidFilter {
				t.Fatalf("ParseFilter(%q): %v is not invalidFilter", s, err)
			}
			return
		}
		for _, r := range rs {
			flt.Match(r)
		}
		// The canonical form may outgrow the length limit (escapes,
		// numbers written out), never the nesting limit.
		if len(flt.String()) <= maxFilterLen {
			assertReparses(t, flt)
		}
	})
}
