package recoverycode

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

// testMAC stands in for secrets.Service.MAC: HMAC-SHA256 under a fixed
// key, bound to the purpose like the real one.
func testMAC(purpose string, value []byte) []byte {
	m := hmac.New(sha256.New, []byte("test key, not a secret"))
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(value)
	return m.Sum(nil)
}

var shown = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want int // codes; 0 means refused
	}{
		{"makes ten codes when asked for none", 0, DefaultCount},
		{"makes one code", 1, 1},
		{"makes the most codes a set holds", MaxCount, MaxCount},
		{"refuses a negative count", -1, 0},
		{"refuses more than the most codes", MaxCount + 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(testMAC)
			codes, stored, err := c.Generate(tt.n)
			if tt.want == 0 {
				if !invalid.Is(err) || codes != nil || stored != "" {
					t.Fatalf("Generate(%d) = %d codes, %q, %v; want an *invalid.Error and nothing", tt.n, len(codes), stored, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != tt.want {
				t.Fatalf("got %d codes, want %d", len(codes), tt.want)
			}
			seen := map[string]bool{}
			for _, code := range codes {
				if !shown.MatchString(code) {
					t.Errorf("code %q is not shaped xxxxx-xxxxx in lowercase Crockford base32", code)
				}
				if seen[code] {
					t.Errorf("code %q appears twice", code)
				}
				seen[code] = true
				n, _ := normalize(code)
				if strings.Contains(stored, code) || strings.Contains(stored, n) {
					t.Errorf("stored value holds a code in clear")
				}
			}
			if r, err := c.Remaining(stored); err != nil || r != tt.want {
				t.Errorf("Remaining = %d, %v; want %d", r, err, tt.want)
			}
			if len(stored) > 4096 {
				t.Errorf("stored is %d bytes, more than a credential holds", len(stored))
			}
			for _, r := range stored {
				if r < 0x20 || r > 0x7e {
					t.Fatalf("stored holds %q, not printable ASCII", r)
				}
			}
		})
	}
}

func TestGenerateDrawsDistinctCodesAcrossManySets(t *testing.T) {
	c := New(testMAC)
	seen := map[string]bool{}
	for range 50 {
		codes, _, err := c.Generate(MaxCount)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range codes {
			if seen[code] {
				t.Fatalf("code %q drawn twice in %d codes", code, len(seen))
			}
			seen[code] = true
		}
	}
	// Every symbol should turn up in 10,000 symbols drawn.
	symbols := map[rune]bool{}
	for code := range seen {
		for _, r := range strings.ReplaceAll(code, "-", "") {
			symbols[r] = true
		}
	}
	if len(symbols) != len(alphabet) {
		t.Errorf("drew %d distinct symbols, want all %d", len(symbols), len(alphabet))
	}
}

func TestUse(t *testing.T) {
	type step struct {
		code          func(codes []string) string
		wantErr       error
		wantRemaining int
	}
	first := func(codes []string) string { return codes[0] }
	last := func(codes []string) string { return codes[len(codes)-1] }
	tests := []struct {
		name  string
		steps []step
	}{
		{"accepts a code once and refuses its second use", []step{
			{first, nil, 2},
			{first, ErrCodeUsed, 2},
		}},
		{"refuses a used code however it is typed", []step{
			{first, nil, 2},
			{func(c []string) string { return strings.ToUpper(strings.ReplaceAll(c[0], "-", " ")) }, ErrCodeUsed, 2},
		}},
		{"accepts the codes in any order until none is left", []step{
			{last, nil, 2},
			{first, nil, 1},
			{func(c []string) string { return c[1] }, nil, 0},
			{first, ErrCodeUsed, 0},
		}},
		{"refuses a wrong code", []step{
			{func([]string) string { return "00000-00000" }, ErrCodeInvalid, 3},
		}},
		{"refuses a code with a symbol missing", []step{
			{func(c []string) string { return c[0][:len(c[0])-1] }, ErrCodeInvalid, 3},
		}},
		{"refuses a code with u in it", []step{
			{func([]string) string { return "uuuuu-uuuuu" }, ErrCodeInvalid, 3},
		}},
		{"refuses an empty code", []step{
			{func([]string) string { return "" }, ErrCodeInvalid, 3},
		}},
		{"refuses a wrong code after a good one and keeps the count", []step{
			{first, nil, 2},
			{func([]string) string { return "zzzzz-zzzzz" }, ErrCodeInvalid, 2},
		}},
		{"accepts a code typed in capitals with spaces", []step{
			{func(c []string) string { return " " + strings.ToUpper(c[1][:5]) + " " + c[1][6:] + " " }, nil, 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(testMAC)
			codes, stored, err := c.Generate(3)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				next, remaining, err := c.Use(stored, s.code(codes))
				if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
					t.Fatalf("step %d: err = %v, want %v", i, err, s.wantErr)
				}
				if remaining != s.wantRemaining {
					t.Errorf("step %d: remaining = %d, want %d", i, remaining, s.wantRemaining)
				}
				if err != nil {
					if next != "" {
						t.Errorf("step %d: a refused code returned a next value", i)
					}
					continue
				}
				if r, err := c.Remaining(next); err != nil || r != remaining {
					t.Errorf("step %d: Remaining(next) = %d, %v; want %d", i, r, err, remaining)
				}
				stored = next
			}
		})
	}
}

