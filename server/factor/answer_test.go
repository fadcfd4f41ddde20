package factor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

func TestNormalizeAnswer(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"folds case", "Fluffy", "fluffy"},
		{"trims surrounding white space", " \t fluffy \n", "fluffy"},
		{"collapses inner white space", "New   York\tCity", "new york city"},
		{"collapses non-breaking and ideographic spaces", "New\u00a0York\u3000City", "new york city"},
		{"maps compatibility forms (NFKC)", "\uff26luffy \ufb01sh", "fluffy fish"},
		{"composes decomposed characters", "Jose\u0301", "jos\u00e9"},
		{"folds sharp s", "Stra\u00dfe", "strasse"},
		{"leaves an empty answer empty", "   ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeAnswer(tc.in); got != tc.want {
				t.Fatalf("NormalizeAnswer(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := NormalizeAnswer(tc.want); again != tc.want {
				t.Fatalf("NormalizeAnswer is not idempotent: %q → %q", tc.want, again)
			}
		})
	}
}

func TestHashAndVerifyAnswer(t *testing.T) {
	c := &counting{}
	p := c.install(NewPasswords(0))
	ctx := context.Background()
	h, err := p.HashAnswer(ctx, "  Mrs  Fluffy ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the current parameters", h)
	}
	if strings.Contains(strings.ToLower(h), "fluffy") {
		t.Fatal("the hash holds the answer")
	}
	for _, tc := range []struct {
		name, answer string
		want         bool
	}{
		{"accepts the same answer", "  Mrs  Fluffy ", true},
		{"accepts the answer in another case and spacing", "mrs fluffy", true},
		{"accepts full-width letters", "\uff2drs \uff26luffy", true},
		{"refuses another answer", "Mr Fluffy", false},
		{"refuses the answer without its space", "mrsfluffy", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := p.VerifyAnswer(ctx, h, tc.answer)
			if err != nil || ok != tc.want {
				t.Fatalf("VerifyAnswer(%q) = %v, %v; want %v", tc.answer, ok, err, tc.want)
			}
		})
	}
	t.Run("verifies a hash made as a password of the normalized answer", func(t *testing.T) {
		pw := mustHash(t, p, "mrs fluffy")
		if ok, err := p.VerifyAnswer(ctx, pw, "MRS FLUFFY"); !ok || err != nil {
			t.Fatalf("VerifyAnswer = %v, %v", ok, err)
		}
	})
	t.Run("refuses a malformed hash", func(t *testing.T) {
		ok, err := p.VerifyAnswer(ctx, "$argon2id$nope", "mrs fluffy")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("VerifyAnswer = %v, %v; want ErrMalformedHash", ok, err)
		}
	})
}

func TestAnswerLimits(t *testing.T) {
	c := &counting{}
	p := c.install(NewPasswords(0))
	ctx := context.Background()
	h, err := p.HashAnswer(ctx, "abc")
	if err != nil {
		t.Fatalf("a 3-character answer is refused: %v", err)
	}
	before := c.n.Load()
	for _, tc := range []struct{ name, answer string }{
		{"refuses an empty answer", ""},
		{"refuses an answer of spaces", "      "},
		{"refuses two characters once trimmed", "  Ab  "},
		{"refuses an answer over the byte limit", strings.Repeat("a", MaxAnswerLen+1)},
		{"refuses invalid UTF-8", "ab\xffc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.HashAnswer(ctx, tc.answer); !isAnswerError(err) {
				t.Fatalf("HashAnswer = %v; want an *invalid.Error naming answer", err)
			}
			ok, err := p.VerifyAnswer(ctx, h, tc.answer)
			if ok || !isAnswerError(err) {
				t.Fatalf("VerifyAnswer = %v, %v; want false and an *invalid.Error naming answer", ok, err)
			}
		})
	}
	if c.n.Load() != before {
		t.Fatalf("refused answers were hashed: %d derivations", c.n.Load()-before)
	}
	t.Run("never quotes the answer", func(t *testing.T) {
		_, err := p.HashAnswer(ctx, "xy")
		if err == nil || strings.Contains(err.Error(), "xy") {
			t.Fatalf("error %v", err)
		}
	})
}

// isAnswerError reports whether err is one *invalid.Error naming "answer".
func isAnswerError(err error) bool {
	errs := invalid.All(err)
	return len(errs) == 1 && errs[0].Field == "answer"
}

func FuzzNormalizeAnswer(f *testing.F) {
	for _, s := range []string{"Fluffy", " a  b ", "\uff26", "Stra\u00dfe", "\u0130stanbul", "\u1e9e", "\u00a0x\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeAnswer(s)
		if NormalizeAnswer(n) != n {
			t.Fatalf("NormalizeAnswer is not idempotent on %q: %q → %q", s, n, NormalizeAnswer(n))
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") {
			t.Fatalf("NormalizeAnswer(%q) = %q keeps surrounding or doubled spaces", s, n)
		}
	})
}
