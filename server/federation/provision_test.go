package federation

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// dirStaffMapping maps names, a locale and the staff type's attributes, and
// one attribute ("nickname") no type has.
var dirStaffMapping = map[string]string{
	"email":       `email`,
	"given_name":  `claims[?"given_name"].orValue(null)`,
	"family_name": `claims[?"family_name"].orValue(null)`,
	"locale":      `claims[?"locale"].orValue(null)`,
	"department":  `claims[?"dept"].orValue(null)`,
	"employee_no": `claims[?"no"].orValue(null)`,
	"nickname":    `claims[?"nick"].orValue(null)`,
}

// provision resolves and provisions a in one committed transaction, and
// returns the user and Provision's error.
func (w *dirWorld) provision(t *testing.T, idp IdP, a Assertion) (directory.User, error) {
	t.Helper()
	var u directory.User
	err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
		attrs, err := w.svc.Map(idp, a)
		if err != nil {
			t.Fatal(err)
		}
		u, err = w.svc.Provision(ctx, tx, idp, a, attrs)
		return err
	})
	return u, err
}

func TestProvision(t *testing.T) {
	eachDirWorld(t, func(t *testing.T, w *dirWorld) {
		staff := w.idp(Config{UserType: w.staff, Mapping: dirStaffMapping})
		claims := map[string]any{"given_name": "Jane", "family_name": "Doe", "locale": "de_CH", "dept": "Sales", "no": float64(42),
			"nick": "Janie-secret-value"}
		tests := []struct {
			name  string
			idp   IdP
			a     Assertion
			check func(t *testing.T, u directory.User)
		}{
			{"creates the account from the mapped attributes", staff, dirAssertion("s1", "jane@example.com", true, claims),
				func(t *testing.T, u directory.User) {
					if u.TypeID != w.staff || u.Login != "jane@example.com" || u.Email != "jane@example.com" || !u.EmailVerified ||
						u.GivenName != "Jane" || u.FamilyName != "Doe" || u.Locale != "de-CH" || u.Status != directory.StatusActive {
						t.Fatalf("user %+v", u)
					}
					if u.Profile["department"] != "Sales" || u.Profile["employee_no"] != float64(42) || len(u.Profile) != 2 {
						t.Fatalf("profile %v", u.Profile)
					}
				}},
			{"keeps an unverified address unverified", staff, dirAssertion("s2", "john@example.com", false, claims),
				func(t *testing.T, u directory.User) {
					if u.Email != "john@example.com" || u.EmailVerified {
						t.Fatalf("email %q verified %v", u.Email, u.EmailVerified)
					}
				}},
			{"uses the tenant's default type", w.idp(Config{}), dirAssertion("s3", "max@example.com", true, claims),
				func(t *testing.T, u directory.User) {
					def := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
						return w.dir.DefaultUserType(ctx, tx, w.tenant)
					})
					if u.TypeID != def.ID || u.GivenName != "Jane" || len(u.Profile) != 0 {
						t.Fatalf("user %+v, want of type %s", u, def.ID)
					}
				}},
			{"derives a login without an address", staff, dirAssertion("Sub-4", "", false, claims),
				func(t *testing.T, u directory.User) {
					if u.Email != "" || u.EmailVerified || !strings.HasPrefix(u.Login, dirIdPID+"/") || strings.Contains(u.Login, "@") {
						t.Fatalf("login %q email %q", u.Login, u.Email)
					}
					if derivedLogin(dirIdPID, "sub-4") == derivedLogin(dirIdPID, "Sub-4") {
						t.Fatal("subjects differing in case share a login")
					}
				}},
			{"does not vouch for an address the mapping chose", w.idp(Config{Mapping: map[string]string{"email": `claims.mail`}}),
				dirAssertion("s5", "ann@example.com", true, map[string]any{"mail": "ann.other@example.com"}),
				func(t *testing.T, u directory.User) {
					if u.Email != "ann.other@example.com" || u.EmailVerified {
						t.Fatalf("email %q verified %v", u.Email, u.EmailVerified)
					}
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				u, err := w.provision(t, tc.idp, tc.a)
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, u)
				got := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
					return w.dir.UserByIdentity(ctx, tx, w.tenant, dirIdPID, tc.a.Subject)
				})
				if got.ID != u.ID {
					t.Fatalf("the subject is linked to %q, want %q", got.ID, u.ID)
				}
				for _, typ := range []string{"user.created", "user.identity.linked"} {
					evs := w.events(t, typ)
					i := slices.IndexFunc(evs, func(e events.Event) bool { return e.Target.ID == u.ID })
					if i < 0 || evs[i].Actor != (events.Ref{Type: "idp", ID: dirIdPID}) {
						t.Fatalf("no %s event by the IdP in %+v", typ, evs)
					}
				}
			})
		}
		t.Run("logs dropped attributes by name only", func(t *testing.T) {
			logs := w.logs.String()
			if !strings.Contains(logs, "nickname") || strings.Contains(logs, "Janie-secret-value") {
				t.Fatalf("logs: %s", logs)
			}
		})
		t.Run("a second provision of the subject conflicts and creates nothing", func(t *testing.T) {
			before := w.rows(t)
			_, err := w.provision(t, staff, dirAssertion("s1", "jane.again@example.com", true, claims))
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want a conflict", err)
			}
			if after := w.rows(t); !maps.Equal(before, after) {
				t.Fatalf("rows %v before, %v after", before, after)
			}
		})
		t.Run("an address taken as a login conflicts", func(t *testing.T) {
			_, err := w.provision(t, staff, dirAssertion("s6", "jane@example.com", true, claims))
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want a conflict", err)
			}
		})
		t.Run("a required attribute the mapping lacks is refused and nothing is written", func(t *testing.T) {
			before := w.rows(t)
			strict := w.idp(Config{UserType: w.strict, Mapping: dirStaffMapping})
			_, err := w.provision(t, strict, dirAssertion("s7", "kim@example.com", true, map[string]any{"dept": "Sales"}))
			var fields []string
			for _, e := range invalid.All(err) {
				fields = append(fields, e.Field)
			}
			if !slices.Equal(fields, []string{"profile.employee_no"}) {
				t.Fatalf("got %v naming %v, want profile.employee_no", err, fields)
			}
			if after := w.rows(t); !maps.Equal(before, after) {
				t.Fatalf("rows %v before, %v after", before, after)
			}
		})
		t.Run("a value the type refuses is dropped", func(t *testing.T) {
			c := maps.Clone(claims)
			c["no"], c["locale"] = "not a number", "not/a locale"
			u, err := w.provision(t, staff, dirAssertion("s8", "lee@example.com", true, c))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := u.Profile["employee_no"]; ok || u.Locale != "" || u.Profile["department"] != "Sales" {
				t.Fatalf("user %+v", u)
			}
		})
	})
}

