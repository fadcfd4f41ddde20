package session_test

import (
	"fmt"

	"github.com/lintel-id/lintel/server/session"
)

func ExampleCookieName() {
	// Over HTTPS the name carries the __Host- prefix; for plain-http
	// localhost development it cannot.
	fmt.Println(session.CookieName("ten_01jd0000000000000000000000", true))
	fmt.Println(session.CookieName("ten_01jd0000000000000000000000", false))
	// Output:
	// __Host-lintel-c05dddcecf96
	// lintel-c05dddcecf96
}
