package wire_test

import (
	"fmt"

	"github.com/lintel-id/lintel/server/engine/wire"
)

func ExampleFlow_AppendJSON() {
	f := wire.Flow{
		ID:        "flw_1",
		ExpiresAt: 1772366400, // 2026-03-01T12:00:00Z
		Step:      wire.StepChallengePassword,
		Fields:    []wire.Field{{Name: "password", Type: wire.FieldPassword, Label: "challenge.password", Required: true, Secret: true}},
		Actions:   []wire.Action{{Name: "submit", Method: "POST", Href: "/api/v1/flows/flw_1", Label: "action.continue", Primary: true}},
		Messages:  []wire.Message{{ID: "challenge.password.wrong", Params: []wire.Param{{Name: "left", Value: "2"}}, Level: wire.LevelError, Field: "password"}},
	}
	fmt.Println(string(f.AppendJSON(nil)))
	// Output:
	// {"id":"flw_1","expires_at":"2026-03-01T12:00:00Z","step":"challenge-password","fields":[{"name":"password","type":"password","label":"challenge.password","required":true,"secret":true}],"actions":[{"name":"submit","method":"POST","href":"/api/v1/flows/flw_1","label":"action.continue","primary":true}],"messages":[{"id":"challenge.password.wrong","params":{"left":"2"},"level":"error","field":"password"}]}
}

func ExampleParseContinueRequest() {
	r, err := wire.ParseContinueRequest([]byte(`{"action":"submit","values":{"identifier":"layla@example.com","remember":"on"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _ := r.Value("identifier")
	fmt.Println(r.Action, id)

	_, err = wire.ParseContinueRequest([]byte(`{"values":{"identifier":"a","identifier":"b"}}`))
	fmt.Println(err)
	// Output:
	// submit layla@example.com
	// wire: duplicate key at values (offset 28): "identifier"
}
