package engine

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/useragent"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestNotices(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"a registration is welcomed once, without factor or device mail", testWelcomeRegistration},
				{"an activation is welcomed in the profile's language with the app's link", testWelcomeActivation},
				{"a new device is told, a known one and the first one are not", testNewDevice},
				{"a factor set up on an existing account is told", testFactorEnrolled},
				{"a password change from the account page", testPasswordChange},
				{"an old session types the current password first", testPasswordChangeAsksCurrent},
				{"a tenant that cannot send mail changes its password all the same", testPasswordChangeNoMail},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// queued is a message in the outbox.
type queued struct{ kind, to, subject, text, html string }

// queuedFor lists the outbox's messages about a user, of the kinds given
// (every kind when none).
func (v *env) queuedFor(t *testing.T, userID string, kinds ...string) []queued {
	t.Helper()
	var out []queued
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kind, to_addr, subject, body_text, body_html FROM mail_outbox WHERE user_id = ? ORDER BY created_at, id`, userID)
		out, err = store.Collect(rows, err, func(r store.Scanner) (queued, error) {
			var q queued
			err := r.Scan(&q.kind, &q.to, &q.subject, &q.text, &q.html)
			return q, err
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) > 0 {
		out = slices.DeleteFunc(out, func(q queued) bool { return !slices.Contains(kinds, q.kind) })
	}
	return out
}

// noticeKinds are the kinds this issue added.
var noticeKinds = []string{kindWelcome, kindPasswordChanged, kindFactorEnrolled, kindNewDevice}

func kindsOf(qs []queued) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.kind)
	}
	return out
}

// Device IDs as the edge's cookie holds them.
const (
	deviceA = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	deviceB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

// firefox is a User-Agent the new-device mail describes.
const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

// signInOn signs ada in with her password on a device ("" for none) and
// returns the session cookie.
func (v *env) signInOn(t *testing.T, device string) string {
	t.Helper()
	b := v.begin("login", "")
	b.Device = device
	r := v.startWith(t, b)
	ctx := useragent.With(context.Background(), firefox)
	must(t)(v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret, origin, wire.ContinueRequest{Action: ActionNext, Values: []wire.Param{{Name: FieldLogin, Value: login}}}, ""))
	done := must(t)(v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret, origin, wire.ContinueRequest{Action: ActionSignIn, Values: []wire.Param{{Name: FieldPassword, Value: password}}}, ""))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("sign-in: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	return done.SetSession.Value
}

func testWelcomeRegistration(t *testing.T, v *env) {
	v.enroll(t, policy.Enrollment{Registration: true, EmailVerification: policy.VerifyBefore,
		Attributes: []policy.EnrollAttribute{{Name: "given_name", Required: true}}})
	b := v.begin("", "")
	b.Device = deviceA
	r := v.startWith(t, b)
	must(t)(v.cont(t, r, ActionRegister))
	must(t)(v.cont(t, r, ActionCreate, FieldEmail, newcomer, "given_name", "Grace", FieldNewPassword, newPassword))
	code, _ := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	if done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code)); done.Flow.Step != wire.StepDone {
		t.Fatalf("after the code: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	u := v.user(t, newcomer)
	got := v.queuedFor(t, u.ID, noticeKinds...)
	if !slices.Equal(kindsOf(got), []string{kindWelcome}) {
		t.Fatalf("mail after registering: %v, want one welcome", kindsOf(got))
	}
	if w := got[0]; !strings.Contains(w.to, newcomer) || !strings.Contains(w.text, "Grace") || !strings.Contains(w.text, newcomer) || strings.Contains(w.text, "https://") && strings.Contains(w.text, "login") {
		t.Fatalf("welcome to %s:\n%s", w.to, w.text)
	}
	// The device was recorded (the first one: no mail); a new one is told.
	if n := v.devices(t, u.ID); n != 1 {
		t.Fatalf("%d devices after registering", n)
	}
}

func testWelcomeActivation(t *testing.T, v *env) {
	var userID, token string
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := v.dir.CreateUser(ctx, tx, v.iss.TenantID, directory.UserInput{Login: "bea@example.com", Email: "bea@example.com", GivenName: "Bea",
			Locale: "ar-EG", Status: directory.StatusProvisioned, Profile: map[string]any{}})
		if err != nil {
			return err
		}
		userID = u.ID
		token, err = v.dir.CreateActivation(ctx, tx, v.iss.TenantID, u.ID, time.Hour)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	app := v.app
	app.InitiateLoginURI = "https://app.example.test/login"
	res, err := v.e.Activate(context.Background(), ActivateBegin{Issuer: v.iss, Token: token, App: &app, Origin: origin, Base: origin, Locale: "en", Dir: "ltr"})
	if err != nil {
		t.Fatal(err)
	}
	// Setting a password while activating is no change to tell about.
	must(t)(v.e.Continue(context.Background(), v.iss, res.Flow.ID, res.Secret, origin, wire.ContinueRequest{Action: ActionSetPassword,
		Values: []wire.Param{{Name: FieldNewPassword, Value: newPassword}}}, ""))
	got := v.queuedFor(t, userID, noticeKinds...)
	if !slices.Equal(kindsOf(got), []string{kindWelcome}) {
		t.Fatalf("mail after activating: %v, want one welcome", kindsOf(got))
	}
	w := got[0]
	if !strings.Contains(w.subject, "مرحبًا") || !strings.Contains(w.text, "https://app.example.test/login") || !strings.Contains(w.text, "Bea") {
		t.Fatalf("welcome %q:\n%s", w.subject, w.text)
	}
}

// devices counts a user's recorded devices.
func (v *env) devices(t *testing.T, userID string) int {
	t.Helper()
	var n int
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM user_devices WHERE tenant_id = ? AND user_id = ?`, v.iss.TenantID, userID).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testNewDevice(t *testing.T, v *env) {
	newDevice := func() []queued { return v.queuedFor(t, v.userID, kindNewDevice) }
	for _, step := range []struct {
		device string
		mails  int // new-device mails so far
		known  int // devices recorded so far
	}{
		{"", 0, 0},             // no cookie: nothing told, nothing recorded
		{deviceA, 0, 1},        // the first device: recorded, not told
		{deviceA, 0, 1},        // known
		{deviceB, 1, 2},        // new: told
		{deviceB, 1, 2},        // known now
		{"not a device", 1, 2}, // malformed: ignored
	} {
		v.signInOn(t, step.device)
		if got := len(newDevice()); got != step.mails {
			t.Fatalf("after a sign-in on %q: %d new-device mails, want %d", step.device, got, step.mails)
		}
		if got := v.devices(t, v.userID); got != step.known {
			t.Fatalf("after a sign-in on %q: %d devices, want %d", step.device, got, step.known)
		}
	}
	m := newDevice()[0]
	if !strings.Contains(m.text, "Firefox on Linux") || !strings.Contains(m.text, origin+SecurityPath) || !strings.Contains(m.to, login) {
		t.Fatalf("new-device mail to %s:\n%s", m.to, m.text)
	}
	// A reused session is a sign-in too: on another device, it is told.
	cookie := v.signInOn(t, deviceA)
	b := v.begin("", cookie)
	b.Device = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
	if res := v.startWith(t, b); res.Flow.Step != wire.StepDone {
		t.Fatalf("SSO: step %s", res.Flow.Step)
	}
	if got := len(newDevice()); got != 2 {
		t.Fatalf("after SSO on a third device: %d new-device mails", got)
	}
	// In the profile's language.
	v.setLocale(t, "ar")
	v.signInOn(t, "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD")
	// The test clock stands still: mails share created_at, so their order
	// is the random IDs'. Exactly one, the last sent, is Arabic.
	ms := newDevice()
	arabic := slices.DeleteFunc(slices.Clone(ms), func(q queued) bool { return !strings.Contains(q.subject, "تسجيل دخول جديد") })
	if len(ms) != 3 || len(arabic) != 1 {
		t.Fatalf("%d new-device mails, %d in Arabic", len(ms), len(arabic))
	}
	// The device ID is a bearer value: nowhere in the database in clear.
	v.wantNowhere(t, deviceA, deviceB, base64.RawURLEncoding.EncodeToString([]byte(deviceA)))
}

