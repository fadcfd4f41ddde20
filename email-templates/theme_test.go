package emailtemplates

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestThemeValidate(t *testing.T) {
	ok := func(change func(*Theme)) Theme {
		th := sampleBrandTheme()
		change(&th)
		return th
	}
	for _, c := range []struct {
		name  string
		theme Theme
		valid bool
	}{
		{"accepts the default theme", DefaultTheme(), true},
		{"accepts a brand theme with a logo", sampleBrandTheme(), true},
		{"accepts a dark theme", sampleDarkTheme(), true},
		{"accepts upper-case hex digits", ok(func(t *Theme) { t.Accent = "#4338CA" }), true},
		{"accepts a radius of 0px", ok(func(t *Theme) { t.Radius = "0px" }), true},
		{"accepts a radius of 32px", ok(func(t *Theme) { t.Radius = "32px" }), true},
		{"accepts single-quoted families", ok(func(t *Theme) { t.Font = `'Noto Sans Arabic', system-ui, sans-serif` }), true},
		{"accepts an unquoted family of several words", ok(func(t *Theme) { t.Font = "Segoe UI, Roboto" }), true},
		{"accepts a logo of unknown size", ok(func(t *Theme) { t.LogoWidth, t.LogoHeight = 0, 0 }), true},
		{"accepts no logo", ok(func(t *Theme) { t.Logo, t.LogoAlt = "", "" }), true},
		{"refuses a short colour", ok(func(t *Theme) { t.Accent = "#fff" }), false},
		{"refuses a colour name", ok(func(t *Theme) { t.Text = "red" }), false},
		{"refuses a colour without #", ok(func(t *Theme) { t.Background = "4338ca" }), false},
		{"refuses a colour that ends the declaration", ok(func(t *Theme) { t.Link = "#4338c;" }), false},
		{"refuses an empty colour", ok(func(t *Theme) { t.Surface = "" }), false},
		{"refuses rgb()", ok(func(t *Theme) { t.Border = "rgb(1,2,3)" }), false},
		{"refuses an empty font", ok(func(t *Theme) { t.Font = "" }), false},
		{"refuses a semicolon in the font", ok(func(t *Theme) { t.Font = "Arial;background:url(https://x.example/)" }), false},
		{"refuses an unbalanced quote", ok(func(t *Theme) { t.Font = `"Helvetica Neue, Arial` }), false},
		{"refuses a quote inside a family", ok(func(t *Theme) { t.Font = `Arial"x` }), false},
		{"refuses an empty family", ok(func(t *Theme) { t.Font = "Arial,,sans-serif" }), false},
		{"refuses a non-ASCII family", ok(func(t *Theme) { t.Font = "Ärial" }), false},
		{"refuses angle brackets in the font", ok(func(t *Theme) { t.Font = "</td><script>" }), false},
		{"refuses a font past 200 bytes", ok(func(t *Theme) { t.Font = strings.Repeat("a", 201) }), false},
		{"refuses a radius past 32px", ok(func(t *Theme) { t.Radius = "33px" }), false},
		{"refuses a radius in em", ok(func(t *Theme) { t.Radius = "1em" }), false},
		{"refuses a negative radius", ok(func(t *Theme) { t.Radius = "-1px" }), false},
		{"refuses a radius with a sign", ok(func(t *Theme) { t.Radius = "+6px" }), false},
		{"refuses a radius with a leading zero", ok(func(t *Theme) { t.Radius = "06px" }), false},
		{"refuses a radius without a unit", ok(func(t *Theme) { t.Radius = "6" }), false},
		{"refuses an http logo", ok(func(t *Theme) { t.Logo = "http://login.acme.example/logo.png" }), false},
		{"refuses a data: logo", ok(func(t *Theme) { t.Logo = "data:image/png;base64,AAAA" }), false},
		{"refuses a relative logo", ok(func(t *Theme) { t.Logo = "/logo.png" }), false},
		{"refuses a logo with a quote", ok(func(t *Theme) { t.Logo = `https://a.example/l.png"onerror=x` }), false},
		{"refuses a logo with user info", ok(func(t *Theme) { t.Logo = "https://u@a.example/l.png" }), false},
		{"refuses a logo on loopback http", ok(func(t *Theme) { t.Logo = "http://localhost:8080/l.png" }), false},
		{"refuses a line break in the alt text", ok(func(t *Theme) { t.LogoAlt = "Acme\nInc" }), false},
		{"refuses an alt text past 200 bytes", ok(func(t *Theme) { t.LogoAlt = strings.Repeat("a", 201) }), false},
		{"refuses a width without a height", ok(func(t *Theme) { t.LogoHeight = 0 }), false},
		{"refuses a negative size", ok(func(t *Theme) { t.LogoWidth = -1 }), false},
		{"refuses a huge logo", ok(func(t *Theme) { t.LogoWidth = 10001 }), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.theme.Validate()
			switch {
			case c.valid && err != nil:
				t.Fatal(err)
			case !c.valid && !errors.Is(err, ErrTheme):
				t.Fatalf("err = %v, want ErrTheme", err)
			}
			// Whatever the theme, what templates see is valid.
			if err := c.theme.data().theme().Validate(); err != nil {
				t.Fatalf("data() passed a bad value: %v", err)
			}
		})
	}
}

