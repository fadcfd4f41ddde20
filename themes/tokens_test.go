package themes

import (
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

func TestDefsHoldV0AndV1Tokens(t *testing.T) {
	want := []string{
		"color-primary", "color-on-primary", "color-surface", "color-background", "color-text",
		"color-text-muted", "color-border", "color-error", "color-warning", "color-info", "color-focus",
		"color-link", "color-success", "font-family", "font-size", "heading-weight", "radius", "space",
		"card-width", "logo", "favicon", "background-image",
	}
	defs := Defs()
	if len(defs) != len(want) {
		t.Fatalf("%d defs, want %d", len(defs), len(want))
	}
	for i, d := range defs {
		if d.Name != want[i] {
			t.Errorf("Defs()[%d] = %s, want %s", i, d.Name, want[i])
		}
		if d.Doc == "" || strings.Contains(d.Doc, "\n") || d.Kind.String() == "unknown" {
			t.Errorf("%s: doc %q kind %v", d.Name, d.Doc, d.Kind)
		}
		if got, ok := Lookup(d.Name); !ok || got != d {
			t.Errorf("Lookup(%s) = %v %v", d.Name, got, ok)
		}
	}
	if _, ok := Lookup("--lt-color-primary"); ok {
		t.Error("Lookup accepts the prefix")
	}
	defs[0].Name = "changed"
	if Defs()[0].Name != "color-primary" {
		t.Error("Defs returns the contract itself")
	}
	light, _ := Lookup("color-link")
	primary, _ := Lookup("color-primary")
	if light.Light != primary.Light {
		t.Error("color-link's default is not the primary colour")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, token, value string
		is                 error // nil: valid
	}{
		{"accepts a colour", "color-primary", "#123ABC", nil},
		{"accepts a short colour", "color-text", "#000", nil},
		{"refuses a colour name", "color-primary", "red", ErrValue},
		{"refuses an empty colour", "color-primary", "", ErrValue},
		{"refuses CSS in a colour", "color-primary", "#000;}body{display:none", ErrValue},
		{"accepts px", "radius", "12px", nil},
		{"accepts rem in upper case", "radius", "0.5REM", nil},
		{"accepts zero", "space", "0px", nil},
		{"accepts a leading dot", "space", ".5rem", nil},
		{"refuses a unitless length", "radius", "8", ErrValue},
		{"refuses a negative length", "space", "-1px", ErrValue},
		{"refuses em", "radius", "1em", ErrValue},
		{"refuses calc()", "radius", "calc(1px)", ErrValue},
		{"refuses an exponent", "radius", "1e1px", ErrValue},
		{"refuses a trailing dot", "radius", "1.px", ErrValue},
		{"refuses a radius over 64px", "radius", "65px", ErrValue},
		{"refuses a radius over 4rem", "radius", "4.1rem", ErrValue},
		{"refuses space over 32px", "space", "33px", ErrValue},
		{"refuses a font size under 12px", "font-size", "11px", ErrValue},
		{"refuses a font size over 1.5rem", "font-size", "1.6rem", ErrValue},
		{"accepts a font size of 0.75rem", "font-size", "0.75rem", nil},
		{"refuses a card under 280px", "card-width", "279px", ErrValue},
		{"accepts a card of 960px", "card-width", "960px", nil},
		{"refuses a card of 961px", "card-width", "961px", ErrValue},
		{"accepts a weight", "heading-weight", "700", nil},
		{"refuses a weight off the scale", "heading-weight", "650", ErrValue},
		{"refuses weight 1000", "heading-weight", "1000", ErrValue},
		{"refuses bold", "heading-weight", "bold", ErrValue},
		{"accepts a font list", "font-family", `Inter, "Noto Sans Arabic", sans-serif`, nil},
		{"accepts a non-Latin family name", "font-family", "游ゴシック, serif", nil},
		{"accepts -apple-system", "font-family", "-apple-system", nil},
		{"refuses a quote inside a name", "font-family", `"a"b", serif`, ErrValue},
		{"refuses a backslash", "font-family", `A\62 c`, ErrValue},
		{"refuses single quotes", "font-family", `'Inter'`, ErrValue},
		{"refuses an empty name", "font-family", "Inter,,serif", ErrValue},
		{"refuses an empty list", "font-family", "", ErrValue},
		{"refuses a closing brace", "font-family", "Inter}", ErrValue},
		{"refuses eleven names", "font-family", "a,b,c,d,e,f,g,h,i,j,k", ErrValue},
		{"refuses more than 200 bytes", "font-family", strings.Repeat("a", 201), ErrValue},
		{"accepts an asset ID", "logo", "ast_01HX-abc_9", nil},
		{"accepts no asset", "favicon", "", nil},
		{"refuses an asset URL", "logo", "https://evil.example/x.png", ErrValue},
		{"refuses a bare prefix", "logo", "ast_", ErrValue},
		{"refuses a long asset ID", "background-image", "ast_" + strings.Repeat("a", 61), ErrValue},
		{"refuses a dot in an asset ID", "logo", "ast_a.b", ErrValue},
		{"refuses an unknown token", "color-primray", "#000", ErrUnknownToken},
		{"refuses the --lt- prefix", "--lt-color-primary", "#000", ErrUnknownToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Tokens{tt.token: tt.value}.Validate()
			if tt.is == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			all := invalid.All(err)
			if len(all) != 1 || all[0].Field != "tokens."+tt.token || all[0].Reason == "" {
				t.Errorf("invalid.All = %v", all)
			}
		})
	}
}

