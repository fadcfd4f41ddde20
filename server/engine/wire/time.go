package wire

import "time"

// Times travel as RFC 3339 strings in UTC with whole seconds, such as
// "2026-03-01T12:00:05Z". They are written and read by hand: the wasm
// build avoids time's formatting and parsing code.

// appendTime appends t as a JSON string in UTC, truncated to the second.
// Years outside 0000–9999, which RFC 3339 cannot write, are clamped to
// the first or last second it can.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	switch {
	case year < 0:
		year, month, day, hour, minute, sec = 0, 1, 1, 0, 0, 0
	case year > 9999:
		year, month, day, hour, minute, sec = 9999, 12, 31, 23, 59, 59
	}
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	return append(b, 'Z', '"')
}

// appendDigits appends v, which is not negative, as n decimal digits.
func appendDigits(b []byte, v, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		div := 1
		for range i {
			div *= 10
		}
		b = append(b, byte('0'+v/div%10))
	}
	return b
}

// parseTime reads an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", an
// optional fraction of at most nine digits, and "Z" or an offset
// "+HH:MM" / "-HH:MM". It returns the time in UTC truncated to the
// second (the protocol's precision), and false for anything else,
// including leap seconds and instants outside the years 0000–9999.
func parseTime(s string) (time.Time, bool) {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout) {
		return time.Time{}, false
	}
	for i := range len(layout) {
		if layout[i] == 'd' && !isDigit(s[i]) || layout[i] != 'd' && layout[i] != s[i] {
			return time.Time{}, false
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range s[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[len(layout):]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 || n > 10 {
			return time.Time{}, false
		}
		rest = rest[n:]
	}
	offset := 0 // seconds east of UTC
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigit(rest[1]) && isDigit(rest[2]) &&
		rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5]):
		oh, om := int(rest[1]-'0')*10+int(rest[2]-'0'), int(rest[4]-'0')*10+int(rest[5]-'0')
		if oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Add(-time.Duration(offset) * time.Second)
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// daysIn returns the number of days in month of year (proleptic Gregorian).
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
