package engine

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// TestSignOnPolicy runs flows under sign-on policies: what the app and
// network allow decides the first step, the person's groups decide after
// the first factor, two factors chain, and a session counts for SSO only
// while it has the factors and freshness the policy asks.
func TestSignOnPolicy(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"two factors chain password then email", testTwoFactors},
				{"email-only starts at the email", testEmailOnly},
				{"a group rule refuses after the first factor", testGroupDenied},
				{"a network zone decides before anyone is identified", testZone},
				{"re-authentication frequency ends SSO", testReauth},
				{"a session with fewer factors than asked is not reused", testFactorsForSSO},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// policy sets the app's sign-on policy.
func (v *env) policy(t *testing.T, rules ...policy.Rule) {
	t.Helper()
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.policies.PutSignOnPolicy(ctx, tx, v.iss.TenantID, v.app.ID, rules)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// contFrom continues a flow as a request from ip.
func (v *env) contFrom(t *testing.T, ip string, r Result, action string, kv ...string) Result {
	t.Helper()
	req := wire.ContinueRequest{Action: action}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Values = append(req.Values, wire.Param{Name: kv[i], Value: kv[i+1]})
	}
	ctx := clientip.With(requestid.With(context.Background(), "req-1"), netip.MustParseAddr(ip))
	res, err := v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret, origin, req, "")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func testTwoFactors(t *testing.T, v *env) {
	v.policy(t, policy.Rule{Name: "mfa", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword, policy.AuthEmail}, Factors: 2})
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	poll := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if poll.Flow.Step != wire.StepPoll || poll.SetSession != nil {
		t.Fatalf("after the password: %s (%s), session %v", poll.Flow.Step, messageIDs(poll.Flow), poll.SetSession)
	}
	// The second factor cannot be swapped for the first.
	if _, err := v.cont(t, r, ActionEmailCode); err == nil {
		t.Fatal("email-code offered at the second factor's poll step")
	}
	code, _ := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("after the code: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("amr %v", s.AMR)
	}
}

func testEmailOnly(t *testing.T, v *env) {
	v.policy(t, policy.Rule{Name: "passwordless", Access: policy.AccessAllow, Authenticators: []string{policy.AuthEmail}})
	r := v.start(t, "", "")
	poll := must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	if poll.Flow.Step != wire.StepPoll || len(v.delivered(t)) != 1 {
		t.Fatalf("identify under an email-only policy: %s (%s)", poll.Flow.Step, messageIDs(poll.Flow))
	}
	// A person without a password signs in all the same.
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		c, err := v.dir.Credential(ctx, tx, v.iss.TenantID, v.userID, directory.CredentialPassword)
		if err != nil {
			return err
		}
		return v.dir.DeleteCredential(ctx, tx, v.iss.TenantID, v.userID, c.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	if done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code)); done.Flow.Step != wire.StepDone {
		t.Fatalf("a passwordless person: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
}

func testGroupDenied(t *testing.T, v *env) {
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		g, err := v.dir.CreateGroup(ctx, tx, v.iss.TenantID, directory.GroupInput{Name: "contractors"})
		if err != nil {
			return err
		}
		return v.dir.AddMember(ctx, tx, v.iss.TenantID, g.ID, v.userID)
	})
	if err != nil {
		t.Fatal(err)
	}
	v.policy(t,
		policy.Rule{Name: "no contractors", Condition: `"contractors" in user.groups`, Access: policy.AccessDeny},
		policy.Rule{Name: "everyone", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword}},
	)
	r := v.start(t, "", "")
	pw := must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	if pw.Flow.Step != wire.StepChallengePassword || hasAction(pw.Flow, ActionEmailCode) {
		t.Fatalf("before authentication the group rule must not apply: %s %v", pw.Flow.Step, pw.Flow.Actions)
	}
	res := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if res.Flow.Step != wire.StepError || !hasMessage(res.Flow, MsgAccessDenied) || res.SetSession != nil {
		t.Fatalf("a contractor: %s (%s)", res.Flow.Step, messageIDs(res.Flow))
	}
}

func testZone(t *testing.T, v *env) {
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.tenants.CreateZone(ctx, tx, v.iss.TenantID, tenant.ZoneInput{Name: "office", CIDRs: []string{"10.0.0.0/8"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	v.policy(t, policy.Rule{Name: "office only", Condition: `"office" in network.zones`, Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword}})
	inside := v.contFrom(t, "10.1.2.3", v.start(t, "", ""), ActionNext, FieldLogin, login)
	if inside.Flow.Step != wire.StepChallengePassword {
		t.Fatalf("from the office: %s (%s)", inside.Flow.Step, messageIDs(inside.Flow))
	}
	outside := v.contFrom(t, "203.0.113.9", v.start(t, "", ""), ActionNext, FieldLogin, "nobody@example.com")
	if outside.Flow.Step != wire.StepError || !hasMessage(outside.Flow, MsgAccessDenied) {
		t.Fatalf("from elsewhere: %s (%s)", outside.Flow.Step, messageIDs(outside.Flow))
	}
}

func testReauth(t *testing.T, v *env) {
	// The session stays in use (within its 30-minute idle window) while
	// its authentication ages past the policy's hour.
	v.policy(t, policy.Rule{Name: "hourly", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword}, ReauthenticateAfter: time.Hour})
	cookie := v.signIn(t).SetSession.Value
	for range 3 {
		v.clk.Advance(20 * time.Minute)
		if r := v.start(t, "", cookie); r.Flow.Step != wire.StepDone {
			t.Fatalf("SSO within the hour: %s", r.Flow.Step)
		}
	}
	v.clk.Advance(time.Minute)
	if r := v.start(t, "", cookie); r.Flow.Step != wire.StepIdentify {
		t.Fatalf("SSO after the hour: %s, want identify", r.Flow.Step)
	}
}

func testFactorsForSSO(t *testing.T, v *env) {
	cookie := v.signIn(t).SetSession.Value
	v.policy(t, policy.Rule{Name: "mfa", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword, policy.AuthEmail}, Factors: 2})
	// The session is not reused, but its person proves only the factor
	// it lacks (a step-up): the email code, not the password again.
	r := v.start(t, "", cookie)
	if r.Flow.Step != wire.StepPoll || r.Flow.Context.UserHint != login {
		t.Fatalf("a one-factor session under a two-factor policy: %s for %q", r.Flow.Step, r.Flow.Context.UserHint)
	}
	code, _ := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("after the step-up code: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd", "otp", "mfa"}) || s.ACR != ACRTwoFactors {
		t.Fatalf("stepped-up session: amr %v acr %q", s.AMR, s.ACR)
	}
}
