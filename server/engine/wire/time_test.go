package wire

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// The hand-written conversions of time.go checked against package time,
// which the tests may link.

// timeString is what appendTime must write for sec, by package time.
func timeString(sec int64) string {
	return `"` + time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05Z") + `"`
}

// checkUnix checks both conversions at sec, which is within 0000–9999.
func checkUnix(t *testing.T, sec int64) {
	t.Helper()
	u := time.Unix(sec, 0).UTC()
	year, month, day := u.Date()
	if y, m, d := civilFromDays(floorDiv(sec, 86400)); y != year || m != int(month) || d != day {
		t.Fatalf("civilFromDays(%d) = %04d-%02d-%02d, want %s", floorDiv(sec, 86400), y, m, d, u.Format(time.DateOnly))
	}
	if got := daysFromCivil(year, int(month), day); got != floorDiv(sec, 86400) {
		t.Fatalf("daysFromCivil(%s) = %d, want %d", u.Format(time.DateOnly), got, floorDiv(sec, 86400))
	}
	want := timeString(sec)
	if got := string(appendTime(nil, sec)); got != want {
		t.Fatalf("appendTime(%d) = %s, want %s", sec, got, want)
	}
	if got, ok := parseTime(want[1 : len(want)-1]); !ok || got != sec {
		t.Fatalf("parseTime(%s) = %d, %v, want %d", want, got, ok, sec)
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func TestTimeAgreesWithPackageTime(t *testing.T) {
	date := func(y int, m time.Month, d, hh, mm, ss int) int64 {
		return time.Date(y, m, d, hh, mm, ss, 0, time.UTC).Unix()
	}
	if got := date(0, 1, 1, 0, 0, 0); got != minUnix {
		t.Fatalf("minUnix = %d, want %d", int64(minUnix), got)
	}
	if got := date(9999, 12, 31, 23, 59, 59); got != maxUnix {
		t.Fatalf("maxUnix = %d, want %d", int64(maxUnix), got)
	}

	// The edges of the range, of the Unix epoch and of 400-year eras.
	for _, sec := range []int64{minUnix, minUnix + 1, maxUnix - 1, maxUnix, -86401, -86400, -86399, -1, 0, 1, 86399, 86400} {
		checkUnix(t, sec)
	}
	// Around every year's end, February's end and leap day, and the
	// centuries (leap in 0000, 0400, …, 2000; not in 1700, 1800, 1900, 2100).
	for y := 0; y <= 9999; y++ {
		for _, sec := range []int64{date(y, 1, 1, 0, 0, 0), date(y, 3, 1, 0, 0, 0), date(y, 12, 31, 23, 59, 59)} {
			for _, d := range []int64{-86400, -1, 0, 1, 86400} {
				if s := sec + d; s >= minUnix && s <= maxUnix {
					checkUnix(t, s)
				}
			}
		}
	}
	// Every day of the range, walked by the calendar (daysIn), both ways.
	days := floorDiv(minUnix, 86400)
	for y := 0; y <= 9999; y++ {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= daysIn(m, y); d++ {
				if gy, gm, gd := civilFromDays(days); gy != y || gm != m || gd != d {
					t.Fatalf("civilFromDays(%d) = %04d-%02d-%02d, want %04d-%02d-%02d", days, gy, gm, gd, y, m, d)
				}
				if got := daysFromCivil(y, m, d); got != days {
					t.Fatalf("daysFromCivil(%04d-%02d-%02d) = %d, want %d", y, m, d, got, days)
				}
				days++
			}
		}
	}
	if days != floorDiv(maxUnix, 86400)+1 {
		t.Fatalf("the walk ends on day %d, want %d", days, floorDiv(maxUnix, 86400)+1)
	}
	// Every 997th day against package time, at a second that varies.
	for days := floorDiv(minUnix, 86400); days <= floorDiv(maxUnix, 86400); days += 997 {
		checkUnix(t, days*86400+(days*7919%86400+86400)%86400)
	}
	// Random seconds.
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		checkUnix(t, minUnix+r.Int64N(maxUnix-minUnix+1))
	}
}

func TestTimeClamps(t *testing.T) {
	for _, tt := range []struct {
		sec  int64
		want string
	}{
		{math.MinInt64, `"0000-01-01T00:00:00Z"`},
		{minUnix - 1, `"0000-01-01T00:00:00Z"`},
		{maxUnix + 1, `"9999-12-31T23:59:59Z"`},
		{math.MaxInt64, `"9999-12-31T23:59:59Z"`},
	} {
		if got := string(appendTime(nil, tt.sec)); got != tt.want {
			t.Errorf("appendTime(%d) = %s, want %s", tt.sec, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		s    string
		want int64 // -1<<63 for refused
	}{
		{"2026-03-01T12:00:05Z", 1772366405},
		{"2026-03-01T12:00:05.999999999Z", 1772366405},
		{"2026-03-01T12:00:05.5+01:00", 1772362805},
		{"2026-03-01T12:00:05-23:59", 1772366405 + 23*3600 + 59*60},
		{"1969-12-31T23:59:59.9Z", -1},
		{"2000-02-29T00:00:00Z", 951782400},
		{"1900-02-28T23:59:59Z", -2203891201},
		{"0000-02-29T12:00:00Z", -62162078400},
		{"0000-01-01T00:00:00Z", minUnix},
		{"0000-01-01T00:00:00-00:01", minUnix + 60},
		{"9999-12-31T23:59:59Z", maxUnix},
		{"9999-12-31T23:59:59+00:01", maxUnix - 60},
		{"0000-01-01T00:00:00+00:01", math.MinInt64}, // before year 0 in UTC
		{"9999-12-31T23:59:59-00:01", math.MinInt64}, // after 9999 in UTC
		{"2026-03-01T12:00:60Z", math.MinInt64},      // leap second
		{"2016-12-31T23:59:60Z", math.MinInt64},      // a real one
		{"1900-02-29T00:00:00Z", math.MinInt64},
		{"2100-02-29T00:00:00Z", math.MinInt64},
		{"2026-04-31T00:00:00Z", math.MinInt64},
		{"2026-13-01T00:00:00Z", math.MinInt64},
		{"2026-00-01T00:00:00Z", math.MinInt64},
		{"2026-01-00T00:00:00Z", math.MinInt64},
		{"2026-01-01T24:00:00Z", math.MinInt64},
		{"2026-01-01T00:60:00Z", math.MinInt64},
		{"2026-01-01T00:00:00.Z", math.MinInt64},
		{"2026-01-01T00:00:00.1234567890Z", math.MinInt64},
		{"2026-01-01T00:00:00+24:00", math.MinInt64},
		{"2026-01-01T00:00:00+01:60", math.MinInt64},
		{"2026-01-01T00:00:00+0100", math.MinInt64},
		{"2026-01-01T00:00:00z", math.MinInt64},
		{"2026-01-01t00:00:00Z", math.MinInt64},
		{"2026-01-01 00:00:00Z", math.MinInt64},
		{"2026-01-01T00:00:00", math.MinInt64},
		{"2026-01-01T00:00:00ZZ", math.MinInt64},
		{"+2026-01-01T00:00:00Z", math.MinInt64},
		{"", math.MinInt64},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.s)
		if tt.want == math.MinInt64 {
			if ok {
				t.Errorf("parseTime(%q) = %d, want refused", tt.s, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("parseTime(%q) = %d, %v, want %d", tt.s, got, ok, tt.want)
		}
	}
}

// TestParseTimeAgreesWithPackageTime reads random date-times with
// fractions and offsets, and compares with what package time makes of
// their parts.
func TestParseTimeAgreesWithPackageTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pad := func(v, n int) string {
		s := strconv.Itoa(v)
		for len(s) < n {
			s = "0" + s
		}
		return s
	}
	for range 100000 {
		year, month := r.IntN(10000), 1+r.IntN(12)
		day := 1 + r.IntN(daysIn(month, year))
		if r.IntN(8) == 0 { // often at a month's end
			day = daysIn(month, year)
		}
		hour, minute, sec := r.IntN(24), r.IntN(60), r.IntN(60)
		s := pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(sec, 2)
		if n := r.IntN(10); n > 0 { // up to nine digits
			s += "." + pad(r.IntN(1000000000), 9)[:n]
		}
		offset := 0
		if r.IntN(4) == 0 {
			s += "Z"
		} else {
			oh, om := r.IntN(24), r.IntN(60)
			sign := "+"
			offset = oh*3600 + om*60
			if r.IntN(2) == 0 {
				sign, offset = "-", -offset
			}
			s += sign + pad(oh, 2) + ":" + pad(om, 2)
		}
		want := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Add(-time.Duration(offset) * time.Second)
		got, ok := parseTime(s)
		if y := want.Year(); y < 0 || y > 9999 {
			if ok {
				t.Fatalf("parseTime(%q) = %d, want refused (year %d in UTC)", s, got, y)
			}
			continue
		}
		if !ok || got != want.Unix() {
			t.Fatalf("parseTime(%q) = %d, %v, want %d (%s)", s, got, ok, want.Unix(), want.Format(time.RFC3339))
		}
		if p, err := time.Parse(time.RFC3339Nano, s); err != nil || p.Unix() != got {
			t.Fatalf("parseTime(%q) = %d; time.Parse: %d, %v", s, got, p.Unix(), err)
		}
	}
}

// FuzzParseTime checks that whatever parseTime accepts, time.Parse reads
// as the same second, and that appendTime writes it back as its UTC form.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-01T12:00:05Z", "0000-01-01T00:00:00.123456789+00:00", "9999-12-31T23:59:59-23:59",
		"2000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2016-12-31T23:59:60Z", "2026-01-01T00:00:00+0100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime(s)
		if !ok {
			return
		}
		p, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || p.Unix() != got {
			t.Fatalf("parseTime(%q) = %d; time.Parse: %d, %v", s, got, p.Unix(), err)
		}
		if b, want := string(appendTime(nil, got)), timeString(got); b != want {
			t.Fatalf("appendTime(%d) = %s, want %s", got, b, want)
		}
	})
}
