// Package assets holds the hosted pages' static files (the stylesheet of
// design tokens, the waiting page's poller), embedded in the binary.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed *.css *.js
var files embed.FS

// FS returns the static files.
func FS() fs.FS { return files }
