package phone

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

func TestParseNumber(t *testing.T) {
	accepts := []struct {
		name, in, want string
	}{
		{"plain E.164", "+14155550100", "+14155550100"},
		{"US with parentheses, spaces and a hyphen", "+1 (415) 555-0100", "+14155550100"},
		{"dots", "+44.20.7946.0000", "+442079460000"},
		{"surrounding white space", "  +33 6 12 34 56 78\t", "+33612345678"},
		{"a three-digit calling code", "+971 50 123 4567", "+971501234567"},
		{"the fewest digits", "+6891234567", "+6891234567"},
		{"fifteen digits", "+882 1234 5678 9012", "+882123456789012"},
		{"a satellite network", "+881 6 1234 5678", "+881612345678"},
	}
	for _, tt := range accepts {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			n, err := ParseNumber(tt.in)
			if err != nil || n.String() != tt.want || n.IsZero() {
				t.Fatalf("ParseNumber(%q) = %q, %v; want %q", tt.in, n, err, tt.want)
			}
			if again, err := ParseNumber(n.String()); err != nil || again != n {
				t.Fatalf("ParseNumber(String()) = %q, %v; want the same number", again, err)
			}
		})
	}
	refuses := []struct {
		name, in, reason string
	}{
		{"a national format", "(415) 555-0100", "national formats are not accepted"},
		{"00 for +", "0044 20 7946 0000", "national formats are not accepted"},
		{"nothing", "", "national formats are not accepted"},
		{"a lone +", "+", "at least 8 digits"},
		{"seven digits", "+1234567", "at least 8 digits"},
		{"sixteen digits", "+8821234567890123", "at most 15 digits"},
		{"a (0) trunk prefix", "+44 (0)20 7946 0000", "(0) trunk prefix"},
		{"empty parentheses", "+1 () 415 555 0100", "empty parentheses"},
		{"unclosed parenthesis", "+1 (415 555 0100", "balanced parentheses"},
		{"nested parentheses", "+1 ((415)) 555 0100", "balanced parentheses"},
		{"a stray closing parenthesis", "+1 415) 555 0100", "balanced parentheses"},
		{"letters", "+1 800 FLOWERS", "only digits"},
		{"an extension", "+1 415 555 0100 ext 12", "only digits"},
		{"a slash", "+1 415/555/0100", "only digits"},
		{"full-width digits", "+１４１５５５５０１００", "only digits"},
		{"two pluses", "++14155550100", "only digits"},
		{"an unassigned calling code", "+2801234567", "assigned country calling code"},
		{"a calling code starting with 0", "+0123456789", "assigned country calling code"},
		{"a short NANP number", "+1415555010", "10 digits after +1"},
		{"a long NANP number", "+141555501000", "10 digits after +1"},
		{"too long an input", "+1 " + strings.Repeat(" ", 64) + "4155550100", "at most 64 characters"},
	}
	for _, tt := range refuses {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			n, err := ParseNumber(tt.in)
			if !errors.Is(err, ErrInvalidNumber) || !n.IsZero() {
				t.Fatalf("ParseNumber(%q) = %q, %v; want ErrInvalidNumber", tt.in, n, err)
			}
			fields := invalid.All(err)
			if len(fields) != 1 || fields[0].Field != "phone_number" || !strings.Contains(fields[0].Reason, tt.reason) {
				t.Fatalf("ParseNumber(%q) = %v; want phone_number: …%s…", tt.in, err, tt.reason)
			}
			if digits := strings.Trim(tt.in, " +()"); len(digits) > 6 && strings.Contains(err.Error(), digits) {
				t.Errorf("error quotes the input: %v", err)
			}
		})
	}
}

