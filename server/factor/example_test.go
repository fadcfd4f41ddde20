package factor_test

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/factor"
)

func ExamplePasswords() {
	ctx := context.Background()
	pw := factor.NewPasswords(0) // at most runtime.NumCPU() hashes at once
	hash, err := pw.Hash(ctx, "correct horse battery staple")
	if err != nil {
		panic(err)
	}
	fmt.Println(hash[:31])

	ok, err := pw.Verify(ctx, hash, "correct horse battery staple")
	fmt.Println(ok, err)
	ok, err = pw.Verify(ctx, hash, "Tr0ub4dor&3")
	fmt.Println(ok, err)
	fmt.Println(pw.NeedsRehash(hash))

	// An unknown user costs the same as a known one.
	pw.VerifyDummy(ctx, "whatever they typed")
	// Output:
	// $argon2id$v=19$m=19456,t=2,p=1$
	// true <nil>
	// false <nil>
	// false
}
