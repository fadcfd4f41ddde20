package logo_test

import (
	"fmt"

	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/logo"
)

func ExampleSanitizeSVG() {
	out, err := logo.SanitizeSVG([]byte(`<svg viewBox="0 0 2 2" onload="steal()"><script>steal()</script><a href="javascript:steal()"><rect width="2" height="2" fill="#e30613"/></a></svg>`))
	fmt.Println(string(out), err)
	// Output: <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect fill="#e30613" height="2" width="2"/></svg> <nil>
}

func ExamplePropose() {
	yellow := themes.Color{R: 0xff, G: 0xd4, B: 0x00}
	for _, p := range logo.Propose([]themes.Color{yellow}) {
		fmt.Println(p.Name, p.Tokens["color-primary"], "on", p.Tokens["color-on-primary"])
	}
	// Output:
	// light #8c7500 on #ffffff
	// dark #ffd400 on #111111
}
