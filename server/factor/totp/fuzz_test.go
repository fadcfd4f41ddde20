package totp

import (
	"errors"
	"strings"
	"testing"
)

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{
		"123456", "123 456", "123-456", " 123456 ", "12-3456", "123--456", "1234-5678", "123-4567", "1234-567",
		"12345678", "", "-", "abcdef", "１２３４５６", "123456\n", "1\t2\t3\t4\t5\t6", strings.Repeat("1", 70),
	} {
		f.Add(s, 6)
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, code string, digits int) {
		if digits < MinDigits || digits > MaxDigits {
			digits = MinDigits + (digits%3+3)%3
		}
		n, err := normalizeCode(code, digits)
		if err != nil {
			if !errors.Is(err, ErrCodeInvalid) || n != "" {
				t.Fatalf("normalizeCode(%q) = %q, %v", code, n, err)
			}
			return
		}
		if len(n) != digits || strings.Trim(n, "0123456789") != "" {
			t.Fatalf("normalizeCode(%q, %d) = %q, not %d ASCII digits", code, digits, n, digits)
		}
		if again, err := normalizeCode(n, digits); err != nil || again != n {
			t.Fatalf("not idempotent on %q: %q then %q, %v", code, n, again, err)
		}
		if strings.Count(code, "-") > 1 {
			t.Fatalf("accepted %q with more than one hyphen", code)
		}
		if stripped := strings.NewReplacer(" ", "", "\t", "", "-", "").Replace(code); stripped != n {
			t.Fatalf("normalizeCode(%q) = %q, dropped more than separators", code, n)
		}
	})
}

func FuzzDecode(f *testing.F) {
	valid := `{"v":1,"alg":"SHA1","digits":6,"period":30,"last":59000000,"seed":"AQVrMTIzNDU2Nzg5MDEy"}`
	for _, s := range []string{
		valid, `{"v":1,"alg":"SHA512","digits":8,"period":60,"last":0,"seed":"AA"}`,
		strings.Replace(valid, `"v":1`, `"V":1`, 1), strings.Replace(valid, `"last":59000000`, `"last":1e3`, 1),
		strings.Replace(valid, `"last":59000000`, `"last":9223372036854775808`, 1), strings.Replace(valid, `"seed":`, `"seed":null,"seed":`, 1),
		valid + " ", " " + valid, valid + "\n{}", "", "{}", "null", "[]", `"x"`, "{\"v\":1\x00}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stored string) {
		r, err := decode(stored)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		enc, err := r.encode()
		if err != nil {
			t.Fatal(err)
		}
		r2, err := decode(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		if enc2, err := r2.encode(); err != nil || enc2 != enc {
			t.Fatalf("encoding is not stable: %q then %q", enc, enc2)
		}
		if r2.Last != r.Last || r2.Alg != r.Alg || r2.Digits != r.Digits || r2.Period != r.Period || string(r2.sealed) != string(r.sealed) {
			t.Fatalf("round trip changed %+v into %+v", r, r2)
		}
		if len(enc) > maxStored {
			t.Fatalf("re-encoded value is %d bytes", len(enc))
		}
	})
}
