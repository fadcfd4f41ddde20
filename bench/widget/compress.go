package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
)

// compressed is a body compressed with brotli at quality 11, the setting
// the budgets are stated in (and the edge's precompressed variants use).
type compressed struct {
	body []byte
}

func (c compressed) size() int { return len(c.body) }

// brotliSize compresses b with brotli quality 11, window 22 (the
// defaults of `brotli -q 11`).
func brotliSize(b []byte) (compressed, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 22})
	if _, err := w.Write(b); err != nil {
		return compressed{}, err
	}
	if err := w.Close(); err != nil {
		return compressed{}, err
	}
	return compressed{body: buf.Bytes()}, nil
}

// gzipBytes compresses b with gzip at its best compression.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decode undoes a response's Content-Encoding.
func decode(body []byte, encoding string) ([]byte, error) {
	var r io.Reader
	switch encoding {
	case "", "identity":
		return body, nil
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		r = zr
	default:
		return nil, fmt.Errorf("content encoding %q", encoding)
	}
	return io.ReadAll(r)
}

// kb formats a byte count in kilobytes of 1,024 bytes, as the budgets are.
func kb(n int) string {
	return fmt.Sprintf("%.1f KB", float64(n)/1024)
}
