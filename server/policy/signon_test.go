package policy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// put sets a sign-on policy, failing the test on an error.
func (e *env) put(t *testing.T, tenantID, appID string, rules ...Rule) SignOnPolicy {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (SignOnPolicy, error) {
		return e.svc.PutSignOnPolicy(ctx, tx, tenantID, appID, rules)
	})
}

// signOn decides, failing the test on an error.
func (e *env) signOn(t *testing.T, tenantID string, in SignOnInput) SignOnDecision {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (SignOnDecision, error) {
		return e.svc.SignOn(ctx, tx, tenantID, in)
	})
}

func allow(name, cond string, factors int, auth ...string) Rule {
	return Rule{Name: name, Condition: cond, Access: AccessAllow, Authenticators: auth, Factors: factors}
}

func deny(name, cond string) Rule { return Rule{Name: name, Condition: cond, Access: AccessDeny} }

func TestSignOnDecides(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, bare := e.tenant(t, "acme"), e.tenant(t, "bare")
		for _, z := range []tenant.ZoneInput{
			{Name: "Office", CIDRs: []string{"192.0.2.0/24", "2001:db8::/32"}},
			{Name: "VPN", CIDRs: []string{"198.51.100.0/24"}},
		} {
			get(t, e, func(ctx context.Context, tx store.Tx) (tenant.Zone, error) {
				return e.tenants.CreateZone(ctx, tx, ten.ID, z)
			})
		}
		everyone := allow("everyone", "", 1, AuthEmail, AuthPassword)
		everyone.ReauthenticateAfter = time.Hour
		e.put(t, ten.ID, "",
			allow("office", `"Office" in network.zones`, 1, AuthPassword),
			allow("admins", `"admins" in user.groups`, 2, AuthPassword, AuthEmail),
			deny("blocked address", `network.ip == "203.0.113.66"`),
			deny("suspended", `user.status == "SUSPENDED"`),
			everyone,
		)
		e.put(t, ten.ID, "app_strict",
			deny("not from the VPN", `!("VPN" in network.zones)`),
			allow("contractors", `user.type == "typ_contractor" && app.id == "app_strict"`, 2, AuthEmail, AuthPassword),
			allow("staff", `has(user.id)`, 1, AuthPassword),
		)
		e.put(t, ten.ID, "app_tenth", allow("tenth network", `network.ip.startsWith("10.")`, 1, AuthEmail))

		office, vpn, elsewhere := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.1")
		admin := &Subject{ID: "usr_admin", TypeID: "typ_default", Status: "ACTIVE", Groups: []string{"staff", "admins"}}
		plain := &Subject{ID: "usr_plain", TypeID: "typ_default", Status: "ACTIVE"}
		contractor := &Subject{ID: "usr_c", TypeID: "typ_contractor", Status: "ACTIVE"}
		suspended := &Subject{ID: "usr_s", TypeID: "typ_default", Status: "SUSPENDED", Groups: []string{"admins"}}

		for _, tc := range []struct {
			name     string
			tenantID string
			in       SignOnInput
			want     SignOnDecision
		}{
			{"allows from a zone before authentication", ten.ID, SignOnInput{AppID: "app_web", IP: office},
				SignOnDecision{Rule: "office", Allow: true, Authenticators: []string{AuthPassword}, Factors: 1}},
			{"matches a zone by an IPv6 address", ten.ID, SignOnInput{AppID: "app_web", IP: netip.MustParseAddr("2001:db8::5")},
				SignOnDecision{Rule: "office", Allow: true, Authenticators: []string{AuthPassword}, Factors: 1}},
			{"matches a zone by an IPv4-mapped address", ten.ID, SignOnInput{AppID: "app_web", IP: netip.MustParseAddr("::ffff:192.0.2.10")},
				SignOnDecision{Rule: "office", Allow: true, Authenticators: []string{AuthPassword}, Factors: 1}},
			{"lets the first matching rule win after authentication", ten.ID, SignOnInput{AppID: "app_web", IP: office, User: admin},
				SignOnDecision{Rule: "office", Allow: true, Authenticators: []string{AuthPassword}, Factors: 1}},
			{"asks a group for two factors after authentication", ten.ID, SignOnInput{AppID: "app_web", IP: elsewhere, User: admin},
				SignOnDecision{Rule: "admins", Allow: true, Authenticators: []string{AuthPassword, AuthEmail}, Factors: 2}},
			{"skips rules reading user before authentication", ten.ID, SignOnInput{AppID: "app_web", IP: elsewhere},
				SignOnDecision{Rule: "everyone", Allow: true, Authenticators: []string{AuthEmail, AuthPassword}, Factors: 1, ReauthAfter: time.Hour}},
			{"falls through for a person outside the group", ten.ID, SignOnInput{AppID: "app_web", IP: elsewhere, User: plain},
				SignOnDecision{Rule: "everyone", Allow: true, Authenticators: []string{AuthEmail, AuthPassword}, Factors: 1, ReauthAfter: time.Hour}},
			{"denies by address before authentication", ten.ID, SignOnInput{AppID: "app_web", IP: netip.MustParseAddr("203.0.113.66")},
				SignOnDecision{Rule: "blocked address"}},
			{"lets an earlier rule win over a later deny", ten.ID, SignOnInput{AppID: "app_web", IP: vpn, User: suspended},
				SignOnDecision{Rule: "admins", Allow: true, Authenticators: []string{AuthPassword, AuthEmail}, Factors: 2}},
			{"denies a suspended person outside earlier rules", ten.ID, SignOnInput{AppID: "app_web", IP: vpn, User: &Subject{ID: "u", Status: "SUSPENDED"}},
				SignOnDecision{Rule: "suspended"}},
			{"treats an unknown address as in no zone", ten.ID, SignOnInput{AppID: "app_web"},
				SignOnDecision{Rule: "everyone", Allow: true, Authenticators: []string{AuthEmail, AuthPassword}, Factors: 1, ReauthAfter: time.Hour}},
			{"uses the app's own policy", ten.ID, SignOnInput{AppID: "app_strict", IP: office},
				SignOnDecision{Rule: "not from the VPN"}},
			{"refuses when no rule can match before authentication", ten.ID, SignOnInput{AppID: "app_strict", IP: vpn},
				SignOnDecision{}},
			{"reads the user type and app after authentication", ten.ID, SignOnInput{AppID: "app_strict", IP: vpn, User: contractor},
				SignOnDecision{Rule: "contractors", Allow: true, Authenticators: []string{AuthEmail, AuthPassword}, Factors: 2}},
			{"tests fields with has after authentication", ten.ID, SignOnInput{AppID: "app_strict", IP: vpn, User: plain},
				SignOnDecision{Rule: "staff", Allow: true, Authenticators: []string{AuthPassword}, Factors: 1}},
			{"refuses when no rule matches", ten.ID, SignOnInput{AppID: "app_tenth", IP: office, User: admin},
				SignOnDecision{}},
			{"allows when the one rule matches", ten.ID, SignOnInput{AppID: "app_tenth", IP: netip.MustParseAddr("10.1.2.3")},
				SignOnDecision{Rule: "tenth network", Allow: true, Authenticators: []string{AuthEmail}, Factors: 1}},
			{"falls back to the built-in default", bare.ID, SignOnInput{AppID: "app_web", IP: office},
				SignOnDecision{Rule: DefaultRule, Allow: true, Authenticators: []string{AuthPassword, AuthEmail}, Factors: 1}},
			{"never reads another tenant's policy", bare.ID, SignOnInput{AppID: "app_strict", IP: office, User: admin},
				SignOnDecision{Rule: DefaultRule, Allow: true, Authenticators: []string{AuthPassword, AuthEmail}, Factors: 1}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := e.signOn(t, tc.tenantID, tc.in)
				if got.Rule != tc.want.Rule || got.Allow != tc.want.Allow || !slices.Equal(got.Authenticators, tc.want.Authenticators) ||
					got.Factors != tc.want.Factors || got.ReauthAfter != tc.want.ReauthAfter {
					t.Fatalf("decided %+v, want %+v", got, tc.want)
				}
			})
		}

		t.Run("decides before authentication whether or not an account exists", func(t *testing.T) {
			// The first step sees no user at all: a policy that would treat
			// known and unknown people differently cannot before they prove
			// who they are.
			a := e.signOn(t, ten.ID, SignOnInput{AppID: "app_web", IP: vpn})
			b := e.signOn(t, ten.ID, SignOnInput{AppID: "app_web", IP: vpn})
			if a.Rule != "everyone" || a.Rule != b.Rule {
				t.Fatalf("decided %+v then %+v", a, b)
			}
		})
		t.Run("returns a copy of the authenticators", func(t *testing.T) {
			d := e.signOn(t, ten.ID, SignOnInput{AppID: "app_web", IP: office})
			d.Authenticators[0] = "tampered"
			if again := e.signOn(t, ten.ID, SignOnInput{AppID: "app_web", IP: office}); again.Authenticators[0] != AuthPassword {
				t.Fatalf("a caller changed the cached rule: %+v", again)
			}
		})
		t.Run("stops on a cancelled context", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := e.st.View(context.Background(), func(_ context.Context, tx store.Tx) error {
				_, err := e.svc.SignOn(ctx, tx, ten.ID, SignOnInput{AppID: "app_web", IP: office})
				return err
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
		})
	})
}

func TestSignOnPolicyLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.SignOnPolicy(ctx, tx, ten.ID, "app_x")
			return err
		}))
		first := e.put(t, ten.ID, "app_x", Rule{Name: "  anyone  ", Condition: "  ", Access: AccessAllow, Authenticators: []string{AuthPassword}})
		if !strings.HasPrefix(first.ID, "sop_") || first.AppID != "app_x" || first.TenantID != ten.ID ||
			first.Rules[0].Name != "anyone" || first.Rules[0].Condition != "" || first.Rules[0].Factors != 1 {
			t.Fatalf("put %+v", first)
		}
		read := get(t, e, func(ctx context.Context, tx store.Tx) (SignOnPolicy, error) {
			return e.svc.SignOnPolicy(ctx, tx, ten.ID, "app_x")
		})
		if read.ID != first.ID || !read.CreatedAt.Equal(first.CreatedAt) || len(read.Rules) != 1 || read.Rules[0].Name != "anyone" {
			t.Fatalf("read back %+v", read)
		}

		// A second node (another Service over the same database) sees
		// each committed change at its next transaction.
		svc2, err := New(Deps{Store: e.st, Clock: e.clk, Passwords: factor.NewPasswords(1), Zones: e.tenants, Types: noTypes{}})
		if err != nil {
			t.Fatal(err)
		}
		node2 := &env{st: e.st, svc: svc2, tenants: e.tenants, clk: e.clk}
		if d := node2.signOn(t, ten.ID, SignOnInput{AppID: "app_x"}); d.Rule != "anyone" {
			t.Fatalf("node 2 decided %+v", d)
		}
		e.clk.Advance(time.Minute)
		second := e.put(t, ten.ID, "app_x", Rule{Name: "email only", Access: AccessAllow, Authenticators: []string{AuthEmail},
			ReauthenticateAfter: 15 * time.Minute})
		if second.ID != first.ID || !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) {
			t.Fatalf("replaced %+v, was %+v", second, first)
		}
		if d := node2.signOn(t, ten.ID, SignOnInput{AppID: "app_x"}); d.Rule != "email only" || d.ReauthAfter != 15*time.Minute {
			t.Fatalf("node 2 decided %+v after the change", d)
		}

		t.Run("a rolled-back change is never used", func(t *testing.T) {
			rollback := errors.New("roll back")
			err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				if _, err := e.svc.PutSignOnPolicy(ctx, tx, ten.ID, "app_x", []Rule{deny("nobody", "")}); err != nil {
					return err
				}
				if d, err := e.svc.SignOn(ctx, tx, ten.ID, SignOnInput{AppID: "app_x"}); err != nil || d.Rule != "nobody" {
					return fmt.Errorf("inside the change: %+v, %v", d, err)
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatal(err)
			}
			if d := e.signOn(t, ten.ID, SignOnInput{AppID: "app_x"}); d.Rule != "email only" {
				t.Fatalf("decided %+v after the rollback", d)
			}
		})
		t.Run("keeps tenants apart", func(t *testing.T) {
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.SignOnPolicy(ctx, tx, other.ID, "app_x")
				return err
			}))
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteSignOnPolicy(ctx, tx, other.ID, "app_x")
			}))
		})
		t.Run("deletes, after which the tenant default applies", func(t *testing.T) {
			e.put(t, ten.ID, "", allow("default", "", 1, AuthPassword))
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteSignOnPolicy(ctx, tx, ten.ID, "app_x")
			}); err != nil {
				t.Fatal(err)
			}
			if d := node2.signOn(t, ten.ID, SignOnInput{AppID: "app_x"}); d.Rule != "default" {
				t.Fatalf("decided %+v", d)
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteSignOnPolicy(ctx, tx, ten.ID, "app_x")
			}))
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteSignOnPolicy(ctx, tx, ten.ID, "") }); err != nil {
				t.Fatal(err)
			}
			if d := e.signOn(t, ten.ID, SignOnInput{AppID: "app_x"}); d.Rule != DefaultRule {
				t.Fatalf("decided %+v", d)
			}
		})
	})
}

func TestPutSignOnPolicyRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme")
		ok := allow("ok", "", 1, AuthPassword)
		many := slices.Repeat([]Rule{ok}, MaxRules+1)
		for i := range many {
			many[i].Name = fmt.Sprintf("r%d", i)
		}
		costly := `user.groups.all(a, user.groups.all(b, user.groups.all(c, a + b + c != "")))`
		for _, tc := range []struct {
			name   string
			rules  []Rule
			fields []string
		}{
			{"refuses a policy without rules", nil, []string{"rules"}},
			{"refuses too many rules", many, []string{"rules"}},
			{"refuses a rule without a name", []Rule{allow(" ", "", 1, AuthPassword)}, []string{"rules[0].name"}},
			{"refuses a long name", []Rule{allow(strings.Repeat("n", MaxRuleNameLen+1), "", 1, AuthPassword)}, []string{"rules[0].name"}},
			{"refuses a control character in a name", []Rule{allow("a\tb", "", 1, AuthPassword)}, []string{"rules[0].name"}},
			{"refuses a name twice, ignoring case", []Rule{ok, allow("OK", "", 1, AuthEmail)}, []string{"rules[1].name"}},
			{"refuses a condition that does not parse", []Rule{allow("a", `network.ip ==`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses an unknown variable", []Rule{allow("a", `session.id == "x"`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses an unknown field", []Rule{allow("a", `user.email == "x@example.com"`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses an unknown field tested with has", []Rule{allow("a", `has(network.country)`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses an unknown field by literal index", []Rule{allow("a", `app["name"] == "x"`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses a non-bool condition", []Rule{allow("a", `network.ip`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses a string condition", []Rule{allow("a", `"yes"`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses an int condition", []Rule{allow("a", `1 + 1`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses a type error", []Rule{allow("a", `1 + "a" == "1a"`, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses a condition over the length limit", []Rule{allow("a", "true || "+strings.Repeat("true || ", MaxConditionLen/8)+"true", 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses invalid UTF-8", []Rule{allow("a", "network.ip == \"\xff\"", 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses a condition whose worst case costs too much", []Rule{allow("a", costly, 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses nesting beyond the recursion limit", []Rule{allow("a", strings.Repeat("(", 40)+"true"+strings.Repeat(")", 40), 1, AuthPassword)}, []string{"rules[0].condition"}},
			{"refuses an unknown access", []Rule{{Name: "a", Access: "maybe", Authenticators: []string{AuthPassword}}}, []string{"rules[0].access"}},
			{"refuses an allowing rule without authenticators", []Rule{allow("a", "", 1)}, []string{"rules[0].authenticators"}},
			{"refuses an unknown authenticator", []Rule{allow("a", "", 1, AuthPassword, "fax")}, []string{"rules[0].authenticators[1]"}},
			{"refuses an authenticator twice", []Rule{allow("a", "", 1, AuthEmail, AuthEmail)}, []string{"rules[0].authenticators[1]"}},
			{"refuses three factors", []Rule{allow("a", "", 3, AuthPassword, AuthEmail)}, []string{"rules[0].factors"}},
			{"refuses negative factors", []Rule{allow("a", "", -1, AuthPassword)}, []string{"rules[0].factors"}},
			{"refuses two factors of one authenticator", []Rule{allow("a", "", 2, AuthPassword)}, []string{"rules[0].factors"}},
			{"refuses a negative reauthentication window", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthPassword}, ReauthenticateAfter: -time.Second}}, []string{"rules[0].reauthenticate_after"}},
			{"refuses a reauthentication window over 90 days", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthPassword}, ReauthenticateAfter: MaxReauthenticateAfter + time.Second}}, []string{"rules[0].reauthenticate_after"}},
			{"refuses a reauthentication window in fractions of seconds", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthPassword}, ReauthenticateAfter: 1500 * time.Millisecond}}, []string{"rules[0].reauthenticate_after"}},
			{"refuses authenticators on a denying rule", []Rule{{Name: "a", Access: AccessDeny, Authenticators: []string{AuthPassword}}}, []string{"rules[0].authenticators"}},
			{"refuses factors on a denying rule", []Rule{{Name: "a", Access: AccessDeny, Factors: 1}}, []string{"rules[0].factors"}},
			{"refuses a reauthentication window on a denying rule", []Rule{{Name: "a", Access: AccessDeny, ReauthenticateAfter: time.Hour}}, []string{"rules[0].reauthenticate_after"}},
			{"refuses enrolling a password", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthPassword}, Enroll: []string{AuthPassword}}}, []string{"rules[0].enroll[0]"}},
			{"refuses enrolling an authenticator twice", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthEmail}, Enroll: []string{AuthPasskey, AuthPasskey}}}, []string{"rules[0].enroll[1]"}},
			{"refuses an enrollment grace on one factor", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthPassword}, EnrollGrace: time.Hour}}, []string{"rules[0].enroll_grace"}},
			{"refuses an enrollment grace over 90 days", []Rule{{Name: "a", Access: AccessAllow, Authenticators: []string{AuthPassword, AuthTOTP}, Factors: 2, EnrollGrace: MaxReauthenticateAfter + time.Second}}, []string{"rules[0].enroll_grace"}},
			{"refuses enrollment on a denying rule", []Rule{{Name: "a", Access: AccessDeny, Enroll: []string{AuthTOTP}, EnrollGrace: time.Hour}}, []string{"rules[0].enroll", "rules[0].enroll_grace"}},
			{"reports every problem at once", []Rule{ok, {Name: "ok", Condition: "nope(", Access: AccessAllow, Authenticators: []string{"fax"}, Factors: 2}},
				[]string{"rules[1].name", "rules[1].condition", "rules[1].authenticators[0]", "rules[1].factors"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.PutSignOnPolicy(ctx, tx, ten.ID, "app_x", tc.rules)
					return err
				})
				wantFields(t, err, tc.fields...)
			})
		}
		t.Run("refuses an overlong app ID", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.PutSignOnPolicy(ctx, tx, ten.ID, strings.Repeat("a", 65), []Rule{ok})
				return err
			}), "app_id")
		})
		if n := e.count(t, "signon_policies"); n != 0 {
			t.Fatalf("refused policies left %d rows", n)
		}
	})
}