func TestValidateReportsEveryProblemInContractOrder(t *testing.T) {
	err := Tokens{"radius": "9000px", "zzz": "1", "color-text": "blue", "aaa": "", "space": "8px"}.Validate()
	var fields []string
	for _, e := range invalid.All(err) {
		fields = append(fields, e.Field)
	}
	want := "tokens.color-text tokens.radius tokens.aaa tokens.zzz"
	if strings.Join(fields, " ") != want {
		t.Fatalf("fields %v, want %s", fields, want)
	}
	if !errors.Is(err, ErrValue) || !errors.Is(err, ErrUnknownToken) {
		t.Error("sentinels lost")
	}
	if !strings.Contains(err.Error(), "tokens.color-text: must be a colour as #rrggbb or #rgb") {
		t.Errorf("message: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	in := Tokens{
		"color-primary":  "#ABC",
		"color-text":     "#1B1D24",
		"font-size":      "16PX",
		"radius":         "0.50rem",
		"space":          "08px",
		"font-family":    ` Inter ,"Noto   Sans",SANS-SERIF, "serif", blinkmacsystemfont `,
		"heading-weight": "700",
		"logo":           "ast_Ab",
		"unknown":        "kept",
		"card-width":     "wide",
	}
	want := Tokens{
		"color-primary":  "#aabbcc",
		"color-text":     "#1b1d24",
		"font-size":      "16px",
		"radius":         "0.5rem",
		"space":          "8px",
		"font-family":    `"Inter", "Noto Sans", sans-serif, "serif", BlinkMacSystemFont`,
		"heading-weight": "700",
		"logo":           "ast_Ab",
		"unknown":        "kept",
		"card-width":     "wide",
	}
	got := in.Normalize()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d entries", len(got))
	}
	if in["color-primary"] != "#ABC" {
		t.Error("Normalize changed its receiver")
	}
}

func TestMergeReplacesWithoutChangingEither(t *testing.T) {
	a := Tokens{"color-text": "#000", "radius": "4px"}
	b := Tokens{"radius": "8px", "space": "2px"}
	m := a.Merge(b)
	if m["color-text"] != "#000" || m["radius"] != "8px" || m["space"] != "2px" || len(m) != 3 {
		t.Fatalf("Merge = %v", m)
	}
	if a["radius"] != "4px" || len(a) != 2 || len(b) != 2 {
		t.Fatal("Merge changed an operand")
	}
	if n := Tokens(nil).Merge(nil); n == nil || len(n) != 0 {
		t.Fatalf("nil Merge = %#v", n)
	}
}
