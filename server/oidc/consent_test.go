package oidc_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// consentWorld is the test world with two third-party apps.
type consentWorld struct {
	*world
	third, partner tenant.App
}

func newConsentWorld(t *testing.T, b storetest.Backend) consentWorld {
	t.Helper()
	w := consentWorld{world: newWorld(t, b)}
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		if w.third, _, err = w.ten.CreateApp(ctx, tx, w.iss.TenantID, tenant.AppInput{Name: "Third", Type: tenant.AppSPA,
			RedirectURIs: []string{"https://third.example.net/cb"}, ConsentRequired: true}); err != nil {
			return err
		}
		w.partner, _, err = w.ten.CreateApp(ctx, tx, w.iss.TenantID, tenant.AppInput{Name: "Partner", Type: tenant.AppSPA,
			RedirectURIs: []string{"https://partner.example.net/cb"}, ConsentRequired: true})
		return err
	})
	return w
}

func (w consentWorld) needed(t *testing.T, app tenant.App, scope string) bool {
	t.Helper()
	var need bool
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		need, err = w.p.ConsentNeeded(ctx, tx, w.iss, app, userID, scope)
		return err
	})
	return need
}

func (w consentWorld) record(t *testing.T, app tenant.App, scope string) {
	t.Helper()
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		return w.p.RecordConsent(ctx, tx, w.iss.TenantID, app.ID, userID, scope)
	})
}

func (w consentWorld) revoke(userID, clientID string) error {
	return w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return w.p.RevokeConsent(ctx, tx, w.iss.TenantID, userID, clientID)
	})
}

func (w consentWorld) list(t *testing.T, tenantID string) []oidc.Consent {
	t.Helper()
	var cs []oidc.Consent
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		cs, err = w.p.Consents(ctx, tx, tenantID, userID)
		return err
	})
	return cs
}

func TestConsent(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, w consentWorld)
			}{
				{"a first-party app never needs consent", testConsentFirstParty},
				{"a third-party app needs consent until every scope is covered", testConsentCovers},
				{"recording again adds scopes and keeps the first grant time", testConsentUnion},
				{"a consent of an older version no longer counts", testConsentOldVersion},
				{"revoking ends the consent and only a live one can be revoked", testConsentRevoke},
				{"revoking a consent revokes the client's grants only", testConsentRevokesGrants},
				{"consents are listed per tenant and user", testConsentList},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newConsentWorld(t, b)) })
			}
		})
	}
}

func testConsentFirstParty(t *testing.T, w consentWorld) {
	if w.needed(t, w.apps["spa"].App, "openid profile email offline_access") {
		t.Fatal("a first-party app needs consent")
	}
}

func testConsentCovers(t *testing.T, w consentWorld) {
	if !w.needed(t, w.third, "openid") {
		t.Fatal("no consent needed before any was given")
	}
	w.record(t, w.third, "openid profile")
	for scope, want := range map[string]bool{
		"openid": false, "openid profile": false, "profile openid": false,
		"openid email": true, "openid profile offline_access": true,
	} {
		if got := w.needed(t, w.third, scope); got != want {
			t.Errorf("scope %q: needed %v, want %v", scope, got, want)
		}
	}
	if !w.needed(t, w.partner, "openid") {
		t.Error("a consent to one app counts for another")
	}
}

func testConsentUnion(t *testing.T, w consentWorld) {
	w.record(t, w.third, "openid profile")
	w.clk.Advance(time.Hour)
	w.record(t, w.third, "openid email")
	cs := w.list(t, w.iss.TenantID)
	if len(cs) != 1 {
		t.Fatalf("consents %+v", cs)
	}
	c := cs[0]
	if !slices.Equal(c.Scopes, []string{"openid", "profile", "email"}) || c.Version != oidc.ConsentVersion || c.RevokedAt != nil {
		t.Fatalf("consent %+v", c)
	}
	if !c.GrantedAt.Equal(t0) || !c.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("granted %v updated %v", c.GrantedAt, c.UpdatedAt)
	}
	if w.needed(t, w.third, "openid profile email") {
		t.Error("the union does not cover its scopes")
	}
}

