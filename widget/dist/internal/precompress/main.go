// Command precompress writes the .br (brotli, quality 11) and .gz (gzip,
// best compression) variants of each file named on its command line, for
// the edge to serve to browsers that accept them. `make widget` runs it
// over the widget's build output. A variant that is not smaller than its
// source is still written, so that the edge's choice never depends on
// which files happen to exist.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress FILE...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		if err := compress(name); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

// compress writes name.br and name.gz next to name.
func compress(name string) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var br, gz bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	gw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	for _, w := range []io.WriteCloser{bw, gw} {
		if _, err := w.Write(src); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	if err := os.WriteFile(name+".br", br.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(name+".gz", gz.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes, brotli %d, gzip %d\n", name, len(src), br.Len(), gz.Len())
	return nil
}
