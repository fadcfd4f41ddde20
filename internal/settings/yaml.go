package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeYAML applies the YAML document data, read from file, over c.
//
// The document is checked against Config before it is decoded, rather than
// with Decoder.KnownFields, so that errors name full key paths
// ("log.formt", not "field formt not found in type settings.Log"), every
// unknown key is reported at once, and wrong shapes are reported in YAML
// terms.
func decodeYAML(file string, data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil // empty, or only comments
	} else if err != nil {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: want one YAML document", file)
	}

	ck := checker{file: file, seen: map[seen]bool{}}
	if len(doc.Content) > 0 {
		ck.mapping(doc.Content[0], reflect.TypeFor[Config](), "")
	}
	if err := errors.Join(ck.errs...); err != nil {
		return err
	}
	if err := doc.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	return nil
}

// checker collects the problems of a YAML document against Config.
type checker struct {
	file string
	errs []error
	seen map[seen]bool
}

// seen marks a mapping already checked at a path, so that merge keys
// referring to their own ancestors cannot loop.
type seen struct {
	node *yaml.Node
	path string
}

func (ck *checker) errorf(n *yaml.Node, format string, args ...any) {
	ck.errs = append(ck.errs, fmt.Errorf("%s:%d:%d: "+format, append([]any{ck.file, n.Line, n.Column}, args...)...))
}

// mapping checks that n, a mapping for struct type t at path, has only keys
// t knows, each with a value of the right shape.
func (ck *checker) mapping(n *yaml.Node, t reflect.Type, path string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		what := "the document"
		if path != "" {
			what = path
		}
		ck.errorf(n, "%s: want a mapping, got %s", what, kindName(n))
		return
	}
	if ck.seen[seen{n, path}] {
		return
	}
	ck.seen[seen{n, path}] = true

	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			// A merge key brings in the keys of one or more mappings.
			if v = resolve(v); v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					ck.mapping(m, t, path)
				}
			} else {
				ck.mapping(v, t, path)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			ck.errorf(k, "%w: a key must be a string, got %s", ErrUnknownKey, kindName(k))
			continue
		}
		p := joinPath(path, k.Value)
		sf, ok := structField(t, k.Value)
		if !ok {
			hint := ""
			if s := closest(p, knownPaths()); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			ck.errorf(k, "%w %q%s", ErrUnknownKey, p, hint)
			continue
		}
		switch sf.Type.Kind() {
		case reflect.Struct:
			ck.mapping(v, sf.Type, p)
		case reflect.Slice:
			ck.list(v, p)
		default:
			ck.scalar(v, p)
		}
	}
}

func (ck *checker) scalar(n *yaml.Node, path string) {
	if n = resolve(n); n.Kind != yaml.ScalarNode {
		ck.errorf(n, "%s: want a single value, got %s", path, kindName(n))
	}
}

func (ck *checker) list(n *yaml.Node, path string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		ck.errorf(n, "%s: want a list, got %s", path, kindName(n))
		return
	}
	for i, item := range n.Content {
		ck.scalar(item, fmt.Sprintf("%s[%d]", path, i))
	}
}

// structField returns the field of t whose YAML key is name.
func structField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if sf := t.Field(i); yamlName(sf) == name {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// knownPaths returns every YAML path, of settings and of the mappings that
// hold them, as candidates for a suggestion.
func knownPaths() []string {
	var paths []string
	for _, f := range fields {
		for p := f.path; ; {
			paths = append(paths, p)
			i := strings.LastIndex(p, ".")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return paths
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	// YAML cannot anchor an alias, so one step is enough; the bound only
	// guards against a malformed tree.
	for range 8 {
		if n.Kind != yaml.AliasNode || n.Alias == nil {
			break
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return "a single value"
	}
	return "an alias"
}
