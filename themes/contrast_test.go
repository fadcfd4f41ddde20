package themes

import (
	"errors"
	"strings"
	"testing"
)

func TestBuiltinThemesPassAA(t *testing.T) {
	for _, name := range BuiltinNames() {
		tok, _ := Builtin(name)
		if err := AA(tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if n := len(Check(tok)); n != len(pairs) {
			t.Errorf("%s: %d findings, want %d", name, n, len(pairs))
		}
	}
}

func TestHighContrastTextPassesAAA(t *testing.T) {
	tok, _ := Builtin("high-contrast")
	for _, f := range Check(tok) {
		if f.Use == "text" && f.Ratio < 7 {
			t.Errorf("%s on %s is %.2f, below 7:1 (%s)", f.Foreground, f.Background, f.Ratio, f.Why)
		}
	}
	border := Check(tok)[11]
	if border.Foreground != "color-border" || border.Ratio < 3 {
		t.Errorf("border finding %+v", border)
	}
}

func TestCheckFindsFailingPairs(t *testing.T) {
	light, _ := Builtin("light")
	tests := []struct {
		name      string
		over      Tokens
		fg, bg    string
		use       string
		wantRatio float64
	}{
		{"light grey text on white", Tokens{"color-text": "#aaaaaa"}, "color-text", "color-surface", "text", 2.32},
		{"#777 muted text just under 4.5", Tokens{"color-text-muted": "#777"}, "color-text-muted", "color-surface", "text", 4.47},
		{"white label on yellow primary", Tokens{"color-primary": "#ffdd00", "color-link": "#000000"}, "color-on-primary", "color-primary", "text", 1.34},
		{"v0's pale border", Tokens{"color-border": "#c9ccd6"}, "color-border", "color-surface", "ui", 1.6},
		{"a focus ring like the background", Tokens{"color-focus": "#eeeeee"}, "color-focus", "color-background", "ui", 1.06},
		{"a pale success colour", Tokens{"color-success": "#66ff66"}, "color-success", "color-surface", "text", 1.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := light.Merge(tt.over)
			bad := Failures(Check(tok))
			var found bool
			for _, f := range bad {
				if f.Foreground == tt.fg && f.Background == tt.bg && f.Use == tt.use {
					found = true
					if f.Ratio != tt.wantRatio {
						t.Errorf("ratio %v, want %v", f.Ratio, tt.wantRatio)
					}
				}
			}
			if !found {
				t.Fatalf("%s on %s (%s) not among failures %+v", tt.fg, tt.bg, tt.use, bad)
			}
			err := AA(tok)
			if !errors.Is(err, ErrContrast) || !strings.Contains(err.Error(), tt.fg+" on "+tt.bg) {
				t.Errorf("AA = %v", err)
			}
		})
	}
}

func TestCheckRoundsDown(t *testing.T) {
	// 4.4784:1 must not show as 4.48 or, at a minimum of 4.5, ever as 4.50.
	f := Check(Tokens{"color-text": "#777777", "color-surface": "#ffffff"})
	if len(f) != 1 || f[0].Ratio != 4.47 || f[0].Pass() {
		t.Fatalf("findings %+v", f)
	}
}

func TestCheckSkipsMissingAndInvalidColours(t *testing.T) {
	if f := Check(Tokens{"color-text": "blue", "color-surface": "#fff"}); len(f) != 0 {
		t.Fatalf("findings %+v", f)
	}
	if AA(Tokens{}) != nil {
		t.Fatal("an empty set fails")
	}
}

func TestFailureErrorNamesLocale(t *testing.T) {
	err := FailureError([]Finding{
		{Foreground: "color-text", Background: "color-surface", Ratio: 2.5, Min: 4.5, Why: "body text", Locale: "ar"},
		{Foreground: "color-border", Background: "color-surface", Ratio: 3.5, Min: 3},
	})
	want := "does not meet WCAG 2.2 AA contrast: color-text on color-surface is 2.50:1, needs 4.5:1 (body text) in locale ar"
	if !errors.Is(err, ErrContrast) || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
	if FailureError(nil) != nil {
		t.Fatal("no findings fail")
	}
}
