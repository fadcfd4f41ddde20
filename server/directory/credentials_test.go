package directory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/store"
)

const phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

func TestSetCredential(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		set := func(secret string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.SetCredential(ctx, tx, tenantA, u.ID, CredentialPassword, secret)
			})
		}
		read := func() Credential {
			return get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
				return e.dir.Credential(ctx, tx, tenantA, u.ID, CredentialPassword)
			})
		}
		t.Run("stores a new credential", func(t *testing.T) {
			if err := set(phc); err != nil {
				t.Fatal(err)
			}
			c := read()
			if !ident.Valid("cred", c.ID) || c.UserID != u.ID || c.Type != CredentialPassword || c.Secret != phc ||
				!c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
				t.Fatalf("got %#v (secret %q)", c, c.Secret)
			}
		})
		t.Run("replaces the secret and keeps the ID", func(t *testing.T) {
			before := read()
			later := e.clk.Advance(time.Hour)
			if err := set(phc + "x"); err != nil {
				t.Fatal(err)
			}
			c := read()
			if c.ID != before.ID || c.Secret != phc+"x" || !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(later) {
				t.Fatalf("got %v (secret %q), want ID %s, updated at %v", c, c.Secret, before.ID, later)
			}
			if n := e.count(t, "credentials"); n != 1 {
				t.Fatalf("%d credentials, want 1", n)
			}
		})
	})
}

func TestSetCredentialRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		for _, tc := range []struct {
			name, typ, secret string
			fields            []string
		}{
			{"refuses an unknown type", "sms", phc, []string{"type"}},
			{"refuses an empty secret", CredentialPassword, "", []string{"secret"}},
			{"refuses a secret longer than MaxSecretLen", CredentialPassword, strings.Repeat("a", MaxSecretLen+1), []string{"secret"}},
			{"refuses a NUL byte in the secret", CredentialPassword, "abc\x00def", []string{"secret"}},
			{"refuses invalid UTF-8 in the secret", CredentialPassword, "abc\xff", []string{"secret"}},
			{"names both fields at once", "", "", []string{"type", "secret"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					return e.dir.SetCredential(ctx, tx, tenantA, u.ID, tc.typ, tc.secret)
				})
				wantFields(t, err, tc.fields...)
				if n := e.count(t, "credentials"); n != 0 {
					t.Fatalf("refused input left %d credentials", n)
				}
			})
		}
	})
}

func TestCredentialsStayInTheirTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			return e.dir.SetCredential(ctx, tx, tenantA, u.ID, CredentialPassword, phc)
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			call func(ctx context.Context, tx store.Tx) error
		}{
			{"refuses setting a credential of another tenant's user", func(ctx context.Context, tx store.Tx) error {
				return e.dir.SetCredential(ctx, tx, tenantB, u.ID, CredentialPassword, "other")
			}},
			{"refuses setting a credential of an unknown user", func(ctx context.Context, tx store.Tx) error {
				return e.dir.SetCredential(ctx, tx, tenantA, "usr_nope", CredentialPassword, "other")
			}},
			{"does not find another tenant's credential", func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.Credential(ctx, tx, tenantB, u.ID, CredentialPassword)
				return err
			}},
			{"does not find a type the user has not set", func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.Credential(ctx, tx, tenantA, u.ID, "totp")
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantNotFound(t, e.do(t, tc.call))
			})
		}
		c := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.Credential(ctx, tx, tenantA, u.ID, CredentialPassword)
		})
		if c.Secret != phc || e.count(t, "credentials") != 1 {
			t.Fatal("a refused call changed the stored credential")
		}
	})
}

