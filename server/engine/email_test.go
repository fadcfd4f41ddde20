package engine

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestEmailSignIn(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"signs in with the emailed code", testEmailCode},
				{"a link opened in the same browser signs in there", testLinkSameBrowser},
				{"a link opened elsewhere waits for this browser to approve", testLinkElsewhere},
				{"cancelling a link confirmed elsewhere signs nobody in", testLinkCancelled},
				{"showing a link does not use it; using it twice fails", testLinkOnce},
				{"an unknown login gets the same steps and no mail", testEmailUnknown},
				{"wrong codes are counted and void the code", testCodeAttempts},
				{"codes expire", testCodeExpiry},
				{"resending waits, replaces the code and stops at the limit", testResend},
				{"sends over the limit are refused before any mail", testSendLimited},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// toEmail starts a flow and asks for an emailed code for login.
func (v *env) toEmail(t *testing.T, who string) Result {
	t.Helper()
	r := v.start(t, "", "")
	pw := must(t)(v.cont(t, r, ActionNext, FieldLogin, who))
	if pw.Flow.Step != wire.StepChallengePassword || !hasAction(pw.Flow, ActionEmailCode) {
		t.Fatalf("after identify: step %s, actions %v; want the password step offering an emailed code", pw.Flow.Step, pw.Flow.Actions)
	}
	poll := must(t)(v.cont(t, r, ActionEmailCode))
	if poll.Flow.Step != wire.StepPoll || !hasAction(poll.Flow, ActionPoll) {
		t.Fatalf("after email-code: step %s (%s), actions %v", poll.Flow.Step, messageIDs(poll.Flow), poll.Flow.Actions)
	}
	return r
}

func hasAction(f wire.Flow, name string) bool {
	return slices.ContainsFunc(f.Actions, func(a wire.Action) bool { return a.Name == name })
}

// sink delivers the outbox to a real SMTP server on loopback and returns
// what it holds.
func (v *env) delivered(t *testing.T) []mailtest.Message {
	t.Helper()
	if v.sink == nil {
		v.sink = mailtest.Start(t)
	}
	if _, _, err := v.outbox.Deliver(context.Background(), &mail.SMTP{Host: v.sink.Host, Port: v.sink.Port, TLS: mail.NoTLS, Timeout: 10 * time.Second}, 100); err != nil {
		t.Fatal(err)
	}
	return v.sink.Messages()
}

var (
	codeRE = regexp.MustCompile(`\b(\d{3}) ?(\d{3})\b`)
	linkRE = regexp.MustCompile(`https://[^\s"<>]+` + regexp.QuoteMeta(LinkPath) + `([^\s"<>]+)`)
)

// lastCode and lastToken read the newest sign-in email.
func (v *env) lastCodeAndToken(t *testing.T) (string, string) {
	t.Helper()
	ms := v.delivered(t)
	if len(ms) == 0 {
		t.Fatal("no mail was sent")
	}
	m := ms[len(ms)-1]
	c := codeRE.FindStringSubmatch(m.Text)
	l := linkRE.FindStringSubmatch(m.Text)
	if c == nil || l == nil {
		t.Fatalf("no code or link in the text body:\n%s", m.Text)
	}
	token, err := url.PathUnescape(l[1])
	if err != nil {
		t.Fatal(err)
	}
	if !linkRE.MatchString(m.HTML) || !codeRE.MatchString(m.HTML) {
		t.Fatalf("no code or link in the HTML body")
	}
	return c[1] + c[2], token
}

func testEmailCode(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	code, _ := v.lastCodeAndToken(t)
	ms := v.sink.Messages()
	if len(ms) != 1 || ms[0].To[0] != login || ms[0].From == "" {
		t.Fatalf("mail: %d message(s), to %v", len(ms), ms[0].To)
	}
	enter := must(t)(v.cont(t, r, ActionEnterCode))
	if enter.Flow.Step != wire.StepChallengeEmail || len(enter.Flow.Fields) != 1 || enter.Flow.Fields[0].Name != FieldCode || !enter.Flow.Fields[0].Secret {
		t.Fatalf("enter-code: %+v", enter.Flow)
	}
	done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code[:3]+" "+code[3:]))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("verify: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	if _, err := url.Parse(done.Flow.Redirect); err != nil || !regexp.MustCompile(`[?&]code=`).MatchString(done.Flow.Redirect) {
		t.Fatalf("redirect %q", done.Flow.Redirect)
	}
	s := v.sessionOf(t, done.SetSession.Value)
	if !slices.Equal(s.AMR, []string{"otp"}) {
		t.Fatalf("amr %v, want [otp]", s.AMR)
	}
	v.wantEvents(t, "user.email.sent", "user.signin")
}

