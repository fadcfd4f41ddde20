package mailtest

import (
	"encoding/base64"
	"io"
	"strings"
)

// newBase64 decodes a base64 body, whose lines end in CRLF.
func newBase64(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &stripper{r: r})
}

// stripper drops CR and LF.
type stripper struct{ r io.Reader }

func (s *stripper) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := copy(p, strings.NewReplacer("\r", "", "\n", "").Replace(string(p[:n])))
		if k > 0 || err != nil {
			return k, err
		}
	}
}
