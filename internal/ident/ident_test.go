package ident

import (
	"strings"
	"testing"
	"time"
)

func TestNewSortsByTimeAndIsValid(t *testing.T) {
	base := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	prev := ""
	seen := map[string]bool{}
	for i := range 1000 {
		id := New("app", base.Add(time.Duration(i)*time.Millisecond))
		if !Valid("app", id) {
			t.Fatalf("%q is not valid", id)
		}
		if id <= prev {
			t.Fatalf("%q does not sort after %q", id, prev)
		}
		if seen[id] {
			t.Fatalf("duplicate %q", id)
		}
		seen[id], prev = true, id
	}
}

func TestValidRefusesOthers(t *testing.T) {
	good := New("ten", time.Now())
	for _, s := range []string{"", "ten_", "app" + good[3:], good + "x", strings.ToUpper(good), good[:len(good)-1] + "u"} {
		if Valid("ten", s) {
			t.Errorf("%q accepted", s)
		}
	}
}
