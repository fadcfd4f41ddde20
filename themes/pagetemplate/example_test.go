package pagetemplate_test

import (
	"fmt"
	"io"
	"os"

	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// A brand's page is compiled once, when it is saved or loaded, and
// rendered for every request with that request's parts and nonce.
func Example() {
	page := `<!DOCTYPE html>
<html lang="en">
<head><title>Acme</title><style>.card { margin: auto }</style></head>
<body>
<div class="card"><lintel-slot name="form"></lintel-slot></div>
</body>
</html>`
	tpl, err := pagetemplate.Compile(page, []string{"https://cdn.acme.example"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = tpl.Render(os.Stdout, pagetemplate.Parts{
		Head: func(w io.Writer) error {
			_, err := io.WriteString(w, `<link rel="stylesheet" href="/assets/lintel.css">`)
			return err
		},
		Form: func(w io.Writer) error {
			_, err := io.WriteString(w, `<main>…</main>`)
			return err
		},
		Lang:  "fr",
		Nonce: "n0nce",
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println()
	fmt.Println(tpl.Slots())

	err = pagetemplate.Check(`<body onload="go()"><script>go()</script>`, nil, nil)
	fmt.Println(err)
	// Output:
	// <!DOCTYPE html><html lang="fr"><head><title>Acme</title><style nonce="n0nce">.card { margin: auto }</style><link rel="stylesheet" href="/assets/lintel.css"></head>
	// <body>
	// <div class="card"><main>…</main></div>
	//
	// </body></html>
	// [form]
	// line 1: <body onload> is not allowed: event-handler attributes do not run under the page's security policy; load a script from one of the brand's script origins instead
	// line 1: an inline <script> is not allowed: it would not run under the page's security policy; load it with src from one of the brand's script origins (none are set)
	// the page has no form slot: add <lintel-slot name="form"></lintel-slot> inside <body> where the sign-in form goes
}