// setLocale sets ada's profile language.
func (v *env) setLocale(t *testing.T, locale string) {
	t.Helper()
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.dir.UpdateUser(ctx, tx, v.iss.TenantID, v.userID, directory.UserUpdate{Locale: &locale}, events.Ref{Type: "user", ID: v.userID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wantNowhere fails when a value is found in the flows, devices or
// events tables.
func (v *env) wantNowhere(t *testing.T, values ...string) {
	t.Helper()
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, q := range []string{`SELECT state FROM flows`, `SELECT device_mac FROM user_devices`, `SELECT summary FROM user_devices`, `SELECT details FROM events`} {
			rows, err := tx.Query(ctx, q)
			cells, err := store.Collect(rows, err, func(r store.Scanner) ([]byte, error) {
				var b []byte
				err := r.Scan(&b)
				return b, err
			})
			if err != nil {
				return err
			}
			for _, c := range cells {
				for _, s := range values {
					if strings.Contains(string(c), s) {
						t.Errorf("%s holds %q", q, s)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startEnroll starts an enrollment from the account page.
func (v *env) startEnroll(t *testing.T, cookie, factor string) Result {
	t.Helper()
	res, err := v.e.StartEnroll(context.Background(), EnrollBegin{Issuer: v.iss, Session: cookie, Factor: factor, Origin: origin, Base: origin, Locale: "en", Dir: "ltr"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func testFactorEnrolled(t *testing.T, v *env) {
	cookie := v.signInOn(t, deviceA)
	if got := v.queuedFor(t, v.userID, noticeKinds...); len(got) != 0 {
		t.Fatalf("mail before any change: %v", kindsOf(got))
	}
	v.startEnroll(t, cookie, factorRecoveryCode)
	r := v.startEnroll(t, cookie, factorAnswer)
	done := must(t)(v.cont(t, r, ActionSave, FieldQuestion, Questions[0], FieldAnswer, "Saint Mary's"))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("answer: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	got := v.queuedFor(t, v.userID, noticeKinds...)
	if !slices.Equal(kindsOf(got), []string{kindFactorEnrolled, kindFactorEnrolled}) {
		t.Fatalf("mail: %v, want two factor-enrolled", kindsOf(got))
	}
	texts := got[0].text + got[1].text
	if !strings.Contains(texts, "Recovery code") || !strings.Contains(texts, "Security question") {
		t.Fatalf("factor-enrolled notices:\n%s", texts)
	}
	if strings.Contains(texts, "school") || strings.Contains(texts, "Saint") {
		t.Fatalf("a notice shows the question or the answer:\n%s", texts)
	}
	// Cancelling a set-up tells nothing.
	r = v.startEnroll(t, cookie, factorAnswer)
	must(t)(v.cont(t, r, ActionCancel))
	if n := len(v.queuedFor(t, v.userID, noticeKinds...)); n != 2 {
		t.Fatalf("%d notices after a cancelled set-up", n)
	}
}

// otherSession signs ada in on another browser and returns its cookie.
func (v *env) otherSession(t *testing.T) string {
	t.Helper()
	return v.signInOn(t, deviceA)
}

func testPasswordChange(t *testing.T, v *env) {
	other := v.otherSession(t)
	cookie := v.signInOn(t, deviceA)
	r := v.startEnroll(t, cookie, FactorPassword)
	if r.Flow.Step != StepEnrollPassword || !slices.Equal(fieldNames(r.Flow), []string{FieldNewPassword}) || !hasAction(r.Flow, ActionCancel) {
		t.Fatalf("change step %s with fields %v", r.Flow.Step, fieldNames(r.Flow))
	}
	// The policy's checks apply: length, then history (the current one).
	if got := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, "short")); !hasMessage(got.Flow, MsgPasswordTooShort) {
		t.Fatalf("a short password: %s", messageIDs(got.Flow))
	}
	if n := len(v.queuedFor(t, v.userID, noticeKinds...)); n != 0 {
		t.Fatalf("%d notices after a refused password", n)
	}
	done := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone || done.Flow.Redirect != origin+SecurityPath+"?done="+DonePassword {
		t.Fatalf("after the change: step %s, redirect %q (%s)", done.Flow.Step, done.Flow.Redirect, messageIDs(done.Flow))
	}
	v.assertPassword(t, newPassword, true)
	got := v.queuedFor(t, v.userID, noticeKinds...)
	if !slices.Equal(kindsOf(got), []string{kindPasswordChanged}) {
		t.Fatalf("mail: %v, want one password-changed", kindsOf(got))
	}
	if strings.Contains(got[0].text, newPassword) || !strings.Contains(got[0].text, "2026-11-25") {
		t.Fatalf("password-changed mail:\n%s", got[0].text)
	}
	// This session stays; the other is signed out.
	v.sessionOf(t, cookie)
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.e.Sessions.Lookup(ctx, tx, v.iss.TenantID, other)
		return err
	})
	if err == nil {
		t.Fatal("the other session is still live")
	}
	v.wantEvents(t, "user.password.changed")
	// The old password is in the history now.
	r = v.startEnroll(t, cookie, FactorPassword)
	if got := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword)); !hasMessage(got.Flow, MsgPasswordReused) {
		t.Fatalf("the same password again: %s", messageIDs(got.Flow))
	}
}

func testPasswordChangeAsksCurrent(t *testing.T, v *env) {
	cookie := v.signInOn(t, deviceA)
	v.clk.Advance(recentPassword + time.Minute)
	r := v.startEnroll(t, cookie, FactorPassword)
	if !slices.Equal(fieldNames(r.Flow), []string{FieldPassword, FieldNewPassword}) || r.Flow.Fields[0].Label != MsgCurrentPasswordLabel {
		t.Fatalf("fields %v", fieldNames(r.Flow))
	}
	if got := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword)); !hasMessage(got.Flow, MsgFieldRequired) {
		t.Fatalf("without the current password: %s", messageIDs(got.Flow))
	}
	for i := 1; i < maxAttempts; i++ {
		got := must(t)(v.cont(t, r, ActionSetPassword, FieldPassword, "wrong", FieldNewPassword, newPassword))
		if !hasMessage(got.Flow, MsgCredentialsInvalid) {
			t.Fatalf("a wrong current password: %s", messageIDs(got.Flow))
		}
	}
	v.assertPassword(t, password, true)
	done := must(t)(v.cont(t, r, ActionSetPassword, FieldPassword, password, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("the right current password: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	v.assertPassword(t, newPassword, true)
	// One more wrong one would have ended the flow.
	r = v.startEnroll(t, cookie, FactorPassword)
	for range maxAttempts {
		must(t)(v.cont(t, r, ActionSetPassword, FieldPassword, "wrong", FieldNewPassword, "another fine passphrase 9"))
	}
	if _, err := v.cont(t, r, ActionSetPassword, FieldPassword, newPassword, FieldNewPassword, "another fine passphrase 9"); err == nil {
		t.Fatal("the flow goes on after too many wrong passwords")
	}
	v.assertPassword(t, newPassword, true)
}

func testPasswordChangeNoMail(t *testing.T, v *env) {
	cookie := v.signInOn(t, deviceA)
	v.e.Senders = unconfigured{}
	r := v.startEnroll(t, cookie, FactorPassword)
	if done := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword)); done.Flow.Step != wire.StepDone {
		t.Fatalf("step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	v.assertPassword(t, newPassword, true)
	if got := v.queuedFor(t, v.userID, noticeKinds...); len(got) != 0 {
		t.Fatalf("mail queued: %v", kindsOf(got))
	}
}