func TestCredentialNeverPrintsItsSecret(t *testing.T) {
	c := Credential{ID: "cred_1", UserID: "usr_1", Type: CredentialPassword, Secret: phc, CreatedAt: t0, UpdatedAt: t0}
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("credential", "c", c)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c), "%s": fmt.Sprint(c),
		"pointer %v": fmt.Sprintf("%v", &c), "slog": log.String(),
	} {
		if strings.Contains(out, "argon2id") || strings.Contains(out, "c2FsdHNhbHRzYWx0c2FsdA") {
			t.Errorf("%s prints the secret: %s", name, out)
		}
		if !strings.Contains(out, "cred_1") {
			t.Errorf("%s does not name the credential: %s", name, out)
		}
	}
}

func TestSeveralPasskeysPerUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		add := func(label string, verified bool) (Credential, error) {
			var c Credential
			e.clk.Advance(time.Second) // IDs are time-ordered
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				c, err = e.dir.AddCredential(ctx, tx, tenantA, u.ID, CredentialInput{Type: CredentialWebAuthn, Secret: "pk-" + label, Verified: verified, Label: label})
				return err
			})
			return c, err
		}
		list := func(tenantID string) []Credential {
			return get(t, e, func(ctx context.Context, tx store.Tx) ([]Credential, error) {
				return e.dir.Credentials(ctx, tx, tenantID, u.ID)
			})
		}
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			return e.dir.SetCredential(ctx, tx, tenantA, u.ID, CredentialPassword, phc)
		}); err != nil {
			t.Fatal(err)
		}
		key1, err1 := add("YubiKey", true)
		key2, err2 := add("Phone", false)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		t.Run("lists the password and both passkeys with label and verified", func(t *testing.T) {
			got := list(tenantA)
			if len(got) != 3 || got[0].Type != CredentialPassword || !got[0].Verified ||
				got[1].ID != key1.ID || got[1].Label != "YubiKey" || !got[1].Verified || got[2].ID != key2.ID || got[2].Verified {
				t.Fatalf("got %v", got)
			}
		})
		t.Run("lists nothing for another tenant", func(t *testing.T) {
			if got := list(tenantB); len(got) != 0 {
				t.Fatalf("got %v", got)
			}
		})
		t.Run("refuses a label that is too long", func(t *testing.T) {
			long := make([]byte, MaxLabelLen+1)
			for i := range long {
				long[i] = 'a'
			}
			_, err := add(string(long), true)
			wantFields(t, err, "label")
		})
		t.Run("deletes one passkey", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.DeleteCredential(ctx, tx, tenantA, u.ID, key1.ID)
			}); err != nil {
				t.Fatal(err)
			}
			if got := list(tenantA); len(got) != 2 || got[1].ID != key2.ID {
				t.Fatalf("got %v", got)
			}
		})
		t.Run("refuses to delete a credential that is gone or another tenant's", func(t *testing.T) {
			for _, tc := range []struct{ tenant, id string }{{tenantA, key1.ID}, {tenantB, key2.ID}} {
				wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					return e.dir.DeleteCredential(ctx, tx, tc.tenant, u.ID, tc.id)
				}))
			}
		})
	})
}

// TestFactorSlots attaches every kind of factor credential to one user
// without schema changes; an unknown kind is refused.
func TestFactorSlots(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "slots"})
		ctx := context.Background()
		err := e.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, typ := range []string{CredentialWebAuthn, CredentialWebAuthn, CredentialTOTP, CredentialRecoveryCodes, CredentialSecurityAnswer, CredentialEmail, CredentialPhone} {
				if _, err := e.dir.AddCredential(ctx, tx, tenantA, u.ID, CredentialInput{Type: typ, Secret: "sealed-or-hashed-" + typ}); err != nil {
					return fmt.Errorf("%s: %w", typ, err)
				}
			}
			if _, err := e.dir.AddCredential(ctx, tx, tenantA, u.ID, CredentialInput{Type: "carrier-pigeon", Secret: "x"}); err == nil {
				t.Error("an unknown credential type was accepted")
			}
			cs, err := e.dir.Credentials(ctx, tx, tenantA, u.ID)
			if err != nil {
				return err
			}
			if len(cs) != 7 {
				t.Errorf("%d credentials, want 7", len(cs))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSecurityAnswerCredential(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		pw := factor.NewPasswords(1)
		ctx := context.Background()
		hash, err := pw.HashAnswer(ctx, "Mrs Fluffy")
		if err != nil {
			t.Fatal(err)
		}
		const question = "What was the name of your first pet?"
		get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.AddCredential(ctx, tx, tenantA, u.ID, CredentialInput{Type: CredentialSecurityAnswer, Secret: hash, Verified: true, Label: question})
		})
		c := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.Credential(ctx, tx, tenantA, u.ID, CredentialSecurityAnswer)
		})
		if c.Label != question || !c.Verified {
			t.Fatalf("stored %v", c)
		}
		if ok, err := pw.VerifyAnswer(ctx, c.Secret, "  mrs   fluffy "); !ok || err != nil {
			t.Fatalf("VerifyAnswer = %v, %v", ok, err)
		}
	})
}

