package directory

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on input; exceeding one is refused, never truncated.
const (
	MaxLoginLen  = 254 // characters of a login, after normalization
	MaxEmailLen  = 254 // characters of an email address (RFC 5321)
	MaxNameLen   = 200 // characters of a display name
	MaxLocaleLen = 35  // characters of a BCP 47 tag
	MaxPhoneLen  = 16  // characters of an E.164 number, with its "+"
	// MaxExternalIDLen bounds the characters of a user's or group's
	// external ID; provisioning clients send GUIDs and short keys.
	MaxExternalIDLen = 255
)

// checkPhone checks an optional E.164 number: "+", then 7 to 15 digits,
// the first not 0.
func checkPhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	ok := len(s) >= 8 && len(s) <= MaxPhoneLen && s[0] == '+' && s[1] != '0'
	for i := 1; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return s, invalid.Field("phone", "must be an E.164 number such as +14155550100")
	}
	return s, nil
}

// NormalizeLogin returns the form of a login that is stored and compared:
// trimmed of surrounding white space, in Unicode NFKC and case-folded
// (email addresses and usernames alike are case-insensitive, and logins
// that differ only in compatibility forms, such as full-width letters or
// ligatures, are the same login). It does not validate: CreateUser
// refuses what does not follow the login rules.
func NormalizeLogin(s string) string { return fold(strings.TrimSpace(s)) }

// fold returns s in NFKC, case-folded, and in NFKC again (folding may
// undo the normal form), so that fold(fold(s)) == fold(s).
func fold(s string) string {
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

// checkLogin normalizes a login and checks the rules: 1–MaxLoginLen
// printable characters, and a valid email address if it contains "@".
func checkLogin(raw string) (string, error) {
	if !utf8.ValidString(raw) { // lowercasing would hide invalid bytes
		return raw, invalid.Field("login", "must be valid UTF-8")
	}
	login := NormalizeLogin(raw)
	if err := checkText("login", login, MaxLoginLen, true); err != nil {
		return login, err
	}
	if strings.Contains(login, "@") && !isAddress(login) {
		return login, invalid.Field("login", "contains @ but is not an email address")
	}
	return login, nil
}

// checkText checks that s is valid UTF-8, 1 (or 0 unless required) to max
// characters, all printable.
func checkText(field, s string, max int, required bool) error {
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return invalid.Field(field, "must be valid UTF-8")
	case n == 0 && required:
		return invalid.Field(field, "is required")
	case n > max:
		return invalid.Field(field, "must be at most %d characters, not %d", max, n)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return invalid.Field(field, "must contain only printable characters (found %U)", r)
		}
	}
	return nil
}

// isAddress reports whether s is a bare email address (no display name,
// no angle brackets, no comments).
func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Count(s, "@") == 1
}

// checkEmail trims an optional email address, checks it and lowercases its
// domain.
func checkEmail(raw string) (string, error) {
	email := strings.TrimSpace(raw)
	if email == "" {
		return "", nil
	}
	if err := checkText("email", email, MaxEmailLen, true); err != nil {
		return email, err
	}
	if !isAddress(email) {
		return email, invalid.Field("email", "is not an email address")
	}
	at := strings.LastIndexByte(email, '@')
	return email[:at] + strings.ToLower(email[at:]), nil
}

// checkLocale checks an optional BCP 47 tag and returns its canonical form.
func checkLocale(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	if len(s) > MaxLocaleLen {
		return s, invalid.Field("locale", "must be at most %d characters", MaxLocaleLen)
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return s, invalid.Field("locale", "must be a BCP 47 language tag such as en-US")
		}
	}
	tag, err := language.Parse(s)
	if err != nil {
		return s, invalid.Field("locale", "must be a BCP 47 language tag such as en-US")
	}
	return tag.String(), nil
}

// checkUser validates a new user's input and returns it normalized, with
// the defaults filled in.
func checkUser(in UserInput) (UserInput, error) {
	var errs []error
	var err error
	out := in
	out.Login, err = checkLogin(in.Login)
	errs = append(errs, err)
	out.Email, err = checkEmail(in.Email)
	errs = append(errs, err)
	if strings.TrimSpace(in.Email) == "" && isAddress(out.Login) {
		out.Email = out.Login
	}
	if out.EmailVerified && out.Email == "" {
		errs = append(errs, invalid.Field("email_verified", "needs an email address"))
	}
	out.Name, out.GivenName, out.FamilyName = strings.TrimSpace(in.Name), strings.TrimSpace(in.GivenName), strings.TrimSpace(in.FamilyName)
	errs = append(errs, checkText("name", out.Name, MaxNameLen, false),
		checkText("given_name", out.GivenName, MaxNameLen, false),
		checkText("family_name", out.FamilyName, MaxNameLen, false))
	out.Phone, err = checkPhone(in.Phone)
	errs = append(errs, err)
	if out.PhoneVerified && out.Phone == "" {
		errs = append(errs, invalid.Field("phone_verified", "needs a phone number"))
	}
	out.Locale, err = checkLocale(in.Locale)
	errs = append(errs, err, checkText("external_id", in.ExternalID, MaxExternalIDLen, false))
	if out.Status == "" {
		out.Status = StatusActive
	}
	if out.Status != StatusActive && out.Status != StatusStaged && out.Status != StatusProvisioned {
		errs = append(errs, invalid.Field("status", "of a new user must be %s, %s or %s", StatusActive, StatusStaged, StatusProvisioned))
	}
	return out, errors.Join(errs...)
}
