package authserver

import (
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// Reads of an expression, as listed by compiledClaim.reads: a field of
// `user` ("email"), a custom attribute ("profile.department"), or one of:
const (
	// readsUser: `user` is used as a whole (iterated, indexed by a
	// computed key, passed to a function), so the expression may depend on
	// every field.
	readsUser = "*"
	// readsProfile: `user.profile` is used as a whole.
	readsProfile = userProfile + ".*"
)

// editableUserFields are the fields of `user` a person may change
// themselves (the directory's self-service profile: display name, and
// email with verification). Like custom attributes flagged editable, they
// feed no claim without OverrideEditable.
var editableUserFields = map[string]bool{"email": true, "name": true}

// userReads lists what a checked expression reads of `user`, sorted:
// every `user.f` and `user["f"]` as "f", every `user.profile.a` and
// `user.profile["a"]` as "profile.a"; readsProfile when user.profile is
// used any other way, readsUser when user is.
func userReads(a *cel.Ast) []string {
	var reads []string
	note := func(r string) {
		if !slices.Contains(reads, r) {
			reads = append(reads, r)
		}
	}
	var userUses, userNamed, profileUses, profileNamed int
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if isIdent(e, varUser) {
			userUses++
		}
		if isUserField(e, userProfile) {
			profileUses++
		}
		operand, field, ok := fieldOf(e)
		if !ok {
			return
		}
		switch {
		case isIdent(operand, varUser):
			userNamed++
			note(field)
		case isUserField(operand, userProfile):
			profileNamed++
			note(userProfile + "." + field)
		}
	}))
	if userUses > userNamed {
		note(readsUser)
	}
	if profileUses > profileNamed {
		note(readsProfile)
	}
	slices.Sort(reads)
	return reads
}

// fieldOf returns the operand and field of `x.f` and `x["f"]`.
func fieldOf(e celast.Expr) (operand celast.Expr, field string, ok bool) {
	switch e.Kind() {
	case celast.SelectKind:
		s := e.AsSelect()
		return s.Operand(), s.FieldName(), true
	case celast.CallKind:
		c := e.AsCall()
		if c.FunctionName() != operators.Index || len(c.Args()) != 2 || c.Args()[1].Kind() != celast.LiteralKind {
			return nil, "", false
		}
		if s, isString := c.Args()[1].AsLiteral().(types.String); isString {
			return c.Args()[0], string(s), true
		}
	}
	return nil, "", false
}

func isIdent(e celast.Expr, name string) bool {
	return e != nil && e.Kind() == celast.IdentKind && e.AsIdent() == name
}

// isUserField reports whether e is `user.f` or `user["f"]`.
func isUserField(e celast.Expr, f string) bool {
	if e == nil {
		return false
	}
	operand, field, ok := fieldOf(e)
	return ok && field == f && isIdent(operand, varUser)
}

// editableReads returns what of reads a person may edit: the editable
// fields of user, and the custom attributes editable marks (readsProfile
// counts when any is editable; readsUser always counts, for it includes
// the editable fields).
func editableReads(reads []string, editable map[string]bool) []string {
	var out []string
	for _, r := range reads {
		switch {
		case r == readsUser || editableUserFields[r]:
			out = append(out, r)
		case r == readsProfile:
			for _, e := range editable {
				if e {
					out = append(out, r)
					break
				}
			}
		default:
			if attr, ok := strings.CutPrefix(r, userProfile+"."); ok && editable[attr] {
				out = append(out, r)
			}
		}
	}
	return out
}
