package pagetemplate

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// MaxSize is the largest page template Compile accepts, in bytes: a page
// is markup and CSS, its images and scripts live on the brand's origins.
const MaxSize = 64 << 10

// Attribute names the source pass adds to the tree, removed before the
// page is rendered. Both start with reserved, which a page cannot contain,
// so no attribute of the designer's can be taken for one of them.
const (
	reserved = "__lintel_"
	// lineAttr carries the source line of each start tag, since the
	// parser's tree has no positions.
	lineAttr = reserved + "line"
	// slotAttr marks a <template> that was a <lintel-slot>, with its line.
	slotAttr = reserved + "slot"
)

// checkSource refuses what must be refused before parsing: a page too big,
// not UTF-8, or using the reserved text (which could forge the markers).
// A page that fails here is not parsed, so its other problems show after
// these are fixed.
func checkSource(src string, ps *problems) {
	if len(src) > MaxSize {
		ps.add(0, "the page is %d bytes; at most %d (64 KiB) are allowed: keep images and scripts on your origins", len(src), MaxSize)
		return
	}
	if !utf8.ValidString(src) {
		ps.add(lineAt(src, firstInvalidUTF8(src)), "the page is not UTF-8 text; save it as UTF-8")
		return
	}
	lower := asciiLower(src)
	for off := 0; ; {
		i := strings.Index(lower[off:], reserved)
		if i < 0 {
			return
		}
		ps.add(lineAt(src, off+i), "the text __LINTEL_ is reserved for Lintel's own markers and cannot appear in a page")
		off += i + len(reserved)
	}
}

// asciiLower lowers ASCII letters only, as the HTML tokenizer does, and
// keeps every byte offset of s.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// firstInvalidUTF8 returns the offset of the first byte that is not UTF-8.
func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return i
			}
		}
	}
	return len(s)
}

// lineAt returns the 1-based line of byte offset off in s.
func lineAt(s string, off int) int {
	return 1 + newlines([]byte(s[:off]))
}

// newlines counts line ends as HTML does: LF, CR LF and a lone CR.
func newlines(b []byte) int {
	return bytes.Count(b, []byte{'\n'}) + bytes.Count(b, []byte{'\r'}) - bytes.Count(b, []byte("\r\n"))
}

// annotate rewrites src for the parser, token by token:
//
//   - every start tag gets lineAttr, its line, so that problems found on
//     the tree can name a line;
//   - <lintel-slot> gets slotAttr, its line, in place of lineAttr, and a
//     self-closing <lintel-slot/> is closed at once (HTML ignores the
//     slash on an unknown element, which would swallow the rest of the
//     page);
//   - <lintel-slot name="head"> becomes a <template>: the parser moves an
//     unknown element out of <head>, closing it, but keeps a <template>
//     there. The other slots stay unknown elements, which the parser puts
//     in <body> as a browser would.
//
// Everything else is copied byte for byte. The tokenizer here runs without
// the parser's context (foreign content, scripting), so in rare places it
// may read a tag where the parser reads text, or the reverse; the tree is
// still what Compile validates and renders, so such a place can only lose
// a line number or fail validation, never pass unchecked.
func annotate(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	b.Grow(len(src) + len(src)/4)
	line := 1
	head := false // a head slot's <template> is open
	for {
		tt := z.Next()
		raw := z.Raw()
		at := line
		line += newlines(raw)
		switch tt {
		case html.ErrorToken:
			b.Write(raw)
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			mark := html.Attribute{Key: lineAttr, Val: strconv.Itoa(at)}
			if tok.Data == "lintel-slot" {
				mark.Key = slotAttr
				tok.Type = html.StartTagToken
				for _, a := range tok.Attr {
					if a.Key == "name" && a.Val == SlotHead {
						tok.Data = "template"
					}
				}
				tok.Attr = append([]html.Attribute{mark}, tok.Attr...)
				b.WriteString(tok.String())
				if tt == html.SelfClosingTagToken {
					b.WriteString("</" + tok.Data + ">")
				}
				head = head || tok.Data == "template" && tt == html.StartTagToken
				continue
			}
			tok.Attr = append(tok.Attr, mark)
			b.WriteString(tok.String())
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "lintel-slot" && head {
				// Only the head slot is a template, and a slot holds
				// nothing, so this end tag closes the head slot.
				b.WriteString("</template>")
				head = false
				continue
			}
			b.Write(raw)
		default:
			b.Write(raw)
		}
	}
}
