package emailtemplates

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	texttemplate "text/template"
	tparse "text/template/parse"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/locales"
)

// Templates call these functions:
//
//	t id name value…  the catalog's message id in the email's language,
//	                  with parameters as name/value pairs (values are
//	                  strings or integers): {{t "mail.common.sent_by" "brand" .Brand}}.
//	                  The localizer isolates values in right-to-left
//	                  languages and picks a plural form by "count". An ID
//	                  the catalog lacks fails the rendering.
//	plural n          the CLDR cardinal plural category of the integer n
//	                  in the email's language: "zero", "one", "two",
//	                  "few", "many" or "other"
//	factor type       the catalog's name of an authenticator type
//	                  (authenticator.<type>: "Passkey"), or the generic
//	                  "Verification method" for another value
//	isolate s         s between FIRST STRONG ISOLATE (U+2068) and POP
//	                  DIRECTIONAL ISOLATE (U+2069), so that a name keeps
//	                  its own direction inside right-to-left text
//
// t, plural and factor depend on the email's language, while a parsed
// template is shared by every language and goroutine: bind rewrites
// their calls into method calls on the data ({{$.L.T …}}), which
// carries the language's localizer. The functions in funcMap stand in
// for them at parse time only.

// boundMethod returns the translator method that serves function name,
// if bind rewrites its calls.
func boundMethod(name string) (string, bool) {
	switch name {
	case "t":
		return "T", true
	case "plural":
		return "Plural", true
	case "factor":
		return "Factor", true
	}
	return "", false
}

// errUnbound is what a bound function returns if bind missed a call; a
// test keeps it from happening.
var errUnbound = errors.New("emailtemplates: function called without a language")

// funcMap returns the functions templates may call (see above).
func funcMap() texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"t":       func(string, ...any) (string, error) { return "", errUnbound },
		"plural":  func(int) (string, error) { return "", errUnbound },
		"factor":  func(string) (string, error) { return "", errUnbound },
		"isolate": isolate,
	}
}

// bind rewrites every call of t, plural and factor in tree into the
// method of the data's translator: {{t "id"}} runs as {{$.L.T "id"}}.
func bind(tree *tparse.Tree) {
	if tree != nil && tree.Root != nil {
		bindNode(tree.Root)
	}
}

func bindNode(n tparse.Node) {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			bindNode(c)
		}
	case *tparse.ActionNode:
		bindNode(n.Pipe)
	case *tparse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			bindNode(c)
		}
	case *tparse.CommandNode:
		for i, a := range n.Args {
			if id, ok := a.(*tparse.IdentifierNode); ok {
				if m, ok := boundMethod(id.Ident); ok {
					n.Args[i] = &tparse.VariableNode{NodeType: tparse.NodeVariable, Pos: id.Pos, Ident: []string{"$", "L", m}}
				}
				continue
			}
			bindNode(a)
		}
	case *tparse.ChainNode:
		bindNode(n.Node)
	case *tparse.IfNode:
		bindBranch(&n.BranchNode)
	case *tparse.WithNode:
		bindBranch(&n.BranchNode)
	case *tparse.RangeNode:
		bindBranch(&n.BranchNode)
	case *tparse.TemplateNode:
		bindNode(n.Pipe)
	}
}

func bindBranch(b *tparse.BranchNode) {
	bindNode(b.Pipe)
	bindNode(b.List)
	bindNode(b.ElseList)
}

// translator gives templates the email's language: its localizer (with
// a tenant's texts) for t and factor, and the language whose plural
// rules plural follows. Templates reach it as $.L through bind.
type translator struct {
	l   *locales.Localizer
	tag language.Tag
}

// T renders message id with params given as name/value pairs; a value
// is a string or an integer (formatted in ASCII digits). An unknown ID,
// an odd number of params, a name that is not a string or a value of
// another type is an error, which stops the rendering.
func (tr translator) T(id string, params ...any) (string, error) {
	if !tr.l.Has(id) {
		return "", fmt.Errorf("t: %q is not a message ID of the catalog", cut(id, maxLangLen))
	}
	if len(params)%2 != 0 {
		return "", fmt.Errorf("t %s: parameters come in name/value pairs", id)
	}
	ps := make([]string, len(params))
	for i, p := range params {
		switch v := p.(type) {
		case string:
			ps[i] = v
		case int:
			ps[i] = strconv.Itoa(v)
		case int64:
			ps[i] = strconv.FormatInt(v, 10)
		default:
			return "", fmt.Errorf("t %s: parameter %d is a %T, not a string or an integer", id, i+1, p)
		}
		if i%2 == 0 && ps[i] == "" {
			return "", fmt.Errorf("t %s: parameter %d: an empty name", id, i+1)
		}
	}
	return tr.l.Text(id, ps...), nil
}

// Plural returns the CLDR plural category of n in the email's language.
func (tr translator) Plural(n int) string { return pluralCategory(tr.tag, n) }

// Factor returns the name of authenticator type typ in the email's
// language.
func (tr translator) Factor(typ string) string {
	if id := "authenticator." + typ; typ != "" && tr.l.Has(id) {
		return tr.l.Text(id)
	}
	return tr.l.Text("field.authenticator.label")
}

// pluralCategory returns the CLDR cardinal plural category of the
// integer n (its absolute value) in tag.
func pluralCategory(tag language.Tag, n int) string {
	if n < 0 {
		if n == math.MinInt {
			return "other"
		}
		n = -n
	}
	switch plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// isolate wraps s in Unicode directional isolates (U+2068 … U+2069).
func isolate(s string) string { return "\u2068" + s + "\u2069" }
