package authserver

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// fakeAttributes describes the custom attributes of tenantA: nickname is
// editable; department is bounded (maxLength 40), cost_center is not.
type fakeAttributes struct{}

func (fakeAttributes) Editable(_ context.Context, _ store.Tx, tenantID string) (map[string]bool, error) {
	if tenantID != tenantA {
		return map[string]bool{}, nil
	}
	return map[string]bool{"nickname": true, "department": false}, nil
}

func (fakeAttributes) Bound(_ context.Context, _ store.Tx, tenantID, attr string) (int, bool, error) {
	bounds := map[string]int{"department": 6*40 + 2, "nickname": 6*20 + 2}
	n, ok := bounds[attr]
	return n, ok && tenantID == tenantA, nil
}

var _ Attributes = fakeAttributes{}

// claimServer creates a server of tenantA with a scope "orders.read" and
// sets fakeAttributes on the Service. Unless in says otherwise, its
// tokens may be as large as any server's.
func (e *env) claimServer(t *testing.T, in ServerInput) Server {
	t.Helper()
	e.svc.WithAttributes(fakeAttributes{})
	if in.MaxTokenBytes == 0 {
		in.MaxTokenBytes = MaxTokenBytesLimit
	}
	srv := e.server(t, tenantA, in)
	e.scope(t, tenantA, srv.ID, ScopeInput{Name: "orders.read", Kinds: []string{KindDelegated, KindMachine}})
	return srv
}

// createClaim runs CreateClaim in a transaction that commits.
func (e *env) createClaim(t *testing.T, serverID string, in ClaimInput) (Claim, error) {
	t.Helper()
	var c Claim
	err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
		c, err = e.svc.CreateClaim(ctx, tx, tenantA, serverID, in)
		return err
	})
	return c, err
}

func TestCreateClaimRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.claimServer(t, ServerInput{Name: "orders"})
		ok := ClaimInput{Name: "dept", Target: TargetAccess, Expression: "user.profile.department"}
		with := func(f func(*ClaimInput)) ClaimInput { in := ok; f(&in); return in }
		for _, tc := range []struct {
			name   string
			in     ClaimInput
			fields []string
		}{
			{"refuses an empty name", with(func(in *ClaimInput) { in.Name = "" }), []string{"name"}},
			{"refuses a name over 64 characters", with(func(in *ClaimInput) { in.Name = strings.Repeat("a", 65) }), []string{"name"}},
			{"refuses a name with a space", with(func(in *ClaimInput) { in.Name = "my claim" }), []string{"name"}},
			{"refuses sub", with(func(in *ClaimInput) { in.Name = "sub" }), []string{"name"}},
			{"refuses iss", with(func(in *ClaimInput) { in.Name = "iss" }), []string{"name"}},
			{"refuses scope", with(func(in *ClaimInput) { in.Name = "scope" }), []string{"name"}},
			{"refuses client_id", with(func(in *ClaimInput) { in.Name = "client_id" }), []string{"name"}},
			{"refuses _claim_names", with(func(in *ClaimInput) { in.Name = "_claim_names" }), []string{"name"}},
			{"refuses email_verified", with(func(in *ClaimInput) { in.Name = "email_verified" }), []string{"name"}},
			{"refuses an unknown target", with(func(in *ClaimInput) { in.Target = "refresh" }), []string{"target"}},
			{"refuses an unknown scope", with(func(in *ClaimInput) { in.Scopes = []string{"orders.write"} }), []string{"scopes[0]"}},
			{"refuses a scope named twice", with(func(in *ClaimInput) { in.Scopes = []string{"orders.read", "orders.read"} }), []string{"scopes[1]"}},
			{"refuses a negative max_bytes", with(func(in *ClaimInput) { in.MaxBytes = -1 }), []string{"max_bytes"}},
			{"refuses max_bytes over the limit", with(func(in *ClaimInput) { in.MaxBytes = MaxClaimBytes + 1 }), []string{"max_bytes"}},
			{"refuses an expression that does not compile", with(func(in *ClaimInput) { in.Expression = "user." }), []string{"expression"}},
			{"refuses an expression of type timestamp", with(func(in *ClaimInput) { in.Expression = `timestamp("2026-01-01T00:00:00Z")` }), []string{"expression"}},
			{"refuses an expression over the cost limit", with(func(in *ClaimInput) {
				in.Expression, in.MaxBytes = "groups.map(a, groups.map(b, groups.map(c, a + b + c)))", 100
			}), []string{"expression"}},
			{"refuses groups without a declared size", with(func(in *ClaimInput) { in.Expression = "groups" }), []string{"max_bytes"}},
			{"refuses a computed string without a declared size", with(func(in *ClaimInput) { in.Expression = `app.name + "!"` }), []string{"max_bytes"}},
			{"refuses an attribute no schema bounds", with(func(in *ClaimInput) { in.Expression = "user.profile.cost_center" }), []string{"max_bytes"}},
			{"reports every problem at once", ClaimInput{Name: "aud", Target: "x", Expression: "user."}, []string{"name", "target", "expression"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.createClaim(t, srv.ID, tc.in)
				wantFields(t, err, tc.fields...)
			})
		}
		if n := e.count(t, "auth_claims"); n != 0 {
			t.Fatalf("refused claims left %d rows", n)
		}
	})
}

