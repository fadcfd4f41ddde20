package themes

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestBuiltinThemesAreCompleteAndValid(t *testing.T) {
	for _, name := range BuiltinNames() {
		tok, ok := Builtin(name)
		if !ok {
			t.Fatalf("Builtin(%q) missing", name)
		}
		if err := tok.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, d := range Defs() {
			if _, ok := tok[d.Name]; !ok {
				t.Errorf("%s lacks %s", name, d.Name)
			}
		}
		if len(tok) != len(Defs()) {
			t.Errorf("%s has %d tokens, the contract %d", name, len(tok), len(Defs()))
		}
	}
	if _, ok := Builtin("sepia"); ok {
		t.Error("Builtin(sepia) found")
	}
	if _, ok := Builtin(DefaultBase); !ok {
		t.Error("DefaultBase is not a built-in theme")
	}
}

func TestLightThemeIsTheContractsDefaults(t *testing.T) {
	light, _ := Builtin("light")
	for _, d := range Defs() {
		if light[d.Name] != d.Light {
			t.Errorf("light %s = %q, Def.Light %q", d.Name, light[d.Name], d.Light)
		}
	}
}

func TestBuiltinReturnsACopy(t *testing.T) {
	a, _ := Builtin("dark")
	a["color-text"] = "#000000"
	b, _ := Builtin("dark")
	if b["color-text"] == "#000000" {
		t.Fatal("a caller's change leaked into the built-in theme")
	}
}

func TestLoadBuiltinsRefusesBrokenFiles(t *testing.T) {
	good := func() fstest.MapFS {
		m := fstest.MapFS{}
		for _, n := range BuiltinNames() {
			b, err := fs.ReadFile(FS(), "builtin/"+n+".json")
			if err != nil {
				t.Fatal(err)
			}
			m["builtin/"+n+".json"] = &fstest.MapFile{Data: b}
		}
		return m
	}
	if _, err := loadBuiltins(good()); err != nil {
		t.Fatalf("embedded files refused: %v", err)
	}
	tests := []struct {
		name string
		edit func(fstest.MapFS)
		is   error
	}{
		{"a missing file", func(m fstest.MapFS) { delete(m, "builtin/dark.json") }, nil},
		{"broken JSON", func(m fstest.MapFS) { m["builtin/dark.json"].Data = []byte("{") }, nil},
		{"an invalid value", func(m fstest.MapFS) {
			m["builtin/light.json"].Data = []byte(`{"color-text": "red"}`)
		}, ErrValue},
		{"a missing token", func(m fstest.MapFS) {
			m["builtin/light.json"].Data = []byte(`{"color-text": "#000"}`)
		}, ErrValue},
		{"an unknown token", func(m fstest.MapFS) {
			m["builtin/light.json"].Data = []byte(`{"colour-text": "#000"}`)
		}, ErrUnknownToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.edit(m)
			_, err := loadBuiltins(m)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
}
