package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// memberSchema is a user type with attributes of every standing: one
// people may set, one only admins set (and required), one a form cannot
// hold.
const memberSchema = `{
	"type": "object", "additionalProperties": false,
	"properties": {
		"nickname": {"type": "string", "maxLength": 20},
		"plan": {"type": "string", "maxLength": 10, "enum": ["free", "pro"]},
		"employee_id": {"type": "string", "maxLength": 10},
		"tags": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 10}}
	}
}`

var memberAttrs = map[string]directory.Attribute{
	"nickname":    {UserEditable: true},
	"plan":        {UserEditable: true},
	"employee_id": {Required: true},
	"tags":        {UserEditable: true},
}

// userType creates a user type of a tenant.
func (e *env) userType(t *testing.T, tenantID, name, schema string, attrs map[string]directory.Attribute) directory.UserType {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
		return e.dir.CreateUserType(ctx, tx, tenantID, directory.UserTypeInput{Name: name, Schema: json.RawMessage(schema), Attributes: attrs})
	})
}

// putEnrollment sets an enrollment policy and returns the error.
func (e *env) putEnrollment(t *testing.T, tenantID, appID string, in Enrollment) (Enrollment, error) {
	t.Helper()
	var got Enrollment
	err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
		got, err = e.svc.PutEnrollmentPolicy(ctx, tx, tenantID, appID, in)
		return err
	})
	return got, err
}

// enrollment returns the effective enrollment policy of an app.
func (e *env) enrollment(t *testing.T, tenantID, appID string) Enrollment {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Enrollment, error) {
		return e.svc.Enrollment(ctx, tx, tenantID, appID)
	})
}

