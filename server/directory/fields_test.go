package directory

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// formSchema is a type whose attributes cover every kind of form field.
const formSchema = `{
	"type": "object", "additionalProperties": false,
	"$defs": {"plan": {"type": "string", "maxLength": 10, "enum": ["free", "pro"]}},
	"properties": {
		"nickname": {"type": "string", "maxLength": 20},
		"shoe_size": {"type": "integer", "minimum": 1, "maximum": 60},
		"height": {"type": "number"},
		"newsletter": {"type": "boolean"},
		"plan": {"$ref": "#/$defs/plan"},
		"tier": {"enum": ["gold", "silver", null]},
		"optional_note": {"type": ["string", "null"], "maxLength": 50},
		"pin": {"type": "string", "maxLength": 8},
		"tags": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 10}},
		"address": {"type": "object", "additionalProperties": false, "properties": {"city": {"type": "string", "maxLength": 50}}},
		"mixed": {"type": ["string", "integer"], "maxLength": 5},
		"level": {"enum": [1, 2, 3]}
	},
	"required": ["shoe_size"]
}`

var formAttrs = map[string]Attribute{
	"nickname":   {UserEditable: true},
	"newsletter": {UserEditable: true},
	"pin":        {Sensitive: true, UserEditable: true, Required: true},
	"plan":       {Registration: true},
}

// formType compiles formSchema as a type, without a database.
func formType(t *testing.T) UserType {
	t.Helper()
	ty, err := checkType(UserTypeInput{Name: "form", Schema: json.RawMessage(formSchema), Attributes: formAttrs})
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

func TestFieldDescribesAttributes(t *testing.T) {
	ty := formType(t)
	for _, tc := range []struct {
		name   string
		attr   string
		want   AttributeField
		wantOK bool
	}{
		{"describes a base name field", "given_name",
			AttributeField{Name: "given_name", Kind: KindString, MaxLength: MaxNameLen, Base: true, UserEditable: true}, true},
		{"describes the base phone", "phone",
			AttributeField{Name: "phone", Kind: KindString, MaxLength: MaxPhoneLen, Base: true, UserEditable: true}, true},
		{"describes the base locale", "locale",
			AttributeField{Name: "locale", Kind: KindString, MaxLength: MaxLocaleLen, Base: true, UserEditable: true}, true},
		{"describes a bounded string with its flags", "nickname",
			AttributeField{Name: "nickname", Kind: KindString, MaxLength: 20, UserEditable: true}, true},
		{"describes an integer required by the schema", "shoe_size",
			AttributeField{Name: "shoe_size", Kind: KindInteger, Required: true}, true},
		{"describes a number", "height", AttributeField{Name: "height", Kind: KindNumber}, true},
		{"describes a boolean", "newsletter", AttributeField{Name: "newsletter", Kind: KindBoolean, UserEditable: true}, true},
		{"follows a $ref to an enum", "plan", AttributeField{Name: "plan", Kind: KindEnum, Options: []string{"free", "pro"}}, true},
		{"leaves null out of an enum's options", "tier", AttributeField{Name: "tier", Kind: KindEnum, Options: []string{"gold", "silver"}}, true},
		{"reads a nullable string as a string", "optional_note", AttributeField{Name: "optional_note", Kind: KindString, MaxLength: 50}, true},
		{"carries the sensitive and required flags", "pin",
			AttributeField{Name: "pin", Kind: KindString, MaxLength: 8, Required: true, Sensitive: true, UserEditable: true}, true},
		{"refuses an array", "tags", AttributeField{}, false},
		{"refuses an object", "address", AttributeField{}, false},
		{"refuses several types", "mixed", AttributeField{}, false},
		{"refuses an enum of numbers", "level", AttributeField{}, false},
		{"refuses a name the type does not have", "favourite_colour", AttributeField{}, false},
		{"does not describe the email as a base field", "email", AttributeField{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ty.Field(tc.attr)
			if ok != tc.wantOK || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Field(%q) = %+v, %v; want %+v, %v", tc.attr, got, ok, tc.want, tc.wantOK)
			}
		})
	}
	t.Run("reads a type from its raw schema when not compiled", func(t *testing.T) {
		raw := UserType{Schema: json.RawMessage(formSchema), Attributes: formAttrs}
		if got, ok := raw.Field("nickname"); !ok || got.MaxLength != 20 || !got.UserEditable {
			t.Fatalf("Field = %+v, %v", got, ok)
		}
	})
	t.Run("knows only the base fields of a zero type", func(t *testing.T) {
		var zero UserType
		if _, ok := zero.Field("nickname"); ok {
			t.Fatal("a zero type has a custom attribute")
		}
		if _, ok := zero.Field("family_name"); !ok {
			t.Fatal("a zero type lacks the base family_name")
		}
	})
}