func TestSignOnFailsClosed(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme")
		e.put(t, ten.ID, "",
			deny("no outsiders", `user.groups.exists(g, g == "outsiders")`),
			allow("everyone", "", 1, AuthPassword),
		)
		t.Run("refuses when a condition reaches the runtime cost limit", func(t *testing.T) {
			// The estimate assumed ConditionListSize groups; far more run
			// into the runtime limit, which refuses rather than skip a
			// denying rule.
			huge := &Subject{ID: "u", Status: "ACTIVE", Groups: slices.Repeat([]string{"g"}, ConditionRuntimeCostLimit/2)}
			if d := e.signOn(t, ten.ID, SignOnInput{User: huge}); d.Allow || d.Rule != "no outsiders" {
				t.Fatalf("decided %+v", d)
			}
			many := &Subject{ID: "u", Status: "ACTIVE", Groups: slices.Repeat([]string{"g"}, 10*ConditionListSize)}
			if d := e.signOn(t, ten.ID, SignOnInput{User: many}); !d.Allow || d.Rule != "everyone" {
				t.Fatalf("ten times the assumed groups: %+v", d)
			}
		})
		t.Run("refuses at a stored condition that no longer compiles", func(t *testing.T) {
			other := e.tenant(t, "other")
			p := e.put(t, other.ID, "", allow("everyone", "", 1, AuthPassword))
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE signon_policies SET rules = ?, version = version + 1 WHERE id = ?`,
					`[{"name":"broken","condition":"nope(","access":"allow","authenticators":["password"],"factors":1,"reauthenticate_after":0}]`, p.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if d := e.signOn(t, other.ID, SignOnInput{}); d.Allow || d.Rule != "broken" {
				t.Fatalf("decided %+v", d)
			}
		})
	})
}

func TestConditionReferences(t *testing.T) {
	svc := compiler(t)
	for _, tc := range []struct {
		expr               string
		readsUser, readsZn bool
	}{
		{`network.ip == "192.0.2.1"`, false, false},
		{`"Office" in network.zones`, false, true},
		{`network["zones"].size() > 0`, false, true},
		{`network.all(k, k != "")`, false, true},
		{`has(user.id)`, true, false},
		{`user["groups"].exists(g, g == "a") && app.id == "x"`, true, false},
		{`"id" in user`, true, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			c, err := svc.compileCondition("condition", tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if c.readsUser != tc.readsUser || c.readsZones != tc.readsZn {
				t.Fatalf("readsUser %v, readsZones %v", c.readsUser, c.readsZones)
			}
		})
	}
}

func TestSignOnCarriesEnrollment(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme")
		passkeys := Rule{Name: "passkeys", Access: AccessAllow, Authenticators: []string{AuthPasskey}, Factors: 2}
		mfa := Rule{Name: "mfa", Access: AccessAllow, Authenticators: []string{AuthPassword, AuthTOTP, AuthRecoveryCode},
			Factors: 2, Enroll: []string{AuthPasskey}, EnrollGrace: 7 * 24 * time.Hour}
		e.put(t, ten.ID, "app_passkeys", passkeys)
		e.put(t, ten.ID, "", mfa)
		for _, tc := range []struct {
			app  string
			want SignOnDecision
		}{
			{"app_passkeys", SignOnDecision{Rule: "passkeys", Allow: true, Authenticators: []string{AuthPasskey}, Factors: 2}},
			{"app_other", SignOnDecision{Rule: "mfa", Allow: true, Authenticators: []string{AuthPassword, AuthTOTP, AuthRecoveryCode}, Factors: 2,
				Enroll: []string{AuthPasskey}, EnrollGrace: 7 * 24 * time.Hour}},
		} {
			t.Run(tc.app, func(t *testing.T) {
				got := get(t, e, func(ctx context.Context, tx store.Tx) (SignOnDecision, error) {
					return e.svc.SignOn(ctx, tx, ten.ID, SignOnInput{AppID: tc.app})
				})
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("decision %+v, want %+v", got, tc.want)
				}
			})
		}
	})
}
