package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// newPassword is a password the default policy accepts.
const newPassword = "a tidy new passphrase 7"

func TestRecovery(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"recovers by email alone, ends every session and signs in", testRecoverByEmail},
				{"an enrolled security answer is asked for before the new password", testRecoverWithAnswer},
				{"a required factor that is not enrolled refuses recovery", testRecoverFactorRequired},
				{"an unknown login gets the same steps and no mail", testRecoverUnknown},
				{"a locked-out account recovers and is unlocked", testRecoverLockedOut},
				{"recovery is not offered when the policy turns it off", testRecoverDisabled},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// toRecoveryCode starts a flow, asks to recover login and enters the
// mailed code; it returns the flow and the result of entering the code.
func (v *env) toRecoveryCode(t *testing.T, who string) (Result, Result) {
	t.Helper()
	r := v.start(t, "", "")
	if !hasAction(r.Flow, ActionRecover) {
		t.Fatalf("identify does not offer recovery: %v", r.Flow.Actions)
	}
	rec := must(t)(v.cont(t, r, ActionRecover))
	if rec.Flow.Step != wire.StepRecover || !hasAction(rec.Flow, ActionSend) {
		t.Fatalf("recover step: %+v", rec.Flow)
	}
	poll := must(t)(v.cont(t, r, ActionSend, FieldLogin, who))
	if poll.Flow.Step != wire.StepPoll || !hasMessage(poll.Flow, MsgEmailSentRecovery) {
		t.Fatalf("after send: step %s (%s)", poll.Flow.Step, messageIDs(poll.Flow))
	}
	must(t)(v.cont(t, r, ActionEnterCode))
	code := "000000"
	if who == login {
		code, _ = v.lastCodeAndToken(t)
		if m := v.sink.Messages(); !strings.Contains(m[len(m)-1].Text, "recover") && !strings.Contains(m[len(m)-1].Text, "Recover") {
			t.Fatalf("the mail is not a recovery mail:\n%s", m[len(m)-1].Text)
		}
	}
	return r, must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
}

func testRecoverByEmail(t *testing.T, v *env) {
	// The current password is in the history the policy checks.
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		c, err := v.dir.Credential(ctx, tx, v.iss.TenantID, v.userID, directory.CredentialPassword)
		if err != nil {
			return err
		}
		return v.policies.RememberPassword(ctx, tx, v.iss.TenantID, v.userID, c.Secret)
	})
	if err != nil {
		t.Fatal(err)
	}
	old := v.signIn(t)
	r, got := v.toRecoveryCode(t, login)
	if got.Flow.Step != StepEnrollPassword || got.SetSession != nil {
		t.Fatalf("after the code: step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	// The password policy speaks first.
	short := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, "short"))
	if short.Flow.Step != StepEnrollPassword || !hasMessage(short.Flow, MsgPasswordTooShort) {
		t.Fatalf("a short password: step %s (%s)", short.Flow.Step, messageIDs(short.Flow))
	}
	common := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, "password123"))
	if !hasMessage(common.Flow, MsgPasswordCommon) {
		t.Fatalf("a common password: %s", messageIDs(common.Flow))
	}
	reused := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, password))
	if reused.Flow.Step != StepEnrollPassword || !hasMessage(reused.Flow, MsgPasswordReused) {
		t.Fatalf("the old password again: step %s (%s)", reused.Flow.Step, messageIDs(reused.Flow))
	}
	done := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("after the new password: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	// The session from before recovery is gone; the new one proved email.
	err = v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.e.Sessions.Lookup(ctx, tx, v.iss.TenantID, old.SetSession.Value)
		return err
	})
	if !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("the session from before recovery: %v, want ErrNoSession", err)
	}
	if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"otp"}) {
		t.Fatalf("amr %v", s.AMR)
	}
	// The new password signs in; the old one does not.
	v.assertPassword(t, newPassword, true)
	v.assertPassword(t, password, false)
	ms := v.delivered(t)
	if last := ms[len(ms)-1]; last.To[0] != login || strings.Contains(last.Text, newPassword) {
		t.Fatalf("last mail to %v", last.To)
	}
	v.wantEvents(t, "user.recovered")
}