func TestUseRefusesACodeOfAnotherSet(t *testing.T) {
	c := New(testMAC)
	other, _, err := c.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	_, stored, err := c.Generate(5)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Use(stored, other[0]); !errors.Is(err, ErrCodeInvalid) {
		t.Fatalf("err = %v, want ErrCodeInvalid", err)
	}
}

func TestUseHashesUnderItsPurpose(t *testing.T) {
	var purposes []string
	c := New(func(purpose string, value []byte) []byte {
		purposes = append(purposes, purpose)
		return testMAC(purpose, value)
	})
	codes, stored, err := c.Generate(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Use(stored, codes[1]); err != nil {
		t.Fatal(err)
	}
	if len(purposes) != 3 {
		t.Fatalf("MAC called %d times, want 3", len(purposes))
	}
	for _, p := range purposes {
		if p != Purpose {
			t.Errorf("MAC purpose %q, want %q", p, Purpose)
		}
	}
}

func TestUseRefusesMalformedStoredValues(t *testing.T) {
	c := New(testMAC)
	codes, stored, err := c.Generate(2)
	if err != nil {
		t.Fatal(err)
	}
	mac := b64.EncodeToString(testMAC(Purpose, []byte("0000000000")))
	tests := []struct {
		name   string
		stored string
	}{
		{"empty", ""},
		{"not JSON", "codes"},
		{"JSON of another shape", `[1,2]`},
		{"an unknown version", strings.Replace(stored, `"v":1`, `"v":2`, 1)},
		{"no version", strings.Replace(stored, `"v":1,`, ``, 1)},
		{"an unknown field", strings.Replace(stored, `{`, `{"x":1,`, 1)},
		{"data after the object", stored + `{}`},
		{"no codes at all", `{"v":1,"unused":[],"used":[]}`},
		{"a MAC that is not base64url", `{"v":1,"unused":["` + mac[:40] + `+/"],"used":[]}`},
		{"a padded MAC", `{"v":1,"unused":["` + mac + `="],"used":[]}`},
		{"a MAC too short", `{"v":1,"unused":["AAAA"],"used":[]}`},
		{"MACs of different lengths", `{"v":1,"unused":["` + mac + `","` + mac[:22] + `"],"used":[]}`},
		{"a MAC listed twice", `{"v":1,"unused":["` + mac + `"],"used":["` + mac + `"]}`},
		{"too many codes", `{"v":1,"unused":[` + strings.Repeat(`"`+mac+`",`, MaxCount) + `"` + mac + `"],"used":[]}`},
		{"longer than a credential holds", stored + strings.Repeat(" ", 4096)},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			next, _, err := c.Use(tt.stored, codes[0])
			if !errors.Is(err, ErrMalformed) || next != "" {
				t.Fatalf("Use = %q, %v; want ErrMalformed", next, err)
			}
			if _, err := c.Remaining(tt.stored); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Remaining: %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), mac) {
				t.Errorf("error quotes a MAC: %v", err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means refused
	}{
		{"keeps a code as shown", "abcde-fghjk", "abcdefghjk"},
		{"ignores case", "ABCDE-FGHJK", "abcdefghjk"},
		{"drops the hyphen", "abcdefghjk", "abcdefghjk"},
		{"drops spaces and hyphens anywhere", " ab-cd e-fg hj-k ", "abcdefghjk"},
		{"reads o as zero", "oOooo-00000", "0000000000"},
		{"reads i and l as one", "iIlLi-11111", "1111111111"},
		{"refuses u, which is not in the alphabet", "uabcd-efghj", ""},
		{"refuses nine symbols", "abcde-fghj", ""},
		{"refuses eleven symbols", "abcde-fghjkm", ""},
		{"refuses punctuation", "abcde_fghjk", ""},
		{"refuses a tab", "abcde\tfghjk", ""},
		{"refuses non-ASCII look-alikes", "аbcde-fghjk", ""}, // Cyrillic а
		{"refuses full-width digits", "０1234-56789", ""},
		{"refuses an empty code", "", ""},
		{"refuses overlong input even if it would shrink to a code", strings.Repeat("-", maxInput) + "abcdefghjk", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := normalize(tt.in)
			if ok != (tt.want != "") || got != tt.want {
				t.Fatalf("normalize(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestFindLooksAtEveryPosition(t *testing.T) {
	hashes := [][]byte{{1}, {2}, {3}}
	for i, want := range []int{0, 1, 2} {
		if got := find(hashes, hashes[i]); got != want {
			t.Errorf("find(%d) = %d", i, got)
		}
	}
	if got := find(hashes, []byte{4}); got != -1 {
		t.Errorf("find(absent) = %d, want -1", got)
	}
}

func TestNewRefusesANilMAC(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(nil) did not panic")
		}
	}()
	New(nil)
}
