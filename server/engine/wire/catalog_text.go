package wire

import "strings"

// Text renders message id with params given as name/value pairs, exactly
// as the server's locale Localizer does for the same catalog:
//
//   - An unknown ID renders as the ID itself.
//   - {name} is replaced by the value of the first pair named name; a
//     placeholder without a value renders as itself, "{name}"; "{{" is
//     a literal "{". Values are inserted as given, never parsed.
//   - With Isolate, each value is wrapped in U+2068 … U+2069.
//   - A plural message picks its category with the "count" param: an
//     integer ("3", "-1", "0042") picks Counts' category of its absolute
//     value (see Catalog); anything else ("1.5", "", "1e3"), a missing
//     count or a category the message lacks picks "other".
//   - An odd trailing name without a value is ignored.
func (c Catalog) Text(id string, params ...string) string {
	if t, ok := c.Messages[id]; ok {
		return render(t, c.Isolate, params)
	}
	forms, ok := c.Plurals[id]
	if !ok {
		return id
	}
	category := "other"
	if count, ok := lookup(params, "count"); ok {
		category = c.category(count)
	}
	t, ok := forms[category]
	if !ok {
		t = forms["other"]
	}
	return render(t, c.Isolate, params)
}

// category returns the plural category of the integer count, "other" for
// anything that is not an integer or that Counts does not reach.
func (c Catalog) category(count string) string {
	digits := strings.TrimPrefix(count, "-")
	if digits == "" {
		return "other"
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "other"
		}
	}
	digits = strings.TrimLeft(digits, "0")
	n := 0
	if len(digits) <= 6 {
		for i := 0; i < len(digits); i++ {
			n = n*10 + int(digits[i]-'0')
		}
	} else {
		// Too large to index Counts: only n % 100 matters (see Catalog).
		n = 1_000_000 + int(digits[len(digits)-2]-'0')*10 + int(digits[len(digits)-1]-'0')
	}
	if n >= len(c.Counts) {
		n = 100 + n%100
	}
	if n >= len(c.Counts) || c.Counts[n] == "" {
		return "other"
	}
	return c.Counts[n]
}

// Unicode directional isolates: FIRST STRONG ISOLATE and POP DIRECTIONAL
// ISOLATE, around each value in a right-to-left language.
const (
	isolateStart = "\u2068"
	isolateEnd   = "\u2069"
)

// render writes the template t with params: {name} placeholders replaced,
// "{{" as "{". A "{" that starts no placeholder (which catalogs do not
// hold: the server checks them) is written as it is.
func render(t string, isolate bool, params []string) string {
	if strings.IndexByte(t, '{') < 0 {
		return t
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		t = t[i:]
		if strings.HasPrefix(t, "{{") {
			b.WriteByte('{')
			t = t[2:]
			continue
		}
		end := strings.IndexByte(t, '}')
		if end < 0 || !placeholder(t[1:end]) {
			b.WriteByte('{')
			t = t[1:]
			continue
		}
		name := t[1:end]
		t = t[end+1:]
		v, ok := lookup(params, name)
		switch {
		case !ok:
			b.WriteString("{" + name + "}")
		case isolate:
			b.WriteString(isolateStart + v + isolateEnd)
		default:
			b.WriteString(v)
		}
	}
}

// placeholder reports whether name is a placeholder name: a lowercase
// letter, then lowercase letters, digits and underscores, 64 bytes at
// most.
func placeholder(name string) bool {
	if name == "" || len(name) > 64 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// lookup finds name in name/value pairs; the first pair wins.
func lookup(params []string, name string) (string, bool) {
	for i := 0; i+1 < len(params); i += 2 {
		if params[i] == name {
			return params[i+1], true
		}
	}
	return "", false
}