func TestHasAttribute(t *testing.T) {
	u := User{GivenName: "Ada", Phone: "", Profile: map[string]any{
		"nickname": "ace", "blank": "  ", "none": nil, "newsletter": false, "size": 0.0,
		"tags": []any{}, "more_tags": []any{"x"}, "address": map[string]any{},
	}}
	for _, tc := range []struct {
		name, attr string
		want       bool
	}{
		{"holds a filled base field", "given_name", true},
		{"lacks an empty base field", "phone", false},
		{"lacks an empty base name", "family_name", false},
		{"holds a custom string", "nickname", true},
		{"lacks a string of spaces", "blank", false},
		{"lacks a null", "none", false},
		{"holds false", "newsletter", true},
		{"holds zero", "size", true},
		{"lacks an empty list", "tags", false},
		{"holds a list with items", "more_tags", true},
		{"lacks an empty object", "address", false},
		{"lacks an absent attribute", "missing", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := u.HasAttribute(tc.attr); got != tc.want {
				t.Fatalf("HasAttribute(%q) = %v, want %v", tc.attr, got, tc.want)
			}
		})
	}
}

func TestParseAttribute(t *testing.T) {
	ty := formType(t)
	field := func(name string) AttributeField {
		f, ok := ty.Field(name)
		if !ok {
			t.Fatalf("no field %q", name)
		}
		return f
	}
	optional := func(f AttributeField) AttributeField { f.Required = false; return f }
	for _, tc := range []struct {
		name    string
		f       AttributeField
		raw     string
		want    any
		wantErr bool
	}{
		{"trims a string", field("nickname"), "  Ace \t", "Ace", false},
		{"leaves an empty optional string unset", field("nickname"), "   ", nil, false},
		{"refuses an empty required value", field("shoe_size"), "", nil, true},
		{"refuses a string over maxLength", field("nickname"), strings.Repeat("x", 21), nil, true},
		{"counts characters, not bytes", field("nickname"), strings.Repeat("é", 20), strings.Repeat("é", 20), false},
		{"refuses a control character", field("nickname"), "a\x00b", nil, true},
		{"refuses a line break inside", field("nickname"), "a\nb", nil, true},
		{"refuses invalid UTF-8", field("nickname"), "a\xffb", nil, true},
		{"reads an integer", field("shoe_size"), " 42 ", int64(42), false},
		{"reads a signed integer", optional(field("shoe_size")), "-7", int64(-7), false},
		{"refuses a fraction as an integer", field("shoe_size"), "4.5", nil, true},
		{"refuses an integer beyond 2^53", field("shoe_size"), "9007199254740993", nil, true},
		{"reads a number", field("height"), "1.85", 1.85, false},
		{"reads a number with an exponent", field("height"), "-2.5e3", -2500.0, false},
		{"reads a number without leading digits", field("height"), ".5", 0.5, false},
		{"refuses Inf", field("height"), "Inf", nil, true},
		{"refuses NaN", field("height"), "NaN", nil, true},
		{"refuses a hexadecimal float", field("height"), "0x1p-2", nil, true},
		{"refuses an overflowing number", field("height"), "1e400", nil, true},
		{"refuses a lone point", field("height"), ".", nil, true},
		{"refuses an empty exponent", field("height"), "1e", nil, true},
		{"refuses a doubled exponent sign", field("height"), "1e+-2", nil, true},
		{"reads a checked box", field("newsletter"), "on", true, false},
		{"reads true in any case", field("newsletter"), "TRUE", true, false},
		{"reads an unchecked box as false", field("newsletter"), "", false, false},
		{"reads false", field("newsletter"), "false", false, false},
		{"refuses another boolean word", field("newsletter"), "yes", nil, true},
		{"reads an enum option", field("plan"), "pro", "pro", false},
		{"refuses an option in another case", field("plan"), "PRO", nil, true},
		{"refuses a value outside the enum", field("plan"), "enterprise", nil, true},
		{"reads an E.164 base phone", field("phone"), " +14155550100 ", "+14155550100", false},
		{"refuses a phone not in E.164", field("phone"), "415 555 0100", nil, true},
		{"canonicalizes a base locale", field("locale"), "en-us", "en-US", false},
		{"refuses a bad locale", field("locale"), "not a locale!", nil, true},
		{"refuses a kind no form holds", AttributeField{Name: "x", Kind: "array"}, "a", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAttribute(tc.f, tc.raw)
			if tc.wantErr {
				errs := invalid.All(err)
				if len(errs) != 1 || errs[0].Field != tc.f.Name {
					t.Fatalf("ParseAttribute(%q) = %v, %v; want an *invalid.Error naming %q", tc.raw, got, err, tc.f.Name)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseAttribute(%q) = %#v, %v; want %#v", tc.raw, got, err, tc.want)
			}
		})
	}
	t.Run("never quotes a sensitive value nor lists its options", func(t *testing.T) {
		secret := "hunter2-very-long"
		for _, f := range []AttributeField{
			field("pin"),
			{Name: "code", Kind: KindEnum, Options: []string{"alpha", "bravo"}, Sensitive: true},
		} {
			_, err := ParseAttribute(f, secret)
			if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "bravo") {
				t.Fatalf("error %v quotes the value or the options", err)
			}
		}
	})
}