func testConsentOldVersion(t *testing.T, w consentWorld) {
	w.record(t, w.third, "openid profile")
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE oidc_consents SET version = ?`, oidc.ConsentVersion-1)
		return err
	})
	if !w.needed(t, w.third, "openid") {
		t.Fatal("a consent of an older version still counts")
	}
	w.record(t, w.third, "openid")
	if c := w.list(t, w.iss.TenantID)[0]; !slices.Equal(c.Scopes, []string{"openid"}) || c.Version != oidc.ConsentVersion {
		t.Fatalf("after consenting again: %+v", c)
	}
}

func testConsentRevoke(t *testing.T, w consentWorld) {
	if err := w.revoke(userID, w.third.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking a consent never given: %v", err)
	}
	w.record(t, w.third, "openid profile")
	w.clk.Advance(time.Minute)
	if err := w.revoke(userID, w.third.ID); err != nil {
		t.Fatal(err)
	}
	if !w.needed(t, w.third, "openid") || len(w.list(t, w.iss.TenantID)) != 0 {
		t.Fatal("a revoked consent still counts")
	}
	if err := w.revoke(userID, w.third.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	w.clk.Advance(time.Minute)
	w.record(t, w.third, "openid")
	c := w.list(t, w.iss.TenantID)[0]
	if !slices.Equal(c.Scopes, []string{"openid"}) || c.RevokedAt != nil || !c.GrantedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("consent given again after revocation: %+v", c)
	}
}

func testConsentRevokesGrants(t *testing.T, w consentWorld) {
	w.record(t, w.third, "openid offline_access")
	w.record(t, w.partner, "openid offline_access")
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		for _, g := range []struct{ id, client string }{{"grt_third", w.third.ID}, {"grt_partner", w.partner.ID}} {
			_, err := tx.Exec(ctx, `INSERT INTO oidc_grants (id, tenant_id, server, client_id, user_id, session_id, scope,
				auth_time, amr, acr, created_at, expires_at, revoke_reason) VALUES (?, ?, ?, ?, ?, '', ?, ?, '[]', '', ?, ?, '')`,
				g.id, w.iss.TenantID, oidc.DefaultServer, g.client, userID, "openid offline_access", t0, t0, t0.Add(24*time.Hour))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err := w.revoke(userID, w.third.ID); err != nil {
		t.Fatal(err)
	}
	reason := map[string]string{}
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, revoke_reason, revoked_at FROM oidc_grants`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, r string
			var at sql.NullTime
			if err := rows.Scan(&id, &r, &at); err != nil {
				return err
			}
			if at.Valid != (r != "") {
				t.Errorf("grant %s: reason %q, revoked_at %v", id, r, at)
			}
			reason[id] = r
		}
		return rows.Err()
	})
	if reason["grt_third"] != oidc.RevokedConsent || reason["grt_partner"] != "" {
		t.Fatalf("grants after revoking the consent: %v", reason)
	}
}

func testConsentList(t *testing.T, w consentWorld) {
	if cs := w.list(t, w.iss.TenantID); cs == nil || len(cs) != 0 {
		t.Fatalf("before any consent: %#v, want an empty list", cs)
	}
	w.record(t, w.partner, "openid")
	w.record(t, w.third, "openid email")
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		return w.p.RecordConsent(ctx, tx, w.iss.TenantID, w.third.ID, "usr_someone_else", "openid")
	})
	cs := w.list(t, w.iss.TenantID)
	var clients []string
	for _, c := range cs {
		if c.TenantID != w.iss.TenantID || c.UserID != userID {
			t.Errorf("another's consent listed: %+v", c)
		}
		clients = append(clients, c.ClientID)
	}
	want := []string{w.partner.ID, w.third.ID}
	slices.Sort(want)
	if !slices.Equal(clients, want) {
		t.Fatalf("clients %v, want %v", clients, want)
	}
	if cs := w.list(t, w.other.TenantID); len(cs) != 0 {
		t.Fatalf("another tenant sees %+v", cs)
	}
}

// TestConsentFollowsTheScopesConsentFlag shows that a third-party app
// asks consent only for the scopes its server marks for consent.
func TestConsentFollowsTheScopesConsentFlag(t *testing.T) {
	w := newConsentWorld(t, storetest.SQLite())
	orders := w.ordersServer(t)
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		srv, err := w.servers().ServerByName(ctx, tx, w.iss.TenantID, "orders")
		if err != nil {
			return err
		}
		_, err = w.servers().CreateScope(ctx, tx, w.iss.TenantID, srv.ID, authserver.ScopeInput{Name: "orders.history",
			Kinds: []string{authserver.KindDelegated}, Consent: true})
		return err
	})
	for _, tc := range []struct {
		name, scope string
		want        bool
	}{
		{"asks nothing for scopes without the flag", "orders.read orders.write", false},
		{"asks for a flagged custom scope", "orders.read orders.history", true},
		{"asks for the OpenID scopes, flagged by default", "openid orders.read", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var need bool
			w.tx(t, func(ctx context.Context, tx store.Tx) error {
				var err error
				need, err = w.p.ConsentNeeded(ctx, tx, orders, w.partner, userID, tc.scope)
				return err
			})
			if need != tc.want {
				t.Fatalf("consent needed %v, want %v", need, tc.want)
			}
		})
	}
}
