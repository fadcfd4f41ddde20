package hooks_test

import (
	"fmt"

	"github.com/lintel-id/lintel/server/hooks"
)

// An engine applies a token hook's answer by switching on the commands'
// types; a denial comes instead of commands.
func ExampleParseResponse() {
	answer := []byte(`{"commands":[
		{"type":"token.claims.set","value":{"target":"access","claims":{"plan":"gold"}}},
		{"type":"token.claims.remove","value":{"target":"id","names":["nickname"]}}]}`)
	r, err := hooks.ParseResponse(hooks.PointToken, "ten_1", hooks.Request{Subject: "usr_1"}, answer)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range r.Commands {
		switch v := c.Value.(type) {
		case hooks.ClaimsSet:
			fmt.Println("set", v.Target, string(v.Claims["plan"]))
		case hooks.ClaimsRemove:
			fmt.Println("remove", v.Target, v.Names)
		}
	}

	_, err = hooks.ParseResponse(hooks.PointToken, "ten_1", hooks.Request{Subject: "usr_1"},
		[]byte(`{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"sub":"usr_2"}}}]}`))
	fmt.Println(err)
	// Output:
	// set access "gold"
	// remove id [nickname]
	// hooks: command refused: command 0 (token.claims.set): names a registered or reserved claim
}
