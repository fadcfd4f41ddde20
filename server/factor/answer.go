package factor

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Bounds of the answer to a security question.
const (
	// MinAnswerLen is the fewest characters of an answer once normalized.
	MinAnswerLen = 3
	// MaxAnswerLen is the most bytes of an answer as given, checked before
	// normalizing or hashing.
	MaxAnswerLen = 1024
)

// NormalizeAnswer returns the form of the answer to a security question
// that is hashed and compared, so that people need not remember how they
// typed it: Unicode NFKC (full-width letters, ligatures), case-folded,
// runs of white space inside collapsed to one space, and trimmed.
// NormalizeAnswer(NormalizeAnswer(s)) == NormalizeAnswer(s).
func NormalizeAnswer(s string) string {
	s = norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
	return strings.Join(strings.Fields(s), " ")
}

// checkAnswer normalizes an answer and refuses one that is too long as
// given or shorter than MinAnswerLen characters once normalized, with an
// *invalid.Error naming "answer" that never quotes it.
func checkAnswer(answer string) (string, error) {
	if len(answer) > MaxAnswerLen {
		return "", invalid.Field("answer", "must be at most %d bytes", MaxAnswerLen)
	}
	if !utf8.ValidString(answer) {
		return "", invalid.Field("answer", "must be valid UTF-8")
	}
	n := NormalizeAnswer(answer)
	if utf8.RuneCountInString(n) < MinAnswerLen {
		return "", invalid.Field("answer", "must be at least %d characters", MinAnswerLen)
	}
	return n, nil
}

// HashAnswer returns the PHC string of an argon2id hash of the answer to
// a security question, normalized first (see NormalizeAnswer), with the
// parameters, salt and limit on hashes in flight of Hash. The directory
// stores it as the Secret of a credential of type
// directory.CredentialSecurityAnswer whose Label is the question. An
// answer longer than MaxAnswerLen bytes, not UTF-8, or shorter than
// MinAnswerLen characters once normalized is refused with an
// *invalid.Error naming "answer", before any hashing.
func (p *Passwords) HashAnswer(ctx context.Context, answer string) (string, error) {
	n, err := checkAnswer(answer)
	if err != nil {
		return "", err
	}
	h, err := p.hash(ctx, []byte(n))
	if err != nil {
		return "", fmt.Errorf("factor: hash answer: %w", err)
	}
	return h, nil
}

// VerifyAnswer reports whether answer, normalized, matches the PHC
// string encoded made by HashAnswer, in constant time. Like Verify, a
// malformed hash returns ErrMalformedHash and never true, and a ctx that
// ends while waiting for a slot returns false and ctx.Err(). An answer
// HashAnswer would refuse returns false and the same *invalid.Error,
// without hashing: no stored answer can match it.
func (p *Passwords) VerifyAnswer(ctx context.Context, encoded, answer string) (bool, error) {
	a, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	n, err := checkAnswer(answer)
	if err != nil {
		return false, err
	}
	return p.matches(ctx, []byte(n), a, salt, want)
}
