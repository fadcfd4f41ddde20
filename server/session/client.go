package session

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/useragent"
)

// MaxUserAgentLen bounds the User-Agent a session records, in bytes; a
// longer one is cut at a character boundary.
const MaxUserAgentLen = 256

// clientIP returns the client's address in ctx as text ("" when there is
// none). IPv6 addresses are kept whole (not their /64): the value is shown,
// not matched.
func clientIP(ctx context.Context) string {
	a := clientip.From(ctx)
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().WithZone("").String()
}

// userAgent returns the User-Agent in ctx made safe to store and show:
// invalid UTF-8 replaced, control characters dropped (PostgreSQL text
// refuses NUL), surrounding space trimmed, and cut to MaxUserAgentLen
// bytes without splitting a character. A header of any size costs at most
// MaxUserAgentLen characters of work.
func userAgent(ctx context.Context) string {
	ua := useragent.From(ctx)
	var b strings.Builder
	for _, r := range ua { // an invalid byte reads as utf8.RuneError, U+FFFD
		if unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > MaxUserAgentLen {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