func FuzzParseAttribute(f *testing.F) {
	kinds := []AttributeField{
		{Name: "s", Kind: KindString, MaxLength: 10},
		{Name: "i", Kind: KindInteger},
		{Name: "n", Kind: KindNumber},
		{Name: "b", Kind: KindBoolean},
		{Name: "e", Kind: KindEnum, Options: []string{"a", "b"}},
		{Name: "phone", Kind: KindString, MaxLength: MaxPhoneLen, Base: true},
		{Name: "locale", Kind: KindString, MaxLength: MaxLocaleLen, Base: true},
		{Name: "secret", Kind: KindString, MaxLength: 10, Sensitive: true, Required: true},
	}
	for _, s := range []string{"", " ", "abc", "42", "-1.5e3", "on", "a", "+14155550100", "en-us", "1e400", "NaN", "\x00", "\xff", "0x10"} {
		for k := range kinds {
			f.Add(uint8(k), s)
		}
	}
	f.Fuzz(func(t *testing.T, k uint8, raw string) {
		field := kinds[int(k)%len(kinds)]
		v, err := ParseAttribute(field, raw)
		if err != nil {
			errs := invalid.All(err)
			if len(errs) != 1 || errs[0].Field != field.Name || v != nil {
				t.Fatalf("ParseAttribute(%+v, %q) = %v, %v: want nil and one *invalid.Error naming the field", field, raw, v, err)
			}
			if field.Sensitive && len(strings.TrimSpace(raw)) > 3 && strings.Contains(err.Error(), strings.TrimSpace(raw)) {
				t.Fatalf("error %q quotes the sensitive value", err)
			}
			return
		}
		// Every value parsed is something a profile can hold as JSON.
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("ParseAttribute(%q) = %#v, which is not JSON: %v", raw, v, err)
		}
		switch field.Kind {
		case KindString:
			if v != nil && !field.Base && len([]rune(v.(string))) > field.MaxLength {
				t.Fatalf("ParseAttribute(%q) = %q, longer than %d", raw, v, field.MaxLength)
			}
		case KindEnum:
			if v != nil && v != "a" && v != "b" {
				t.Fatalf("ParseAttribute(%q) = %q, not an option", raw, v)
			}
		case KindBoolean:
			if _, ok := v.(bool); !ok {
				t.Fatalf("ParseAttribute(%q) = %#v, not a bool", raw, v)
			}
		}
	})
}

