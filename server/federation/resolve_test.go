package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// dirWorld is one fresh database with a tenant, its default user type and
// a "staff" type with custom attributes, and a Service over the real
// directory, secrets and tenant services, for the tests of what an
// assertion means for the directory.
type dirWorld struct {
	st     store.Store
	svc    *Service
	dir    *directory.Directory
	ev     *events.Log
	clk    *clock.Fake
	tenant string
	// staff is a user type with the custom attributes department (a
	// string) and employee_no (an integer); strict requires employee_no.
	staff, strict string
	// logs is what the Service logged.
	logs *bytes.Buffer
}

// dirT0 is when the tests happen.
var dirT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// eachDirWorld runs fn on a fresh world of every dialect.
func eachDirWorld(t *testing.T, fn func(t *testing.T, w *dirWorld)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newDirWorld(t, b.Open(t))) })
	}
}

func newDirWorld(t *testing.T, st store.Store) *dirWorld {
	t.Helper()
	ctx := context.Background()
	w := &dirWorld{st: st, clk: clock.NewFake(dirT0), logs: &bytes.Buffer{}}
	kek, err := secrets.GenerateKEK(dirT0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, w.clk)
	if err != nil {
		t.Fatal(err)
	}
	w.ev = events.New(st, sec, w.clk)
	w.dir = directory.New(w.clk, w.ev, sec)
	tenants := tenant.New(sec, w.clk, tenant.Options{PublicHost: "id.example.com"})
	w.svc, err = New(Deps{Secrets: sec, Directory: w.dir, Tenants: tenants, HTTP: &http.Client{}, Clock: w.clk,
		Logger: slog.New(slog.NewTextHandler(w.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		ten, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		w.tenant = ten.ID
		if _, err := w.dir.DefaultUserType(ctx, tx, ten.ID); err != nil {
			return err
		}
		schema := json.RawMessage(`{"type": "object", "additionalProperties": false, "properties": {
			"department": {"type": "string", "maxLength": 50}, "employee_no": {"type": "integer"}}}`)
		staff, err := w.dir.CreateUserType(ctx, tx, ten.ID, directory.UserTypeInput{Name: "staff", Schema: schema})
		if err != nil {
			return err
		}
		strict, err := w.dir.CreateUserType(ctx, tx, ten.ID, directory.UserTypeInput{Name: "strict", Schema: schema,
			Attributes: map[string]directory.Attribute{"employee_no": {Required: true}}})
		w.staff, w.strict = staff.ID, strict.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// dirIdPID is the ID of the identity provider of the tests.
const dirIdPID = "idp_01test"

// dirMapping maps the claims the tests assert; the tests give it
// explicitly so that they do not depend on the kinds' defaults.
var dirMapping = map[string]string{
	"email":       `email`,
	"given_name":  `claims[?"given_name"].orValue(null)`,
	"family_name": `claims[?"family_name"].orValue(null)`,
}

// idp returns an enabled OpenID Connect provider of the world's tenant
// with cfg, mapped by dirMapping unless cfg says otherwise. Resolve and
// the others read no IdP from the store.
func (w *dirWorld) idp(cfg Config) IdP {
	if cfg.Mapping == nil {
		cfg.Mapping = dirMapping
	}
	return IdP{ID: dirIdPID, TenantID: w.tenant, Name: "Acme SSO", Kind: KindOIDC, Enabled: true, Config: cfg,
		CreatedAt: dirT0, UpdatedAt: dirT0}
}

// dirAssertion is what dirIdPID asserts about subject.
func dirAssertion(subject, email string, verified bool, claims map[string]any) Assertion {
	return Assertion{IdPID: dirIdPID, Subject: subject, Email: email, EmailVerified: verified, Claims: claims}
}

// user creates an account of the world's tenant.
func (w *dirWorld) user(t *testing.T, in directory.UserInput) directory.User {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
		return w.dir.CreateUser(ctx, tx, w.tenant, in)
	})
}

// rows counts the rows of the tables an assertion could change.
func (w *dirWorld) rows(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "linked_identities", "events", "user_types", "user_unique_attrs", "credentials"} {
		out[table] = storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (int, error) {
			var n int
			return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
		})
	}
	return out
}

// events returns the events of the world's tenant of types.
func (w *dirWorld) events(t *testing.T, types ...string) []events.Event {
	t.Helper()
	evs, _, err := w.ev.Query(context.Background(), events.Query{TenantID: w.tenant, Types: types, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestResolve(t *testing.T) {
	eachDirWorld(t, func(t *testing.T, w *dirWorld) {
		linked := w.user(t, directory.UserInput{Login: "linked@example.com", EmailVerified: true})
		verified := w.user(t, directory.UserInput{Login: "verified@example.com", EmailVerified: true})
		unverified := w.user(t, directory.UserInput{Login: "unverified@example.com"})
		mixed := w.user(t, directory.UserInput{Login: "mixed", Email: "Mixed.Case@EXAMPLE.com", EmailVerified: true})
		w.user(t, directory.UserInput{Login: "shared1", Email: "shared@example.com", EmailVerified: true})
		w.user(t, directory.UserInput{Login: "shared2", Email: "shared@example.com", EmailVerified: true})
		moved := w.user(t, directory.UserInput{Login: "old@example.com", EmailVerified: true})
		err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
			if _, err := w.dir.Link(ctx, tx, w.tenant, linked.ID, dirIdPID, "sub-linked"); err != nil {
				return err
			}
			// The login stays the old address; the email moves on.
			email, yes := "new@example.com", true
			_, err := w.dir.UpdateUser(ctx, tx, w.tenant, moved.ID, directory.UserUpdate{Email: &email, EmailVerified: &yes}, events.Ref{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		claims := map[string]any{"given_name": "Jane", "family_name": "Doe"}
		strictest := Config{JIT: JITDeny, Link: LinkNever}
		tests := []struct {
			name string
			cfg  Config
			a    Assertion
			want Outcome // Attributes: only whether there are some
		}{
			{"signs in a linked account", Config{}, dirAssertion("sub-linked", "linked@example.com", true, claims),
				Outcome{Kind: OutcomeSignIn, UserID: linked.ID}},
			{"signs in a linked account whatever the policies", strictest, dirAssertion("sub-linked", "other@example.com", false, claims),
				Outcome{Kind: OutcomeSignIn, UserID: linked.ID}},
			{"never links on an unverified upstream email", Config{Link: LinkAuto}, dirAssertion("s1", "verified@example.com", false, claims),
				Outcome{Kind: OutcomeProve, UserID: verified.ID}},
			{"never links to an account whose email is unverified", Config{Link: LinkAuto}, dirAssertion("s2", "unverified@example.com", true, claims),
				Outcome{Kind: OutcomeProve, UserID: unverified.ID}},
			{"never links when neither side is verified", Config{}, dirAssertion("s3", "unverified@example.com", false, claims),
				Outcome{Kind: OutcomeProve, UserID: unverified.ID}},
			{"links when both sides are verified (auto)", Config{Link: LinkAuto}, dirAssertion("s4", "verified@example.com", true, claims),
				Outcome{Kind: OutcomeLink, UserID: verified.ID}},
			{"links automatically by default", Config{}, dirAssertion("s5", "verified@example.com", true, claims),
				Outcome{Kind: OutcomeLink, UserID: verified.ID}},
			{"asks for proof under LinkProve though both are verified", Config{Link: LinkProve}, dirAssertion("s6", "verified@example.com", true, claims),
				Outcome{Kind: OutcomeProve, UserID: verified.ID}},
			{"refuses a taken address under LinkNever", Config{Link: LinkNever}, dirAssertion("s7", "verified@example.com", true, claims),
				Outcome{Kind: OutcomeDeny, Reason: "email_taken"}},
			{"matches the address whatever its case", Config{}, dirAssertion("s8", "mixed.case@example.com", true, claims),
				Outcome{Kind: OutcomeLink, UserID: mixed.ID}},
			{"matches an upper-case assertion", Config{}, dirAssertion("s9", "VERIFIED@Example.COM", true, claims),
				Outcome{Kind: OutcomeLink, UserID: verified.ID}},
			{"refuses an address several accounts hold", Config{}, dirAssertion("s10", "shared@example.com", true, claims),
				Outcome{Kind: OutcomeDeny, Reason: "email_taken"}},
			{"asks for proof of an account whose login is the address", Config{}, dirAssertion("s11", "old@example.com", true, claims),
				Outcome{Kind: OutcomeProve, UserID: moved.ID}},
			{"creates an account for no account (JITCreate)", Config{JIT: JITCreate}, dirAssertion("s12", "new-person@example.com", true, claims),
				Outcome{Kind: OutcomeCreate}},
			{"creates by default", Config{}, dirAssertion("s13", "new-person@example.com", false, claims),
				Outcome{Kind: OutcomeCreate}},
			{"creates for an assertion without an address", Config{}, dirAssertion("s14", "", false, claims),
				Outcome{Kind: OutcomeCreate}},
			{"refuses no account under JITRequireExisting", Config{JIT: JITRequireExisting}, dirAssertion("s15", "new-person@example.com", true, claims),
				Outcome{Kind: OutcomeDeny, Reason: "not_linked"}},
			{"still links existing accounts under JITRequireExisting", Config{JIT: JITRequireExisting}, dirAssertion("s16", "verified@example.com", true, claims),
				Outcome{Kind: OutcomeLink, UserID: verified.ID}},
			{"refuses under JITDeny though both sides are verified", Config{JIT: JITDeny}, dirAssertion("s17", "verified@example.com", true, claims),
				Outcome{Kind: OutcomeDeny, Reason: "not_linked"}},
		}
		before := w.rows(t)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var got Outcome
				err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) (err error) {
					got, err = w.svc.Resolve(ctx, tx, w.idp(tc.cfg), tc.a)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if got.Kind != tc.want.Kind || got.UserID != tc.want.UserID || got.Reason != tc.want.Reason {
					t.Fatalf("got %s %q %q, want %s %q %q", got.Kind, got.UserID, got.Reason, tc.want.Kind, tc.want.UserID, tc.want.Reason)
				}
				if got.Kind == OutcomeDeny {
					if got.Attributes != nil {
						t.Fatalf("a denial carries attributes %v", got.Attributes)
					}
					return
				}
				if got.Attributes["given_name"] != "Jane" || got.Attributes["family_name"] != "Doe" || got.Attributes["email"] != dirNilIfEmpty(tc.a.Email) {
					t.Fatalf("attributes %v", got.Attributes)
				}
			})
		}
		t.Run("writes nothing", func(t *testing.T) {
			if after := w.rows(t); !maps.Equal(before, after) {
				t.Fatalf("rows %v before, %v after", before, after)
			}
		})
	})
}

// dirNilIfEmpty is what Map makes of an address: "" leaves it out.
func dirNilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestResolveRefuses(t *testing.T) {
	eachDirWorld(t, func(t *testing.T, w *dirWorld) {
		disabled := w.idp(Config{})
		disabled.Enabled = false
		badMapping := w.idp(Config{Mapping: map[string]string{"given_name": `claims.missing`}})
		other := dirAssertion("s1", "jane@example.com", true, nil)
		other.IdPID = "idp_01other"
		tests := []struct {
			name string
			idp  IdP
			a    Assertion
			want error
		}{
			{"a disabled provider", disabled, dirAssertion("s1", "jane@example.com", true, nil), ErrNotFound},
			{"another provider's assertion", w.idp(Config{}), other, ErrInvalid},
			{"an assertion without a subject", w.idp(Config{}), dirAssertion("", "jane@example.com", true, nil), ErrInvalid},
			{"a mapping that fails", badMapping, dirAssertion("s1", "jane@example.com", true, nil), ErrConfig},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
					_, err := w.svc.Resolve(ctx, tx, tc.idp, tc.a)
					return err
				})
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
	})
}
