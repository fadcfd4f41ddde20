package themes

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestCSSOfBuiltinsMatchesGolden(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			tok, _ := Builtin(name)
			got, err := CSS(tok, nil)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".css.golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("CSS differs from %s (go test -update):\n%s", path, got)
			}
		})
	}
}

// v0 is docs/theming.md's token set before v1 with edge/assets/tokens.css's
// values, which the lead regenerates from CSS(Builtin("light"), nil).
// color-border is not here: v0's #c9ccd6 has 1.6:1 against the surface,
// below the 3:1 input boundaries need (WCAG 1.4.11), so v1 darkened it.
var v0 = []string{
	"--lt-color-primary: #3b4fd8;",
	"--lt-color-on-primary: #ffffff;",
	"--lt-color-surface: #ffffff;",
	"--lt-color-background: #f4f5f8;",
	"--lt-color-text: #1b1d24;",
	"--lt-color-text-muted: #5a5f6e;",
	"--lt-color-error: #b3261e;",
	"--lt-color-warning: #8a5a00;",
	"--lt-color-info: #1f5fa8;",
	"--lt-color-focus: #1a73e8;",
	`--lt-font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans Arabic", sans-serif;`,
	"--lt-font-size: 16px;",
	"--lt-radius: 8px;",
	"--lt-space: 8px;",
	"--lt-card-width: 400px;",
}

func TestLightCSSKeepsV0Defaults(t *testing.T) {
	light, _ := Builtin("light")
	css, err := CSS(light, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(css, ":root, :host {\n") {
		t.Errorf("selector: %q", css)
	}
	for _, decl := range v0 {
		if !strings.Contains(css, "\n  "+decl+"\n") {
			t.Errorf("light CSS lacks %s", decl)
		}
	}
}

// oneRule reports why css is not a single rule of custom properties
// whose values hold nothing that could end a string, a declaration or
// the rule, or open a comment or markup.
func oneRule(css string) string {
	body, ok := strings.CutPrefix(css, ":root, :host {\n")
	if !ok {
		return "does not open with the selector"
	}
	body, ok = strings.CutSuffix(body, "}\n")
	if !ok {
		return "does not close the rule"
	}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		decl, ok := strings.CutPrefix(line, "  --lt-")
		if !ok {
			return "line without a declaration: " + line
		}
		name, value, ok := strings.Cut(decl, ": ")
		if _, known := Lookup(name); !ok || !known {
			return "unknown property: " + line
		}
		value, ok = strings.CutSuffix(value, ";")
		if !ok || strings.ContainsAny(value, ";{}<>\\\n") || strings.Contains(value, "/*") || strings.Count(value, `"`)%2 != 0 {
			return "unsafe value: " + line
		}
	}
	return ""
}

func TestCSSWritesAssetsThroughTheResolver(t *testing.T) {
	tok := Tokens{"logo": "ast_logo", "favicon": "ast_icon", "background-image": "", "color-text": "#ABC"}
	tests := []struct {
		name     string
		url      string
		wantLogo bool
	}{
		{"writes a path", "/assets/t1/ast_logo.png", true},
		{"writes an https URL", "https://cdn.example.com/a/ast_logo.png?v=2", true},
		{"drops http", "http://cdn.example.com/a.png", false},
		{"drops a protocol-relative URL", "//evil.example/a.png", false},
		{"drops javascript:", "javascript:alert(1)", false},
		{"drops a quote", `/a".png`, false},
		{"drops a parenthesis", "/a).png", false},
		{"drops a comment opener", "/a/*x", false},
		{"drops a backslash", `/a\.png`, false},
		{"drops a space", "/a b.png", false},
		{"drops markup", "/a<b", false},
		{"drops https without host", "https:///a", false},
		{"drops credentials", "https://u:p@cdn.example.com/a", false},
		{"drops the empty string", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			css, err := CSS(tok, func(id string) string {
				if id == "ast_logo" {
					return tt.url
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if why := oneRule(css); why != "" {
				t.Fatalf("%s:\n%s", why, css)
			}
			want := "  --lt-logo: url(\"" + tt.url + "\");\n"
			if strings.Contains(css, want) != tt.wantLogo {
				t.Errorf("logo written = %v, want %v:\n%s", !tt.wantLogo, tt.wantLogo, css)
			}
			if strings.Contains(css, "--lt-favicon") || strings.Contains(css, "--lt-background-image") {
				t.Errorf("an empty or unresolved asset was written:\n%s", css)
			}
			if !strings.Contains(css, "--lt-color-text: #aabbcc;") {
				t.Errorf("values not normalized:\n%s", css)
			}
		})
	}
}

func TestCSSWithoutResolverSkipsAssets(t *testing.T) {
	css, err := CSS(Tokens{"logo": "ast_x"}, nil)
	if err != nil || css != ":root, :host {\n}\n" {
		t.Fatalf("CSS = %q, %v", css, err)
	}
}

func TestCSSRefusesAnInvalidSet(t *testing.T) {
	css, err := CSS(Tokens{"color-text": "#000;}</style><script>"}, nil)
	if !errors.Is(err, ErrValue) || css != "" {
		t.Fatalf("CSS = %q, %v", css, err)
	}
}

func FuzzTokenValue(f *testing.F) {
	for _, d := range Defs() {
		f.Add(d.Name, d.Light)
	}
	f.Add("font-family", `"a", b c, -apple-system`)
	f.Add("font-family", `"</style>"`)
	f.Add("radius", "1.5REM")
	f.Add("logo", "ast_x")
	f.Add("nope", "</style>")
	f.Fuzz(func(t *testing.T, name, value string) {
		tok := Tokens{name: value}
		err := tok.Validate()
		if err != nil {
			if !errors.Is(err, ErrValue) && !errors.Is(err, ErrUnknownToken) {
				t.Fatalf("err %v wraps no sentinel", err)
			}
			if len(invalid.All(err)) != 1 {
				t.Fatalf("err %v is not one field", err)
			}
			return
		}
		css, err := CSS(tok, func(id string) string { return "/assets/" + id })
		if err != nil {
			t.Fatalf("CSS refused what Validate accepted: %v", err)
		}
		if why := oneRule(css); why != "" {
			t.Fatalf("%s:\n%s", why, css)
		}
		if strings.Count(css, "{") != 1 || strings.Count(css, "}") != 1 || strings.Contains(css, "<") {
			t.Fatalf("unbalanced or markup:\n%s", css)
		}
		norm := tok.Normalize()
		if err := norm.Validate(); err != nil {
			t.Fatalf("normal form %q refused: %v", norm[name], err)
		}
		if again := norm.Normalize(); again[name] != norm[name] {
			t.Fatalf("Normalize not idempotent: %q → %q", norm[name], again[name])
		}
	})
}