func TestLinkAccount(t *testing.T) {
	eachDirWorld(t, func(t *testing.T, w *dirWorld) {
		idp := w.idp(Config{})
		jane := w.user(t, directory.UserInput{Login: "jane@example.com", EmailVerified: true})
		bob := w.user(t, directory.UserInput{Login: "bob@example.com"})
		link := func(a Assertion, userID string) error {
			return storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
				return w.svc.LinkAccount(ctx, tx, idp, a, userID)
			})
		}
		if err := link(dirAssertion("s1", "jane@example.com", true, nil), jane.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("the next sign-in finds the account", func(t *testing.T) {
			var out Outcome
			err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) (err error) {
				out, err = w.svc.Resolve(ctx, tx, idp, dirAssertion("s1", "jane@example.com", true, nil))
				return err
			})
			if err != nil || out.Kind != OutcomeSignIn || out.UserID != jane.ID {
				t.Fatalf("got %+v, %v", out, err)
			}
		})
		t.Run("records the link by the IdP, without personal data in the details", func(t *testing.T) {
			evs := w.events(t, "user.identity.linked")
			if len(evs) != 1 || evs[0].Target.ID != jane.ID || evs[0].Actor != (events.Ref{Type: "idp", ID: dirIdPID}) ||
				!maps.Equal(evs[0].Details, map[string]any{"idp_id": dirIdPID}) {
				t.Fatalf("events %+v", evs)
			}
		})
		t.Run("refuses a subject linked already", func(t *testing.T) {
			if err := link(dirAssertion("s1", "jane@example.com", true, nil), bob.ID); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want a conflict", err)
			}
		})
		t.Run("refuses an unknown account", func(t *testing.T) {
			if err := link(dirAssertion("s2", "", false, nil), "usr_nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want not found", err)
			}
		})
		t.Run("refuses another provider's assertion", func(t *testing.T) {
			a := dirAssertion("s3", "", false, nil)
			a.IdPID = "idp_01other"
			if err := link(a, bob.ID); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
		if n := len(w.events(t, "user.identity.linked")); n != 1 {
			t.Fatalf("%d link events, want 1", n)
		}
	})
}