func TestCreateClaimRefusesEditableAttributesWithoutOverride(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.claimServer(t, ServerInput{Name: "orders"})
		for i, tc := range []struct {
			name, expr string
			editable   bool
		}{
			{"refuses an editable custom attribute", "user.profile.nickname", true},
			{"refuses the person's email", "user.email", true},
			{"refuses the person's display name", "user.name", true},
			{"refuses the whole profile", "user.profile", true},
			{"refuses the whole user", `user[app.name]`, true},
			{"refuses an editable attribute tested with has", `has(user.profile.nickname)`, true},
			{"accepts an attribute only admins set", "user.profile.department", false},
			{"accepts the login and ID", `user.login + ":" + user.id`, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := ClaimInput{Name: "c" + strconv.Itoa(i), Target: TargetAccess, Expression: tc.expr, MaxBytes: 100}
				_, err := e.createClaim(t, srv.ID, in)
				if !tc.editable {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.Is(err, ErrEditableAttribute) {
					t.Fatalf("got %v, want ErrEditableAttribute", err)
				}
				wantFields(t, err, "expression")
				in.OverrideEditable = true
				c, err := e.createClaim(t, srv.ID, in)
				if err != nil || !c.OverrideEditable {
					t.Fatalf("with the override: %+v, %v", c, err)
				}
			})
		}
		t.Run("treats no custom attribute as editable without Attributes", func(t *testing.T) {
			e.svc.WithAttributes(nil)
			defer e.svc.WithAttributes(fakeAttributes{})
			if _, err := e.createClaim(t, srv.ID, ClaimInput{Name: "nick", Target: TargetID, Expression: "user.profile.nickname", MaxBytes: 100}); err != nil {
				t.Fatal(err)
			}
			_, err := e.createClaim(t, srv.ID, ClaimInput{Name: "nick2", Target: TargetID, Expression: "user.profile.nickname"})
			wantFields(t, err, "max_bytes") // and no bound is known
		})
	})
}

func TestCreateClaimDerivesMaxBytes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.claimServer(t, ServerInput{Name: "orders"})
		for i, tc := range []struct {
			expr string
			want int
		}{
			{"user.profile.department", 6*40 + 2},
			{`user.profile["department"]`, 6*40 + 2},
			{"user.login", 6*256 + 2},
			{"user.id", 64},
			{"app.id", 64},
			{"app.name", 6*100 + 2},
			{`"gold"`, len(`"gold"`)},
			{`"a<b"`, len(`"a\u003cb"`)},
			{"size(groups)", len("-9223372036854775808")},
			{`"admins" in groups`, len("false")},
			{"1.5", len("-1.7976931348623157e+308")},
		} {
			c, err := e.createClaim(t, srv.ID, ClaimInput{Name: "c" + strconv.Itoa(i), Target: TargetAccess, Expression: tc.expr})
			if err != nil {
				t.Fatalf("%s: %v", tc.expr, err)
			}
			if c.MaxBytes != tc.want {
				t.Errorf("%s: max_bytes %d, want %d", tc.expr, c.MaxBytes, tc.want)
			}
		}
		c, err := e.createClaim(t, srv.ID, ClaimInput{Name: "declared", Target: TargetAccess, Expression: "groups", MaxBytes: 500})
		if err != nil || c.MaxBytes != 500 {
			t.Fatalf("declared: %+v, %v", c, err)
		}
	})
}