func TestPutEnrollmentPolicyValidates(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme")
		member := e.userType(t, ten.ID, "member", memberSchema, memberAttrs)
		other := e.tenant(t, "other")
		foreign := e.userType(t, other.ID, "foreign", memberSchema, memberAttrs)
		many := make([]EnrollAttribute, MaxEnrollAttributes+1)
		manyProg := make([]ProgressiveAttribute, MaxEnrollAttributes+1)
		for i := range many {
			many[i].Name = fmt.Sprintf("a%d", i)
			manyProg[i].Name = fmt.Sprintf("a%d", i)
		}
		for _, tc := range []struct {
			name   string
			in     Enrollment
			fields []string
		}{
			{"refuses an unknown email verification", Enrollment{EmailVerification: "never"}, []string{"email_verification"}},
			{"refuses a user type of another tenant", Enrollment{UserTypeID: foreign.ID}, []string{"user_type_id"}},
			{"refuses an unknown user type", Enrollment{UserTypeID: "uty_nope"}, []string{"user_type_id"}},
			{"refuses an attribute the default type does not have",
				Enrollment{Attributes: []EnrollAttribute{{Name: "given_name"}, {Name: "nickname"}}}, []string{"attributes[1].name"}},
			{"refuses an attribute people may not set",
				Enrollment{UserTypeID: member.ID, Progressive: []ProgressiveAttribute{{Name: "employee_id"}}}, []string{"progressive[0].name"}},
			{"refuses an attribute no form can hold",
				Enrollment{UserTypeID: member.ID, Attributes: []EnrollAttribute{{Name: "tags"}}}, []string{"attributes[0].name"}},
			{"refuses the email, which is not a profile attribute",
				Enrollment{Attributes: []EnrollAttribute{{Name: "email"}}}, []string{"attributes[0].name"}},
			{"refuses an empty name", Enrollment{Attributes: []EnrollAttribute{{Name: ""}}}, []string{"attributes[0].name"}},
			{"refuses a name twice in one list",
				Enrollment{Attributes: []EnrollAttribute{{Name: "name"}, {Name: "locale"}, {Name: "name", Required: true}}}, []string{"attributes[2].name"}},
			{"refuses a negative count of sign-ins",
				Enrollment{Progressive: []ProgressiveAttribute{{Name: "phone", AfterSignIns: -1}}}, []string{"progressive[0].after_sign_ins"}},
			{"refuses a count of sign-ins over the bound",
				Enrollment{Progressive: []ProgressiveAttribute{{Name: "phone", AfterSignIns: MaxAfterSignIns + 1}}}, []string{"progressive[0].after_sign_ins"}},
			{"refuses too many attributes", Enrollment{Attributes: many}, []string{"attributes"}},
			{"refuses too many progressive attributes", Enrollment{Progressive: manyProg}, []string{"progressive"}},
			{"refuses registration that leaves out what the type requires",
				Enrollment{Registration: true, UserTypeID: member.ID, Attributes: []EnrollAttribute{{Name: "nickname"}}}, []string{"attributes"}},
			{"reports every problem at once",
				Enrollment{EmailVerification: "x", UserTypeID: member.ID,
					Attributes:  []EnrollAttribute{{Name: "bogus"}},
					Progressive: []ProgressiveAttribute{{Name: "nickname", AfterSignIns: -5}, {Name: "nickname"}}},
				[]string{"email_verification", "attributes[0].name", "progressive[0].after_sign_ins", "progressive[1].name"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.putEnrollment(t, ten.ID, "app_web", tc.in)
				wantFields(t, err, tc.fields...)
				if n := e.count(t, "enrollment_policies"); n != 0 {
					t.Fatalf("a refused policy wrote %d rows", n)
				}
			})
		}
		t.Run("refuses registration into a type whose required attribute people may not set", func(t *testing.T) {
			// employee_id is required by the type but not user-editable:
			// no registration policy of this type can be valid.
			_, err := e.putEnrollment(t, ten.ID, "app_web", Enrollment{Registration: true, UserTypeID: member.ID,
				Attributes: []EnrollAttribute{{Name: "employee_id", Required: true}}})
			wantFields(t, err, "attributes[0].name")
		})
		t.Run("refuses an over-long app ID", func(t *testing.T) {
			_, err := e.putEnrollment(t, ten.ID, string(make([]byte, maxAppIDLen+1)), Enrollment{})
			wantFields(t, err, "app_id")
		})
		t.Run("creates no default user type", func(t *testing.T) {
			if n := e.count(t, "user_types"); n != 2 {
				t.Fatalf("%d user types, want the 2 the test made", n)
			}
		})
	})
}

func TestPutEnrollmentPolicyRequiresTypesOfRequiredAttributes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme")
		staff := e.userType(t, ten.ID, "staff", `{"type":"object","additionalProperties":false,
			"properties":{"team":{"type":"string","maxLength":20},"badge":{"type":"integer"}},"required":["badge"]}`,
			map[string]directory.Attribute{"team": {Required: true, UserEditable: true}, "badge": {UserEditable: true}})
		for _, tc := range []struct {
			name   string
			in     Enrollment
			fields []string
		}{
			{"asks the type's required attributes as required", Enrollment{Registration: true, UserTypeID: staff.ID,
				Attributes: []EnrollAttribute{{Name: "badge", Required: true}, {Name: "team", Required: true}}}, nil},
			{"refuses one asked as optional", Enrollment{Registration: true, UserTypeID: staff.ID,
				Attributes: []EnrollAttribute{{Name: "team"}, {Name: "badge", Required: true}}}, []string{"attributes[0].required"}},
			{"refuses one required by the schema left out", Enrollment{Registration: true, UserTypeID: staff.ID,
				Attributes: []EnrollAttribute{{Name: "team", Required: true}}}, []string{"attributes"}},
			{"does not check the type's requirements with registration off", Enrollment{UserTypeID: staff.ID}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.putEnrollment(t, ten.ID, "", tc.in)
				if tc.fields == nil {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				wantFields(t, err, tc.fields...)
			})
		}
	})
}

