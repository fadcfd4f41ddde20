package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/store"
)

// setPassword sets a tenant's password policy, failing the test on an
// error.
func (e *env) setPassword(t *testing.T, tenantID string, p PasswordPolicy) {
	t.Helper()
	get(t, e, func(ctx context.Context, tx store.Tx) (PasswordPolicy, error) {
		return e.svc.SetPasswordPolicy(ctx, tx, tenantID, p)
	})
}

// passwordPolicy reads a tenant's password policy.
func (e *env) passwordPolicy(t *testing.T, tenantID string) PasswordPolicy {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (PasswordPolicy, error) {
		return e.svc.Password(ctx, tx, tenantID)
	})
}

func TestPasswordPolicy(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		want := PasswordPolicy{MinLength: 8, MaxLength: 1024, Blocklist: true, History: 4, LockoutThreshold: 10,
			LockoutDuration: 30 * time.Minute, NotifyLockout: true}
		if got := e.passwordPolicy(t, ten.ID); got != want || DefaultPasswordPolicy() != want {
			t.Fatalf("default %+v, want %+v", got, want)
		}
		set := PasswordPolicy{MinLength: 12, MaxLength: 64, History: 0, LockoutThreshold: 0, LockoutDuration: 0}
		e.setPassword(t, ten.ID, set)
		if got := e.passwordPolicy(t, ten.ID); got != set {
			t.Fatalf("read back %+v, set %+v", got, set)
		}
		set.LockoutDuration, set.Blocklist = 7*24*time.Hour, true
		e.setPassword(t, ten.ID, set)
		if got := e.passwordPolicy(t, ten.ID); got != set {
			t.Fatalf("replaced with %+v, set %+v", got, set)
		}
		if got := e.passwordPolicy(t, other.ID); got != want {
			t.Fatalf("the other tenant's policy is %+v", got)
		}
		for _, tc := range []struct {
			name   string
			change func(*PasswordPolicy)
			fields []string
		}{
			{"refuses a minimum under 8", func(p *PasswordPolicy) { p.MinLength = 7 }, []string{"min_length"}},
			{"refuses a minimum over 128", func(p *PasswordPolicy) { p.MinLength, p.MaxLength = 129, 200 }, []string{"min_length"}},
			{"refuses a maximum over the hasher's limit", func(p *PasswordPolicy) { p.MaxLength = factor.MaxPasswordLen + 1 }, []string{"max_length"}},
			{"refuses a maximum under 64", func(p *PasswordPolicy) { p.MaxLength = 63 }, []string{"max_length"}},
			{"refuses a maximum under the minimum", func(p *PasswordPolicy) { p.MinLength, p.MaxLength = 100, 80 }, []string{"max_length"}},
			{"refuses a negative history", func(p *PasswordPolicy) { p.History = -1 }, []string{"history"}},
			{"refuses a history over 24", func(p *PasswordPolicy) { p.History = 25 }, []string{"history"}},
			{"refuses a threshold over 100", func(p *PasswordPolicy) { p.LockoutThreshold = 101 }, []string{"lockout_threshold"}},
			{"refuses a negative threshold", func(p *PasswordPolicy) { p.LockoutThreshold = -1 }, []string{"lockout_threshold"}},
			{"refuses a lockout over 7 days", func(p *PasswordPolicy) { p.LockoutDuration = 7*24*time.Hour + time.Second }, []string{"lockout_duration"}},
			{"refuses a negative lockout", func(p *PasswordPolicy) { p.LockoutDuration = -time.Second }, []string{"lockout_duration"}},
			{"refuses a lockout in fractions of seconds", func(p *PasswordPolicy) { p.LockoutDuration = time.Millisecond }, []string{"lockout_duration"}},
			{"reports every problem at once", func(p *PasswordPolicy) { p.MinLength, p.History, p.LockoutThreshold = 0, 99, 999 },
				[]string{"min_length", "history", "lockout_threshold"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := DefaultPasswordPolicy()
				tc.change(&p)
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.SetPasswordPolicy(ctx, tx, other.ID, p)
					return err
				}), tc.fields...)
			})
		}
		if got := e.passwordPolicy(t, other.ID); got != want {
			t.Fatalf("refused changes left %+v", got)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, strict := e.tenant(t, "acme"), e.tenant(t, "strict")
		e.setPassword(t, strict.ID, PasswordPolicy{MinLength: 12, MaxLength: 64, Blocklist: true, History: 2})
		open := e.tenant(t, "open")
		e.setPassword(t, open.ID, PasswordPolicy{MinLength: 8, MaxLength: 1024, Blocklist: false})
		check := func(tenantID, userID, pw string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.CheckPassword(ctx, tx, tenantID, userID, pw)
			})
		}
		for _, tc := range []struct {
			name     string
			tenantID string
			password string
			want     []error
		}{
			{"accepts a long uncommon password", ten.ID, "correct horse battery staple", nil},
			{"accepts exactly the minimum", ten.ID, "q8#Lm2!z", nil},
			{"counts characters, not bytes", ten.ID, "ñøþæßðéü", nil},
			{"refuses an empty password", ten.ID, "", []error{ErrPasswordTooShort}},
			{"refuses a short password", ten.ID, "q8#Lm2!", []error{ErrPasswordTooShort}},
			{"refuses a password over the maximum", strict.ID, strings.Repeat("x7", 33), []error{ErrPasswordTooLong}},
			{"refuses a password over the hasher's byte limit", ten.ID, strings.Repeat("é", factor.MaxPasswordLen/2+1), []error{ErrPasswordTooLong}},
			{"refuses a common password", ten.ID, "password", []error{ErrPasswordCommon}},
			{"refuses a common password ignoring case", ten.ID, "QwertyUIOP", []error{ErrPasswordCommon}},
			{"refuses a breached password", ten.ID, "trustno1", []error{ErrPasswordCommon}},
			{"reports every reason", strict.ID, "baseball", []error{ErrPasswordTooShort, ErrPasswordCommon}},
			{"accepts a common password without the blocklist", open.ID, "password", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := check(tc.tenantID, "", tc.password)
				if tc.want == nil {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.Is(err, ErrPasswordRefused) {
					t.Fatalf("got %v, want ErrPasswordRefused", err)
				}
				fields := make([]string, len(tc.want))
				for i, w := range tc.want {
					if !errors.Is(err, w) {
						t.Errorf("got %v, want %v", err, w)
					}
					fields[i] = "password"
				}
				wantFields(t, err, fields...)
				if len(tc.password) > len("password") && strings.Contains(err.Error(), tc.password) {
					t.Fatalf("the error quotes the password: %v", err)
				}
			})
		}

		t.Run("refuses the last History passwords", func(t *testing.T) {
			const user = "usr_history"
			pws := []string{"first pass phrase", "second pass phrase", "third pass phrase"}
			for _, pw := range pws {
				if err := check(strict.ID, user, pw); err != nil {
					t.Fatalf("%q: %v", pw, err)
				}
				e.remember(t, strict.ID, user, pw)
			}
			for _, tc := range []struct {
				pw     string
				reused bool
			}{{pws[2], true}, {pws[1], true}, {pws[0], false}, {"a fresh pass phrase", false}} {
				err := check(strict.ID, user, tc.pw)
				if got := errors.Is(err, ErrPasswordReused); got != tc.reused || (!tc.reused && err != nil) {
					t.Fatalf("%q: %v, want reused %v", tc.pw, err, tc.reused)
				}
				if tc.reused {
					wantFields(t, err, "password")
				}
			}
			// A person without an account has no history; another user
			// has their own.
			if err := check(strict.ID, "", pws[2]); err != nil {
				t.Fatal(err)
			}
			if err := check(strict.ID, "usr_other", pws[2]); err != nil {
				t.Fatal(err)
			}
			if n := e.count(t, "password_history"); n != 2 {
				t.Fatalf("%d hashes kept, want the policy's 2", n)
			}
		})
		t.Run("keeps no history when the policy keeps none", func(t *testing.T) {
			e.remember(t, open.ID, "usr_open", "some pass phrase")
			if err := check(open.ID, "usr_open", "some pass phrase"); err != nil {
				t.Fatal(err)
			}
			if n := get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
				var n int
				err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM password_history WHERE tenant_id = ?`, open.ID).Scan(&n)
				return n, err
			}); n != 0 {
				t.Fatalf("%d hashes kept", n)
			}
		})
		t.Run("skips a remembered hash it cannot verify", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.RememberPassword(ctx, tx, ten.ID, "usr_legacy", "$2b$10$legacybcrypthashvalue")
			}); err != nil {
				t.Fatal(err)
			}
			if err := check(ten.ID, "usr_legacy", "a fine pass phrase"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("refuses to remember nothing", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.RememberPassword(ctx, tx, ten.ID, "usr_x", "")
			}), "hash")
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.RememberPassword(ctx, tx, ten.ID, "", "$h") }), "user_id")
		})
	})
}

// remember hashes pw and remembers it for a user.
func (e *env) remember(t *testing.T, tenantID, userID, pw string) {
	t.Helper()
	hash, err := e.svc.d.Passwords.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		return e.svc.RememberPassword(ctx, tx, tenantID, userID, hash)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBlocklist(t *testing.T) {
	blocked, err := loadBlocklist()
	if err != nil {
		t.Fatal(err)
	}
	if len(blocked) < minBlocklist {
		t.Fatalf("%d blocked passwords, want at least %d", len(blocked), minBlocklist)
	}
	for pw := range blocked {
		if pw != strings.ToLower(pw) || len(pw) < MinMinLength || strings.TrimSpace(pw) != pw {
			t.Fatalf("entry %q is not a lowercase password of at least %d characters", pw, MinMinLength)
		}
	}
}
