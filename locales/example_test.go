package locales_test

import (
	"fmt"
	"log"

	"github.com/lintel-id/lintel/locales"
)

// A page picks the person's language from the request and renders its
// texts by message ID.
func Example() {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		log.Fatal(err)
	}
	tag := cat.Match("", "", "sw-KE, ar-EG;q=0.8, en;q=0.5")
	l := cat.Localizer(tag)
	fmt.Println(l.Lang(), l.Dir())

	en := cat.Localizer(cat.Match("", "", ""))
	fmt.Println(en.Text("identify.heading", "app", "Acme"))
	fmt.Println(en.Text("attempts.remaining", "count", "1"))
	fmt.Println(en.Text("attempts.remaining", "count", "4"))
	// Output:
	// ar rtl
	// Sign in to Acme
	// 1 attempt left
	// 4 attempts left
}

// Other packages' tests check that every message ID they use exists.
func ExampleCatalog_IDs() {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		log.Fatal(err)
	}
	ar := cat.Localizer(cat.Languages()[1])
	for _, id := range []string{"identify.title", "identify.titel"} {
		fmt.Println(id, ar.Has(id))
	}
	// Output:
	// identify.title true
	// identify.titel false
}
