package recoverycode

import (
	"errors"
	"strings"
	"testing"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"abcde-fghjk", "ABCDE FGHJK", "oilOIL-0000", "uuuuu-uuuuu", "", "-", " ",
		"abcde-fghj", "abcde-fghjkm", "０1234-56789", "\xff\xfe", strings.Repeat("a", 70),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, ok := normalize(in)
		if !ok {
			if n != "" {
				t.Fatalf("refused %q but returned %q", in, n)
			}
			return
		}
		if len(n) != codeLen {
			t.Fatalf("normalize(%q) = %q, not %d symbols", in, n, codeLen)
		}
		for i := 0; i < len(n); i++ {
			if !strings.Contains(alphabet, n[i:i+1]) {
				t.Fatalf("normalize(%q) = %q, outside the alphabet", in, n)
			}
		}
		if again, ok := normalize(n); !ok || again != n {
			t.Fatalf("normalize is not idempotent on %q: %q then %q", in, n, again)
		}
		if up, ok := normalize(strings.ToUpper(in)); !ok || up != n {
			t.Fatalf("normalize(%q) differs in capitals: %q vs %q", in, n, up)
		}
	})
}

func FuzzDecode(f *testing.F) {
	c := New(testMAC)
	codes, stored, err := c.Generate(3)
	if err != nil {
		f.Fatal(err)
	}
	used, _, err := c.Use(stored, codes[0])
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		stored, used, "", "{}", "null", `{"v":1}`, `{"v":1,"unused":["AAAAAAAAAAAAAAAAAAAAAA"],"used":null}`,
		`{"v":1,"unused":[],"used":["AAAAAAAAAAAAAAAAAAAAAA"]}`, `{"V":1,"Unused":["AAAAAAAAAAAAAAAAAAAAAA"]}`,
		stored + " ", " " + stored, strings.Replace(stored, `"v":1`, `"v":1.0`, 1),
	} {
		f.Add(s, codes[1])
	}
	f.Fuzz(func(t *testing.T, stored, code string) {
		s, err := decode(stored)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not wrap ErrMalformed", err)
			}
			if _, _, uerr := c.Use(stored, code); !errors.Is(uerr, ErrMalformed) {
				t.Fatalf("Use on a malformed value: %v", uerr)
			}
			return
		}
		enc, err := s.encode()
		if err != nil {
			t.Fatal(err)
		}
		s2, err := decode(enc)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		enc2, err := s2.encode()
		if err != nil || enc2 != enc {
			t.Fatalf("encoding is not stable: %q then %q", enc, enc2)
		}
		next, remaining, err := c.Use(stored, code)
		switch {
		case err == nil:
			if remaining != len(s.unused)-1 {
				t.Fatalf("remaining %d after use of one of %d", remaining, len(s.unused))
			}
			if _, _, again := c.Use(next, code); !errors.Is(again, ErrCodeUsed) {
				t.Fatalf("second use: %v, want ErrCodeUsed", again)
			}
		case errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeUsed):
			if next != "" || remaining != len(s.unused) {
				t.Fatalf("refused use returned %q, %d", next, remaining)
			}
		default:
			t.Fatalf("Use on a value that decodes: %v", err)
		}
	})
}
