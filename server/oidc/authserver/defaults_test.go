package authserver

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// scimScopesOf returns the scopes of a server named like a SCIM scope, by
// name.
func (e *env) scimScopesOf(t *testing.T, tenantID, serverID string) map[string]Scope {
	t.Helper()
	all := get(t, e, func(ctx context.Context, tx store.Tx) ([]Scope, error) {
		return e.svc.Scopes(ctx, tx, tenantID, serverID)
	})
	out := map[string]Scope{}
	for _, sc := range all {
		if slices.Contains(SCIMScopeNames, sc.Name) {
			out[sc.Name] = sc
		}
	}
	return out
}

// wantSCIMScope fails unless sc is a SCIM scope as a default server gets
// it: machine only, no consent, no default, built in, granted to nobody.
func wantSCIMScope(t *testing.T, sc Scope) {
	t.Helper()
	if !ident.Valid("scp", sc.ID) || !sc.System || sc.Consent || sc.Default || !slices.Equal(sc.Kinds, []string{KindMachine}) ||
		len(sc.Implies) != 0 || !slices.Equal(sc.Clients, []string{NoClient}) || sc.Description == "" || sc.CreatedAt.IsZero() {
		t.Errorf("SCIM scope %+v", sc)
	}
}

// TestDefaultServerSCIMScopes shows the SCIM scopes of a default server:
// built in, for client credentials only, and granted to no client until
// an admin lists one.
func TestDefaultServerSCIMScopes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		def := e.defaultServer(t, tenantA)
		got := e.scimScopesOf(t, tenantA, def.ID)
		if len(got) != len(SCIMScopeNames) {
			t.Fatalf("SCIM scopes %+v, want %q", got, SCIMScopeNames)
		}
		for _, sc := range got {
			wantSCIMScope(t, sc)
		}
		if other := e.server(t, tenantA, ServerInput{Name: "orders", IssuerMode: IssuerDynamic}); len(e.scimScopesOf(t, tenantA, other.ID)) != 0 {
			t.Errorf("a custom server has SCIM scopes")
		}
		write := got[ScopeSCIMUsersWrite]
		for _, tc := range []struct {
			name   string
			scope  Scope
			delete bool
			patch  ScopePatch
			want   error
		}{
			{"refuses deleting one", write, true, ScopePatch{}, ErrBuiltIn},
			{"refuses renaming one", write, false, ScopePatch{Name: new("users.write")}, ErrBuiltIn},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					if tc.delete {
						return e.svc.DeleteScope(ctx, tx, tenantA, def.ID, tc.scope.ID)
					}
					_, err := e.svc.UpdateScope(ctx, tx, tenantA, def.ID, tc.scope.ID, tc.patch)
					return err
				})
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
		t.Run("a scope pattern of the server spares them", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateServer(ctx, tx, tenantA, def.ID, ServerPatch{ScopePattern: new(`orders\.[a-z]+`)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})

		decide := func(t *testing.T, client, grant, user string, scopes ...string) (Decision, error) {
			t.Helper()
			var d Decision
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				srv, err := e.svc.Server(ctx, tx, tenantA, def.ID)
				if err != nil {
					return err
				}
				d, err = e.svc.Decide(ctx, tx, Request{Server: srv, ClientID: client, GrantType: grant, UserID: user, Scopes: scopes}, nil)
				return err
			})
			return d, err
		}
		if _, err := decide(t, "app_robot", GrantClientCredentials, "", ScopeSCIMUsersRead); !errors.Is(err, ErrScopeNotAllowed) {
			t.Fatalf("before the grant: %v, want ErrScopeNotAllowed", err)
		}
		// The admin grants the users scopes to the provisioning app.
		for _, n := range []string{ScopeSCIMUsersRead, ScopeSCIMUsersWrite} {
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateScope(ctx, tx, tenantA, def.ID, got[n].ID, ScopePatch{Clients: &[]string{"app_robot", "app_portal"}})
				return err
			})
		}
		for _, tc := range []struct {
			name, client, grant, user string
			scopes                    []string
			want                      error
		}{
			{"grants a listed client its scopes", "app_robot", GrantClientCredentials, "", []string{ScopeSCIMUsersRead, ScopeSCIMUsersWrite}, nil},
			{"refuses a client not listed", "app_other", GrantClientCredentials, "", []string{ScopeSCIMUsersRead}, ErrScopeNotAllowed},
			{"refuses a scope not granted to the client", "app_robot", GrantClientCredentials, "", []string{ScopeSCIMGroupsRead}, ErrScopeNotAllowed},
			{"refuses them to a person", "app_portal", GrantAuthorizationCode, "usr_1", []string{ScopeSCIMUsersRead}, ErrScopeNotAllowed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d, err := decide(t, tc.client, tc.grant, tc.user, tc.scopes...)
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if tc.want == nil && !slices.Equal(d.Scopes, tc.scopes) {
					t.Fatalf("granted %q, want %q", d.Scopes, tc.scopes)
				}
			})
		}
	})
}

