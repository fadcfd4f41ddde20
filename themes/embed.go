package themes

import (
	"embed"
	"io/fs"
)

//go:embed builtin/*.json
var files embed.FS

// FS returns the embedded files: builtin/<name>.json holds each built-in
// theme as a JSON object of token name to value.
func FS() fs.FS { return files }