func TestEnrollmentResolves(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		member := e.userType(t, ten.ID, "shopper", memberSchema,
			map[string]directory.Attribute{"nickname": {UserEditable: true}, "plan": {UserEditable: true}})
		t.Run("is the built-in default without a policy", func(t *testing.T) {
			got := e.enrollment(t, ten.ID, "app_web")
			want := DefaultEnrollment()
			want.TenantID, want.AppID = ten.ID, "app_web"
			if !reflect.DeepEqual(got, want) || got.Registration || got.EmailVerification != VerifyBefore {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.EnrollmentPolicy(ctx, tx, ten.ID, "app_web")
				return err
			}))
		})
		def, err := e.putEnrollment(t, ten.ID, "", Enrollment{Registration: true,
			Attributes: []EnrollAttribute{{Name: "given_name", Required: true}, {Name: "family_name"}}})
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Minute)
		app, err := e.putEnrollment(t, ten.ID, "app_shop", Enrollment{Registration: true, UserTypeID: member.ID,
			EmailVerification: VerifyAfter,
			Attributes:        []EnrollAttribute{{Name: "nickname"}, {Name: "plan", Required: true}},
			Progressive:       []ProgressiveAttribute{{Name: "phone", Required: true, AfterSignIns: 2}, {Name: "locale"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, tenantID, appID string
			want                  Enrollment
		}{
			{"is the app's own policy", ten.ID, "app_shop", app},
			{"falls back to the tenant default", ten.ID, "app_web", def},
			{"is the tenant default for the empty app", ten.ID, "", def},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := e.enrollment(t, tc.tenantID, tc.appID); !equalEnrollments(got, tc.want) {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
			})
		}
		t.Run("reads back what was stored", func(t *testing.T) {
			if def.ID == "" || def.AppID != "" || def.EmailVerification != VerifyBefore || !def.CreatedAt.Equal(t0) {
				t.Fatalf("default %+v", def)
			}
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Enrollment, error) {
				return e.svc.EnrollmentPolicy(ctx, tx, ten.ID, "app_shop")
			})
			if !equalEnrollments(got, app) || got.UserTypeID != member.ID || len(got.Progressive) != 2 || got.Progressive[0].AfterSignIns != 2 {
				t.Fatalf("got %+v, want %+v", got, app)
			}
		})
		t.Run("keeps the ID and creation time when replaced", func(t *testing.T) {
			e.clk.Advance(time.Hour)
			again, err := e.putEnrollment(t, ten.ID, "app_shop", Enrollment{Registration: false})
			if err != nil {
				t.Fatal(err)
			}
			if again.ID != app.ID || !again.CreatedAt.Equal(app.CreatedAt) || !again.UpdatedAt.After(app.UpdatedAt) {
				t.Fatalf("replaced %+v, was %+v", again, app)
			}
			if got := e.enrollment(t, ten.ID, "app_shop"); got.Registration || len(got.Attributes) != 0 || got.UserTypeID != "" {
				t.Fatalf("not replaced: %+v", got)
			}
		})
		t.Run("keeps tenants apart", func(t *testing.T) {
			got := e.enrollment(t, other.ID, "app_shop")
			if got.ID != "" || got.Registration || got.TenantID != other.ID {
				t.Fatalf("other tenant sees %+v", got)
			}
		})
		t.Run("falls back again once the app's policy is deleted", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteEnrollmentPolicy(ctx, tx, ten.ID, "app_shop")
			}); err != nil {
				t.Fatal(err)
			}
			if got := e.enrollment(t, ten.ID, "app_shop"); !equalEnrollments(got, def) {
				t.Fatalf("got %+v, want the default %+v", got, def)
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteEnrollmentPolicy(ctx, tx, ten.ID, "app_shop")
			}))
		})
	})
}

// equalEnrollments compares policies, times with Equal.
func equalEnrollments(a, b Enrollment) bool {
	ca, cb, ua, ub := a.CreatedAt, b.CreatedAt, a.UpdatedAt, b.UpdatedAt
	a.CreatedAt, b.CreatedAt, a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b) && ca.Equal(cb) && ua.Equal(ub)
}

