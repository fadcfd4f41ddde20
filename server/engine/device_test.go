package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDeviceSummary(t *testing.T) {
	for _, tc := range []struct{ ua, want string }{
		{firefox, "Firefox on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36", "Chrome on Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0", "Edge on Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15", "Safari on macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"},
		{"Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/138.0 Mobile/15E148 Safari/604.1", "Chrome on iPad"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
		{"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Mobile Safari/537.36 OPR/90.0", "Opera on Android"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36", "Chrome on ChromeOS"},
		{"curl/8.5.0", ""},
		{"Mozilla/5.0 (X11; Linux x86_64)", "Linux"},
		{"Firefox/140.0", "Firefox"},
		{"", ""},
		{"<script>alert(1)</script> Firefox/1 on Linux", "Firefox on Linux"},
	} {
		if got := deviceSummary(tc.ua); got != tc.want {
			t.Errorf("deviceSummary(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
}

// summaryWords is every word deviceSummary may write.
var summaryWords = func() map[string]bool {
	m := map[string]bool{"on": true}
	for _, s := range []string{"Edge Opera Samsung Internet Firefox Chrome Chromium Safari", "iPhone iPad iPod Android ChromeOS Windows macOS Linux FreeBSD OpenBSD"} {
		for _, w := range strings.Fields(s) {
			m[w] = true
		}
	}
	return m
}()

// FuzzDeviceSummary: any header gives a short summary of known words
// only, the same every time, and reads no more than maxUserAgentScan.
func FuzzDeviceSummary(f *testing.F) {
	f.Add(firefox)
	f.Add("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) Version/18.5 Safari/604.1")
	f.Add(strings.Repeat("A", maxUserAgentScan) + "Firefox/1")
	f.Add("\xff\xfe Chrome/ Windows")
	f.Fuzz(func(t *testing.T, ua string) {
		got := deviceSummary(ua)
		if got != deviceSummary(ua) {
			t.Fatal("not deterministic")
		}
		if len(got) > 40 || !utf8.ValidString(got) {
			t.Fatalf("summary %q", got)
		}
		for _, w := range strings.Fields(got) {
			if !summaryWords[w] {
				t.Fatalf("summary %q holds %q", got, w)
			}
		}
		if len(ua) > maxUserAgentScan && got != deviceSummary(ua[:maxUserAgentScan]) {
			t.Fatal("read past the bound")
		}
	})
}
