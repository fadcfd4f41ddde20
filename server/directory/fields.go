package directory

import (
	"reflect"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Kinds of an AttributeField: how a form asks for the value and how
// ParseAttribute reads it.
const (
	KindString  = "string"
	KindInteger = "integer"
	KindNumber  = "number"
	KindBoolean = "boolean"
	KindEnum    = "enum"
)

// BaseAttributes are the base profile fields a form may ask for, stored
// in their own columns rather than in User.Profile. The login and email
// are not among them: they are changed by their own, verified, paths.
var BaseAttributes = []string{"given_name", "family_name", "name", "phone", "locale"}

// baseFields describes the base attributes. They are never required by
// the directory, never sensitive, and editable by the person (see
// editableBase).
var baseFields = map[string]AttributeField{
	"given_name":  {Name: "given_name", Kind: KindString, MaxLength: MaxNameLen, Base: true, UserEditable: true},
	"family_name": {Name: "family_name", Kind: KindString, MaxLength: MaxNameLen, Base: true, UserEditable: true},
	"name":        {Name: "name", Kind: KindString, MaxLength: MaxNameLen, Base: true, UserEditable: true},
	"phone":       {Name: "phone", Kind: KindString, MaxLength: MaxPhoneLen, Base: true, UserEditable: true},
	"locale":      {Name: "locale", Kind: KindString, MaxLength: MaxLocaleLen, Base: true, UserEditable: true},
}

// AttributeField describes one attribute as a form field: what kind of
// value it holds and the flags that decide how it is asked and shown.
type AttributeField struct {
	// Name is the attribute's name: a base field or a custom attribute.
	Name string
	// Kind is KindString, KindInteger, KindNumber, KindBoolean or KindEnum.
	Kind string
	// Options are the allowed values of a KindEnum field, in schema order.
	Options []string
	// MaxLength bounds a KindString value, in characters; 0 when unbounded.
	MaxLength int
	// Base is set for a base profile field (see BaseAttributes).
	Base bool
	// Required, Sensitive and UserEditable come from the type's flags
	// (Required also from the schema's "required" list). Base fields are
	// not required, not sensitive and user-editable.
	Required, Sensitive, UserEditable bool
}

// maxRefDepth bounds the $ref chain Field follows to a property's schema.
const maxRefDepth = 16

// Field describes the attribute name of users of the type as a form
// field. Base fields (BaseAttributes) have fixed descriptions. A custom
// attribute is described from the property of that name of the schema's
// root: its "type" (one of string, integer, number or boolean, "null"
// aside), its "enum" (every value a string: KindEnum), its "maxLength",
// following "$ref"s; other keywords (patterns, ranges) are left to the
// schema's validation when the value is stored. ok is false for a name
// that is neither, and for a property a form cannot hold (objects,
// arrays, several types, a non-string enum).
func (t UserType) Field(name string) (f AttributeField, ok bool) {
	if f, ok := baseFields[name]; ok {
		return f, true
	}
	root := t.compiled
	if root == nil {
		if len(t.Schema) == 0 {
			return AttributeField{}, false
		}
		var err error
		if root, err = compileSchema(t.Schema); err != nil {
			return AttributeField{}, false
		}
	}
	prop := root.Properties[name]
	if prop == nil {
		return AttributeField{}, false
	}
	var types *jsonschema.Types
	var enum *jsonschema.Enum
	var maxLength *int
	for s, depth := prop, 0; s != nil && depth < maxRefDepth; s, depth = s.Ref, depth+1 {
		if types == nil {
			types = s.Types
		}
		if enum == nil {
			enum = s.Enum
		}
		if maxLength == nil {
			maxLength = s.MaxLength
		}
	}
	f = AttributeField{Name: name}
	switch {
	case enum != nil:
		f.Kind = KindEnum
		for _, v := range enum.Values {
			switch s := v.(type) {
			case string:
				f.Options = append(f.Options, s)
			case nil: // "null" leaves the attribute unset
			default:
				return AttributeField{}, false
			}
		}
		if len(f.Options) == 0 {
			return AttributeField{}, false
		}
	case types != nil:
		kinds := slices.DeleteFunc(types.ToStrings(), func(k string) bool { return k == "null" })
		if len(kinds) != 1 {
			return AttributeField{}, false
		}
		switch kinds[0] {
		case KindString, KindInteger, KindNumber, KindBoolean:
			f.Kind = kinds[0]
		default:
			return AttributeField{}, false
		}
		if f.Kind == KindString && maxLength != nil {
			f.MaxLength = *maxLength
		}
	default:
		return AttributeField{}, false
	}
	a := t.Attributes[name]
	f.Required = a.Required || slices.Contains(root.Required, name)
	f.Sensitive, f.UserEditable = a.Sensitive, a.UserEditable
	return f, true
}

// HasAttribute reports whether the user holds a value of the attribute
// name: a base field (BaseAttributes) that is not empty, or a custom
// attribute present in the profile and not empty (null, a string of
// only spaces, an empty list or object). false is a value: a boolean
// attribute set to false is held.
func (u User) HasAttribute(name string) bool {
	switch name {
	case "given_name":
		return u.GivenName != ""
	case "family_name":
		return u.FamilyName != ""
	case "name":
		return u.Name != ""
	case "phone":
		return u.Phone != ""
	case "locale":
		return u.Locale != ""
	}
	v, ok := u.Profile[name]
	if !ok || v == nil {
		return false
	}
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s) != ""
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Slice, reflect.Map:
		return r.Len() > 0
	}
	return true
}