func TestSwapCredentialSecret(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		other := e.user(t, tenantA, UserInput{Login: "bob"})
		c := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.AddCredential(ctx, tx, tenantA, u.ID, CredentialInput{Type: CredentialTOTP, Secret: "v1", Label: "Phone"})
		})
		swap := func(tenantID, userID, id, old, next string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.SwapCredentialSecret(ctx, tx, tenantID, userID, id, old, next, true)
			})
		}
		if err := swap(tenantA, u.ID, c.ID, "v1", "v2"); err != nil {
			t.Fatalf("swap from the current secret: %v", err)
		}
		for _, tc := range []struct {
			name               string
			tenant, user, id   string
			old, next          string
			wantChanged, wantF bool
		}{
			{"refuses a stale old secret (a second use of the same step)", tenantA, u.ID, c.ID, "v1", "v3", true, false},
			{"does not find another user's credential", tenantA, other.ID, c.ID, "v2", "v3", false, false},
			{"does not find another tenant's credential", tenantB, u.ID, c.ID, "v2", "v3", false, false},
			{"refuses an empty next secret", tenantA, u.ID, c.ID, "v2", "", false, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := swap(tc.tenant, tc.user, tc.id, tc.old, tc.next)
				switch {
				case tc.wantChanged:
					if !errors.Is(err, ErrCredentialChanged) {
						t.Fatalf("err = %v, want ErrCredentialChanged", err)
					}
				case tc.wantF:
					wantFields(t, err, "secret")
				default:
					wantNotFound(t, err)
				}
			})
		}
		got := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.CredentialByID(ctx, tx, tenantA, u.ID, c.ID)
		})
		if got.Secret != "v2" || !got.Verified || got.Label != "Phone" {
			t.Fatalf("after the swaps: %v (secret %q), want secret v2, verified, label kept", got, got.Secret)
		}
	})
}

func TestRenameCredential(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		c := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.AddCredential(ctx, tx, tenantA, u.ID, CredentialInput{Type: CredentialWebAuthn, Secret: "{}", Verified: true})
		})
		got := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.RenameCredential(ctx, tx, tenantA, u.ID, c.ID, "  Work laptop ")
		})
		if got.Label != "Work laptop" {
			t.Fatalf("label = %q, want trimmed", got.Label)
		}
		wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.dir.RenameCredential(ctx, tx, tenantA, u.ID, c.ID, strings.Repeat("x", MaxLabelLen+1))
			return err
		}), "label")
		wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.dir.RenameCredential(ctx, tx, tenantB, u.ID, c.ID, "x")
			return err
		}))
		if got := get(t, e, func(ctx context.Context, tx store.Tx) (Credential, error) {
			return e.dir.CredentialByID(ctx, tx, tenantA, u.ID, c.ID)
		}); got.Label != "Work laptop" {
			t.Fatalf("a refused rename changed the label to %q", got.Label)
		}
	})
}
