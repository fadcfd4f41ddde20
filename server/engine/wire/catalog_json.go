package wire

// AppendJSON appends the JSON encoding of c to b and returns the result:
//
//	{"lang":"ar","dir":"rtl","isolate":true,"messages":{"id":"text",…},
//	 "plurals":{"id":{"one":"…","other":"…"},…},"counts":["other","one",…]}
//
// lang is always written; the other members only when not empty. Message
// IDs and category names are written in byte order, so the output of a
// catalog is always the same bytes.
func (c Catalog) AppendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("lang", c.Lang)
	o.optStr("dir", c.Dir)
	o.optBool("isolate", c.Isolate)
	if len(c.Messages) > 0 {
		o.key("messages")
		o.b = appendStrings(o.b, c.Messages)
	}
	if len(c.Plurals) > 0 {
		o.key("plurals")
		m := beginObject(o.b)
		for _, id := range sortedKeys(c.Plurals) {
			m.key(id)
			m.b = appendStrings(m.b, c.Plurals[id])
		}
		o.b = m.end()
	}
	if len(c.Counts) > 0 {
		o.key("counts")
		o.b = appendList(o.b, c.Counts, func(s string, b []byte) []byte { return appendString(b, s) })
	}
	return o.end()
}

// appendStrings appends m as a JSON object of strings, keys in byte order.
// Keys that are not UTF-8 are scrubbed as appendString writes them; a key
// that scrubs to one written already is left out, so the output always
// decodes.
func appendStrings(b []byte, m map[string]string) []byte {
	o := beginObject(b)
	seen := make(map[string]bool, len(m))
	for _, k := range sortedKeys(m) {
		if s := scrub(k); !seen[s] {
			seen[s] = true
			o.str(s, m[k])
		}
	}
	return o.end()
}

// sortedKeys returns m's keys in byte order (a merge sort: the package
// imports no sort).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	mergeSort(keys, make([]string, len(keys)))
	return keys
}

func mergeSort(s, tmp []string) {
	if len(s) < 2 {
		return
	}
	mid := len(s) / 2
	mergeSort(s[:mid], tmp[:mid])
	mergeSort(s[mid:], tmp[mid:])
	copy(tmp, s)
	i, j, k := 0, mid, 0
	for i < mid && j < len(s) {
		if tmp[j] < tmp[i] {
			s[k] = tmp[j]
			j++
		} else {
			s[k] = tmp[i]
			i++
		}
		k++
	}
	k += copy(s[k:], tmp[i:mid])
	copy(s[k:], tmp[j:len(s)])
}

// ParseCatalog decodes a Catalog from JSON (the shape AppendJSON
// writes). lang is required; messages is an object of strings, plurals an
// object of objects of strings, counts an array of strings. Unknown
// members are ignored; null stands for an absent member. Empty objects
// and arrays decode to nil maps and slices (an empty plural message to a
// nil map under its ID). Errors wrap ErrSyntax, ErrTooLarge, ErrTooDeep,
// ErrDuplicateKey, ErrMissing or ErrType. The texts are not checked as
// templates: Text renders whatever it is given.
func ParseCatalog(data []byte) (Catalog, error) {
	var c Catalog
	hasLang := false
	err := decode(data, func(d *decoder) error {
		return d.object(func(key string) error {
			switch key {
			case "lang":
				hasLang = true
				return d.string(&c.Lang)
			case "dir":
				return d.string(&c.Dir)
			case "isolate":
				return d.boolean(&c.Isolate)
			case "messages":
				return d.strings(&c.Messages)
			case "plurals":
				return d.object(func(id string) error {
					var forms map[string]string
					if err := d.strings(&forms); err != nil {
						return err
					}
					if c.Plurals == nil {
						c.Plurals = make(map[string]map[string]string)
					}
					c.Plurals[id] = forms
					return nil
				})
			case "counts":
				return list(d, &c.Counts, func(s *string, d *decoder) error { return d.string(s) })
			}
			return d.skip()
		})
	})
	if err == nil && !hasLang {
		err = errPath(ErrMissing, "lang", "")
	}
	if err != nil {
		return Catalog{}, err
	}
	return c, nil
}

// strings reads an object of strings into *dst, made when the object has
// a member; members whose value is null are left out.
func (d *decoder) strings(dst *map[string]string) error {
	return d.object(func(k string) error {
		var v string
		if err := d.string(&v); err != nil {
			return err
		}
		if *dst == nil {
			*dst = make(map[string]string)
		}
		(*dst)[k] = v
		return nil
	})
}
