//go:build wasip1

// Command noexports is an ordinary WASI command (it exports _start, not
// the calling convention): Validate must refuse it.
package main

import "fmt"

func main() {
	fmt.Println("a command, not a hook")
}
