package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestEmailChange(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"changes the address once the new one is proven and tells the old", testEmailChange},
				{"needs a live session", testEmailChangeNoSession},
				{"refuses the same address and a malformed one", testEmailChangeRefusals},
				{"an address another account signs in with gets no mail and the same answer", testEmailChangeTaken},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// startChange signs in and starts an email change.
func (v *env) startChange(t *testing.T) Result {
	t.Helper()
	done := v.signIn(t)
	r, err := v.e.StartEmailChange(context.Background(), EmailChangeBegin{Issuer: v.iss, Session: done.SetSession.Value, Origin: origin, Base: origin})
	if err != nil {
		t.Fatal(err)
	}
	if r.Flow.Step != StepChangeEmail || len(r.Flow.Fields) != 1 || hasAction(r.Flow, ActionBack) {
		t.Fatalf("change-email step: %+v", r.Flow)
	}
	return r
}

const newAddress = "ada@new.example"

func testEmailChange(t *testing.T, v *env) {
	r := v.startChange(t)
	poll := must(t)(v.cont(t, r, ActionSend, FieldEmail, newAddress))
	if poll.Flow.Step != wire.StepPoll || !hasMessage(poll.Flow, MsgEmailSentChange) || hasAction(poll.Flow, ActionBack) {
		t.Fatalf("after send: step %s (%s) %v", poll.Flow.Step, messageIDs(poll.Flow), poll.Flow.Actions)
	}
	// Nothing changed yet.
	if u := v.user(t, login); u.Email != login {
		t.Fatalf("email %q before proof", u.Email)
	}
	code, _ := v.lastCodeAndToken(t)
	if ms := v.sink.Messages(); ms[len(ms)-1].To[0] != newAddress {
		t.Fatalf("code went to %v", ms[len(ms)-1].To)
	}
	must(t)(v.cont(t, r, ActionEnterCode))
	done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if done.Flow.Step != wire.StepDone || done.Flow.Redirect != origin+ChangedPath {
		t.Fatalf("after the code: step %s %q (%s)", done.Flow.Step, done.Flow.Redirect, messageIDs(done.Flow))
	}
	u := v.user(t, newAddress)
	if u.ID != v.userID || u.Email != newAddress || !u.EmailVerified {
		t.Fatalf("user %+v", u)
	}
	v.wantNoUser(t, login)
	ms := v.delivered(t)
	notice := ms[len(ms)-1]
	if notice.To[0] != login || strings.Contains(notice.Text, newAddress) || !strings.Contains(notice.Text, "a•••@new.example") {
		t.Fatalf("notice to %v:\n%s", notice.To, notice.Text)
	}
	v.wantEvents(t, "user.email.changed")
}

func testEmailChangeNoSession(t *testing.T, v *env) {
	for _, cookie := range []string{"", "lses_nonsense"} {
		_, err := v.e.StartEmailChange(context.Background(), EmailChangeBegin{Issuer: v.iss, Session: cookie, Origin: origin, Base: origin})
		if !errors.Is(err, ErrNoSession) {
			t.Fatalf("cookie %q: %v, want ErrNoSession", cookie, err)
		}
	}
}

func testEmailChangeRefusals(t *testing.T, v *env) {
	r := v.startChange(t)
	for _, tc := range []struct{ value, msg string }{{"ADA@example.com", MsgEmailSame}, {"nope", MsgEmailInvalid}, {"", MsgFieldRequired}} {
		got := must(t)(v.cont(t, r, ActionSend, FieldEmail, tc.value))
		if got.Flow.Step != StepChangeEmail || !hasMessage(got.Flow, tc.msg) {
			t.Fatalf("%q: step %s (%s)", tc.value, got.Flow.Step, messageIDs(got.Flow))
		}
	}
	if ms := v.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s)", len(ms))
	}
}

func testEmailChangeTaken(t *testing.T, v *env) {
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.dir.CreateUser(ctx, tx, v.iss.TenantID, directory.UserInput{Login: newAddress})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := v.startChange(t)
	got := must(t)(v.cont(t, r, ActionSend, FieldEmail, newAddress))
	if got.Flow.Step != wire.StepPoll || !hasMessage(got.Flow, MsgEmailSentChange) {
		t.Fatalf("step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	if ms := v.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) to a taken address", len(ms))
	}
}
