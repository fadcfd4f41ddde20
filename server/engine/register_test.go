package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/terms"
)

func TestRegistration(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"registers after the emailed code proves the address", testRegisterVerifyBefore},
				{"the form's refusals come back as field messages and create nothing", testRegisterRefusals},
				{"an address with an account gets the same answer and no mail", testRegisterExisting},
				{"verification after: the account exists and signs in at once", testRegisterVerifyAfter},
				{"registration is offered only when the policy allows it", testRegisterOff},
				{"an address over its limit is refused before any hashing or mail", testRegisterLimited},
				{"progressive profiling asks on the second sign-in", testProgressiveProfile},
				{"a required attribute cannot be skipped", testProfileRequired},
				{"a new terms version asks again; declining signs out", testTermsReconsent},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// shoeType is a user type with a user-editable custom attribute.
func (v *env) shoeType(t *testing.T) directory.UserType {
	t.Helper()
	var typ directory.UserType
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		typ, err = v.dir.CreateUserType(ctx, tx, v.iss.TenantID, directory.UserTypeInput{
			Name:       "shopper",
			Schema:     json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{"shoe_size":{"type":"integer"},"newsletter":{"type":"boolean"}}}`),
			Attributes: map[string]directory.Attribute{"shoe_size": {UserEditable: true}, "newsletter": {UserEditable: true}},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// enroll sets the app's enrollment policy.
func (v *env) enroll(t *testing.T, p policy.Enrollment) {
	t.Helper()
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.policies.PutEnrollmentPolicy(ctx, tx, v.iss.TenantID, v.app.ID, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// publish publishes a required terms document.
func (v *env) publish(t *testing.T, version string) terms.Document {
	t.Helper()
	var d terms.Document
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		d, err = v.e.Terms.Publish(ctx, tx, v.iss.TenantID, terms.DocumentInput{
			Kind: terms.KindTerms, Version: version, Title: "Terms of Service", URL: "https://acme.example/terms/" + version, Required: true,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fieldNames(f wire.Flow) []string {
	var out []string
	for _, x := range f.Fields {
		out = append(out, x.Name)
	}
	return out
}

const newcomer = "grace@example.com"

func testRegisterVerifyBefore(t *testing.T, v *env) {
	typ := v.shoeType(t)
	v.enroll(t, policy.Enrollment{Registration: true, UserTypeID: typ.ID, EmailVerification: policy.VerifyBefore,
		Attributes: []policy.EnrollAttribute{{Name: "given_name", Required: true}, {Name: "shoe_size"}}})
	doc := v.publish(t, "2026-12")
	r := v.start(t, "", "")
	if !hasAction(r.Flow, ActionRegister) {
		t.Fatalf("identify does not offer registration: %v", r.Flow.Actions)
	}
	form := must(t)(v.cont(t, r, ActionRegister))
	want := []string{FieldEmail, "given_name", "shoe_size", FieldNewPassword, "accept_terms"}
	if form.Flow.Step != StepRegister || !slices.Equal(fieldNames(form.Flow), want) {
		t.Fatalf("register step %s with fields %v, want %v", form.Flow.Step, fieldNames(form.Flow), want)
	}
	if f := form.Flow.Fields[4]; f.Type != wire.FieldCheckbox || !f.Required || len(f.LabelParams) != 3 {
		t.Fatalf("terms field %+v", f)
	}
	poll := must(t)(v.cont(t, r, ActionCreate, FieldEmail, newcomer, "given_name", "Grace", "shoe_size", "38",
		FieldNewPassword, newPassword, "accept_terms", "true"))
	if poll.Flow.Step != wire.StepPoll || !hasMessage(poll.Flow, MsgEmailSentRegister) {
		t.Fatalf("after the form: step %s (%s)", poll.Flow.Step, messageIDs(poll.Flow))
	}
	// Nothing exists until the address is proven.
	v.wantNoUser(t, newcomer)
	code, _ := v.lastCodeAndToken(t)
	if ms := v.sink.Messages(); ms[len(ms)-1].To[0] != newcomer {
		t.Fatalf("verification mail to %v", ms[len(ms)-1].To)
	}
	must(t)(v.cont(t, r, ActionEnterCode))
	done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("after the code: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	u := v.user(t, newcomer)
	if !u.EmailVerified || u.GivenName != "Grace" || u.TypeID != typ.ID || u.Profile["shoe_size"] != float64(38) || u.Status != directory.StatusActive || u.SignInCount != 1 {
		t.Fatalf("registered user %+v", u)
	}
	var acc []terms.Acceptance
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		acc, err = v.e.Terms.Acceptances(ctx, tx, v.iss.TenantID, u.ID)
		return err
	})
	if err != nil || len(acc) != 1 || acc[0].DocumentID != doc.ID {
		t.Fatalf("acceptances %+v (%v)", acc, err)
	}
	v.wantEvents(t, "user.registered")
}

// wantNoUser fails if login has an account.
func (v *env) wantNoUser(t *testing.T, who string) {
	t.Helper()
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.dir.UserByLogin(ctx, tx, v.iss.TenantID, who)
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: %v, want no account", who, err)
	}
}

// user reads the account of login.
func (v *env) user(t *testing.T, who string) directory.User {
	t.Helper()
	var u directory.User
	err := v.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = v.dir.UserByLogin(ctx, tx, v.iss.TenantID, who)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testRegisterRefusals(t *testing.T, v *env) {
	typ := v.shoeType(t)
	v.enroll(t, policy.Enrollment{Registration: true, UserTypeID: typ.ID,
		Attributes: []policy.EnrollAttribute{{Name: "given_name", Required: true}, {Name: "shoe_size"}}})
	v.publish(t, "1")
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionRegister))
	got := must(t)(v.cont(t, r, ActionCreate, FieldEmail, "not an address", "shoe_size", "forty", FieldNewPassword, "password123"))
	if got.Flow.Step != StepRegister {
		t.Fatalf("step %s", got.Flow.Step)
	}
	for _, m := range []struct{ id, field string }{
		{MsgEmailInvalid, FieldEmail}, {MsgFieldRequired, "given_name"}, {MsgFieldInvalid, "shoe_size"}, {MsgTermsRequired, "accept_terms"},
	} {
		if !slices.ContainsFunc(got.Flow.Messages, func(x wire.Message) bool { return x.ID == m.id && x.Field == m.field }) {
			t.Errorf("no %s on %s: %v", m.id, m.field, got.Flow.Messages)
		}
	}
	if err := got.Flow.Validate(); err != nil {
		t.Fatalf("view: %v", err)
	}
	// What was typed stays, except the password.
	for _, f := range got.Flow.Fields {
		if f.Name == "shoe_size" && f.Value != "forty" || f.Name == FieldNewPassword && f.Value != "" {
			t.Fatalf("field %s keeps %q", f.Name, f.Value)
		}
	}
	// A common password is refused by the password policy.
	got = must(t)(v.cont(t, r, ActionCreate, FieldEmail, newcomer, "given_name", "Grace", FieldNewPassword, "password123", "accept_terms", "true"))
	if !hasMessage(got.Flow, MsgPasswordCommon) {
		t.Fatalf("a common password: %s", messageIDs(got.Flow))
	}
	if ms := v.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) for refused forms", len(ms))
	}
	v.wantNoUser(t, newcomer)
}

func testRegisterExisting(t *testing.T, v *env) {
	v.enroll(t, policy.Enrollment{Registration: true})
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionRegister))
	got := must(t)(v.cont(t, r, ActionCreate, FieldEmail, login))
	if got.Flow.Step != wire.StepPoll || !hasMessage(got.Flow, MsgEmailSentRegister) {
		t.Fatalf("step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	if ms := v.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) to an address that has an account", len(ms))
	}
}

func testRegisterVerifyAfter(t *testing.T, v *env) {
	v.enroll(t, policy.Enrollment{Registration: true, EmailVerification: policy.VerifyAfter})
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionRegister))
	done := must(t)(v.cont(t, r, ActionCreate, FieldEmail, newcomer, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	if u := v.user(t, newcomer); u.EmailVerified {
		t.Fatal("the address is verified before anyone proved it")
	}
	if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd"}) {
		t.Fatalf("amr %v", s.AMR)
	}
	// The mail that verifies the address arrives: a link, no code.
	token := v.verificationToken(t, newcomer)
	ctx := context.Background()
	for range 2 {
		if locale, err := v.e.EmailVerificationLink(ctx, v.iss.TenantID, token); err != nil || locale != "en" {
			t.Fatalf("showing the link: %q, %v", locale, err)
		}
	}
	if u := v.user(t, newcomer); u.EmailVerified {
		t.Fatal("showing the link verified the address")
	}
	if err := v.e.VerifyEmailLink(ctx, v.iss.TenantID, token); err != nil {
		t.Fatal(err)
	}
	if u := v.user(t, newcomer); !u.EmailVerified {
		t.Fatal("the link did not verify the address")
	}
	v.wantEvents(t, "user.email.sent", "user.email.verified")
	if err := v.e.VerifyEmailLink(ctx, v.iss.TenantID, token); !errors.Is(err, ErrVerificationInvalid) {
		t.Fatalf("second use: %v, want ErrVerificationInvalid", err)
	}
	if _, err := v.e.EmailVerificationLink(ctx, v.iss.TenantID, token); !errors.Is(err, ErrVerificationInvalid) {
		t.Fatalf("showing a used link: %v, want ErrVerificationInvalid", err)
	}
	for _, bad := range []struct{ tenant, token string }{{"ten_other", token}, {v.iss.TenantID, ""}, {v.iss.TenantID, token + "x"}} {
		if err := v.e.VerifyEmailLink(ctx, bad.tenant, bad.token); !errors.Is(err, ErrVerificationInvalid) {
			t.Fatalf("token %q of %s: %v, want ErrVerificationInvalid", bad.token, bad.tenant, err)
		}
	}
	// An address that has an account is refused: this policy says so.
	r = v.start(t, "login", "")
	must(t)(v.cont(t, r, ActionRegister))
	got := must(t)(v.cont(t, r, ActionCreate, FieldEmail, newcomer, FieldNewPassword, newPassword))
	if got.Flow.Step != wire.StepError || !hasMessage(got.Flow, MsgRegisterExists) {
		t.Fatalf("registering twice: step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	// A tenant that cannot send mail registers all the same, unverified
	// and without mail.
	v.e.Senders = unconfigured{}
	r = v.start(t, "", "")
	must(t)(v.cont(t, r, ActionRegister))
	if done := must(t)(v.cont(t, r, ActionCreate, FieldEmail, "lin@example.com", FieldNewPassword, newPassword)); done.Flow.Step != wire.StepDone {
		t.Fatalf("without mail: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	if u := v.user(t, "lin@example.com"); u.EmailVerified {
		t.Fatal("verified without mail")
	}
	if ms := v.delivered(t); len(ms) != 2 || !strings.Contains(ms[1].Text, "Welcome") {
		t.Fatalf("%d mails, want only the first registration's (its link, then its welcome once the link was used)", len(ms))
	}
}

// unconfigured is a tenant mail configuration that cannot send.
type unconfigured struct{}

func (unconfigured) FromBrand(context.Context, store.Tx, string, string) (string, error) {
	return "", mail.ErrNotConfigured
}

// verifyLinkRE finds an email-verification link and its token.
var verifyLinkRE = regexp.MustCompile(`https://[^\s"<>]+` + regexp.QuoteMeta(directory.VerifyEmailPath) + `([^\s"<>]+)`)

// verificationToken reads the newest mail, which must be the link-only
// verify-email mail to who, and returns its link's token.
func (v *env) verificationToken(t *testing.T, who string) string {
	t.Helper()
	ms := v.delivered(t)
	if len(ms) == 0 {
		t.Fatal("no mail was sent")
	}
	m := ms[len(ms)-1]
	l := verifyLinkRE.FindStringSubmatch(m.Text)
	if m.To[0] != who || l == nil || !strings.HasPrefix(l[0], origin+directory.VerifyEmailPath) {
		t.Fatalf("mail to %v without a verification link on %s:\n%s", m.To, origin, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+l[0]+`"`) {
		t.Fatalf("the HTML body lacks the link %s", l[0])
	}
	if codeRE.MatchString(strings.ReplaceAll(m.Text, l[0], "")) {
		t.Fatalf("a code in a link-only mail:\n%s", m.Text)
	}
	token, err := url.PathUnescape(l[1])
	if err != nil || !strings.HasPrefix(token, directory.EmailVerificationPrefix) {
		t.Fatalf("token %q (%v)", token, err)
	}
	return token
}

func testRegisterOff(t *testing.T, v *env) {
	r := v.start(t, "", "")
	if hasAction(r.Flow, ActionRegister) {
		t.Fatal("registration offered by default")
	}
	if _, err := v.cont(t, r, ActionRegister); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("register anyway: %v", err)
	}
}

func testProgressiveProfile(t *testing.T, v *env) {
	v.enroll(t, policy.Enrollment{Progressive: []policy.ProgressiveAttribute{{Name: "given_name", AfterSignIns: 1}}})
	// First sign-in: nothing asked.
	v.signIn(t)
	// Second: the first name is asked, and may be skipped.
	r := v.start(t, "login", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if got.Flow.Step != wire.StepProfile || !slices.Equal(fieldNames(got.Flow), []string{"given_name"}) || !hasAction(got.Flow, ActionSkip) || got.SetSession == nil {
		t.Fatalf("second sign-in: step %s, fields %v, actions %v", got.Flow.Step, fieldNames(got.Flow), got.Flow.Actions)
	}
	done := must(t)(v.cont(t, r, ActionSave, "given_name", "Ada"))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("after saving: step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
	if u := v.user(t, login); u.GivenName != "Ada" {
		t.Fatalf("given name %q", u.GivenName)
	}
	// Third: it is there, nothing is asked.
	r = v.start(t, "login", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	if got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password)); got.Flow.Step != wire.StepDone {
		t.Fatalf("third sign-in: step %s", got.Flow.Step)
	}
}

func testProfileRequired(t *testing.T, v *env) {
	v.enroll(t, policy.Enrollment{Progressive: []policy.ProgressiveAttribute{{Name: "phone", Required: true}}})
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if got.Flow.Step != wire.StepProfile || hasAction(got.Flow, ActionSkip) {
		t.Fatalf("step %s, actions %v", got.Flow.Step, got.Flow.Actions)
	}
	if _, err := v.cont(t, r, ActionSkip); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("skipping a required attribute: %v", err)
	}
	bad := must(t)(v.cont(t, r, ActionSave, "phone", "call me"))
	if bad.Flow.Step != wire.StepProfile || !slices.ContainsFunc(bad.Flow.Messages, func(m wire.Message) bool { return m.Field == "phone" }) {
		t.Fatalf("a bad phone: %+v", bad.Flow.Messages)
	}
	done := must(t)(v.cont(t, r, ActionSave, "phone", "+14155550100"))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("step %s (%s)", done.Flow.Step, messageIDs(done.Flow))
	}
}

func testTermsReconsent(t *testing.T, v *env) {
	v.publish(t, "1")
	// The first sign-in asks for version 1.
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	got := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if got.Flow.Step != StepTerms || got.SetSession == nil {
		t.Fatalf("step %s, want terms (and the session cookie)", got.Flow.Step)
	}
	cookie := got.SetSession.Value
	unticked := must(t)(v.cont(t, r, ActionAccept))
	if !hasMessage(unticked.Flow, MsgTermsRequired) {
		t.Fatalf("accepting without the box: %s", messageIDs(unticked.Flow))
	}
	done := must(t)(v.cont(t, r, ActionAccept, "accept_terms", "true"))
	if done.Flow.Step != wire.StepDone {
		t.Fatalf("after accepting: step %s", done.Flow.Step)
	}
	// A live session goes straight through while nothing changed…
	if again := v.start(t, "", cookie); again.Flow.Step != wire.StepDone {
		t.Fatalf("SSO: step %s", again.Flow.Step)
	}
	// …and stops at the terms once version 2 is out.
	v.publish(t, "2")
	again := v.start(t, "", cookie)
	if again.Flow.Step != StepTerms || again.Flow.Fields[0].LabelParams[1].Value != "2" {
		t.Fatalf("after version 2: step %s %+v", again.Flow.Step, again.Flow.Fields)
	}
	declined := must(t)(v.cont(t, again, ActionDeny))
	if declined.Flow.Step != wire.StepError || !hasMessage(declined.Flow, MsgTermsDeclined) {
		t.Fatalf("declining: step %s (%s)", declined.Flow.Step, messageIDs(declined.Flow))
	}
	if next := v.start(t, "", cookie); next.Flow.Step != wire.StepIdentify {
		t.Fatalf("after declining the session still signs in: step %s", next.Flow.Step)
	}
	v.wantEvents(t, "user.terms.accepted", "user.terms.declined")
}

func testRegisterLimited(t *testing.T, v *env) {
	v.enroll(t, policy.Enrollment{Registration: true})
	r := v.start(t, "", "")
	must(t)(v.cont(t, r, ActionRegister))
	v.limits.deny = func(key string) bool { return strings.HasPrefix(key, "login:password:") }
	before := v.passwords.Derivations()
	got := must(t)(v.cont(t, r, ActionCreate, FieldEmail, newcomer, FieldNewPassword, newPassword))
	if got.Flow.Step != StepRegister || !hasMessage(got.Flow, MsgRateLimited) {
		t.Fatalf("step %s (%s)", got.Flow.Step, messageIDs(got.Flow))
	}
	if n := v.passwords.Derivations() - before; n != 0 {
		t.Fatalf("%d hashes while limited", n)
	}
	if ms := v.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) while limited", len(ms))
	}
}
