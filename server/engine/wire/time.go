package wire

// Times travel as RFC 3339 strings in UTC with whole seconds, such as
// "2026-03-01T12:00:05Z", and are held as Unix time in seconds. They are
// converted by hand, without package time: linking it into the wasm
// widget costs about 41 KB brotli (time, internal/godebug and
// internal/bisect). The calendar is the proleptic Gregorian one, days are
// 86,400 seconds (no leap seconds), as in package time.

// The range RFC 3339 can write: 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z, in Unix seconds.
const (
	minUnix = -62167219200
	maxUnix = 253402300799
)

// appendTime appends the Unix time sec as a JSON string in UTC. Instants
// outside the years 0000–9999, which RFC 3339 cannot write, are clamped to
// the first or last second it can.
func appendTime(b []byte, sec int64) []byte {
	sec = max(minUnix, min(sec, maxUnix))
	days := sec / 86400
	rem := int(sec - days*86400)
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	year, month, day := civilFromDays(days)
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, month, 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, rem/3600, 2)
	b = append(b, ':')
	b = appendDigits(b, rem/60%60, 2)
	b = append(b, ':')
	b = appendDigits(b, rem%60, 2)
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
// "+HH:MM" / "-HH:MM". It returns the Unix time truncated to the second
// (the protocol's precision), and false for anything else, including
// leap seconds and instants outside the years 0000–9999 in UTC.
func parseTime(s string) (int64, bool) {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout) {
		return 0, false
	}
	for i := range len(layout) {
		if layout[i] == 'd' && !isDigit(s[i]) || layout[i] != 'd' && layout[i] != s[i] {
			return 0, false
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
		return 0, false
	}
	rest := s[len(layout):]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 || n > 10 {
			return 0, false
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
			return 0, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	if t < minUnix || t > maxUnix {
		return 0, false
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

// The two conversions below count in eras of 400 years (146,097 days),
// each starting on 1 March, so that a leap day is the last day of its
// year: the algorithms of Howard Hinnant, "chrono-Compatible Low-Level
// Date Algorithms". 719,468 is the number of days from 0000-03-01 to
// 1970-01-01.

// daysFromCivil returns the number of days from 1970-01-01 to the date
// year-month-day (proleptic Gregorian; month 1–12, day 1–31).
func daysFromCivil(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era-- // floor
	}
	yoe := y - era*400 // [0, 399]
	m := int64(month) + 9
	if month > 2 {
		m = int64(month) - 3
	}
	doy := (153*m+2)/5 + int64(day) - 1    // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

// civilFromDays returns the date days after 1970-01-01 (proleptic
// Gregorian), the inverse of daysFromCivil.
func civilFromDays(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era-- // floor
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if mp >= 10 {
		month = int(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}
