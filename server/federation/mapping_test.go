package federation

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
)

// mapService is a Service for mapping tests, which need no dependency.
func mapService() *Service { return &Service{} }

func TestDefaultMappingsPerKind(t *testing.T) {
	const email = "ann@acme.com"
	cases := []struct {
		name   string
		kind   Kind
		email  string
		claims map[string]any
		want   map[string]any
	}{
		{"oidc standard claims", KindOIDC, email,
			map[string]any{"given_name": "Ann", "family_name": "Lee", "locale": "en-GB", "name": "Ann Lee"},
			map[string]any{"email": email, "given_name": "Ann", "family_name": "Lee", "locale": "en-GB"}},
		{"oidc without names", KindOIDC, email, map[string]any{"sub": "1"}, map[string]any{"email": email}},
		{"oidc without email", KindOIDC, "", map[string]any{"given_name": "Ann"}, map[string]any{"given_name": "Ann"}},
		{"oauth2", KindOAuth2, email, map[string]any{"given_name": "Ann"}, map[string]any{"email": email, "given_name": "Ann"}},
		{"google", KindGoogle, email, map[string]any{"given_name": "Ann", "locale": "de"},
			map[string]any{"email": email, "given_name": "Ann", "locale": "de"}},
		{"microsoft", KindMicrosoft, email, map[string]any{"given_name": "Ann", "family_name": "Lee", "tid": "x"},
			map[string]any{"email": email, "given_name": "Ann", "family_name": "Lee"}},
		{"linkedin with a locale object", KindLinkedIn, email,
			map[string]any{"given_name": "Ann", "locale": map[string]any{"country": "US", "language": "en"}},
			map[string]any{"email": email, "given_name": "Ann"}},
		{"apple's first sign-in", KindApple, email,
			map[string]any{"user": map[string]any{"name": map[string]any{"firstName": "Ann", "lastName": "Lee"}}},
			map[string]any{"email": email, "given_name": "Ann", "family_name": "Lee"}},
		{"apple's later sign-ins", KindApple, email, map[string]any{"sub": "001"}, map[string]any{"email": email}},
		{"facebook", KindFacebook, email, map[string]any{"first_name": "Ann", "last_name": "Lee", "id": "1"},
			map[string]any{"email": email, "given_name": "Ann", "family_name": "Lee"}},
		{"github's display name", KindGitHub, email, map[string]any{"name": "Ann Lee", "login": "ann"},
			map[string]any{"email": email, "given_name": "Ann Lee"}},
		{"github without name", KindGitHub, email, map[string]any{"name": nil}, map[string]any{"email": email}},
		{"saml by LDAP names", KindSAML, email,
			map[string]any{"givenName": []any{"Ann", "Anna"}, "sn": []any{"Lee"}, "preferredLanguage": []any{"fr"}},
			map[string]any{"email": email, "given_name": "Ann", "family_name": "Lee", "locale": "fr"}},
		{"saml by Microsoft claim URIs and OIDs", KindSAML, email,
			map[string]any{"givenName": []any{}, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": []any{"Ann"},
				"urn:oid:2.5.4.4": []any{"Lee"}},
			map[string]any{"email": email, "given_name": "Ann", "family_name": "Lee"}},
	}
	s := mapService()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.Map(IdP{ID: "idp_" + string(c.kind), Kind: c.kind}, Assertion{Subject: "sub", Email: c.email, Claims: c.claims})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestDefaultMapping(t *testing.T) {
	for _, k := range Kinds {
		m := DefaultMapping(k)
		if m["email"] != "email" || m["given_name"] == "" {
			t.Errorf("%s: default mapping %v lacks email or given_name", k, m)
		}
		if _, err := compileMapping(k, Config{}); err != nil {
			t.Errorf("%s: default mapping does not compile: %v", k, err)
		}
		m["email"] = "changed"
		if DefaultMapping(k)["email"] != "email" {
			t.Errorf("%s: DefaultMapping returned the table itself", k)
		}
	}
	if DefaultMapping("ldap") != nil {
		t.Error("an unknown kind has a default mapping")
	}
}

func TestMapCustom(t *testing.T) {
	mapping := map[string]string{
		"string":   `"x"`,
		"bool":     `email_verified`,
		"int":      `1 + 2`,
		"uint":     `3u`,
		"double":   `claims.score`,
		"list":     `claims.roles`,
		"null":     `null`,
		"empty":    `""`,
		"none":     `claims[?"missing"]`,
		"some":     `claims[?"dept"]`,
		"joined":   `subject + "@" + email.split("@")[1]`,
		"upper":    `claims.dept.upperAscii()`,
		"filtered": `claims.roles.filter(r, r.startsWith("a"))`,
	}
	idp := IdP{ID: "idp_custom", Kind: KindOIDC, Config: Config{Mapping: mapping}}
	a := Assertion{Subject: "u1", Email: "ann@acme.com", EmailVerified: true,
		Claims: map[string]any{"score": 1.5, "roles": []any{"admin", "dev"}, "dept": "Sales"}}
	got, err := mapService().Map(idp, a)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"string": "x", "bool": true, "int": int64(3), "uint": int64(3), "double": 1.5,
		"list": []string{"admin", "dev"}, "some": "Sales", "joined": "u1@acme.com", "upper": "SALES", "filtered": []string{"admin"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

func TestMapRefuses(t *testing.T) {
	claims := map[string]any{"nums": []any{1.0}, "address": map[string]any{"city": "Oslo"},
		"long": strings.Repeat("a", 2<<20)}
	cases := []struct{ name, expr string }{
		{"a missing claim read without ?", `claims.missing`},
		{"a list that is not of strings", `claims.nums`},
		{"a map", `claims.address`},
		{"a uint too large", `18446744073709551615u`},
		{"not a number", `0.0 / 0.0`},
		{"an expression that does not compile", `claims.`},
		{"a runtime cost over the limit", `claims.long.contains("b")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idp := IdP{ID: "idp_refuses", Kind: KindOIDC, Config: Config{Mapping: map[string]string{"email": "email", "bad_attr": c.expr}}}
			_, err := mapService().Map(idp, Assertion{Email: "a@b.example", Claims: claims})
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
			if !strings.Contains(err.Error(), "bad_attr") {
				t.Errorf("%v does not name the attribute", err)
			}
		})
	}
	// The runtime limit is what stopped the last case: the expression
	// itself is within the static estimate.
	if _, err := compileExpression("x", cases[len(cases)-1].expr); err != nil {
		t.Errorf("the cost case is refused at compile time: %v", err)
	}
	if _, err := mapService().Map(IdP{ID: "idp_x", Kind: "ldap"}, Assertion{}); !errors.Is(err, ErrConfig) {
		t.Errorf("an unknown kind: %v", err)
	}
}

func TestMapBoundsClaims(t *testing.T) {
	list := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = fmt.Sprint("group-", i)
		}
		return l
	}
	deep := any("x")
	for range MaxClaimDepth + 1 {
		deep = []any{deep}
	}
	idp := IdP{ID: "idp_bounds", Kind: KindOIDC, Config: Config{Mapping: map[string]string{
		"groups": `claims.groups.filter(g, g.startsWith("group-1"))`}}}
	got, err := mapService().Map(idp, Assertion{Claims: map[string]any{"groups": list(MaxClaimElements)}})
	if err != nil || len(got["groups"].([]string)) != 111 {
		t.Errorf("%d groups: %v", MaxClaimElements, err)
	}
	for name, claims := range map[string]map[string]any{
		"a long list": {"groups": list(MaxClaimElements + 1)},
		"a long map": {"groups": []any{}, "m": map[string]any{"x": maps.Collect(func(yield func(string, any) bool) {
			for i := range MaxClaimElements + 1 {
				yield(fmt.Sprint(i), i)
			}
		})}},
		"a deep nesting":  {"groups": []any{}, "d": deep},
		"a long []string": {"groups": []any{}, "s": make([]string, MaxClaimElements+1)},
	} {
		if _, err := mapService().Map(idp, Assertion{Claims: claims}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestMappingCache(t *testing.T) {
	s := mapService()
	idp := IdP{ID: "idp_cache", Kind: KindOIDC, UpdatedAt: fedT0, Config: Config{Mapping: map[string]string{"v": `"one"`}}}
	first, err := s.mappings.get(idp)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := s.mappings.get(idp); again != first {
		t.Error("the same version was compiled twice")
	}
	// A mapping changed without a new UpdatedAt is still recompiled.
	idp.Config.Mapping = map[string]string{"v": `"two"`}
	if got, err := s.Map(idp, Assertion{}); err != nil || got["v"] != "two" {
		t.Errorf("changed mapping: %v, %v", got, err)
	}
	// So is the same mapping under another kind (the defaults differ).
	idp.Config.Mapping, idp.Kind = nil, KindGitHub
	if got, err := s.Map(idp, Assertion{Claims: map[string]any{"name": "Ann"}}); err != nil || got["given_name"] != "Ann" {
		t.Errorf("default mapping of the new kind: %v, %v", got, err)
	}
	idp.Kind = KindOIDC
	if got, err := s.Map(idp, Assertion{Claims: map[string]any{"name": "Ann"}}); err != nil || len(got) != 0 {
		t.Errorf("default mapping of OIDC: %v, %v", got, err)
	}
	for i := range mappingCacheSize + 1 {
		if _, err := s.mappings.get(IdP{ID: fmt.Sprint("idp_", i), Kind: KindOIDC, Config: Config{Mapping: map[string]string{"v": "1"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.mappings.m); n > mappingCacheSize {
		t.Errorf("the cache holds %d entries, more than %d", n, mappingCacheSize)
	}
}

// FuzzMap checks that evaluating any expression over any claim never
// panics and yields only the value types Map promises.
func FuzzMap(f *testing.F) {
	for _, e := range []string{`claims.v`, `claims[?"v"]`, `claims.l[0]`, `string(claims.v) + email`,
		`claims.l.map(x, string(x))`, `claims.v.size() > 3`, DefaultMapping(KindSAML)["given_name"]} {
		f.Add(e, "x", 1.5)
	}
	s := mapService()
	f.Fuzz(func(t *testing.T, expr, str string, num float64) {
		claims := map[string]any{"v": str, "n": num, "l": []any{str, num}, "m": map[string]any{str: num}}
		idp := IdP{ID: "idp_fuzz", Kind: KindOIDC, Config: Config{Mapping: map[string]string{"a": expr}}}
		got, err := s.Map(idp, Assertion{Email: str, Subject: str, Claims: claims})
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v is not ErrConfig", err)
			}
			return
		}
		for k, v := range maps.All(got) {
			switch v.(type) {
			case string, bool, int64, float64, []string:
			default:
				t.Errorf("%s = %#v: not an attribute value", k, v)
			}
		}
	})
}
