package themes

import (
	"fmt"
	"slices"
	"testing"
)

var (
	instance = Document{Tokens: Tokens{"color-primary": "#111111", "radius": "4px"},
		Texts: map[string]map[string]string{"en": {"identify.title": "Sign in", "footer": "Lintel"}}}
	tenant = Document{Base: "dark", Tokens: Tokens{"color-primary": "#222222"},
		Locales:      map[string]Tokens{"ar": {"font-family": `"Noto Sans Arabic"`}, "pt": {"radius": "2px"}},
		PageTemplate: "tenant", StyleOrigins: []string{"https://t.example"}}
	brand = Document{Tokens: Tokens{"color-primary": "#333333", "space": "4PX"},
		Locales: map[string]Tokens{"ar": {"radius": "0px"}},
		Texts:   map[string]map[string]string{"en": {"identify.title": "Sign in to Acme"}, "pt": {"identify.title": "Entrar"}}}
	app = Document{Tokens: Tokens{"radius": "6px"},
		Texts:        map[string]map[string]string{"pt-BR": {"identify.title": "Entrar na Acme"}},
		Emails:       map[string]map[string]EmailTemplate{"EN": {"welcome": {Subject: "Hi"}}},
		PageTemplate: "app", ScriptOrigins: []string{"https://s.example"}}
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		locale  string
		layers  []Document
		base    string
		tokens  Tokens // checked entries
		texts   map[string]string
		page    string
		style   []string
		script  []string
		welcome bool
	}{
		{"no layers give the light theme", "", nil, "light", Tokens{"color-primary": "#3b4fd8", "radius": "8px"}, map[string]string{}, "", nil, nil, false},
		{"later levels win", "", []Document{instance, tenant, brand, app}, "dark",
			Tokens{"color-primary": "#333333", "radius": "6px", "space": "4px", "color-text": "#e6e8ee"}, map[string]string{}, "app", nil, []string{"https://s.example"}, false},
		{"the locale level comes after every level", "ar", []Document{instance, tenant, brand, app}, "dark",
			Tokens{"radius": "0px", "font-family": `"Noto Sans Arabic"`}, map[string]string{}, "app", nil, []string{"https://s.example"}, false},
		{"a region falls back to its language", "ar-EG", []Document{tenant, brand}, "dark",
			Tokens{"radius": "0px", "font-family": `"Noto Sans Arabic"`}, map[string]string{}, "tenant", []string{"https://t.example"}, nil, false},
		{"texts merge per key, later levels winning", "en", []Document{instance, brand, app}, "light",
			Tokens{"radius": "6px"}, map[string]string{"identify.title": "Sign in to Acme", "footer": "Lintel"}, "app", nil, []string{"https://s.example"}, true},
		{"an exact tag overrides its language within a level", "pt-BR", []Document{tenant, brand, app}, "dark",
			Tokens{"radius": "2px"}, map[string]string{"identify.title": "Entrar na Acme"}, "app", nil, []string{"https://s.example"}, false},
		{"locale keys match without regard to case", "pt-br", []Document{app}, "light",
			Tokens{}, map[string]string{"identify.title": "Entrar na Acme"}, "app", nil, []string{"https://s.example"}, false},
		{"the language's tokens apply to a region", "pt-PT", []Document{tenant, app}, "dark",
			Tokens{"radius": "2px"}, map[string]string{}, "app", nil, []string{"https://s.example"}, false},
		{"the page template keeps its own level's origins", "", []Document{app, tenant}, "dark",
			Tokens{}, map[string]string{}, "tenant", []string{"https://t.example"}, nil, false},
		{"an unknown base falls back to the default", "", []Document{{Base: "sepia"}}, "light",
			Tokens{"color-primary": "#3b4fd8"}, map[string]string{}, "", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resolve(tt.locale, tt.layers...)
			if r.Base != tt.base || r.Locale != tt.locale {
				t.Errorf("base %q locale %q", r.Base, r.Locale)
			}
			if len(r.Tokens) != len(Defs()) {
				t.Errorf("%d tokens, want the full set", len(r.Tokens))
			}
			for k, v := range tt.tokens {
				if r.Tokens[k] != v {
					t.Errorf("%s = %q, want %q", k, r.Tokens[k], v)
				}
			}
			if fmt.Sprint(r.Texts) != fmt.Sprint(tt.texts) {
				t.Errorf("texts %v, want %v", r.Texts, tt.texts)
			}
			if r.PageTemplate != tt.page || !slices.Equal(r.StyleOrigins, tt.style) || !slices.Equal(r.ScriptOrigins, tt.script) {
				t.Errorf("page %q %v %v", r.PageTemplate, r.StyleOrigins, r.ScriptOrigins)
			}
			if _, ok := r.Emails["welcome"]; ok != tt.welcome {
				t.Errorf("emails %v", r.Emails)
			}
			if len(r.Hash) != 16 {
				t.Errorf("hash %q", r.Hash)
			}
		})
	}
}

