package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/useragent"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// signIn starts a session of a user from a client address and User-Agent.
func (w *world) signIn(t *testing.T, tenantID, userID, ip, ua string) (session.Session, string) {
	t.Helper()
	ctx := useragent.With(clientip.With(context.Background(), netip.MustParseAddr(ip)), ua)
	var ses session.Session
	var cookie string
	if err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		ses, cookie, err = w.sessions.Create(ctx, tx, tenantID, userID, []string{"pwd"}, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ses, cookie
}

// live reports whether a session cookie still stands for a live session.
func (w *world) live(t *testing.T, tenantID, cookie string) bool {
	t.Helper()
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.sessions.Lookup(ctx, tx, tenantID, cookie)
		return err
	})
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		t.Fatal(err)
	}
	return err == nil
}

// addGrant stores a live OAuth grant of a user to a client, as a code
// exchange would, and returns its ID.
func (w *world) addGrant(t *testing.T, tenantID, userID, clientID string) string {
	t.Helper()
	id := ident.New("grt", w.clock.Now())
	now := w.clock.Now()
	if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO oidc_grants (id, tenant_id, server, client_id, user_id, session_id, scope, auth_time, amr, acr, created_at, expires_at, revoke_reason)
			VALUES (?, ?, 'default', ?, ?, '', 'openid offline_access', ?, '["pwd"]', '', ?, ?, '')`,
			id, tenantID, clientID, userID, now, now, now.Add(24*time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// grantRevoked returns a grant's revoke reason, "" while it is live.
func (w *world) grantRevoked(t *testing.T, id string) string {
	t.Helper()
	var reason string
	if err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT revoke_reason FROM oidc_grants WHERE id = ?`, id).Scan(&reason)
	}); err != nil {
		t.Fatal(err)
	}
	return reason
}

