package directory

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// loginForm returns a spelling of "strasse-file" that differs in case and
// Unicode form according to i; all normalize to the same login.
func loginForm(i int) string {
	r := []rune("strasse-file")
	for j := range r {
		if i>>(j%5)&1 == 1 {
			r[j] = unicode.ToUpper(r[j])
		}
	}
	s := string(r)
	switch i % 4 {
	case 1:
		s = strings.Replace(strings.Replace(s, "ss", "ß", 1), "SS", "ß", 1)
	case 2:
		s = strings.Replace(s, "fi", "\ufb01", 1) // the "fi" ligature
	case 3:
		s = string(rune(0xff00+int(s[0])-0x20)) + s[1:] // a full-width first letter
	}
	return s
}

func TestLoginsAreUniqueAfterFolding(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		first := e.user(t, tenantA, UserInput{Login: "Straße-ﬁle"})
		if first.Login != "strasse-file" {
			t.Fatalf("login stored as %q", first.Login)
		}
		for _, tc := range []struct{ name, login string }{
			{"refuses the same login in uppercase", "STRASSE-FILE"},
			{"refuses the login with ß", "straße-file"},
			{"refuses the login with a ligature", "strasse-\ufb01le"},
			{"refuses the login in full-width letters", "ｓｔｒａｓｓｅ-file"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: tc.login})
					return err
				})
				if !errors.Is(err, store.ErrConflict) || len(invalid.All(err)) != 1 || invalid.All(err)[0].Field != "login" {
					t.Fatalf("got %v, want ErrConflict naming login", err)
				}
				found := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
					return e.dir.UserByLogin(ctx, tx, tenantA, tc.login)
				})
				if found.ID != first.ID {
					t.Fatalf("UserByLogin(%q) found %s, want %s", tc.login, found.ID, first.ID)
				}
			})
		}
		t.Run("allows the same login in another tenant", func(t *testing.T) {
			e.user(t, tenantB, UserInput{Login: "STRASSE-FILE"})
		})
	})
}

func TestConcurrentCreatesOfOneLoginHaveOneWinner(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// The tenant's default type is created by the same race.
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
					_, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: loginForm(i)})
					return err
				})
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("create %q: %v, want success or ErrConflict", loginForm(i), err)
			}
		}
		if won != 1 || e.count(t, "users") != 1 {
			t.Fatalf("%d winners, %d users; want 1", won, e.count(t, "users"))
		}
	})
}

func TestLoginFormsNormalizeAlike(t *testing.T) {
	for i := range 20 {
		if got := NormalizeLogin(loginForm(i)); got != "strasse-file" {
			t.Errorf("NormalizeLogin(%q) = %q", loginForm(i), got)
		}
	}
}
