package engine

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

func testSignIn(t *testing.T, v *env) {
	done := v.signIn(t)
	u, err := url.Parse(done.Flow.Redirect)
	if err != nil || u.Query().Get("code") == "" || u.Query().Get("iss") != v.iss.URL || u.Query().Get("state") != "st" {
		t.Fatalf("redirect %q", done.Flow.Redirect)
	}
	if done.SetSession == nil || !strings.HasPrefix(done.SetSession.Value, "lses_") {
		t.Fatalf("no session cookie: %+v", done.SetSession)
	}
	evs, _, err := v.events.Query(context.Background(), events.Query{TenantID: v.iss.TenantID, Types: []string{"user.signin"}})
	if err != nil || len(evs) != 1 || evs[0].Outcome != events.Success || evs[0].Actor.ID != v.userID || evs[0].RequestID != "req-1" {
		t.Fatalf("sign-in events %+v, %v", evs, err)
	}
}

func testNoEnumeration(t *testing.T, v *env) {
	var views []wire.Flow
	for _, l := range []string{login, "nobody@example.com"} {
		r := v.start(t, "", "")
		views = append(views, must(t)(v.cont(t, r, ActionNext, FieldLogin, l)).Flow)
	}
	a, b := views[0], views[1]
	if a.Step != b.Step || len(a.Fields) != len(b.Fields) || messageIDs(a) != messageIDs(b) {
		t.Fatalf("known and unknown accounts differ: %+v vs %+v", a, b)
	}
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, "nobody@example.com"))
	got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if messageIDs(got.Flow) != MsgCredentialsInvalid {
		t.Fatalf("unknown account: %q, want the generic message", messageIDs(got.Flow))
	}
}

func testAttempts(t *testing.T, v *env) {
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	// Five tries; the last two before the end warn how many are left.
	warn := MsgCredentialsInvalid + "," + MsgAttemptsRemaining
	want := []string{MsgCredentialsInvalid, MsgCredentialsInvalid, warn, warn, MsgAttemptsExceeded}
	for i, w := range want {
		got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, "wrong"))
		if messageIDs(got.Flow) != w {
			t.Fatalf("attempt %d: %q, want %q", i+1, messageIDs(got.Flow), w)
		}
	}
	if _, err := v.cont(t, r, ActionSignIn, FieldPassword, password); !errors.Is(err, ErrFlowDone) {
		t.Fatalf("after the limit: %v, want ErrFlowDone", err)
	}
}

func testBinding(t *testing.T, v *env) {
	r := v.start(t, "", "")
	ctx := context.Background()
	req := wire.ContinueRequest{Action: ActionNext, Values: []wire.Param{{Name: FieldLogin, Value: login}}}
	other := v.iss
	other.TenantID = "ten_other"
	for name, call := range map[string]func() error{
		"wrong secret": func() error { _, err := v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret+"x", origin, req, ""); return err },
		"no secret":    func() error { _, err := v.e.Continue(ctx, v.iss, r.Flow.ID, "", origin, req, ""); return err },
		"other origin": func() error {
			_, err := v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret, "https://evil.example", req, "")
			return err
		},
		"other tenant": func() error { _, err := v.e.Continue(ctx, other, r.Flow.ID, r.Secret, origin, req, ""); return err },
		"unknown flow": func() error { _, err := v.e.Current(ctx, v.iss, "flw_nope", r.Secret, origin); return err },
	} {
		if err := call(); !errors.Is(err, ErrFlowNotFound) {
			t.Errorf("%s: %v, want ErrFlowNotFound", name, err)
		}
	}
}

func testExpiry(t *testing.T, v *env) {
	r := v.start(t, "", "")
	v.clk.Advance(DefaultFlowTTL)
	if _, err := v.cont(t, r, ActionNext, FieldLogin, login); !errors.Is(err, ErrFlowExpired) {
		t.Fatalf("got %v, want ErrFlowExpired", err)
	}
}

