// Package texttest gives tests the embedded message catalogs and the
// built-in emails, built once per test binary: both are immutable and
// safe for concurrent use, and building them for every test world cost
// about a second under the race detector.
package texttest

import (
	"sync"
	"testing"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/locales"
)

// Builtin returns the embedded catalogs and the built-in emails over
// them, failing t if they do not load.
func Builtin(t testing.TB) (*locales.Catalog, *emailtemplates.Set) {
	t.Helper()
	b, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return b.cat, b.tpl
}

// texts is what Builtin returns.
type texts struct {
	cat *locales.Catalog
	tpl *emailtemplates.Set
}

// shared builds the texts once.
var shared = sync.OnceValues(func() (texts, error) {
	var b texts
	var err error
	if b.cat, err = locales.Load(locales.FS()); err != nil {
		return b, err
	}
	b.tpl, err = emailtemplates.New(b.cat)
	return b, err
})
