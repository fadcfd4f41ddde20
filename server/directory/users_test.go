package directory

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

func TestCreateUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name string
			in   UserInput
			want User
		}{
			{"normalizes an email login and defaults the email to it",
				UserInput{Login: "  Alice@Example.COM ", Name: " Alice "},
				User{Login: "alice@example.com", Email: "alice@example.com", Name: "Alice", Status: StatusActive}},
			{"lowercases a username and leaves the email empty",
				UserInput{Login: "Bob", EmailVerified: false},
				User{Login: "bob", Status: StatusActive}},
			{"keeps a separate email, lowercasing only its domain",
				UserInput{Login: "carol", Email: "Carol.Smith@Example.ORG", EmailVerified: true},
				User{Login: "carol", Email: "Carol.Smith@example.org", EmailVerified: true, Status: StatusActive}},
			{"stores the locale in canonical form",
				UserInput{Login: "dan", Locale: "en-us"},
				User{Login: "dan", Locale: "en-US", Status: StatusActive}},
			{"keeps an explicit status",
				UserInput{Login: "erin", Status: StatusStaged},
				User{Login: "erin", Status: StatusStaged}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := e.user(t, tenantA, tc.in)
				if !ident.Valid("usr", got.ID) {
					t.Errorf("ID %q is not a usr ID", got.ID)
				}
				if !ident.Valid("uty", got.TypeID) {
					t.Errorf("TypeID %q is not a uty ID", got.TypeID)
				}
				tc.want.ID, tc.want.TenantID, tc.want.CreatedAt, tc.want.UpdatedAt = got.ID, tenantA, t0, t0
				tc.want.TypeID, tc.want.Profile = got.TypeID, map[string]any{}
				if !equalUsers(got, tc.want) {
					t.Fatalf("created %+v, want %+v", got, tc.want)
				}
				read := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, got.ID) })
				if !equalUsers(read, tc.want) {
					t.Fatalf("read back %+v, want %+v", read, tc.want)
				}
			})
		}
	})
}

func TestCreateUserRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name   string
			tenant string
			in     UserInput
			fields []string
		}{
			{"refuses an empty login", tenantA, UserInput{Login: "  "}, []string{"login"}},
			{"refuses a login longer than 254 characters", tenantA, UserInput{Login: strings.Repeat("a", 255)}, []string{"login"}},
			{"refuses a control character in the login", tenantA, UserInput{Login: "bob\x00"}, []string{"login"}},
			{"refuses an invisible character in the login", tenantA, UserInput{Login: "b\u200bob"}, []string{"login"}},
			{"refuses invalid UTF-8 in the login", tenantA, UserInput{Login: "b\xffob"}, []string{"login"}},
			{"refuses a login with @ that is no address", tenantA, UserInput{Login: "@bob"}, []string{"login"}},
			{"refuses a login with a display name", tenantA, UserInput{Login: "Bob <bob@example.com>"}, []string{"login"}},
			{"refuses a bad email", tenantA, UserInput{Login: "bob", Email: "bob@"}, []string{"email"}},
			{"refuses a verified flag without an email", tenantA, UserInput{Login: "bob", EmailVerified: true}, []string{"email_verified"}},
			{"refuses a name longer than 200 characters", tenantA, UserInput{Login: "bob", Name: strings.Repeat("é", 201)}, []string{"name"}},
			{"refuses a locale that is no BCP 47 tag", tenantA, UserInput{Login: "bob", Locale: "english please"}, []string{"locale"}},
			{"refuses an unknown status", tenantA, UserInput{Login: "bob", Status: "deleted"}, []string{"status"}},
			{"refuses a missing tenant", "", UserInput{Login: "bob"}, []string{"tenant_id"}},
			{"names every bad field at once", tenantA, UserInput{Login: "", Email: "x", Locale: "!!", Status: "gone"},
				[]string{"login", "email", "locale", "status"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.dir.CreateUser(ctx, tx, tc.tenant, tc.in)
					return err
				})
				wantFields(t, err, tc.fields...)
				if errors.Is(err, store.ErrConflict) {
					t.Fatalf("bad input reported as a conflict: %v", err)
				}
				if n := e.count(t, "users"); n != 0 {
					t.Fatalf("refused input left %d users", n)
				}
			})
		}
	})
}

