package dkim

import "strings"

// fold writes the DKIM-Signature field up to and including an empty b=,
// its lines at most MaxLineLen columns: tags separated by a space, a line
// folded (CRLF and a space) before a tag that does not fit, h= folded
// after a colon and bh= inside its base64 where needed. b= starts a line
// of its own so that the field hashed with an empty b= is exactly the
// signed field without its signature.
func fold(name string, tags, names []string, bh string) string {
	var b strings.Builder
	b.WriteString(name)
	col := len(name)
	put := func(tag string) {
		if col+1+len(tag) > MaxLineLen {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(" " + tag)
		col += 1 + len(tag)
	}
	for _, t := range tags {
		put(t + ";")
	}
	// h=: whole names, folding after a colon.
	for i, n := range names {
		tok := n
		switch {
		case i == 0:
			tok = "h=" + n
		}
		if i < len(names)-1 {
			tok += ":"
		} else {
			tok += ";"
		}
		if i == 0 {
			put(tok)
			continue
		}
		if col+len(tok) > MaxLineLen {
			b.WriteString("\r\n ")
			col = 1
		}
		b.WriteString(tok)
		col += len(tok)
	}
	b.WriteString("\r\n bh=")
	col = len(" bh=")
	v := foldValue(col, bh+";")
	b.WriteString(v)
	b.WriteString("\r\n b=")
	return b.String()
}

// foldValue breaks a base64 value (which may hold folding white space
// anywhere) so that no line passes MaxLineLen columns, the first line
// starting at column col.
func foldValue(col int, v string) string {
	var b strings.Builder
	for len(v) > 0 {
		n := min(MaxLineLen-col, len(v))
		if n <= 0 {
			b.WriteString("\r\n ")
			col = 1
			continue
		}
		b.WriteString(v[:n])
		v, col = v[n:], col+n
	}
	return b.String()
}

// lastLineLen is the length of s's last line.
func lastLineLen(s string) int {
	return len(s) - strings.LastIndex(s, "\n") - 1
}