// sessionEvents returns tenant A's session revocations, oldest first.
func (w *world) sessionEvents(t *testing.T) []events.Event {
	t.Helper()
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"user.session.revoked", "user.sessions.revoked"}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestSessionsAPI lists a user's sessions and ends one, then all of them,
// then all of them with the user's OAuth grants; each end is in the
// system log, and other users and tenants keep theirs.
func TestSessionsAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			alice := w.fixture[w.a.ID]["user"]
			var bob directory.User
			if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				bob, err = w.dir.CreateUser(ctx, tx, w.a.ID, directory.UserInput{Login: "bob@example.com"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			other := w.fixture[w.b.ID]["user"]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/users/" + alice + "/sessions"
			const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
			first, firstCookie := w.signIn(t, w.a.ID, alice, "192.0.2.7", firefox)
			w.clock.Advance(time.Minute)
			second, secondCookie := w.signIn(t, w.a.ID, alice, "2001:db8:1:2:3:4:5:6", "curl/8.14")
			_, bobCookie := w.signIn(t, w.a.ID, bob.ID, "192.0.2.8", "curl/8.14")
			otherSes, otherCookie := w.signIn(t, w.b.ID, other, "198.51.100.1", "curl/8.14")

			t.Run("lists the user's live sessions newest first", func(t *testing.T) {
				for _, role := range []Role{RoleReadOnly, RoleHelpDesk, RoleTenantAdmin} {
					status, _, body := w.do(t, http.MethodGet, base, w.token[role], "")
					var out List[SessionView]
					if err := json.Unmarshal([]byte(body), &out); status != http.StatusOK || err != nil {
						t.Fatalf("as %s: %d %s", role, status, body)
					}
					if len(out.Items) != 2 || out.Items[0].ID != second.ID || out.Items[1].ID != first.ID {
						t.Fatalf("as %s: listed %+v", role, out.Items)
					}
					got := out.Items[1]
					want := SessionView{ID: first.ID, CreatedAt: first.CreatedAt, LastSeenAt: first.LastSeenAt, AuthTime: first.AuthTime,
						AMR: []string{"pwd"}, IdleExpiresAt: first.IdleExpiresAt, AbsoluteExpiresAt: first.AbsoluteExpiresAt, IP: "192.0.2.7", UserAgent: firefox}
					if !got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeenAt.Equal(want.LastSeenAt) || !got.AuthTime.Equal(want.AuthTime) ||
						!got.IdleExpiresAt.Equal(want.IdleExpiresAt) || !got.AbsoluteExpiresAt.Equal(want.AbsoluteExpiresAt) ||
						!slices.Equal(got.AMR, want.AMR) || got.IP != want.IP || got.UserAgent != want.UserAgent {
						t.Fatalf("as %s: got %+v, want %+v", role, got, want)
					}
					if out.Items[0].IP != "2001:db8:1:2:3:4:5:6" {
						t.Fatalf("IPv6 address shown as %q", out.Items[0].IP)
					}
				}
			})
			t.Run("never shows a cookie value", func(t *testing.T) {
				_, _, body := w.do(t, http.MethodGet, base, w.token[RoleTenantAdmin], "")
				for _, c := range []string{firstCookie, secondCookie} {
					if strings.Contains(body, c[len(session.CookiePrefix):]) {
						t.Fatal("the list holds a cookie value")
					}
				}
				if strings.Contains(body, session.CookiePrefix) {
					t.Fatalf("the list shows a cookie: %s", body)
				}
				// Field names, not the body: a random session ID may hold "mac".
				var raw struct{ Items []map[string]json.RawMessage }
				if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw.Items) == 0 {
					t.Fatalf("list: %v %s", err, body)
				}
				for _, item := range raw.Items {
					for k := range item {
						if strings.Contains(k, "secret") || strings.Contains(k, "mac") || strings.Contains(k, "hash") || strings.Contains(k, "cookie") {
							t.Fatalf("the list shows field %q: %s", k, body)
						}
					}
				}
			})

			t.Run("ends one session", func(t *testing.T) {
				if status, _, body := w.do(t, http.MethodDelete, base+"/"+first.ID, w.token[RoleHelpDesk], ""); status != http.StatusNoContent {
					t.Fatalf("revoke: %d %s", status, body)
				}
				if w.live(t, w.a.ID, firstCookie) || !w.live(t, w.a.ID, secondCookie) {
					t.Fatal("revoking one session did not end exactly that one")
				}
				evs := w.sessionEvents(t)
				if len(evs) != 1 || evs[0].Type != "user.session.revoked" || evs[0].Target.ID != alice || evs[0].Details["session_id"] != first.ID ||
					evs[0].Actor != (events.Ref{Type: "mgmt_token", ID: w.tokenRec[RoleHelpDesk].ID}) {
					t.Fatalf("events %+v", evs)
				}
			})
			for _, c := range []struct{ name, path string }{
				{"an ended session", base + "/" + first.ID},
				{"an unknown session", base + "/ses_00000000000000000000000000"},
				{"another user's session", base + "/" + otherSes.ID},
				{"another tenant's session", "/api/v1/mgmt/tenants/" + w.a.ID + "/users/" + alice + "/sessions/" + otherSes.ID},
				{"a session of an unknown user", "/api/v1/mgmt/tenants/" + w.a.ID + "/users/usr_00000000000000000000000000/sessions/" + second.ID},
				{"the sessions of another tenant's user", "/api/v1/mgmt/tenants/" + w.a.ID + "/users/" + other + "/sessions"},
			} {
				t.Run("answers 404 for "+c.name, func(t *testing.T) {
					before := len(w.sessionEvents(t))
					status, h, body := w.do(t, http.MethodDelete, c.path, w.token[RoleTenantAdmin], "")
					if status != http.StatusNotFound || h.Get("Content-Type") != "application/problem+json" {
						t.Fatalf("%d %s: %s", status, h.Get("Content-Type"), body)
					}
					if !w.live(t, w.a.ID, secondCookie) || !w.live(t, w.b.ID, otherCookie) || len(w.sessionEvents(t)) != before {
						t.Fatal("a refused revocation changed something")
					}
				})
			}
			t.Run("answers 404 listing an unknown user's sessions", func(t *testing.T) {
				path := "/api/v1/mgmt/tenants/" + w.a.ID + "/users/usr_00000000000000000000000000/sessions"
				if status, _, body := w.do(t, http.MethodGet, path, w.token[RoleTenantAdmin], ""); status != http.StatusNotFound {
					t.Fatalf("%d %s", status, body)
				}
			})

			grants := map[string]string{
				"alice's":                w.addGrant(t, w.a.ID, alice, w.fixture[w.a.ID]["app"]),
				"alice's of another app": w.addGrant(t, w.a.ID, alice, "app_other"),
				"bob's":                  w.addGrant(t, w.a.ID, bob.ID, w.fixture[w.a.ID]["app"]),
				"another tenant's":       w.addGrant(t, w.b.ID, other, w.fixture[w.b.ID]["app"]),
			}
			// Events are ordered by time, then at random within a
			// millisecond: each revocation below happens a second later.
			t.Run("ends all of a user's sessions, keeping grants", func(t *testing.T) {
				w.clock.Advance(time.Second)
				if status, _, body := w.do(t, http.MethodDelete, base, w.token[RoleHelpDesk], ""); status != http.StatusNoContent {
					t.Fatalf("revoke all: %d %s", status, body)
				}
				if w.live(t, w.a.ID, secondCookie) || !w.live(t, w.a.ID, bobCookie) || !w.live(t, w.b.ID, otherCookie) {
					t.Fatal("revoking all of alice's sessions did not end exactly hers")
				}
				for name, id := range grants {
					if r := w.grantRevoked(t, id); r != "" {
						t.Fatalf("%s grant revoked (%s) without refresh_tokens", name, r)
					}
				}
				evs := w.sessionEvents(t)
				last := evs[len(evs)-1]
				if last.Type != "user.sessions.revoked" || last.Target.ID != alice || last.Details["sessions"] != float64(1) || last.Details["refresh_tokens"] != false {
					t.Fatalf("event %+v", last)
				}
			})
			t.Run("ends the user's grants with refresh_tokens=true", func(t *testing.T) {
				w.clock.Advance(time.Second)
				_, again := w.signIn(t, w.a.ID, alice, "192.0.2.7", firefox)
				if status, _, body := w.do(t, http.MethodDelete, base+"?refresh_tokens=true", w.token[RoleTenantAdmin], ""); status != http.StatusNoContent {
					t.Fatalf("revoke all: %d %s", status, body)
				}
				if w.live(t, w.a.ID, again) {
					t.Fatal("the session survived")
				}
				for name, id := range grants {
					want := ""
					if strings.HasPrefix(name, "alice's") {
						want = oidc.RevokedByAdmin
					}
					if r := w.grantRevoked(t, id); r != want {
						t.Fatalf("%s grant: revoke reason %q, want %q", name, r, want)
					}
				}
				evs := w.sessionEvents(t)
				last := evs[len(evs)-1]
				if last.Details["sessions"] != float64(1) || last.Details["refresh_tokens"] != true || last.Details["grants"] != float64(2) {
					t.Fatalf("event %+v", last)
				}
			})
			t.Run("ends nothing for a user without sessions, and says so", func(t *testing.T) {
				w.clock.Advance(time.Second)
				if status, _, body := w.do(t, http.MethodDelete, base, w.token[RoleTenantAdmin], ""); status != http.StatusNoContent {
					t.Fatalf("revoke all: %d %s", status, body)
				}
				evs := w.sessionEvents(t)
				if last := evs[len(evs)-1]; last.Details["sessions"] != float64(0) {
					t.Fatalf("event %+v", last)
				}
			})
			t.Run("refuses an unknown query parameter", func(t *testing.T) {
				if status, _, body := w.do(t, http.MethodDelete, base+"?refresh=true", w.token[RoleTenantAdmin], ""); status != http.StatusUnprocessableEntity {
					t.Fatalf("%d %s", status, body)
				}
			})
		})
	}
}