func TestForgetRemovesEnrollmentAndRecovery(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		for _, id := range []string{ten.ID, other.ID} {
			for _, app := range []string{"", "app_a", "app_b"} {
				if _, err := e.putEnrollment(t, id, app, Enrollment{Registration: true}); err != nil {
					t.Fatal(err)
				}
			}
			get(t, e, func(ctx context.Context, tx store.Tx) (Recovery, error) {
				return e.svc.SetRecovery(ctx, tx, id, DefaultRecovery())
			})
		}
		t.Run("forgets one app's policy", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetApp(ctx, tx, ten.ID, "app_a") }); err != nil {
				t.Fatal(err)
			}
			if n := e.count(t, "enrollment_policies"); n != 5 {
				t.Fatalf("%d enrollment policies left, want 5", n)
			}
			if got := e.enrollment(t, ten.ID, "app_a"); got.AppID != "" || got.ID == "" {
				t.Fatalf("app_a now follows %+v, want the tenant default", got)
			}
		})
		t.Run("leaves the tenant default to an empty app ID", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetApp(ctx, tx, ten.ID, "") }); err != nil {
				t.Fatal(err)
			}
			if n := e.count(t, "enrollment_policies"); n != 5 {
				t.Fatalf("%d enrollment policies left, want 5", n)
			}
		})
		t.Run("forgets every policy of a tenant", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetTenant(ctx, tx, ten.ID) }); err != nil {
				t.Fatal(err)
			}
			if n, r := e.count(t, "enrollment_policies"), e.count(t, "recovery_policies"); n != 3 || r != 1 {
				t.Fatalf("%d enrollment and %d recovery policies left, want the other tenant's 3 and 1", n, r)
			}
		})
	})
}

// noTypes is a tenant without user types.
type noTypes struct{}

func (noTypes) UserTypes(context.Context, store.Tx, string) ([]directory.UserType, error) {
	return nil, nil
}

func TestDueAttributes(t *testing.T) {
	e := Enrollment{Progressive: []ProgressiveAttribute{
		{Name: "phone", AfterSignIns: 0},
		{Name: "nickname", Required: true, AfterSignIns: 3},
		{Name: "locale", AfterSignIns: 1},
		{Name: "plan", AfterSignIns: 10},
	}}
	names := func(list []ProgressiveAttribute) []string {
		out := []string{}
		for _, p := range list {
			out = append(out, p.Name)
		}
		return out
	}
	hasNone := func(string) bool { return false }
	hasPhone := func(n string) bool { return n == "phone" }
	for _, tc := range []struct {
		name    string
		signIns int
		has     func(string) bool
		want    []string
	}{
		{"asks on the first sign-in only what has no threshold", 0, hasNone, []string{"phone"}},
		{"asks once the person has enough sign-ins", 1, hasNone, []string{"phone", "locale"}},
		{"keeps policy order", 3, hasNone, []string{"phone", "nickname", "locale"}},
		{"asks everything after many sign-ins", 100, hasNone, []string{"phone", "nickname", "locale", "plan"}},
		{"never asks what the person has", 3, hasPhone, []string{"nickname", "locale"}},
		{"asks nothing of a complete profile", 100, func(string) bool { return true }, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(e.DueAttributes(tc.signIns, tc.has)); !slices.Equal(got, tc.want) {
				t.Fatalf("DueAttributes(%d) = %q, want %q", tc.signIns, got, tc.want)
			}
		})
	}
	t.Run("keeps the flags of each attribute", func(t *testing.T) {
		got := e.DueAttributes(3, hasPhone)
		if !got[0].Required || got[0].AfterSignIns != 3 {
			t.Fatalf("got %+v", got[0])
		}
	})
	t.Run("asks nothing of the default policy", func(t *testing.T) {
		if got := DefaultEnrollment().DueAttributes(5, hasNone); len(got) != 0 {
			t.Fatalf("got %+v", got)
		}
	})
}