// assertPassword checks whether pw is the account's password now.
func (v *env) assertPassword(t *testing.T, pw string, want bool) {
	t.Helper()
	var hash string
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		c, err := v.dir.Credential(ctx, tx, v.iss.TenantID, v.userID, directory.CredentialPassword)
		hash = c.Secret
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := v.passwords.Verify(context.Background(), hash, pw)
	if err != nil || ok != want {
		t.Fatalf("password %q verifies %v (%v), want %v", pw, ok, err, want)
	}
}

// enrollAnswer gives the test user a security question.
func (v *env) enrollAnswer(t *testing.T, question, answer string) {
	t.Helper()
	hash, err := v.passwords.HashAnswer(context.Background(), answer)
	if err != nil {
		t.Fatal(err)
	}
	err = v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.dir.AddCredential(ctx, tx, v.iss.TenantID, v.userID, directory.CredentialInput{
			Type: directory.CredentialSecurityAnswer, Secret: hash, Verified: true, Label: question,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRecoverWithAnswer(t *testing.T, v *env) {
	v.enrollAnswer(t, "First pet's name?", "Captain  Whiskers")
	r, got := v.toRecoveryCode(t, login)
	if got.Flow.Step != StepChallengeAnswer || len(got.Flow.Fields) != 1 {
		t.Fatalf("after the code: step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	f := got.Flow.Fields[0]
	if f.Name != FieldAnswer || !f.Secret || len(f.LabelParams) != 1 || f.LabelParams[0].Value != "First pet's name?" {
		t.Fatalf("answer field: %+v", f)
	}
	// Recovery cannot skip the answer.
	if _, err := v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("setting a password before the answer: %v", err)
	}
	wrong := must(t)(v.cont(t, r, ActionVerify, FieldAnswer, "Rex"))
	if wrong.Flow.Step != StepChallengeAnswer || !hasMessage(wrong.Flow, MsgAnswerInvalid) {
		t.Fatalf("a wrong answer: step %s (%s)", wrong.Flow.Step, messageIDs(wrong.Flow))
	}
	// Answers are compared normalised: case and spacing do not matter.
	right := must(t)(v.cont(t, r, ActionVerify, FieldAnswer, " captain whiskers "))
	if right.Flow.Step != StepEnrollPassword {
		t.Fatalf("the right answer: step %s (%s)", right.Flow.Step, messageIDs(right.Flow))
	}
	done := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("after the new password: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
}

func testRecoverFactorRequired(t *testing.T, v *env) {
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		p := policy.DefaultRecovery()
		p.Factor = policy.RecoveryFactorRequired
		_, err := v.policies.SetRecovery(ctx, tx, v.iss.TenantID, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, got := v.toRecoveryCode(t, login)
	if got.Flow.Step != wire.StepError || !hasMessage(got.Flow, MsgRecoveryNeedsFactor) {
		t.Fatalf("after the code: step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	v.assertPassword(t, password, true)
}

func testRecoverUnknown(t *testing.T, v *env) {
	_, got := v.toRecoveryCode(t, "nobody@example.com")
	if got.Flow.Step != wire.StepChallengeEmail || !hasMessage(got.Flow, MsgCodeInvalid) {
		t.Fatalf("a guessed code for an unknown login: step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	if ms := v.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) for an unknown login", len(ms))
	}
}

func testRecoverLockedOut(t *testing.T, v *env) {
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.dir.Transition(ctx, tx, v.iss.TenantID, v.userID, directory.StatusLockedOut, events.Ref{Type: "system", ID: "test"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r, got := v.toRecoveryCode(t, login)
	if got.Flow.Step != StepEnrollPassword {
		t.Fatalf("after the code: step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	done := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("after the new password: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	var u directory.User
	err = v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = v.dir.User(ctx, tx, v.iss.TenantID, v.userID)
		return err
	})
	if err != nil || u.Status != directory.StatusActive {
		t.Fatalf("status %s (%v), want ACTIVE", u.Status, err)
	}
}

func testRecoverDisabled(t *testing.T, v *env) {
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		p := policy.DefaultRecovery()
		p.Enabled = false
		_, err := v.policies.SetRecovery(ctx, tx, v.iss.TenantID, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := v.start(t, "", "")
	if hasAction(r.Flow, ActionRecover) {
		t.Fatal("identify offers recovery the policy turned off")
	}
	if _, err := v.cont(t, r, ActionRecover); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("recover anyway: %v", err)
	}
}