func TestClaimsCRUD(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.claimServer(t, ServerInput{Name: "orders"})
		other := e.server(t, tenantA, ServerInput{Name: "other"})
		dept, err := e.createClaim(t, srv.ID, ClaimInput{Name: "dept", Target: TargetAccess, Expression: "user.profile.department", Scopes: []string{"orders.read"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(dept.ID, "clm_") || !dept.Active || dept.ServerID != srv.ID || !slices.Equal(dept.Scopes, []string{"orders.read"}) || !dept.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", dept)
		}
		_, err = e.createClaim(t, srv.ID, ClaimInput{Name: "dept", Target: TargetAccess, Expression: "app.name"})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same name and target: %v, want ErrConflict", err)
		}
		wantFields(t, err, "name")
		idDept, err := e.createClaim(t, srv.ID, ClaimInput{Name: "dept", Target: TargetID, Expression: "user.profile.department", Inactive: true})
		if err != nil || idDept.Active {
			t.Fatalf("same name, other target: %+v, %v", idDept, err)
		}
		if _, err := e.createClaim(t, other.ID, ClaimInput{Name: "dept", Target: TargetAccess, Expression: "app.id"}); err != nil {
			t.Fatalf("same name, other server: %v", err)
		}
		list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Claim, error) { return e.svc.Claims(ctx, tx, tenantA, srv.ID) })
		if len(list) != 2 || list[0].ID != dept.ID || list[1].ID != idDept.ID {
			t.Fatalf("list %+v", list)
		}
		got := get(t, e, func(ctx context.Context, tx store.Tx) (Claim, error) {
			return e.svc.Claim(ctx, tx, tenantA, srv.ID, dept.ID)
		})
		if got.Expression != dept.Expression || got.MaxBytes != dept.MaxBytes {
			t.Fatalf("read back %+v, created %+v", got, dept)
		}

		e.clk.Advance(2 * time.Minute)
		var up Claim
		err = e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
			up, err = e.svc.UpdateClaim(ctx, tx, tenantA, srv.ID, dept.ID, ClaimInput{Name: "team", Target: TargetAccess, Expression: "app.name"})
			return err
		})
		if err != nil || up.Name != "team" || up.MaxBytes != 6*100+2 || len(up.Scopes) != 0 || !up.UpdatedAt.After(up.CreatedAt) {
			t.Fatalf("updated %+v, %v", up, err)
		}
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.UpdateClaim(ctx, tx, tenantA, srv.ID, dept.ID, ClaimInput{Name: "dept", Target: TargetID, Expression: "app.name"})
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("renaming onto another claim: %v", err)
		}

		for _, probe := range []struct{ tenant, server string }{{tenantB, srv.ID}, {tenantA, other.ID}} {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Claim(ctx, tx, probe.tenant, probe.server, dept.ID)
				return err
			})
			wantNotFound(t, err)
			err = e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteClaim(ctx, tx, probe.tenant, probe.server, dept.ID)
			})
			wantNotFound(t, err)
		}
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Claims(ctx, tx, tenantB, srv.ID)
			return err
		})
		wantNotFound(t, err)
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			return e.svc.DeleteClaim(ctx, tx, tenantA, srv.ID, dept.ID)
		})
		if n := e.count(t, "auth_claims"); n != 2 {
			t.Fatalf("%d claims after delete, want 2", n)
		}
	})
}

// tokenRequest is a granted request of a person to srv.
func tokenRequest(srv Server) (Request, Decision) {
	req := Request{
		Server: srv, ClientID: "app_web", GrantType: GrantAuthorizationCode, UserID: "usr_1",
		App:        map[string]any{"id": "app_web", "name": "Shop", "type": "web", "tags": []any{"gold"}},
		User:       map[string]any{"id": "usr_1", "login": "ada", "email": "ada@example.com", "name": "Ada", "status": "ACTIVE", "profile": map[string]any{"department": "R&D"}},
		GroupNames: []string{"staff", "admins"}, IP: netip.MustParseAddr("192.0.2.1"),
	}
	return req, Decision{Granted: true, Scopes: []string{"openid", "orders.read"}}
}