// Validate reports every bad field at once.
func TestThemeValidateListsEveryField(t *testing.T) {
	th := Theme{Logo: "javascript:x", LogoWidth: 5}
	err := th.Validate()
	for _, field := range []string{"Background", "Surface", "Border", "Text", "Muted", "Accent", "OnAccent", "Link", "Font", "Radius", "Logo", "LogoWidth"} {
		if !strings.Contains(err.Error(), field+" ") {
			t.Errorf("the error does not name %s: %v", field, err)
		}
	}
}

// A bad value gives way to the default's, field by field; the rest of
// the theme stays.
func TestThemeDataReplacesBadValues(t *testing.T) {
	th := sampleBrandTheme()
	th.Accent, th.Font, th.Logo, th.LogoAlt = "red", "x;y", "http://a.example/l.png", "Acme\u202e\nInc"
	d := th.data()
	def := DefaultTheme()
	if d.Accent != def.Accent || string(d.Font) != def.Font || d.Logo != "" {
		t.Errorf("bad values kept: %+v", d)
	}
	if d.Background != th.Background || d.Radius != th.Radius || d.LogoAlt != "Acme Inc" {
		t.Errorf("good values lost: %+v", d)
	}
}

func TestLogoSize(t *testing.T) {
	for _, c := range []struct{ w, h, wantW, wantH int }{
		{320, 96, 160, 48},
		{100, 40, 100, 40},   // small: as it is
		{48, 48, 48, 48},     // square
		{1000, 100, 200, 20}, // wide: bounded by the width
		{10, 1000, 1, 48},    // tall
		{0, 0, 0, 48},        // unknown: 48 high, width left to the client
		{-1, 5, 0, 48},       // invalid: as unknown
	} {
		if w, h := logoSize(c.w, c.h); w != c.wantW || h != c.wantH {
			t.Errorf("logoSize(%d, %d) = %d, %d, want %d, %d", c.w, c.h, w, h, c.wantW, c.wantH)
		}
	}
}

// Templates see every field of Theme.
func TestThemeDataHasEveryField(t *testing.T) {
	theme := reflect.TypeOf(Theme{})
	for i := range theme.NumField() {
		if name := theme.Field(i).Name; !hasField(themeData{}, name) {
			t.Errorf("themeData lacks %s", name)
		}
	}

}

// theme returns d as a Theme, its logo's size as shown, to check that
// what templates see passes Validate.
func (d themeData) theme() Theme {
	if d.LogoWidth == 0 { // an unknown size: shown 48 px high
		d.LogoHeight = 0
	}
	return Theme{
		Background: d.Background, Surface: d.Surface, Border: d.Border, Text: d.Text,
		Muted: d.Muted, Accent: d.Accent, OnAccent: d.OnAccent, Link: d.Link,
		Font: string(d.Font), Radius: d.Radius, Logo: d.Logo, LogoAlt: d.LogoAlt,
		LogoWidth: d.LogoWidth, LogoHeight: d.LogoHeight, Dark: d.Dark,
	}
}