func testLinkSameBrowser(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	_, token := v.lastCodeAndToken(t)
	if LinkFlowID(token) != r.Flow.ID {
		t.Fatalf("link token names flow %q, want %q", LinkFlowID(token), r.Flow.ID)
	}
	res, err := v.e.ConfirmLink(context.Background(), v.iss.TenantID, token, r.Secret, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Elsewhere || res.Result.Flow.Step != wire.StepDone || res.Result.SetSession == nil {
		t.Fatalf("same-browser link: %+v", res)
	}
}

func testLinkElsewhere(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	_, token := v.lastCodeAndToken(t)
	res, err := v.e.ConfirmLink(context.Background(), v.iss.TenantID, token, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Elsewhere || res.Result.SetSession != nil || res.Info.App != v.app.Name {
		t.Fatalf("other-browser link: %+v", res)
	}
	// The first browser polls and finds the approval.
	cur := must(t)(v.e.Current(context.Background(), v.iss, r.Flow.ID, r.Secret, origin))
	if cur.Flow.Step != wire.StepPoll || !hasAction(cur.Flow, ActionApprove) || hasAction(cur.Flow, ActionPoll) || !hasMessage(cur.Flow, MsgLinkApprove) {
		t.Fatalf("after the link: %+v", cur.Flow)
	}
	// Nothing but approve or cancel moves it now.
	if _, err := v.cont(t, r, ActionEnterCode); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("enter-code while approval pends: %v", err)
	}
	done := must(t)(v.cont(t, r, ActionApprove))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("approve: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
}

func testLinkCancelled(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	code, token := v.lastCodeAndToken(t)
	if _, err := v.e.ConfirmLink(context.Background(), v.iss.TenantID, token, "", ""); err != nil {
		t.Fatal(err)
	}
	back := must(t)(v.cont(t, r, ActionCancel))
	if back.Flow.Step != wire.StepPoll || !hasMessage(back.Flow, MsgLinkCancelled) {
		t.Fatalf("cancel: %+v", back.Flow)
	}
	// The email's code went with its link.
	must(t)(v.cont(t, r, ActionEnterCode))
	again := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if again.Flow.Step != wire.StepChallengeEmail || !hasMessage(again.Flow, MsgCodeExpired) {
		t.Fatalf("the cancelled email's code: %s (%s)", again.Flow.Step, messageIDs(again.Flow))
	}
}

func testLinkOnce(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	_, token := v.lastCodeAndToken(t)
	for range 3 {
		info, err := v.e.Link(context.Background(), v.iss.TenantID, token)
		if err != nil || info.App != v.app.Name || info.Locale != "en" {
			t.Fatalf("Link: %+v, %v", info, err)
		}
	}
	for _, bad := range []string{"", "x", r.Flow.ID, r.Flow.ID + ".wrong", "flw_nope.abc", token + "x"} {
		if _, err := v.e.Link(context.Background(), v.iss.TenantID, bad); !errors.Is(err, ErrLinkInvalid) {
			t.Fatalf("Link(%q): %v", bad, err)
		}
	}
	if _, err := v.e.Link(context.Background(), "ten_other", token); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("another tenant's site: %v", err)
	}
	if _, err := v.e.ConfirmLink(context.Background(), v.iss.TenantID, token, r.Secret, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := v.e.ConfirmLink(context.Background(), v.iss.TenantID, token, r.Secret, ""); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("second use: %v", err)
	}
}

func testEmailUnknown(t *testing.T, v *env) {
	known := v.toEmail(t, login)
	unknown := v.toEmail(t, "nobody@example.com")
	if n := len(v.delivered(t)); n != 1 {
		t.Fatalf("%d mails, want only the known account's", n)
	}
	for _, r := range []Result{known, unknown} {
		must(t)(v.cont(t, r, ActionEnterCode))
	}
	a := must(t)(v.cont(t, known, ActionVerify, FieldCode, "000000"))
	b := must(t)(v.cont(t, unknown, ActionVerify, FieldCode, "000000"))
	if a.Flow.Step != b.Flow.Step || messageIDs(a.Flow) != messageIDs(b.Flow) {
		t.Fatalf("known %s (%s), unknown %s (%s)", a.Flow.Step, messageIDs(a.Flow), b.Flow.Step, messageIDs(b.Flow))
	}
}

func testCodeAttempts(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	code, _ := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := 1; i <= codeAttempts; i++ {
		res := must(t)(v.cont(t, r, ActionVerify, FieldCode, wrong))
		want := MsgCodeInvalid
		if i == codeAttempts {
			want = MsgCodeAttempts
		}
		if !hasMessage(res.Flow, want) {
			t.Fatalf("wrong code %d: %s", i, messageIDs(res.Flow))
		}
	}
	res := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if res.Flow.Step != wire.StepChallengeEmail || !hasMessage(res.Flow, MsgCodeAttempts) {
		t.Fatalf("right code after too many wrong: %s (%s)", res.Flow.Step, messageIDs(res.Flow))
	}
}

func testCodeExpiry(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	code, token := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	v.clk.Advance(emailTTL)
	res := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if !hasMessage(res.Flow, MsgCodeExpired) {
		t.Fatalf("expired code: %s", messageIDs(res.Flow))
	}
	if _, err := v.e.Link(context.Background(), v.iss.TenantID, token); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("expired link: %v", err)
	}
}