func TestSetAttributes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ty := get(t, e, func(ctx context.Context, tx store.Tx) (UserType, error) {
			return e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{Name: "form", Schema: json.RawMessage(formSchema), Attributes: formAttrs})
		})
		u, err := e.createUser(t, UserInput{Login: "ada@example.com", TypeID: ty.ID, Phone: "+14155550100", PhoneVerified: true,
			Profile: map[string]any{"shoe_size": 40, "pin": "1234", "nickname": "ace"}})
		if err != nil {
			t.Fatal(err)
		}
		set := func(values map[string]any) (User, error) {
			var got User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				got, err = e.dir.SetAttributes(ctx, tx, tenantA, u.ID, values, events.Ref{Type: "user", ID: u.ID})
				return err
			})
			return got, err
		}
		t.Run("sets base fields and merges custom ones, keeping the others", func(t *testing.T) {
			e.clk.Advance(time.Minute)
			got, err := set(map[string]any{"given_name": " Ada ", "locale": "en-gb", "newsletter": true, "height": 1.7, "shoe_size": int64(41)})
			if err != nil {
				t.Fatal(err)
			}
			read := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
			for _, x := range []User{got, read} {
				if x.GivenName != "Ada" || x.Locale != "en-GB" || x.Phone != "+14155550100" || !x.PhoneVerified {
					t.Fatalf("base fields: %+v", x)
				}
				want := map[string]any{"shoe_size": 41.0, "pin": "1234", "nickname": "ace", "newsletter": true, "height": 1.7}
				if !reflect.DeepEqual(x.Profile, want) {
					t.Fatalf("profile %v, want %v", x.Profile, want)
				}
			}
		})
		t.Run("clears a base field and removes a custom one with nil", func(t *testing.T) {
			got, err := set(map[string]any{"given_name": nil, "nickname": nil})
			if err != nil {
				t.Fatal(err)
			}
			if got.GivenName != "" || got.HasAttribute("nickname") {
				t.Fatalf("not cleared: %+v", got)
			}
		})
		t.Run("records user.updated with the changed names only", func(t *testing.T) {
			evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA, Types: []string{"user.updated"}})
			if err != nil || len(evs) != 2 {
				t.Fatalf("events %v, %v", evs, err)
			}
			b, _ := json.Marshal([]any{evs[0].Details, evs[1].Details})
			if !strings.Contains(string(b), "profile.height") || strings.Contains(string(b), "1.7") {
				t.Fatalf("details %s", b)
			}
		})
		for _, tc := range []struct {
			name   string
			values map[string]any
			fields []string
		}{
			{"refuses a base field that is not text", map[string]any{"name": 5}, []string{"name"}},
			{"refuses an attribute the type does not have", map[string]any{"favourite": "x"}, []string{"profile.favourite"}},
			{"refuses a value the schema does not allow", map[string]any{"shoe_size": int64(99)}, []string{"profile.shoe_size"}},
			{"refuses a bad base value", map[string]any{"phone": "12"}, []string{"phone"}},
			{"refuses removing a required attribute", map[string]any{"pin": nil}, []string{"profile.pin"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
				_, err := set(tc.values)
				wantFields(t, err, tc.fields...)
				after := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
				if !equalUsers(before, after) {
					t.Fatalf("a refused change wrote %+v", after)
				}
			})
		}
		t.Run("changes nothing when given nothing", func(t *testing.T) {
			before := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
			got, err := set(nil)
			if err != nil || !equalUsers(got, before) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("does not find a user of another tenant", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.SetAttributes(ctx, tx, tenantB, u.ID, map[string]any{"name": "x"}, events.Ref{})
				return err
			})
			wantNotFound(t, err)
		})
	})
}

func TestSignInCount(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice@example.com"})
		if u.SignInCount != 0 {
			t.Fatalf("a new user has SignInCount %d", u.SignInCount)
		}
		for range 3 {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.RecordSignIn(ctx, tx, tenantA, u.ID) }); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("counts every sign-in, read wherever users are read", func(t *testing.T) {
			byID := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
			byLogin := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UserByLogin(ctx, tx, tenantA, "alice@example.com")
			})
			found := get(t, e, func(ctx context.Context, tx store.Tx) ([]User, error) {
				list, _, err := e.dir.Search(ctx, tx, tenantA, SearchQuery{Q: "alice"})
				return list, err
			})
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.Link(ctx, tx, tenantA, u.ID, "idp_x", "sub-1")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			linked := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UserByIdentity(ctx, tx, tenantA, "idp_x", "sub-1")
			})
			if byID.SignInCount != 3 || byLogin.SignInCount != 3 || len(found) != 1 || found[0].SignInCount != 3 || linked.SignInCount != 3 {
				t.Fatalf("counts %d %d %v %d, want 3", byID.SignInCount, byLogin.SignInCount, found, linked.SignInCount)
			}
		})
		t.Run("counts sign-ins in one transaction each time", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				if err := e.dir.RecordSignIn(ctx, tx, tenantA, u.ID); err != nil {
					return err
				}
				return e.dir.RecordSignIn(ctx, tx, tenantA, u.ID)
			})
			if err != nil {
				t.Fatal(err)
			}
			got := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
			if got.SignInCount != 5 {
				t.Fatalf("SignInCount %d, want 5", got.SignInCount)
			}
		})
		t.Run("exports the count", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (map[string]any, error) {
				return e.dir.Export(ctx, tx, tenantA, u.ID)
			})
			if n := got["user"].(map[string]any)["sign_in_count"]; n != 5 {
				t.Fatalf("exported sign_in_count %v, want 5", n)
			}
		})
		t.Run("counts nothing for another tenant's user", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.RecordSignIn(ctx, tx, tenantB, u.ID) })
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	})
}
