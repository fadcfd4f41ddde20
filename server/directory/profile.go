package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

var printer = message.NewPrinter(language.English)

// checkProfile validates a profile against the type's schema and flags and
// returns its JSON. Each problem is an *invalid.Error naming the field
// path ("profile.address.city") and the rule that failed; for a sensitive
// attribute the message names only the rule, never the value.
func (t UserType) checkProfile(profile map[string]any) ([]byte, error) {
	if profile == nil {
		profile = map[string]any{}
	}
	raw, err := json.Marshal(profile)
	if err != nil {
		return nil, invalid.Field("profile", "is not JSON: %v", err)
	}
	if len(raw) > MaxProfileLen {
		return nil, invalid.Field("profile", "must be at most %d bytes of JSON", MaxProfileLen)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, invalid.Field("profile", "is not JSON: %v", err)
	}
	var errs []error
	for name, a := range t.Attributes {
		if v, ok := profile[name]; a.Required && (!ok || v == nil || v == "") {
			errs = append(errs, invalid.Field("profile."+name, "is required"))
		}
	}
	var ve *jsonschema.ValidationError
	if err := t.compiled.Validate(inst); errors.As(err, &ve) {
		errs = append(errs, t.schemaErrors(ve)...)
	} else if err != nil {
		return nil, fmt.Errorf("directory: validate profile: %w", err)
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return raw, errors.Join(errs...)
}

// schemaErrors turns the leaves of a validation error into field errors.
func (t UserType) schemaErrors(ve *jsonschema.ValidationError) []error {
	if len(ve.Causes) > 0 {
		var errs []error
		for _, c := range ve.Causes {
			errs = append(errs, t.schemaErrors(c)...)
		}
		return errs
	}
	field := strings.Join(append([]string{"profile"}, ve.InstanceLocation...), ".")
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		var errs []error
		for _, m := range k.Missing {
			errs = append(errs, invalid.Field(field+"."+m, "fails required: is missing"))
		}
		return errs
	case *kind.AdditionalProperties:
		var errs []error
		for _, p := range k.Properties {
			errs = append(errs, invalid.Field(field+"."+p, "fails additionalProperties: is not an attribute of the type"))
		}
		return errs
	}
	rule := "schema"
	if kw := ve.ErrorKind.KeywordPath(); len(kw) > 0 {
		rule = kw[len(kw)-1]
	}
	if len(ve.InstanceLocation) > 0 && t.Attributes[ve.InstanceLocation[0]].Sensitive {
		return []error{invalid.Field(field, "fails %s", rule)}
	}
	return []error{invalid.Field(field, "fails %s: %s", rule, ve.ErrorKind.LocalizedString(printer))}
}

// uniqueValues returns the normalized values of the attributes flagged
// unique that profile holds, by attribute.
func (t UserType) uniqueValues(profile map[string]any) map[string]string {
	out := map[string]string{}
	for name, a := range t.Attributes {
		v, ok := profile[name]
		if !a.Unique || !ok || v == nil {
			continue
		}
		if s, ok := v.(string); ok {
			out[name] = "s:" + fold(s)
		} else if b, err := json.Marshal(v); err == nil {
			out[name] = "j:" + string(b)
		}
	}
	return out
}

// setUniqueValues replaces the unique attribute values of a user: a
// value another user of the type holds is a conflict naming the
// attribute, found before anything is written.
func setUniqueValues(ctx context.Context, tx store.Tx, t UserType, userID string, vals map[string]string) error {
	for attr, v := range vals {
		var owner string
		err := tx.QueryRow(ctx, `SELECT user_id FROM user_unique_attrs WHERE tenant_id = ? AND type_id = ? AND attr = ? AND value_norm = ?`,
			t.TenantID, t.ID, attr, v).Scan(&owner)
		switch {
		case err == nil && owner != userID:
			return conflict("profile."+attr, "another user of the type has this value")
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("directory: check unique attribute: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM user_unique_attrs WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("directory: clear unique attributes: %w", err)
	}
	for attr, v := range vals {
		_, err := tx.Exec(ctx, `INSERT INTO user_unique_attrs (tenant_id, type_id, attr, value_norm, user_id) VALUES (?, ?, ?, ?, ?)`,
			t.TenantID, t.ID, attr, v, userID)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%w: %w", conflict("profile."+attr, "another user of the type has this value"), err)
		}
		if err != nil {
			return fmt.Errorf("directory: set unique attribute: %w", err)
		}
	}
	return nil
}
