package recoverycode_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/server/factor/recoverycode"
)

func Example() {
	// The engine passes secrets.Service.MAC; an HMAC under a fixed key
	// stands in for it here.
	mac := func(purpose string, value []byte) []byte {
		m := hmac.New(sha256.New, []byte("example key"))
		m.Write([]byte(purpose + "\x00"))
		m.Write(value)
		return m.Sum(nil)
	}
	codes := recoverycode.New(mac)

	// Enrollment: show the codes once, store only the value.
	shown, stored, err := codes.Generate(0)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(shown), "codes, like", len(shown[0]), "characters with a hyphen")

	// Sign-in with one of them; the engine writes next back with a
	// compare-and-swap on stored.
	next, remaining, err := codes.Use(stored, shown[3])
	fmt.Println(remaining, "left,", err)

	// The same code again, against the new value.
	_, _, err = codes.Use(next, shown[3])
	fmt.Println(errors.Is(err, recoverycode.ErrCodeUsed))

	// A code that was never issued.
	_, _, err = codes.Use(next, "00000-00000")
	fmt.Println(errors.Is(err, recoverycode.ErrCodeInvalid))
	// Output:
	// 10 codes, like 11 characters with a hyphen
	// 9 left, <nil>
	// true
	// true
}
