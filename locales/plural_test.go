package locales

import (
	"strings"
	"testing"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

func TestCountPicksTheCLDRCategory(t *testing.T) {
	cases := []struct {
		lang  string
		count string
		want  plural.Form
	}{
		// Arabic: zero n=0, one n=1, two n=2, few n%100=3..10,
		// many n%100=11..99, other everything else.
		{"ar", "0", plural.Zero},
		{"ar", "1", plural.One},
		{"ar", "2", plural.Two},
		{"ar", "3", plural.Few},
		{"ar", "10", plural.Few},
		{"ar", "11", plural.Many},
		{"ar", "99", plural.Many},
		{"ar", "100", plural.Other},
		{"ar", "101", plural.Other},
		{"ar", "103", plural.Few},
		{"ar", "111", plural.Many},
		{"ar", "1.5", plural.Other},
		// English: one for exactly the integer 1, other for the rest.
		{"en", "1", plural.One},
		{"en", "-1", plural.One},
		{"en", "0", plural.Other},
		{"en", "2", plural.Other},
		{"en", "1.0", plural.Other},
		{"en", "1.5", plural.Other},
		{"en", "21", plural.Other},
		// Russian uses the last digits, and "other" only for fractions.
		{"ru", "21", plural.One},
		{"ru", "22", plural.Few},
		{"ru", "25", plural.Many},
		{"ru", "1.5", plural.Other},
		// Counts beyond int64 still end in the right digits.
		{"ar", "100000000000000000000000000011", plural.Many},
		{"ar", "10000000001", plural.Other},
		{"ar", "1.10000000000000000003", plural.Other},
		// Anything but a plain decimal number is "other".
		{"en", "", plural.Other},
		{"en", "one", plural.Other},
		{"en", "1,000", plural.Other},
		{"en", "1e0", plural.Other},
		{"en", "1.", plural.Other},
		{"en", ".5", plural.Other},
		{"en", "--1", plural.Other},
		{"en", "1" + strings.Repeat("0", maxCountDigits), plural.Other},
	}
	for _, tc := range cases {
		t.Run(tc.lang+" "+tc.count, func(t *testing.T) {
			if got := countForm(language.MustParse(tc.lang), tc.count); got != tc.want {
				t.Errorf("countForm(%s, %q) = %s, want %s", tc.lang, tc.count, formNames[got], formNames[tc.want])
			}
		})
	}
}

func TestArabicPluralTextsFollowTheCount(t *testing.T) {
	ar := mustLoad(t, FS()).Localizer(language.Arabic)
	want := map[string]string{
		"0":   "لا توجد محاولات متبقية",
		"1":   "محاولة واحدة متبقية",
		"2":   "محاولتان متبقيتان",
		"3":   fsi + "3" + pdi + " محاولات متبقية",
		"11":  fsi + "11" + pdi + " محاولة متبقية",
		"100": fsi + "100" + pdi + " محاولة متبقية",
		"101": fsi + "101" + pdi + " محاولة متبقية",
	}
	for count, text := range want {
		if got := ar.Text("attempts.remaining", "count", count); got != text {
			t.Errorf("count %s: got %q, want %q", count, got, text)
		}
	}
}

func TestEnglishPluralTextsFollowTheCount(t *testing.T) {
	en := mustLoad(t, FS()).Localizer(language.English)
	for count, text := range map[string]string{
		"1": "1 attempt left", "0": "0 attempts left", "2": "2 attempts left", "1.5": "1.5 attempts left",
	} {
		if got := en.Text("attempts.remaining", "count", count); got != text {
			t.Errorf("count %s: got %q, want %q", count, got, text)
		}
	}
	if got := en.Text("attempts.remaining"); got != "{count} attempts left" {
		t.Errorf("without a count: got %q, want the other category with {count}", got)
	}
}

func TestRequiredFormsComeFromCLDR(t *testing.T) {
	cases := []struct {
		lang string
		want string
	}{
		{"en", "one, other"},
		{"ar", "zero, one, two, few, many, other"},
		{"ja", "other"},
		{"ru", "one, few, many, other"},
		{"pl", "one, few, many, other"},
		{"cy", "zero, one, two, few, many, other"},
		{"lv", "zero, one, other"},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			if got := requiredForms(language.MustParse(tc.lang)).String(); got != tc.want {
				t.Errorf("requiredForms(%s) = [%s], want [%s]", tc.lang, got, tc.want)
			}
		})
	}
}
