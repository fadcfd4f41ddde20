package federation

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestSync(t *testing.T) {
	eachDirWorld(t, func(t *testing.T, w *dirWorld) {
		fromIdP := map[string]Source{"email": SourceIdP, "given_name": SourceIdP, "locale": SourceIdP, "department": SourceIdP,
			"family_name": SourceLintel}
		idp := w.idp(Config{Mapping: dirStaffMapping, Sync: fromIdP})
		claims := map[string]any{"given_name": "Janet", "family_name": "Smith", "locale": "fr", "dept": "Support"}
		tests := []struct {
			name string
			// account is the account before the sign-in; its type is staff.
			account directory.UserInput
			cfg     *Config // nil: idp's
			a       Assertion
			want    []string
			check   func(t *testing.T, u directory.User)
		}{
			{"writes the attributes the provider is the source of",
				directory.UserInput{Login: "a1@example.com", EmailVerified: true, GivenName: "Jane", FamilyName: "Doe", Locale: "en",
					Profile: map[string]any{"department": "Sales", "employee_no": 7}},
				nil, dirAssertion("s1", "a1@example.com", true, claims), []string{"department", "given_name", "locale"},
				func(t *testing.T, u directory.User) {
					if u.GivenName != "Janet" || u.Locale != "fr" || u.Profile["department"] != "Support" {
						t.Fatalf("user %+v", u)
					}
					if u.FamilyName != "Doe" || u.Profile["employee_no"] != float64(7) {
						t.Fatalf("a SourceLintel attribute changed: %+v", u)
					}
				}},
			{"leaves everything to Lintel by default",
				directory.UserInput{Login: "a2@example.com", GivenName: "Jane"},
				&Config{Mapping: dirStaffMapping}, dirAssertion("s2", "other2@example.com", true, claims), nil,
				func(t *testing.T, u directory.User) {
					if u.GivenName != "Jane" || u.Email != "a2@example.com" {
						t.Fatalf("user %+v", u)
					}
				}},
			{"replaces the address with one the provider vouches for",
				directory.UserInput{Login: "a3@example.com", EmailVerified: true},
				nil, dirAssertion("s3", "a3.new@example.com", true, nil), []string{"email"},
				func(t *testing.T, u directory.User) {
					if u.Email != "a3.new@example.com" || !u.EmailVerified || u.Login != "a3.new@example.com" {
						t.Fatalf("user %+v", u)
					}
				}},
			{"never replaces a verified address with an unverified one",
				directory.UserInput{Login: "a4@example.com", EmailVerified: true},
				nil, dirAssertion("s4", "attacker@example.com", false, nil), nil,
				func(t *testing.T, u directory.User) {
					if u.Email != "a4@example.com" || !u.EmailVerified {
						t.Fatalf("user %+v", u)
					}
				}},
			{"never replaces an unverified address with an unverified one",
				directory.UserInput{Login: "a5@example.com"},
				nil, dirAssertion("s5", "a5.new@example.com", false, nil), nil,
				func(t *testing.T, u directory.User) {
					if u.Email != "a5@example.com" {
						t.Fatalf("user %+v", u)
					}
				}},
			{"never takes an address the mapping chose over the one vouched for",
				directory.UserInput{Login: "a6@example.com", EmailVerified: true},
				&Config{Mapping: map[string]string{"email": `claims.mail`}, Sync: fromIdP},
				dirAssertion("s6", "a6@example.com", true, map[string]any{"mail": "a6.other@example.com"}), nil,
				func(t *testing.T, u directory.User) {
					if u.Email != "a6@example.com" {
						t.Fatalf("user %+v", u)
					}
				}},
			{"leaves an attribute the assertion lacks",
				directory.UserInput{Login: "a7@example.com", GivenName: "Jane", Locale: "en"},
				nil, dirAssertion("s7", "a7@example.com", false, map[string]any{"locale": "fr"}), []string{"locale"},
				func(t *testing.T, u directory.User) {
					if u.GivenName != "Jane" || u.Locale != "fr" {
						t.Fatalf("user %+v", u)
					}
				}},
			{"drops a value the type refuses and syncs the rest",
				directory.UserInput{Login: "a8@example.com", GivenName: "Jane", Locale: "en"},
				nil, dirAssertion("s8", "a8@example.com", true, map[string]any{"given_name": "Janet", "locale": "not/a locale", "dept": strings.Repeat("x", 51)}),
				[]string{"given_name"},
				func(t *testing.T, u directory.User) {
					if u.GivenName != "Janet" || u.Locale != "en" || u.Profile["department"] != nil {
						t.Fatalf("user %+v", u)
					}
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.account.TypeID = w.staff
				acct := w.user(t, tc.account)
				sidp := idp
				if tc.cfg != nil {
					sidp = w.idp(*tc.cfg)
				}
				var changed []string
				err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
					attrs, err := w.svc.Map(sidp, tc.a)
					if err != nil {
						return err
					}
					changed, err = w.svc.Sync(ctx, tx, sidp, tc.a, acct.ID, attrs)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(changed, tc.want) {
					t.Fatalf("changed %v, want %v", changed, tc.want)
				}
				u := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
					return w.dir.User(ctx, tx, w.tenant, acct.ID)
				})
				tc.check(t, u)
				evs := slices.DeleteFunc(w.events(t, "user.updated", "user.email.changed"), func(e events.Event) bool { return e.Target.ID != acct.ID })
				if len(changed) == 0 && len(evs) > 0 {
					t.Fatalf("nothing changed, yet %d events", len(evs))
				}
				for _, ev := range evs {
					if ev.Actor != (events.Ref{Type: "idp", ID: dirIdPID}) {
						t.Fatalf("event %+v", ev)
					}
				}
				if len(changed) > 0 && len(evs) == 0 {
					t.Fatal("a change without an event")
				}
			})
		}
		t.Run("writes nothing when nothing differs", func(t *testing.T) {
			acct := w.user(t, directory.UserInput{Login: "same@example.com", EmailVerified: true, GivenName: "Janet", Locale: "fr",
				TypeID: w.staff, Profile: map[string]any{"department": "Support"}})
			before := w.rows(t)
			a := dirAssertion("s9", "SAME@example.com", true, claims)
			err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
				attrs, err := w.svc.Map(idp, a)
				if err != nil {
					return err
				}
				changed, err := w.svc.Sync(ctx, tx, idp, a, acct.ID, attrs)
				if len(changed) > 0 {
					t.Errorf("changed %v", changed)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			after := w.rows(t)
			if after["events"] != before["events"] || after["users"] != before["users"] {
				t.Fatalf("rows %v before, %v after", before, after)
			}
			u := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
				return w.dir.User(ctx, tx, w.tenant, acct.ID)
			})
			if !u.UpdatedAt.Equal(acct.UpdatedAt) {
				t.Fatalf("updated at %v, was %v", u.UpdatedAt, acct.UpdatedAt)
			}
		})
	})
}