func TestResolveDoesNotShareLayers(t *testing.T) {
	r := Resolve("", tenant)
	r.StyleOrigins[0] = "changed"
	r.Tokens["radius"] = "1px"
	if tenant.StyleOrigins[0] != "https://t.example" {
		t.Fatal("Resolve returned a layer's slice")
	}
	if Resolve("", tenant).Tokens["radius"] != "8px" {
		t.Fatal("Resolve returned shared tokens")
	}
}

func TestResolveHash(t *testing.T) {
	layers := []Document{instance, tenant, brand, app}
	h := Resolve("ar", layers...).Hash
	same := []struct {
		name string
		r    Resolved
	}{
		{"the same input", Resolve("ar", layers...)},
		{"an equal value written differently", Resolve("ar", instance, tenant, brand, app, Document{Tokens: Tokens{"space": "4px"}})},
		{"an empty level", Resolve("ar", instance, Document{}, tenant, brand, app)},
	}
	for _, s := range same {
		if s.r.Hash != h {
			t.Errorf("%s: hash changed", s.name)
		}
	}
	differ := []struct {
		name string
		r    Resolved
	}{
		{"another locale", Resolve("ar-EG", layers...)},
		{"a token", Resolve("ar", instance, tenant, brand, app, Document{Tokens: Tokens{"space": "5px"}})},
		{"a text", Resolve("ar", instance, tenant, brand, app, Document{Texts: map[string]map[string]string{"ar": {"x": "y"}}})},
		{"an email", Resolve("ar", instance, tenant, brand, app, Document{Emails: map[string]map[string]EmailTemplate{"ar": {"x": {}}}})},
		{"a language-neutral email", Resolve("ar", instance, tenant, brand, app, Document{Emails: map[string]map[string]EmailTemplate{"*": {"x": {}}}})},
		{"a language-neutral email's part", Resolve("ar", instance, tenant, brand, app,
			Document{Emails: map[string]map[string]EmailTemplate{"*": {"x": {Subject: "s"}}}})},
		{"the page template", Resolve("ar", instance, tenant, brand, app, Document{PageTemplate: "p"})},
		{"the base", Resolve("ar", instance, tenant, brand, app, Document{Base: "high-contrast"})},
		{"the order of levels", Resolve("ar", app, brand, tenant, instance)},
	}
	for _, d := range differ {
		if d.r.Hash == h {
			t.Errorf("%s: hash unchanged", d.name)
		}
	}
}