func testResend(t *testing.T, v *env) {
	r := v.toEmail(t, login)
	first, firstToken := v.lastCodeAndToken(t)
	res := must(t)(v.cont(t, r, ActionResend))
	if !hasMessage(res.Flow, MsgResendWait) || len(v.delivered(t)) != 1 {
		t.Fatalf("immediate resend: %s", messageIDs(res.Flow))
	}
	for i := 2; i <= maxSends; i++ {
		v.clk.Advance(resendAfter)
		res = must(t)(v.cont(t, r, ActionResend))
		if !hasMessage(res.Flow, MsgEmailSent) || len(v.delivered(t)) != i {
			t.Fatalf("resend %d: %s, %d mails", i, messageIDs(res.Flow), len(v.sink.Messages()))
		}
	}
	v.clk.Advance(resendAfter)
	res = must(t)(v.cont(t, r, ActionResend))
	if !hasMessage(res.Flow, MsgResendLimit) || len(v.delivered(t)) != maxSends {
		t.Fatalf("resend past the limit: %s", messageIDs(res.Flow))
	}
	if _, err := v.e.Link(context.Background(), v.iss.TenantID, firstToken); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("a replaced link: %v", err)
	}
	latest, _ := v.lastCodeAndToken(t)
	must(t)(v.cont(t, r, ActionEnterCode))
	if latest != first {
		res = must(t)(v.cont(t, r, ActionVerify, FieldCode, first))
		if !hasMessage(res.Flow, MsgCodeInvalid) {
			t.Fatalf("a replaced code: %s", messageIDs(res.Flow))
		}
	}
	if res = must(t)(v.cont(t, r, ActionVerify, FieldCode, latest)); res.Flow.Step != wire.StepDone {
		t.Fatalf("the latest code: %s (%s)", res.Flow.Step, messageIDs(res.Flow))
	}
}

func testSendLimited(t *testing.T, v *env) {
	v.limits.deny = func(key string) bool { return regexp.MustCompile(`^login:send:`).MatchString(key) }
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	res := must(t)(v.cont(t, r, ActionEmailCode))
	if res.Flow.Step != wire.StepChallengePassword || !hasMessage(res.Flow, MsgRateLimited) {
		t.Fatalf("limited send: %s (%s)", res.Flow.Step, messageIDs(res.Flow))
	}
	if n := len(v.delivered(t)); n != 0 {
		t.Fatalf("%d mails sent over the limit", n)
	}
	if p := paramOf(res.Flow, MsgRateLimited, "count"); p != "42" {
		t.Fatalf("retry after %q seconds, want 42", p)
	}
	v.wantEvents(t, "user.signin.rate_limited")
}

func hasMessage(f wire.Flow, id string) bool {
	return slices.ContainsFunc(f.Messages, func(m wire.Message) bool { return m.ID == id })
}

func paramOf(f wire.Flow, id, name string) string {
	for _, m := range f.Messages {
		if m.ID == id {
			for _, p := range m.Params {
				if p.Name == name {
					return p.Value
				}
			}
		}
	}
	return ""
}

// sessionOf returns the live session of a cookie.
func (v *env) sessionOf(t *testing.T, cookie string) session.Session {
	t.Helper()
	var s session.Session
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		s, err = v.e.Sessions.Lookup(ctx, tx, v.iss.TenantID, cookie)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantEvents fails unless each type was recorded at least once.
func (v *env) wantEvents(t *testing.T, types ...string) {
	t.Helper()
	for _, typ := range types {
		if len(v.consentEvents(t, typ)) == 0 {
			t.Errorf("no %s event", typ)
		}
	}
}