func TestCreateUserRefusesDuplicateLogin(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		first := e.user(t, tenantA, UserInput{Login: "alice@example.com"})
		for _, login := range []string{"alice@example.com", " ALICE@example.com ", "Alice@Example.Com"} {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: login})
				return err
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("login %q: got %v, want ErrConflict", login, err)
			}
			wantFields(t, err, "login")
		}
		// The same login in another tenant is another user.
		other := e.user(t, tenantB, UserInput{Login: "Alice@example.com"})
		if other.ID == first.ID || e.count(t, "users") != 2 {
			t.Fatalf("want two distinct users, got %s and %s", first.ID, other.ID)
		}
	})
}

func TestUserLookups(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice@example.com"})
		for _, tc := range []struct {
			name string
			find func(ctx context.Context, tx store.Tx) (User, error)
			ok   bool
		}{
			{"finds a user by ID", func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) }, true},
			{"finds a user by login in another case", func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UserByLogin(ctx, tx, tenantA, " ALICE@example.com")
			}, true},
			{"does not find a user of another tenant by ID", func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantB, u.ID) }, false},
			{"does not find a user of another tenant by login", func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UserByLogin(ctx, tx, tenantB, u.Login)
			}, false},
			{"does not find an unknown ID", func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, "usr_nope") }, false},
			{"does not find an unknown login", func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UserByLogin(ctx, tx, tenantA, "bob@example.com")
			}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got User
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					var err error
					got, err = tc.find(ctx, tx)
					return err
				})
				switch {
				case tc.ok && err != nil:
					t.Fatal(err)
				case tc.ok && got.ID != u.ID:
					t.Fatalf("found %s, want %s", got.ID, u.ID)
				case !tc.ok:
					wantNotFound(t, err)
				}
			})
		}
	})
}

func TestUserByLoginRefusesImpossibleLogins(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, login := range []string{"", "   ", strings.Repeat("x", 300), "a\nb", "@nobody"} {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.UserByLogin(ctx, tx, tenantA, login)
				return err
			})
			wantNotFound(t, err)
			if !invalid.Is(err) {
				t.Fatalf("login %q: %v holds no field error", login, err)
			}
		}
	})
}

func TestRecordSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		if u.LastSignInAt != nil {
			t.Fatalf("new user has LastSignInAt %v", u.LastSignInAt)
		}
		at := e.clk.Advance(time.Hour)
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.RecordSignIn(ctx, tx, tenantA, u.ID) }); err != nil {
			t.Fatal(err)
		}
		got := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
		if got.LastSignInAt == nil || !got.LastSignInAt.Equal(at) {
			t.Fatalf("LastSignInAt = %v, want %v", got.LastSignInAt, at)
		}
		if !got.UpdatedAt.Equal(t0) {
			t.Fatalf("a sign-in changed UpdatedAt to %v", got.UpdatedAt)
		}
		for _, tc := range []struct{ name, tenant, id string }{
			{"refuses a user of another tenant", tenantB, u.ID},
			{"refuses an unknown user", tenantA, "usr_nope"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.RecordSignIn(ctx, tx, tc.tenant, tc.id) }))
			})
		}
	})
}

// equalUsers compares users, times with Equal.
func equalUsers(a, b User) bool {
	ta, tb := a.LastSignInAt, b.LastSignInAt
	a.LastSignInAt, b.LastSignInAt = nil, nil
	ca, cb := a.CreatedAt, b.CreatedAt
	ua, ub := a.UpdatedAt, b.UpdatedAt
	a.CreatedAt, b.CreatedAt, a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b) && ca.Equal(cb) && ua.Equal(ub) && (ta == nil) == (tb == nil) && (ta == nil || ta.Equal(*tb))
}