func TestTokenClaimsEvaluatesEachVariable(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.claimServer(t, ServerInput{Name: "orders"})
		for _, in := range []ClaimInput{
			{Name: "uid", Target: TargetAccess, Expression: "user.id"},
			{Name: "dept", Target: TargetAccess, Expression: "user.profile.department"},
			{Name: "app", Target: TargetAccess, Expression: `{"name": app.name, "gold": "gold" in app.tags}`, MaxBytes: 100},
			{Name: "roles", Target: TargetAccess, Expression: `groups.filter(g, g != "staff")`, MaxBytes: 200},
			{Name: "via", Target: TargetAccess, Expression: `request.grant_type + " from " + request.ip`, MaxBytes: 200},
			{Name: "granted", Target: TargetAccess, Expression: `request.scopes`, MaxBytes: 200, Scopes: []string{"orders.read"}},
			{Name: "nick", Target: TargetID, Expression: `has(user.profile.nickname) ? user.profile.nickname : null`, MaxBytes: 100, OverrideEditable: true},
			{Name: "login", Target: TargetID, Expression: "user.login"},
			{Name: "off", Target: TargetID, Expression: `"never"`, Inactive: true},
		} {
			if _, err := e.createClaim(t, srv.ID, in); err != nil {
				t.Fatalf("%s: %v", in.Name, err)
			}
		}
		req, d := tokenRequest(srv)
		var access, id map[string]any
		e.ok(t, func(ctx context.Context, tx store.Tx) (err error) {
			access, id, err = e.svc.TokenClaims(ctx, tx, req, d)
			return err
		})
		wantJSON(t, access, `{"app":{"gold":true,"name":"Shop"},"dept":"R\u0026D","granted":["openid","orders.read"],"roles":["admins"],"uid":"usr_1","via":"authorization_code from 192.0.2.1"}`)
		wantJSON(t, id, `{"login":"ada"}`)

		t.Run("leaves out a claim whose scopes are not granted", func(t *testing.T) {
			d := d
			d.Scopes = []string{"openid"}
			e.ok(t, func(ctx context.Context, tx store.Tx) (err error) {
				access, _, err = e.svc.TokenClaims(ctx, tx, req, d)
				return err
			})
			if _, ok := access["granted"]; ok || access["uid"] != "usr_1" {
				t.Fatalf("access %v", access)
			}
		})
		t.Run("leaves out claims about a person for client credentials", func(t *testing.T) {
			req := req
			req.GrantType, req.UserID, req.User, req.GroupNames = GrantClientCredentials, "", nil, nil
			e.ok(t, func(ctx context.Context, tx store.Tx) (err error) {
				access, id, err = e.svc.TokenClaims(ctx, tx, req, d)
				return err
			})
			wantJSON(t, access, `{"app":{"gold":true,"name":"Shop"},"granted":["openid","orders.read"],"via":"client_credentials from 192.0.2.1"}`)
			wantJSON(t, id, `{}`)
		})
		t.Run("refuses a refused decision", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.svc.TokenClaims(ctx, tx, req, Decision{})
				return err
			})
			if err == nil {
				t.Fatal("claims of a refused request")
			}
		})
	})
}

func TestTokenClaimsRefusesOversizedAndFailingValues(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.claimServer(t, ServerInput{Name: "orders"})
		if _, err := e.createClaim(t, srv.ID, ClaimInput{Name: "who", Target: TargetAccess, Expression: `user.login + "@" + app.name`, MaxBytes: 8}); err != nil {
			t.Fatal(err)
		}
		req, d := tokenRequest(srv)
		err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, _, err := e.svc.TokenClaims(ctx, tx, req, d) // "ada@Shop" is 10 bytes in JSON
			return err
		})
		if !errors.Is(err, ErrClaimTooLarge) || !strings.Contains(err.Error(), `"who"`) {
			t.Fatalf("got %v, want ErrClaimTooLarge naming the claim", err)
		}
		req.User["login"] = "ad"
		e.ok(t, func(ctx context.Context, tx store.Tx) error { // "ad@Shop": 9 bytes
			_, _, err := e.svc.TokenClaims(ctx, tx, req, d)
			if !errors.Is(err, ErrClaimTooLarge) {
				return errors.New("9 bytes fit 8")
			}
			req.User["login"] = "a" // "a@Shop": 8 bytes, the bound itself
			_, _, err = e.svc.TokenClaims(ctx, tx, req, d)
			return err
		})
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.CreateClaim(ctx, tx, tenantA, srv.ID, ClaimInput{Name: "cc", Target: TargetAccess, Expression: "user.profile.cost_center", MaxBytes: 50})
			return err
		})
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, _, err := e.svc.TokenClaims(ctx, tx, req, d)
			return err
		})
		if !errors.Is(err, ErrClaimEvaluation) || !strings.Contains(err.Error(), `"cc"`) {
			t.Fatalf("got %v, want ErrClaimEvaluation naming the claim", err)
		}
	})
}

func wantJSON(t *testing.T, v any, want string) {
	t.Helper()
	if got := string(mustJSON(t, v)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
