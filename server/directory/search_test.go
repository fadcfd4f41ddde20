package directory

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ty := e.staffType(t)
		mk := func(in UserInput) User {
			e.clk.Advance(time.Second) // IDs are time-ordered
			return e.user(t, tenantA, in)
		}
		ann := mk(UserInput{Login: "ann@example.com", Name: "Ann Ødegård"})
		bob := mk(UserInput{Login: "bob", Email: "Robert@Example.com", Name: "Bob"})
		zoe := mk(UserInput{Login: "zoe", Name: "Zoë STRAßE", Status: StatusStaged})
		pct := mk(UserInput{Login: "percent_50", Name: "100% sure"})
		emp := mk(UserInput{Login: "emp", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1"}})
		e.user(t, tenantB, UserInput{Login: "ann@other.example"})
		ids := func(us []User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			q    SearchQuery
			want []User
		}{
			{"lists every user of the tenant in ID order", SearchQuery{}, []User{ann, bob, zoe, pct, emp}},
			{"matches a login prefix in any case", SearchQuery{Q: "ANN@"}, []User{ann}},
			{"matches an email prefix", SearchQuery{Q: "robert@"}, []User{bob}},
			{"matches a name prefix after folding", SearchQuery{Q: "ann ØDEGÅRD"}, []User{ann}},
			{"matches a folded ß", SearchQuery{Q: "zoë strasse"}, []User{zoe}},
			{"treats % and _ literally", SearchQuery{Q: "100%"}, []User{pct}},
			{"does not match inside a word", SearchQuery{Q: "obert"}, nil},
			{"selects by status", SearchQuery{Status: StatusStaged}, []User{zoe}},
			{"selects by type", SearchQuery{TypeID: ty.ID}, []User{emp}},
			{"combines conditions", SearchQuery{Q: "z", Status: StatusActive}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, next := search(t, e, tc.q)
				if g, w := ids(got), ids(tc.want); len(g) != len(w) || next != "" {
					t.Fatalf("got %v (next %q), want %v", g, next, w)
				} else {
					for i := range g {
						if g[i] != w[i] {
							t.Fatalf("got %v, want %v", g, w)
						}
					}
				}
			})
		}
		t.Run("pages with a cursor", func(t *testing.T) {
			var all []string
			after := ""
			for range 10 {
				page, next := search(t, e, SearchQuery{Limit: 2, After: after})
				all = append(all, ids(page)...)
				if next == "" {
					break
				}
				after = next
			}
			want := ids([]User{ann, bob, zoe, pct, emp})
			if len(all) != len(want) {
				t.Fatalf("paged %v, want %v", all, want)
			}
		})
		t.Run("refuses bad input", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.dir.Search(ctx, tx, tenantA, SearchQuery{Status: "active", Limit: -1})
				return err
			})
			wantFields(t, err, "status", "limit")
		})
	})
}

func TestUpdateUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "ann", Email: "ann@example.com", EmailVerified: true, Phone: "+14155550100", PhoneVerified: true})
		update := func(up UserUpdate) (User, error) {
			var got User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				got, err = e.dir.UpdateUser(ctx, tx, tenantA, u.ID, up, admin)
				return err
			})
			return got, err
		}
		str := func(s string) *string { return &s }
		t.Run("unverifies a changed email and keeps the phone verified", func(t *testing.T) {
			got, err := update(UserUpdate{Email: str("ann@new.example"), GivenName: str("Ann")})
			if err != nil || got.EmailVerified || !got.PhoneVerified || got.GivenName != "Ann" {
				t.Fatalf("got %v %+v", err, got)
			}
		})
		t.Run("refuses a phone number that is not E.164", func(t *testing.T) {
			_, err := update(UserUpdate{Phone: str("555-0100")})
			wantFields(t, err, "phone")
		})
		t.Run("finds the user by the new email", func(t *testing.T) {
			got, _ := search(t, e, SearchQuery{Q: "ANN@NEW"})
			if len(got) != 1 || got[0].ID != u.ID {
				t.Fatalf("got %v", got)
			}
		})
	})
}

// search runs Search in tenantA, failing on an error.
func search(t *testing.T, e *env, q SearchQuery) ([]User, string) {
	t.Helper()
	var users []User
	var next string
	if err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
		users, next, err = e.dir.Search(ctx, tx, tenantA, q)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return users, next
}

// TestSearchByGroupAndIndexedAttribute finds members of a group and users
// by the value of a unique custom attribute, ignoring case.
func TestSearchByGroupAndIndexedAttribute(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		err := e.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			typ, err := e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{
				Name:       "customers",
				Schema:     []byte(`{"type":"object","properties":{"account":{"type":"string","maxLength":20}},"additionalProperties":false}`),
				Attributes: map[string]Attribute{"account": {Unique: true}},
			})
			if err != nil {
				return err
			}
			g, err := e.dir.CreateGroup(ctx, tx, tenantA, GroupInput{Name: "VIP"})
			if err != nil {
				return err
			}
			var ids []string
			for i, acct := range []string{"AC-100", "AC-200", "AC-300"} {
				u, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: "c" + string(rune('a'+i)) + "@example.com", TypeID: typ.ID, Profile: map[string]any{"account": acct}})
				if err != nil {
					return err
				}
				ids = append(ids, u.ID)
			}
			if err := e.dir.AddMember(ctx, tx, tenantA, g.ID, ids[1]); err != nil {
				return err
			}
			for _, c := range []struct {
				name string
				q    SearchQuery
				want []string
			}{
				{"by group", SearchQuery{GroupID: g.ID}, ids[1:2]},
				{"by indexed attribute, any case", SearchQuery{Attribute: "account", Value: "ac-300"}, ids[2:3]},
				{"by attribute and group, no match", SearchQuery{Attribute: "account", Value: "AC-100", GroupID: g.ID}, nil},
			} {
				got, _, err := e.dir.Search(ctx, tx, tenantA, c.q)
				if err != nil {
					return err
				}
				var gotIDs []string
				for _, u := range got {
					gotIDs = append(gotIDs, u.ID)
				}
				if strings.Join(gotIDs, ",") != strings.Join(c.want, ",") {
					t.Errorf("%s: got %v, want %v", c.name, gotIDs, c.want)
				}
			}
			_, _, err = e.dir.Search(ctx, tx, tenantA, SearchQuery{Value: "x"})
			wantFields(t, err, "attribute")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