// TestSessionsAPIScopes checks who may read and end sessions: the scopes,
// not only the roles, and only on tenants the caller reaches.
func TestSessionsAPIScopes(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	alice := w.fixture[w.a.ID]["user"]
	ses, cookie := w.signIn(t, w.a.ID, alice, "192.0.2.7", "curl/8.14")
	other := w.fixture[w.b.ID]["user"]
	otherSes, otherCookie := w.signIn(t, w.b.ID, other, "198.51.100.1", "curl/8.14")
	narrow := func(scopes ...Scope) string {
		t.Helper()
		var secret string
		if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			_, secret, err = w.tokens.Create(ctx, tx, TokenInput{TenantID: w.a.ID, Name: "narrow", Role: RoleHelpDesk, Scopes: scopes, CreatedBy: "test"}, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	readOnly := narrow(ScopeSessionsRead)
	usersOnly := narrow(ScopeUsersRead, ScopeUsersUnlock)
	base := "/api/v1/mgmt/tenants/" + w.a.ID + "/users/" + alice + "/sessions"
	otherBase := "/api/v1/mgmt/tenants/" + w.b.ID + "/users/" + other + "/sessions"
	for _, c := range []struct {
		name, method, path, token string
	}{
		{"listing without sessions:read", http.MethodGet, base, usersOnly},
		{"ending one session with only sessions:read", http.MethodDelete, base + "/" + ses.ID, readOnly},
		{"ending all sessions with only sessions:read", http.MethodDelete, base, readOnly},
		{"ending a session as read-only", http.MethodDelete, base + "/" + ses.ID, w.token[RoleReadOnly]},
		{"ending all sessions as read-only", http.MethodDelete, base + "?refresh_tokens=true", w.token[RoleReadOnly]},
		{"listing another tenant's sessions", http.MethodGet, otherBase, w.token[RoleTenantAdmin]},
		{"ending another tenant's session", http.MethodDelete, otherBase + "/" + otherSes.ID, w.token[RoleTenantAdmin]},
		{"ending another tenant's sessions as help-desk", http.MethodDelete, otherBase, w.token[RoleHelpDesk]},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			status, h, body := w.do(t, c.method, c.path, c.token, "")
			if status != http.StatusForbidden || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s: %s", status, h.Get("Content-Type"), body)
			}
			if !w.live(t, w.a.ID, cookie) || !w.live(t, w.b.ID, otherCookie) {
				t.Fatal("a refused call ended a session")
			}
		})
	}
	t.Run("lets a token with only sessions:read list", func(t *testing.T) {
		if status, _, body := w.do(t, http.MethodGet, base, readOnly, ""); status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("lets the other tenant's own admin end its session", func(t *testing.T) {
		if status, _, body := w.do(t, http.MethodDelete, otherBase+"/"+otherSes.ID, w.token[RoleInstanceAdmin], ""); status != http.StatusNoContent {
			t.Fatalf("%d %s", status, body)
		}
		if w.live(t, w.b.ID, otherCookie) || !w.live(t, w.a.ID, cookie) {
			t.Fatal("the instance admin did not end exactly tenant B's session")
		}
	})
}

// TestSessionRoutesNeedSessions builds the API without Sessions: the
// session routes are not registered.
func TestSessionRoutesNeedSessions(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	d := w.api.Deps
	d.Sessions = nil
	api, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range api.Routes() {
		if strings.Contains(r.Path, "/sessions") {
			t.Errorf("route %s registered without a Sessions dependency", r.ID)
		}
	}
}

func TestRolesHoldTheSessionScopes(t *testing.T) {
	for _, tc := range []struct {
		role         Role
		read, revoke bool
	}{
		{RoleInstanceAdmin, true, true},
		{RoleTenantAdmin, true, true},
		{RoleHelpDesk, true, true},
		{RoleReadOnly, true, false},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			s := tc.role.Scopes()
			if slices.Contains(s, ScopeSessionsRead) != tc.read || slices.Contains(s, ScopeSessionsRevoke) != tc.revoke {
				t.Fatalf("scopes %v", s)
			}
		})
	}
}
