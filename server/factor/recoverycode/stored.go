package recoverycode

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// The stored value is compact JSON holding the MACs, unpadded base64url,
// of the normalized codes not used yet and of those used:
//
//	{"v":1,"unused":["<mac>",…],"used":["<mac>",…]}
//
// Used MACs stay so that a reused code is told apart from a wrong one.
// Twenty codes take under 2 KB, well inside a credential's 4096 bytes.

// version is the one format so far; a new one gets a new number.
const version = 1

// Bounds that decode enforces, so that a planted value cannot make Use
// hash or compare without limit.
const (
	maxStored = 4096
	minMAC    = 16
	maxMAC    = 64
)

// set is a decoded stored value.
type set struct {
	unused, used [][]byte
}

// wire is the JSON form of a set.
type wire struct {
	V      int      `json:"v"`
	Unused []string `json:"unused"`
	Used   []string `json:"used"`
}

var b64 = base64.RawURLEncoding.Strict()

// encode returns the stored value of s.
func (s set) encode() (string, error) {
	w := wire{V: version, Unused: make([]string, 0, len(s.unused)), Used: make([]string, 0, len(s.used))}
	for _, h := range s.unused {
		w.Unused = append(w.Unused, b64.EncodeToString(h))
	}
	for _, h := range s.used {
		w.Used = append(w.Used, b64.EncodeToString(h))
	}
	b, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decode parses a stored value, refusing anything encode would not write:
// unknown fields or versions, trailing data, MACs that are not unpadded
// base64url of minMAC to maxMAC bytes or differ in length, a MAC listed
// twice, more than MaxCount codes or none. Errors wrap ErrMalformed and
// never quote the value.
func decode(stored string) (set, error) {
	if len(stored) > maxStored {
		return set{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxStored)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(stored)))
	dec.DisallowUnknownFields()
	var w wire
	if err := dec.Decode(&w); err != nil {
		return set{}, fmt.Errorf("%w: not the JSON of a set of codes", ErrMalformed)
	}
	if dec.More() {
		return set{}, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if w.V != version {
		return set{}, fmt.Errorf("%w: unknown version %d", ErrMalformed, w.V)
	}
	if n := len(w.Unused) + len(w.Used); n == 0 || n > MaxCount {
		return set{}, fmt.Errorf("%w: holds %d codes, want 1 to %d", ErrMalformed, n, MaxCount)
	}
	var s set
	seen := map[string]bool{}
	size := 0
	conv := func(list []string) ([][]byte, error) {
		out := make([][]byte, 0, len(list))
		for _, e := range list {
			h, err := b64.DecodeString(e)
			if err != nil || len(h) < minMAC || len(h) > maxMAC {
				return nil, fmt.Errorf("%w: a MAC is not %d to %d bytes of unpadded base64url", ErrMalformed, minMAC, maxMAC)
			}
			if size == 0 {
				size = len(h)
			}
			if len(h) != size {
				return nil, fmt.Errorf("%w: MACs differ in length", ErrMalformed)
			}
			if seen[e] {
				return nil, fmt.Errorf("%w: a MAC is listed twice", ErrMalformed)
			}
			seen[e] = true
			out = append(out, h)
		}
		return out, nil
	}
	var err error
	if s.unused, err = conv(w.Unused); err != nil {
		return set{}, err
	}
	if s.used, err = conv(w.Used); err != nil {
		return set{}, err
	}
	return s, nil
}