func TestNumberCountry(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a US number", "+1 415 555 0100", "US"},
		{"a US toll-free number", "+1 800 555 0100", "US"},
		{"an unlisted +1 area code is US", "+1 999 555 0100", "US"},
		{"Toronto", "+1 416 555 0100", "CA"},
		{"Vancouver", "+1 604 555 0100", "CA"},
		{"Montreal", "+1 514 555 0100", "CA"},
		{"Canada's non-geographic 600", "+1 600 555 0100", "CA"},
		{"Jamaica", "+1 876 555 0100", "JM"},
		{"Jamaica's overlay 658", "+1 658 555 0100", "JM"},
		{"the Dominican Republic, third code", "+1 849 555 0100", "DO"},
		{"Puerto Rico", "+1 939 555 0100", "PR"},
		{"Bermuda", "+1 441 555 0100", "BM"},
		{"Guam", "+1 671 555 0100", "GU"},
		{"the UK", "+44 20 7946 0000", "GB"},
		{"a UK mobile", "+44 7400 123456", "GB"},
		{"a Jersey mobile", "+44 7797 123456", "JE"},
		{"Guernsey", "+44 1481 123456", "GG"},
		{"the Isle of Man", "+44 7624 123456", "IM"},
		{"Russia", "+7 495 123 4567", "RU"},
		{"Kazakhstan", "+7 701 123 4567", "KZ"},
		{"Mayotte mobile", "+262 639 12 34 56", "YT"},
		{"Réunion", "+262 262 12 34 56", "RE"},
		{"Åland", "+358 18 123456", "AX"},
		{"Finland", "+358 9 1234567", "FI"},
		{"Bonaire", "+599 717 1234", "BQ"},
		{"Curaçao", "+599 9 123 4567", "CW"},
		{"the Vatican in the Italian plan", "+39 06 698 12345", "VA"},
		{"Italy", "+39 06 1234 5678", "IT"},
		{"Egypt, a two-digit code", "+20 10 1234 5678", "EG"},
		{"the UAE, a three-digit code", "+971 50 123 4567", "AE"},
		{"Kosovo", "+383 44 123 456", "XK"},
		{"Ascension shares Saint Helena's code", "+247 6 1234", "SH"},
		{"a satellite phone has no country", "+881 6 1234 5678", ""},
		{"international freephone has no country", "+800 1234 5678", ""},
		{"international networks have no country", "+882 1234 5678 90", ""},
		{"the zero number", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n Number
			if tt.in != "" {
				n = mustNumber(t, tt.in)
			}
			if got := n.Country(); got != tt.want {
				t.Fatalf("Country(%s) = %q, want %q", n, got, tt.want)
			}
		})
	}
}

func TestCountryTables(t *testing.T) {
	iso := func(c string) bool { return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' }
	for code, c := range callingCodes {
		if len(code) < 1 || len(code) > 3 || code[0] == '0' || (c != "" && !iso(c)) {
			t.Errorf("calling code %q → %q is malformed", code, c)
		}
		for l := 1; l < len(code); l++ {
			if _, ok := callingCodes[code[:l]]; ok {
				t.Errorf("calling code %q starts with calling code %q: codes must be prefix-free", code, code[:l])
			}
		}
	}
	for prefix, c := range regions {
		cc := callingCode(prefix)
		if cc == "" || cc == prefix || len(prefix) > maxRegionLen || !iso(c) {
			t.Errorf("region %q → %q is not a longer prefix of a calling code", prefix, c)
		}
	}
	for area, c := range nanpAreas {
		if len(area) != 3 || area[0] < '2' || !iso(c) || c == "US" {
			t.Errorf("NANP area %q → %q is malformed", area, c)
		}
	}
	if !knownCountry("US") || !knownCountry("KZ") || !knownCountry("JM") || knownCountry("") || knownCountry("ZZ") {
		t.Error("knownCountry does not follow the tables")
	}
}

func TestNumberMasked(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"+1 415 555 0100", "+1 ••• ••• ••00"},
		{"+44 20 7946 0000", "+44 ••• ••• ••00"},
		{"+33 6 12 34 56 78", "+33 •• ••• ••78"},
		{"+971 50 123 4567", "+971 •• ••• ••67"},
		{"+6891234567", "+689 ••• ••67"},
		{"+882 1234 5678 9012", "+882 •• ••• ••• ••12"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := mustNumber(t, tt.in).Masked(); got != tt.want {
				t.Fatalf("Masked() = %q, want %q", got, tt.want)
			}
		})
	}
	if (Number{}).Masked() != "" || (Number{}).String() != "" || (Number{}).CallingCode() != "" {
		t.Error("the zero Number shows something")
	}
}

func TestNumberJSON(t *testing.T) {
	type form struct {
		Phone Number `json:"phone"`
	}
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"a number travels as E.164", `{"phone":"+1 (415) 555-0100"}`, `{"phone":"+14155550100"}`, true},
		{"empty is the zero Number", `{"phone":""}`, `{"phone":""}`, true},
		{"a national number is refused", `{"phone":"415 555 0100"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f form
			err := json.Unmarshal([]byte(tt.in), &f)
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, ErrInvalidNumber)) {
				t.Fatalf("Unmarshal = %v; want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if out, err := json.Marshal(f); err != nil || string(out) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", out, err, tt.want)
			}
		})
	}
}

func TestVoiceCode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"six digits", "123456", "1, 2, 3, 4, 5, 6"},
		{"grouped with a space", "123 456", "1, 2, 3, 4, 5, 6"},
		{"grouped with a hyphen", "123-456", "1, 2, 3, 4, 5, 6"},
		{"letters too", "AB12", "A, B, 1, 2"},
		{"nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VoiceCode(tt.in); got != tt.want {
				t.Fatalf("VoiceCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