// TestSCIMScopesMigration runs the Up part of migration 35 on a default
// server made without the SCIM scopes, as servers made before them were:
// it gives it the scopes EnsureDefault gives, leaves a scope of the same
// name an admin made alone, moves the server's config_version, and does
// nothing more when run again.
func TestSCIMScopesMigration(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		def := e.defaultServer(t, tenantA)
		other := e.defaultServer(t, tenantB)
		version := func() int64 {
			return get(t, e, func(ctx context.Context, tx store.Tx) (int64, error) {
				var v int64
				return v, tx.QueryRow(ctx, `SELECT config_version FROM auth_servers WHERE id = ?`, def.ID).Scan(&v)
			})
		}
		// Before: no SCIM scopes, and an admin's own scim.groups.read.
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM auth_scopes WHERE server_id = ? AND name LIKE 'scim.%'`, def.ID)
			return err
		})
		own := e.scope(t, tenantA, def.ID, ScopeInput{Name: ScopeSCIMGroupsRead, Kinds: []string{KindDelegated}, Description: "Mine"})
		before, others := version(), e.scimScopesOf(t, tenantB, other.ID)

		up := migrationUp(t, e.st.Dialect(), "00035_scim_scopes.sql")
		for range 2 {
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				for _, stmt := range up {
					if _, err := tx.Exec(ctx, stmt); err != nil {
						return err
					}
				}
				return nil
			})
		}
		got := e.scimScopesOf(t, tenantA, def.ID)
		if len(got) != len(SCIMScopeNames) {
			t.Fatalf("SCIM scopes after the migration %+v", got)
		}
		for n, sc := range got {
			if n == ScopeSCIMGroupsRead {
				if sc.ID != own.ID || sc.System || !slices.Equal(sc.Kinds, []string{KindDelegated}) {
					t.Errorf("the admin's scope became %+v", sc)
				}
				continue
			}
			wantSCIMScope(t, sc)
			if want := scimDescription(t, n); sc.Description != want || sc.ServerID != def.ID {
				t.Errorf("migrated %+v, want description %q", sc, want)
			}
		}
		if version() == before {
			t.Errorf("config_version stayed %d", before)
		}
		after := e.scimScopesOf(t, tenantB, other.ID)
		for n, sc := range others {
			if after[n].ID != sc.ID {
				t.Errorf("a server that had %s got %+v", n, after[n])
			}
		}
	})
}

// scimDescription is the description scimScopes gives scope n.
func scimDescription(t *testing.T, n string) string {
	t.Helper()
	for _, sc := range scimScopes() {
		if sc.Name == n {
			return sc.Description
		}
	}
	t.Fatalf("no SCIM scope %s", n)
	return ""
}

// migrationUp returns the statements of the Up part of a migration of d.
func migrationUp(t *testing.T, d store.Dialect, name string) []string {
	t.Helper()
	fsys, err := store.Migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	text, _, ok := strings.Cut(string(b), "-- +goose Down")
	if !ok {
		t.Fatalf("%s has no Down part", name)
	}
	var out []string
	for _, stmt := range strings.Split(text, ";\n") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.Join(lines, "\n")); s != "" {
			out = append(out, s)
		}
	}
	if len(out) != 2 {
		t.Fatalf("%s: %d statements, want 2", name, len(out))
	}
	return out
}
