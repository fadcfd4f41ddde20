package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on user types and profiles.
const (
	MaxSchemaLen  = 64 << 10 // bytes of a type's JSON Schema
	MaxProfileLen = 64 << 10 // bytes of a profile's JSON
	MaxAttributes = 256      // attributes flagged on one type
)

// Sources of an attribute's value.
var sources = []string{"user", "admin", "import", "ldap", "idp"}

// Attribute holds the flags of one custom attribute, kept beside the
// schema of its type.
type Attribute struct {
	// Required attributes must be present and not empty.
	Required bool `json:"required,omitempty"`
	// Unique attributes have a distinct value for every user of the type
	// (strings compared after NFKC and case folding).
	Unique bool `json:"unique,omitempty"`
	// Sensitive attributes never appear in the system log, in logs or in
	// validation messages.
	Sensitive bool `json:"sensitive,omitempty"`
	// UserEditable attributes may be changed by the user; they never feed
	// a rule that grants access unless an admin says so.
	UserEditable bool `json:"user_editable,omitempty"`
	// Registration attributes are asked for at self-registration.
	Registration bool `json:"registration,omitempty"`
	// Source is where the value comes from: "user", "admin", "import",
	// "ldap" or "idp"; "" means "admin".
	Source string `json:"source,omitempty"`
}

// refuseLoader refuses every URL: schemas may only refer to themselves.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("remote references are not allowed: %s", url)
}

// schemaURL is the name a type's schema is compiled under.
const schemaURL = "urn:lintel:user-type"

// compileSchema checks a type's schema and compiles it (JSON Schema
// 2020-12 unless it says otherwise). It refuses remote references, a root
// that is not an object with bounded additional properties, and any
// string without maxLength or array without maxItems.
func compileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	if len(raw) > MaxSchemaLen {
		return nil, invalid.Field("schema", "must be at most %d bytes", MaxSchemaLen)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, invalid.Field("schema", "is not JSON: %v", err)
	}
	root, ok := doc.(map[string]any)
	if !ok || root["type"] != "object" {
		return nil, invalid.Field("schema", `must be an object schema ("type": "object")`)
	}
	if ap, ok := root["additionalProperties"]; !ok || ap == true {
		return nil, invalid.Field("schema", `must set "additionalProperties" to false or to a bounded schema`)
	}
	if err := checkBounded(doc, "#"); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, invalid.Field("schema", "%v", err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, invalid.Field("schema", "does not compile: %v", err)
	}
	return sch, nil
}

// Keywords whose value is a schema, a map of schemas or a list of schemas.
var (
	schemaKeys    = []string{"items", "additionalProperties", "contains", "not", "if", "then", "else", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema"}
	schemaMapKeys = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
	schemaSetKeys = []string{"prefixItems", "allOf", "anyOf", "oneOf"}
)

// checkBounded walks a schema and refuses strings without maxLength and
// arrays without maxItems. at is the JSON pointer of v, for the message.
func checkBounded(v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return nil // true or false
	}
	types := []any{m["type"]}
	if list, ok := m["type"].([]any); ok {
		types = list
	}
	if slices.Contains(types, "string") && m["maxLength"] == nil {
		return invalid.Field("schema", "string at %s must set maxLength", at)
	}
	if slices.Contains(types, "array") && m["maxItems"] == nil {
		return invalid.Field("schema", "array at %s must set maxItems", at)
	}
	for _, k := range schemaKeys {
		if err := checkBounded(m[k], at+"/"+k); err != nil {
			return err
		}
	}
	for _, k := range schemaMapKeys {
		sub, _ := m[k].(map[string]any)
		for name, s := range sub {
			if err := checkBounded(s, at+"/"+k+"/"+name); err != nil {
				return err
			}
		}
	}
	for _, k := range schemaSetKeys {
		list, _ := m[k].([]any)
		for i, s := range list {
			if err := checkBounded(s, fmt.Sprintf("%s/%s/%d", at, k, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkAttributes checks the flags of a type: each names a property of
// the schema's root and has a known source.
func checkAttributes(raw json.RawMessage, attrs map[string]Attribute) error {
	var root struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(raw, &root) // compileSchema parsed it already
	if len(attrs) > MaxAttributes {
		return invalid.Field("attributes", "must be at most %d", MaxAttributes)
	}
	var errs []error
	for name, a := range attrs {
		if _, ok := root.Properties[name]; !ok {
			errs = append(errs, invalid.Field("attributes."+name, "is not a property of the schema"))
		}
		if a.Source != "" && !slices.Contains(sources, a.Source) {
			errs = append(errs, invalid.Field("attributes."+name+".source", "must be one of %s", strings.Join(sources, ", ")))
		}
	}
	return errors.Join(errs...)
}