func testUnknownAction(t *testing.T, v *env) {
	r := v.start(t, "", "")
	for _, a := range []string{ActionSignIn, ActionBack, "", "delete-everything"} {
		if _, err := v.cont(t, r, a, FieldLogin, login); !errors.Is(err, ErrUnknownAction) {
			t.Errorf("action %q at identify: %v", a, err)
		}
	}
}

func testBack(t *testing.T, v *env) {
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	back := must(t)(v.cont(t, r, ActionBack))
	if back.Flow.Step != wire.StepIdentify || back.Flow.Fields[0].Value != "" {
		t.Fatalf("back: %+v", back.Flow)
	}
}

func testFieldMessages(t *testing.T, v *env) {
	r := v.start(t, "", "")
	got := must(t)(v.cont(t, r, ActionNext, FieldLogin, "  "))
	if got.Flow.Step != wire.StepIdentify || messageIDs(got.Flow) != MsgFieldRequired || got.Flow.Messages[0].Field != FieldLogin {
		t.Fatalf("empty login: %+v", got.Flow.Messages)
	}
	got = must(t)(v.cont(t, r, ActionNext, FieldLogin, strings.Repeat("a", maxLoginLen+1)))
	if messageIDs(got.Flow) != MsgFieldTooLong {
		t.Fatalf("long login: %+v", got.Flow.Messages)
	}
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	got = must(t)(v.cont(t, r, ActionSignIn, FieldPassword, strings.Repeat("p", 2000)))
	if messageIDs(got.Flow) != MsgFieldTooLong || got.Flow.Step != wire.StepChallengePassword {
		t.Fatalf("long password: %+v", got.Flow)
	}
}

func testSSO(t *testing.T, v *env) {
	cookie := v.signIn(t).SetSession.Value
	if r := v.start(t, "", cookie); r.Flow.Step != wire.StepDone || !strings.Contains(r.Flow.Redirect, "code=") {
		t.Fatalf("with a session: %s %q", r.Flow.Step, r.Flow.Redirect)
	}
	if r := v.start(t, "login", cookie); r.Flow.Step != wire.StepIdentify {
		t.Fatalf("prompt=login: %s", r.Flow.Step)
	}
}

func testPromptNone(t *testing.T, v *env) {
	r := v.start(t, "none", "")
	u, _ := url.Parse(r.Flow.Redirect)
	if r.Flow.Step != wire.StepDone || u.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none: %s %q", r.Flow.Step, r.Flow.Redirect)
	}
	cookie := v.signIn(t).SetSession.Value
	if r := v.start(t, "none", cookie); !strings.Contains(r.Flow.Redirect, "code=") {
		t.Fatalf("prompt=none with a session: %q", r.Flow.Redirect)
	}
}

func testSuspended(t *testing.T, v *env) {
	cookie := v.signIn(t).SetSession.Value
	err := v.e.Store.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET status = 'suspended' WHERE id = ?`, v.userID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := v.start(t, "", cookie); r.Flow.Step != wire.StepIdentify {
		t.Fatalf("suspended user's session: %s", r.Flow.Step)
	}
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	if got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password)); got.Flow.Step == wire.StepDone {
		t.Fatal("a suspended user signed in with the right password")
	}
}

func testPurge(t *testing.T, v *env) {
	old := v.start(t, "", "")
	v.clk.Advance(DefaultFlowTTL + flowKeep + time.Minute)
	fresh := v.start(t, "", "")
	n, err := v.e.PurgeFlows(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	if _, err := v.e.Current(context.Background(), v.iss, old.Flow.ID, old.Secret, origin); !errors.Is(err, ErrFlowNotFound) {
		t.Fatalf("old flow: %v", err)
	}
	if _, err := v.e.Current(context.Background(), v.iss, fresh.Flow.ID, fresh.Secret, origin); err != nil {
		t.Fatalf("fresh flow: %v", err)
	}
}