// Language-neutral ("*") email templates merge per kind like the
// locale's; a level's "*" template of a kind beats the levels above's
// templates of that kind in any language, and loses to its own level's
// template for the locale (which the email templates serve first).
func TestResolveLanguageNeutralEmails(t *testing.T) {
	et := func(s string) EmailTemplate { return EmailTemplate{Subject: s} }
	doc := func(emails map[string]map[string]EmailTemplate) Document { return Document{Emails: emails} }
	tenantAll := doc(map[string]map[string]EmailTemplate{"*": {"welcome": et("tenant *"), "lockout": et("tenant * lockout")}})
	tenantDE := doc(map[string]map[string]EmailTemplate{"de": {"welcome": et("tenant de")}})
	tenantBoth := doc(map[string]map[string]EmailTemplate{"*": {"welcome": et("tenant *")}, "de": {"welcome": et("tenant de")}})
	appAll := doc(map[string]map[string]EmailTemplate{"*": {"welcome": et("app *")}})
	appDE := doc(map[string]map[string]EmailTemplate{"de-AT": {"welcome": et("app de-AT")}})
	tests := []struct {
		name      string
		locale    string
		layers    []Document
		emails    string // Resolved.Emails
		emailsAll string // Resolved.EmailsAll
	}{
		{"a level's * templates are carried", "de", []Document{tenantAll},
			"map[]", "map[lockout:{tenant * lockout  } welcome:{tenant *  }]"},
		{"they are carried without a locale", "", []Document{tenantAll},
			"map[]", "map[lockout:{tenant * lockout  } welcome:{tenant *  }]"},
		{"a later level's * template replaces an earlier one's", "ar", []Document{tenantAll, appAll},
			"map[]", "map[lockout:{tenant * lockout  } welcome:{app *  }]"},
		{"a later level's * template beats an earlier level's language", "de", []Document{tenantDE, appAll},
			"map[]", "map[welcome:{app *  }]"},
		{"a later level's language beats an earlier level's *", "de-AT", []Document{tenantAll, appDE},
			"map[welcome:{app de-AT  }]", "map[lockout:{tenant * lockout  } welcome:{tenant *  }]"},
		{"within a level both stay: the language serves first", "de", []Document{tenantBoth},
			"map[welcome:{tenant de  }]", "map[welcome:{tenant *  }]"},
		{"a later level's * drops both of an earlier level's", "de", []Document{tenantBoth, appAll},
			"map[]", "map[welcome:{app *  }]"},
		{"a * locale reads no language's entries", "*", []Document{tenantBoth},
			"map[]", "map[welcome:{tenant *  }]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resolve(tt.locale, tt.layers...)
			if got := fmt.Sprint(r.Emails); got != tt.emails {
				t.Errorf("emails %s, want %s", got, tt.emails)
			}
			if got := fmt.Sprint(r.EmailsAll); got != tt.emailsAll {
				t.Errorf("language-neutral emails %s, want %s", got, tt.emailsAll)
			}
		})
	}
}

func TestCheckLayersLabelsLocaleFailures(t *testing.T) {
	tenant := Document{Locales: map[string]Tokens{
		"ar": {"color-text": "#cccccc"},   // fails on white cards
		"de": {"font-size": "18px"},       // changes no colour
		"fr": {"color-border": "#000000"}, // passes
	}}
	fs := CheckLayers(Document{}, tenant)
	if len(fs) != len(pairs)+2+1 {
		t.Fatalf("%d findings: %+v", len(fs), fs)
	}
	bad := Failures(fs)
	if len(bad) != 2 || bad[0].Locale != "ar" || bad[0].Foreground != "color-text" || bad[1].Background != "color-background" {
		t.Fatalf("failures %+v", bad)
	}
	if err := FailureError(fs); err == nil {
		t.Fatal("no error")
	}
}

func ExampleResolve() {
	tenant := Document{
		Tokens:  Tokens{"color-primary": "#0B5FFF"},
		Locales: map[string]Tokens{"ar": {"font-family": `"Noto Sans Arabic", sans-serif`}},
		Texts:   map[string]map[string]string{"ar": {"identify.title": "تسجيل الدخول"}},
	}
	app := Document{Base: "dark", Texts: map[string]map[string]string{"ar-EG": {"identify.title": "ادخل"}}}

	r := Resolve("ar-EG", tenant, app)
	fmt.Println(r.Base)
	fmt.Println(r.Tokens["color-primary"])
	fmt.Println(r.Tokens["font-family"])
	fmt.Println(r.Texts["identify.title"])
	// Output:
	// dark
	// #0b5fff
	// "Noto Sans Arabic", sans-serif
	// ادخل
}
