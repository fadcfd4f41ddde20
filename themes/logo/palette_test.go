package logo

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/themes"
)

// logos lists the sample logos of testdata (not the hostile ones).
func logos(t testing.TB) []string {
	t.Helper()
	var names []string
	for _, pattern := range []string{"*.png", "*.jpg", "*.svg"} {
		m, err := filepath.Glob(filepath.Join("testdata", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	slices.Sort(names)
	if len(names) < 8 {
		t.Fatalf("only %d sample logos", len(names))
	}
	return names
}

// hexes formats a palette.
func hexes(p []themes.Color) string {
	var s []string
	for _, c := range p {
		s = append(s, c.String())
	}
	return strings.Join(s, " ")
}

func TestPaletteOfSamples(t *testing.T) {
	tests := []struct {
		name  string
		first string // the brand colour, "" for none
		also  []string
		tone  Tone
	}{
		{"blue-wordmark.png", "#1a56db", nil, ToneLight},
		{"orange-teal.png", "#f58220", []string{"#00897b"}, ToneLight},
		{"yellow.png", "#ffd400", nil, ToneLight},
		{"navy.png", "#1b2a4e", nil, ToneDark},
		{"mono-black.png", "", nil, ToneDark},
		{"gradient.svg", "#7c3aed", []string{"#db2777"}, ToneMixed},
		{"illustrator-classes.svg", "#e30613", nil, ToneDark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Read(sample(t, tt.name))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Fields(hexes(img.Palette))
			if tt.first == "" && len(got) > 0 || tt.first != "" && (len(got) == 0 || got[0] != tt.first) {
				t.Errorf("palette %v, want %q first", got, tt.first)
			}
			for _, c := range tt.also {
				if !slices.Contains(got, c) {
					t.Errorf("palette %v lacks %s", got, c)
				}
			}
			if img.Tone != tt.tone {
				t.Errorf("tone %v, want %v", img.Tone, tt.tone)
			}
		})
	}
}
