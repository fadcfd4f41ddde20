package federation

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// hasField reports whether err holds an *invalid.Error naming field.
func hasField(err error, field string) bool {
	for _, e := range invalid.All(err) {
		if e.Field == field {
			return true
		}
	}
	return false
}

// sealedSecret reads an identity provider's secret column as stored.
func (w *fedWorld) sealedSecret(t *testing.T, id string) []byte {
	t.Helper()
	var sealed []byte
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT secret_sealed FROM identity_providers WHERE id = ?`, id).Scan(&sealed)
	})
	return sealed
}

func TestIdPRoundTrip(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		in := oidcInput("  Acme SSO ", "s3cret-value")
		in.Config.Scopes = []string{"openid", "email"}
		in.Config.Mapping = map[string]string{"email": "email", "department": `claims[?"dept"].orValue(null)`}
		in.Config.Sync = map[string]Source{"department": SourceIdP}
		p := w.createIdP(t, w.a, in)
		if !ident.Valid("idp", p.ID) || p.Name != "Acme SSO" || p.TenantID != w.a || !p.HasSecret || p.Secret != "s3cret-value" {
			t.Fatalf("created %+v", p)
		}
		if !p.CreatedAt.Equal(fedT0) || !p.UpdatedAt.Equal(fedT0) {
			t.Errorf("times %v %v, want %v", p.CreatedAt, p.UpdatedAt, fedT0)
		}
		if sealed := w.sealedSecret(t, p.ID); len(sealed) == 0 || bytes.Contains(sealed, []byte("s3cret-value")) {
			t.Errorf("secret at rest is %q: not sealed", sealed)
		}
		w.createIdP(t, w.a, IdPInput{Name: "beta (no secret)", Kind: KindOIDC,
			Config: Config{Issuer: "https://beta.example", ClientID: "x"}})
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			got, err := w.svc.IdP(ctx, tx, w.a, p.ID)
			if err != nil {
				return err
			}
			if got.Secret != "s3cret-value" || !got.HasSecret || got.Config.Sync["department"] != SourceIdP ||
				len(got.Config.Scopes) != 2 || got.Config.Mapping["department"] == "" || !got.CreatedAt.Equal(fedT0) {
				t.Errorf("read back %+v", got)
			}
			if _, err := w.svc.IdP(ctx, tx, w.b, p.ID); !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
				t.Errorf("another tenant's IdP: %v, want ErrNotFound", err)
			}
			list, err := w.svc.ListIdPs(ctx, tx, w.a)
			if err != nil {
				return err
			}
			if len(list) != 2 || list[0].Name != "Acme SSO" || list[1].Name != "beta (no secret)" {
				t.Fatalf("list %+v, want by name", list)
			}
			if list[0].Secret != "" || !list[0].HasSecret || list[1].HasSecret {
				t.Errorf("list opened secrets or lost HasSecret: %+v", list)
			}
			other, err := w.svc.ListIdPs(ctx, tx, w.b)
			if err != nil || len(other) != 0 {
				t.Errorf("tenant B lists %v, %v", other, err)
			}
			return nil
		})
	})
}

func TestCreateIdPRefuses(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		w.createIdP(t, w.a, oidcInput("Acme SSO", "x"))
		cases := []struct {
			name, tenant string
			in           IdPInput
			check        func(error) bool
		}{
			{"a name in use, ignoring case", w.a, oidcInput("ACME sso", "x"),
				func(err error) bool { return errors.Is(err, store.ErrConflict) && hasField(err, "name") }},
			{"invalid input", w.a, oidcInput("", "x"),
				func(err error) bool { return errors.Is(err, ErrConfig) && hasField(err, "name") }},
			{"an unknown tenant", "ten_nope", oidcInput("Other", "x"),
				func(err error) bool { return errors.Is(err, ErrNotFound) }},
			{"a tenant given by slug", "tenant-a", oidcInput("Other", "x"),
				func(err error) bool { return errors.Is(err, ErrNotFound) }},
			{"an IdP-initiated app of another tenant", w.a, IdPInput{Name: "SAML", Kind: KindSAML,
				Config: Config{SAMLMetadata: testMetadata(t), SAMLIdPInitiated: true, SAMLInitiateApp: w.app[w.b]}},
				func(err error) bool { return errors.Is(err, ErrConfig) && hasField(err, "config.saml_initiate_app") }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := w.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := w.svc.CreateIdP(ctx, tx, c.tenant, c.in)
					return err
				})
				if !c.check(err) {
					t.Errorf("got %v", err)
				}
			})
		}
		// The same name in another tenant is fine; nothing refused was written.
		w.createIdP(t, w.b, oidcInput("Acme SSO", "x"))
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			list, err := w.svc.ListIdPs(ctx, tx, w.a)
			if len(list) != 1 {
				t.Errorf("tenant A has %d IdPs, want 1", len(list))
			}
			return err
		})
		// The SAML app of the tenant itself is accepted.
		w.createIdP(t, w.a, IdPInput{Name: "SAML", Kind: KindSAML,
			Config: Config{SAMLMetadata: testMetadata(t), SAMLIdPInitiated: true, SAMLInitiateApp: w.app[w.a]}})
	})
}

func TestUpdateIdP(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		p := w.createIdP(t, w.a, IdPInput{Name: "Google", Kind: KindGoogle, Enabled: true,
			Config: Config{ClientID: "cid"}, Secret: ptr("first")})
		w.createIdP(t, w.a, oidcInput("Taken", ""))
		update := func(in IdPInput) (IdP, error) {
			var got IdP
			err := w.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				got, err = w.svc.UpdateIdP(ctx, tx, w.a, p.ID, in)
				return err
			})
			return got, err
		}
		read := func() IdP {
			var got IdP
			w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
				got, err = w.svc.IdP(ctx, tx, w.a, p.ID)
				return err
			})
			return got
		}
		w.clk.Advance(time.Minute)
		// A nil secret keeps the stored one (a Google IdP needs it).
		got, err := update(IdPInput{Name: "Google Workspace", Kind: KindGoogle, Config: Config{ClientID: "cid2"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Secret != "first" || got.Enabled || got.Config.ClientID != "cid2" || !got.UpdatedAt.Equal(fedT0.Add(time.Minute)) ||
			!got.CreatedAt.Equal(fedT0) {
			t.Errorf("after update %+v", got)
		}
		if r := read(); r.Secret != "first" || r.Name != "Google Workspace" || r.Enabled || !r.UpdatedAt.Equal(got.UpdatedAt) {
			t.Errorf("read back %+v", r)
		}
		// A new secret replaces it.
		if _, err := update(IdPInput{Name: "Google", Kind: KindGoogle, Config: Config{ClientID: "cid"}, Secret: ptr("second")}); err != nil {
			t.Fatal(err)
		}
		if r := read(); r.Secret != "second" {
			t.Errorf("secret %q, want second", r.Secret)
		}
		if r := read(); !r.UpdatedAt.After(got.UpdatedAt) {
			t.Errorf("UpdatedAt %v did not move past %v with the clock standing still", r.UpdatedAt, got.UpdatedAt)
		}
		// "" clears it, which a Google IdP refuses.
		if _, err := update(IdPInput{Name: "Google", Kind: KindGoogle, Config: Config{ClientID: "cid"}, Secret: ptr("")}); !errors.Is(err, ErrConfig) || !hasField(err, "secret") {
			t.Errorf("clearing a preset's secret: %v", err)
		}
		for _, c := range []struct {
			name  string
			in    IdPInput
			check func(error) bool
		}{
			{"changes the kind", IdPInput{Name: "Google", Kind: KindOIDC, Config: Config{Issuer: "https://x.example", ClientID: "c"}},
				func(err error) bool { return errors.Is(err, ErrConfig) && hasField(err, "kind") }},
			{"takes another IdP's name", IdPInput{Name: "taken", Kind: KindGoogle, Config: Config{ClientID: "c"}},
				func(err error) bool { return errors.Is(err, store.ErrConflict) && hasField(err, "name") }},
			{"is invalid", IdPInput{Name: "Google", Kind: KindGoogle},
				func(err error) bool { return errors.Is(err, ErrConfig) && hasField(err, "config.client_id") }},
		} {
			if _, err := update(c.in); !c.check(err) {
				t.Errorf("an update that %s: %v", c.name, err)
			}
		}
		if r := read(); r.Secret != "second" || r.Name != "Google" {
			t.Errorf("a refused update changed %+v", r)
		}
		// An OIDC IdP may drop its secret.
		o := w.createIdP(t, w.a, oidcInput("Public", "s"))
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			got, err := w.svc.UpdateIdP(ctx, tx, w.a, o.ID, oidcInput("Public", ""))
			if err != nil || got.HasSecret || got.Secret != "" {
				t.Errorf("cleared: %+v, %v", got, err)
			}
			return err
		})
		if sealed := w.sealedSecret(t, o.ID); len(sealed) != 0 {
			t.Errorf("cleared secret still stored: %d bytes", len(sealed))
		}
		if err := w.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.UpdateIdP(ctx, tx, w.b, p.ID, IdPInput{Name: "x", Kind: KindGoogle})
			return err
		}); !errors.Is(err, ErrNotFound) {
			t.Errorf("updating another tenant's IdP: %v", err)
		}
	})
}

func TestDeleteIdPCascades(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		one := w.createIdP(t, w.a, oidcInput("One", "s"))
		two := w.createIdP(t, w.a, oidcInput("Two", "s"))
		var both, only Rule
		var user directory.User
		w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
			if both, err = w.svc.CreateRule(ctx, tx, w.a, RuleInput{Name: "both", IdPs: []string{one.ID, two.ID}}); err != nil {
				return err
			}
			if only, err = w.svc.CreateRule(ctx, tx, w.a, RuleInput{Name: "only", IdPs: []string{one.ID}}); err != nil {
				return err
			}
			if _, err := w.dir.DefaultUserType(ctx, tx, w.a); err != nil {
				return err
			}
			if user, err = w.dir.CreateUser(ctx, tx, w.a, directory.UserInput{Login: "ann@acme.com"}); err != nil {
				return err
			}
			if _, err := w.dir.Link(ctx, tx, w.a, user.ID, one.ID, "sub-1"); err != nil {
				return err
			}
			_, err = w.dir.Link(ctx, tx, w.a, user.ID, two.ID, "sub-2")
			return err
		})
		if err := w.do(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteIdP(ctx, tx, w.b, one.ID) }); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleting through another tenant: %v", err)
		}
		w.clk.Advance(time.Second)
		w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteIdP(ctx, tx, w.a, one.ID) })
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			if _, err := w.svc.IdP(ctx, tx, w.a, one.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("deleted IdP: %v", err)
			}
			r, err := w.svc.Rule(ctx, tx, w.a, both.ID)
			if err != nil || len(r.IdPs) != 1 || r.IdPs[0] != two.ID || !r.UpdatedAt.After(both.UpdatedAt) {
				t.Errorf("rule of both: %+v, %v", r, err)
			}
			if _, err := w.svc.Rule(ctx, tx, w.a, only.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("rule left without IdP: %v, want deleted", err)
			}
			ids, err := w.dir.Identities(ctx, tx, w.a, user.ID)
			if err != nil || len(ids) != 1 || ids[0].IdPID != two.ID {
				t.Errorf("identities after delete: %+v, %v", ids, err)
			}
			return nil
		})
		if err := w.do(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteIdP(ctx, tx, w.a, one.ID) }); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
