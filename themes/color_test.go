package themes

import (
	"errors"
	"math"
	"testing"
)

func TestParseColor(t *testing.T) {
	tests := []struct {
		name, in string
		want     Color
		ok       bool
	}{
		{"accepts six digits", "#3b4fd8", Color{0x3b, 0x4f, 0xd8}, true},
		{"accepts upper case", "#3B4FD8", Color{0x3b, 0x4f, 0xd8}, true},
		{"expands three digits", "#aBc", Color{0xaa, 0xbb, 0xcc}, true},
		{"accepts black", "#000", Color{}, true},
		{"refuses names", "red", Color{}, false},
		{"refuses rgb()", "rgb(1,2,3)", Color{}, false},
		{"refuses alpha", "#3b4fd8ff", Color{}, false},
		{"refuses four digits", "#abcd", Color{}, false},
		{"refuses a missing hash", "3b4fd8", Color{}, false},
		{"refuses non-hex digits", "#3b4fdg", Color{}, false},
		{"refuses surrounding space", " #3b4fd8", Color{}, false},
		{"refuses the empty string", "", Color{}, false},
		{"refuses a closing brace", "#abc}", Color{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseColor(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseColor(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrValue) {
				t.Errorf("err %v does not wrap ErrValue", err)
			}
			if got != tt.want {
				t.Errorf("ParseColor(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestColorStringIsLowerCaseSixDigits(t *testing.T) {
	if s := (Color{0xAB, 0x01, 0xFF}).String(); s != "#ab01ff" {
		t.Fatalf("String = %q", s)
	}
}

func TestContrastMatchesWCAGValues(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       float64
	}{
		{"black on white is 21", "#000000", "#ffffff", 21},
		{"order does not matter", "#ffffff", "#000000", 21},
		{"equal colours are 1", "#777777", "#777777", 1},
		{"#777 on white is just under 4.5", "#777", "#fff", 4.478},
		{"#767676 on white is the lightest grey passing AA", "#767676", "#fff", 4.542},
		{"#595959 on white passes AAA", "#595959", "#fff", 7.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := ParseColor(tt.a)
			b, _ := ParseColor(tt.b)
			if got := Contrast(a, b); math.Abs(got-tt.want) > 0.005 {
				t.Errorf("Contrast = %.4f, want %.3f", got, tt.want)
			}
		})
	}
}

func TestLuminanceEnds(t *testing.T) {
	if l := (Color{}).Luminance(); l != 0 {
		t.Errorf("black %v", l)
	}
	if l := (Color{255, 255, 255}).Luminance(); math.Abs(l-1) > 1e-9 {
		t.Errorf("white %v", l)
	}
}

func TestMix(t *testing.T) {
	black, white := Color{}, Color{255, 255, 255}
	tests := []struct {
		name string
		t    float64
		want Color
	}{
		{"0 gives the first colour", 0, black},
		{"1 gives the second", 1, white},
		{"clamps below 0", -3, black},
		{"clamps above 1", 7, white},
		{"halfway is half the light, not half the code", 0.5, Color{188, 188, 188}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mix(black, white, tt.t); got != tt.want {
				t.Errorf("Mix = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHSLRoundTrips(t *testing.T) {
	for _, s := range []string{"#3b4fd8", "#ffffff", "#000000", "#8a5a00", "#1e7a34", "#ff8080", "#777777", "#0d1030"} {
		c, _ := ParseColor(s)
		h, sat, l := c.HSL()
		if got := FromHSL(h, sat, l); got != c {
			t.Errorf("%s → (%v,%v,%v) → %v", s, h, sat, l, got)
		}
	}
}

func TestAdjust(t *testing.T) {
	tests := []struct {
		name, fg, bg string
		min          float64
		ok           bool
		unchanged    bool
	}{
		{"keeps a passing colour", "#1b1d24", "#ffffff", 4.5, true, true},
		{"darkens a light grey on white", "#aaaaaa", "#ffffff", 4.5, true, false},
		{"lightens a dark blue on black", "#1a237e", "#000000", 4.5, true, false},
		{"reaches AAA", "#3b4fd8", "#ffffff", 7, true, false},
		{"cannot pass on mid grey at 7:1", "#808080", "#777777", 7, false, false},
		{"cannot exceed 21, and black stays the best try", "#000000", "#ffffff", 22, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fg, _ := ParseColor(tt.fg)
			bg, _ := ParseColor(tt.bg)
			got, ok := Adjust(fg, bg, tt.min)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (got %v)", ok, tt.ok, got)
			}
			if ok && Contrast(got, bg) < tt.min {
				t.Errorf("%v has %.2f on %v, below %v", got, Contrast(got, bg), bg, tt.min)
			}
			if (got == fg) != tt.unchanged {
				t.Errorf("got %v from %v", got, fg)
			}
			h0, s0, _ := fg.HSL()
			h1, s1, _ := got.HSL()
			if ok && !tt.unchanged && (math.Abs(h0-h1) > 3 || math.Abs(s0-s1) > 0.05) {
				t.Errorf("hue/saturation moved: (%.1f,%.2f) → (%.1f,%.2f)", h0, s0, h1, s1)
			}
		})
	}
}

func TestAdjustMovesTheLeast(t *testing.T) {
	// #777 on white needs only a little darkening; lightening cannot
	// pass at all, darkening to black would pass but is farther.
	fg, _ := ParseColor("#777777")
	got, ok := Adjust(fg, Color{255, 255, 255}, 4.5)
	if !ok || got != (Color{0x76, 0x76, 0x76}) {
		t.Fatalf("Adjust = %v, %v; want #767676", got, ok)
	}
}

func FuzzParseColor(f *testing.F) {
	for _, s := range []string{"#abc", "#AABBCC", "red", "#", "#12345", "#abcdefg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseColor(s)
		if err != nil {
			if !errors.Is(err, ErrValue) {
				t.Fatalf("err %v does not wrap ErrValue", err)
			}
			return
		}
		again, err := ParseColor(c.String())
		if err != nil || again != c {
			t.Fatalf("%q → %v does not round-trip: %v %v", s, c, again, err)
		}
	})
}
