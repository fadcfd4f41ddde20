package engine

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestConsentAndPrompts(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"a third-party app asks for consent after the password, a first-party app does not", testConsentShown},
				{"accepting issues a code and records consent, so the next sign-in skips it", testConsentAccept},
				{"asking for more scopes than consented asks again", testConsentMoreScopes},
				{"denying sends access_denied to the client", testConsentDeny},
				{"a live session of a third-party app stops at consent", testConsentAfterSSO},
				{"prompt=consent asks even a first-party app", testPromptConsent},
				{"prompt=none answers consent_required when consent is needed", testPromptNoneConsent},
				{"prompt=login asks for the password despite a live session", testPromptLogin},
				{"max_age asks for the password when the session's sign-in is older", testMaxAge},
				{"prompt=none with a sign-in older than max_age answers login_required", testPromptNoneMaxAge},
				{"the consent step answers only accept and deny, once", testConsentActions},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// request is an authorization request of app for scope; maxAge < 0
// leaves max_age out.
func (v *env) request(app tenant.App, scope, prompt, cookie string, maxAge int) Begin {
	b := v.begin(prompt, cookie)
	b.App = app
	b.Request.ClientID, b.Request.RedirectURI, b.Request.Scope = app.ID, app.RedirectURIs[0], scope
	if maxAge >= 0 {
		b.Request.MaxAge = &maxAge
	}
	return b
}

// password runs identify and password on a started flow.
func (v *env) password(t *testing.T, r Result) Result {
	t.Helper()
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	return must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
}

// query returns the query of a done flow's redirect.
func query(t *testing.T, r Result) url.Values {
	t.Helper()
	if r.Flow.Step != wire.StepDone {
		t.Fatalf("step %s, want done", r.Flow.Step)
	}
	u, err := url.Parse(r.Flow.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func wantCode(t *testing.T, r Result) {
	t.Helper()
	if q := query(t, r); q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("redirect %q, want a code", r.Flow.Redirect)
	}
}

func wantError(t *testing.T, r Result, code string) {
	t.Helper()
	if q := query(t, r); q.Get("error") != code || q.Get("code") != "" || q.Get("state") != "st" {
		t.Fatalf("redirect %q, want error %s", r.Flow.Redirect, code)
	}
}

func wantStep(t *testing.T, r Result, k wire.StepKind) {
	t.Helper()
	if r.Flow.Step != k {
		t.Fatalf("step %s, want %s", r.Flow.Step, k)
	}
}

// consentEvents returns the events of a type.
func (v *env) consentEvents(t *testing.T, typ string) []events.Event {
	t.Helper()
	evs, _, err := v.events.Query(context.Background(), events.Query{TenantID: v.iss.TenantID, Types: []string{typ}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// cookie signs in to the first-party app and returns the session cookie.
func (v *env) cookie(t *testing.T) string {
	t.Helper()
	return v.signIn(t).SetSession.Value
}

func testConsentShown(t *testing.T, v *env) {
	wantCode(t, v.password(t, v.startWith(t, v.request(v.app, "openid email", "", "", -1))))

	r := v.startWith(t, v.request(v.third, "openid email offline_access", "", "", -1))
	got := v.password(t, r)
	wantStep(t, got, wire.StepConsent)
	if got.SetSession == nil || got.SetSession.Value == "" {
		t.Fatal("the session cookie is not set when the flow stops at consent")
	}
	f := got.Flow
	if f.Context.App.Name != "Partner" || f.Context.UserHint != login || f.Redirect != "" {
		t.Errorf("context %+v, redirect %q", f.Context, f.Redirect)
	}
	if len(f.Fields) != 1 || f.Fields[0].Name != FieldScope || f.Fields[0].Type != wire.FieldList {
		t.Fatalf("fields %+v", f.Fields)
	}
	var labels []string
	for _, o := range f.Fields[0].Options {
		labels = append(labels, o.Value+"="+o.Label)
	}
	if want := []string{"openid=consent.scope.openid", "email=consent.scope.email", "offline_access=consent.scope.offline_access"}; !slices.Equal(labels, want) {
		t.Errorf("scopes %v, want %v", labels, want)
	}
	if len(f.Actions) != 2 || f.Actions[0].Name != ActionAccept || !f.Actions[0].Primary || f.Actions[1].Name != ActionDeny {
		t.Errorf("actions %+v", f.Actions)
	}
	if messageIDs(f) != MsgConsentIntro || f.Messages[0].Params[0] != (wire.Param{Name: "app", Value: "Partner"}) {
		t.Errorf("messages %+v", f.Messages)
	}
	if err := f.Validate(); err != nil {
		t.Errorf("invalid view: %v", err)
	}
	cur, err := v.e.Current(context.Background(), v.iss, r.Flow.ID, r.Secret, origin)
	if err != nil || cur.Flow.Step != wire.StepConsent {
		t.Fatalf("current: %v %+v", err, cur.Flow)
	}
}

func testConsentAccept(t *testing.T, v *env) {
	r := v.startWith(t, v.request(v.third, "openid email", "", "", -1))
	cookie := v.password(t, r).SetSession.Value
	wantCode(t, must(t)(v.cont(t, r, ActionAccept)))
	evs := v.consentEvents(t, "user.consent.granted")
	if len(evs) != 1 || evs[0].Actor.ID != v.userID || evs[0].Target.ID != v.third.ID ||
		evs[0].Details["client"] != v.third.ID || !strings.Contains(strings.Join(anyStrings(evs[0].Details["scopes"]), " "), "openid email") {
		t.Fatalf("granted events %+v", evs)
	}
	var cs []oidc.Consent
	err := v.e.Store.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		cs, err = v.e.OIDC.Consents(ctx, tx, v.iss.TenantID, v.userID)
		return err
	})
	if err != nil || len(cs) != 1 || cs[0].ClientID != v.third.ID || !slices.Equal(cs[0].Scopes, []string{"openid", "email"}) {
		t.Fatalf("consents %+v, %v", cs, err)
	}
	// Again with the session, and again with the password: no consent step.
	wantCode(t, v.startWith(t, v.request(v.third, "openid", "", cookie, -1)))
	wantCode(t, v.password(t, v.startWith(t, v.request(v.third, "email openid", "", "", -1))))
}

func testConsentMoreScopes(t *testing.T, v *env) {
	r := v.startWith(t, v.request(v.third, "openid", "", "", -1))
	cookie := v.password(t, r).SetSession.Value
	must(t)(v.cont(t, r, ActionAccept))
	wantStep(t, v.startWith(t, v.request(v.third, "openid profile", "", cookie, -1)), wire.StepConsent)
}

func testConsentDeny(t *testing.T, v *env) {
	r := v.startWith(t, v.request(v.third, "openid", "", "", -1))
	cookie := v.password(t, r).SetSession.Value
	got := must(t)(v.cont(t, r, ActionDeny))
	wantError(t, got, oidc.ErrAccessDenied.Code)
	if q := query(t, got); q.Get("error_description") != "the user denied consent" || q.Get("iss") != v.iss.URL {
		t.Errorf("redirect %q", got.Flow.Redirect)
	}
	if evs := v.consentEvents(t, "user.consent.denied"); len(evs) != 1 || evs[0].Actor.ID != v.userID || evs[0].Details["client"] != v.third.ID {
		t.Fatalf("denied events %+v", evs)
	}
	if evs := v.consentEvents(t, "user.consent.granted"); len(evs) != 0 {
		t.Fatalf("granted events after a denial: %+v", evs)
	}
	// Nothing was recorded: the next sign-in asks again.
	wantStep(t, v.startWith(t, v.request(v.third, "openid", "", cookie, -1)), wire.StepConsent)
}

func testConsentAfterSSO(t *testing.T, v *env) {
	cookie := v.cookie(t)
	r := v.startWith(t, v.request(v.third, "openid", "", cookie, -1))
	wantStep(t, r, wire.StepConsent)
	if r.Flow.Context.UserHint != login {
		t.Errorf("user hint %q, want the session's user", r.Flow.Context.UserHint)
	}
	wantCode(t, must(t)(v.cont(t, r, ActionAccept)))
}

func testPromptConsent(t *testing.T, v *env) {
	cookie := v.cookie(t)
	for _, prompt := range []string{"consent", "login consent"} {
		r := v.startWith(t, v.request(v.app, "openid", prompt, cookie, -1))
		if strings.Contains(prompt, "login") {
			wantStep(t, r, wire.StepIdentify)
			r.Flow = v.password(t, r).Flow
		}
		wantStep(t, r, wire.StepConsent)
	}
	// Also once the third-party app has the person's consent.
	r := v.startWith(t, v.request(v.third, "openid", "", cookie, -1))
	must(t)(v.cont(t, r, ActionAccept))
	wantStep(t, v.startWith(t, v.request(v.third, "openid", "consent", cookie, -1)), wire.StepConsent)
}

func testPromptNoneConsent(t *testing.T, v *env) {
	cookie := v.cookie(t)
	wantError(t, v.startWith(t, v.request(v.third, "openid", "none", cookie, -1)), oidc.ErrConsentRequired.Code)
	r := v.startWith(t, v.request(v.third, "openid", "", cookie, -1))
	must(t)(v.cont(t, r, ActionAccept))
	wantCode(t, v.startWith(t, v.request(v.third, "openid", "none", cookie, -1)))
	wantError(t, v.startWith(t, v.request(v.third, "openid email", "none", cookie, -1)), oidc.ErrConsentRequired.Code)
}

func testPromptLogin(t *testing.T, v *env) {
	cookie := v.cookie(t)
	for _, prompt := range []string{"login", "login select_account", "select_account login"} {
		if r := v.startWith(t, v.request(v.app, "openid", prompt, cookie, -1)); r.Flow.Step != wire.StepIdentify {
			t.Errorf("prompt=%q: step %s", prompt, r.Flow.Step)
		}
	}
	wantCode(t, v.startWith(t, v.request(v.app, "openid", "select_account", cookie, -1)))
	// login_hint still fills the identify step.
	b := v.request(v.app, "openid", "login", cookie, -1)
	b.Request.LoginHint = "hint@example.com"
	if r := v.startWith(t, b); r.Flow.Fields[0].Value != "hint@example.com" {
		t.Errorf("login_hint: %+v", r.Flow.Fields)
	}
}

func testMaxAge(t *testing.T, v *env) {
	cookie := v.cookie(t)
	wantStep(t, v.startWith(t, v.request(v.app, "openid", "", cookie, 0)), wire.StepIdentify)
	v.clk.Advance(5 * time.Minute)
	wantCode(t, v.startWith(t, v.request(v.app, "openid", "", cookie, 600)))
	v.clk.Advance(6 * time.Minute)
	r := v.startWith(t, v.request(v.app, "openid", "", cookie, 600))
	wantStep(t, r, wire.StepIdentify)
	wantCode(t, v.password(t, r))
}

func testPromptNoneMaxAge(t *testing.T, v *env) {
	cookie := v.cookie(t)
	v.clk.Advance(11 * time.Minute)
	wantError(t, v.startWith(t, v.request(v.app, "openid", "none", cookie, 600)), oidc.ErrLoginRequired.Code)
	wantError(t, v.startWith(t, v.request(v.app, "openid", "none", cookie, 0)), oidc.ErrLoginRequired.Code)
	wantCode(t, v.startWith(t, v.request(v.app, "openid", "none", cookie, 3600)))
}

func testConsentActions(t *testing.T, v *env) {
	r := v.startWith(t, v.request(v.third, "openid", "", "", -1))
	v.password(t, r)
	for _, a := range []string{ActionSignIn, ActionNext, ActionBack, ""} {
		if _, err := v.cont(t, r, a); !errors.Is(err, ErrUnknownAction) {
			t.Errorf("action %q at consent: %v", a, err)
		}
	}
	must(t)(v.cont(t, r, ActionAccept))
	for _, a := range []string{ActionAccept, ActionDeny} {
		if _, err := v.cont(t, r, a); !errors.Is(err, ErrFlowDone) {
			t.Errorf("%s after the end: %v", a, err)
		}
	}
}

// anyStrings converts a decoded JSON list to strings.
func anyStrings(v any) []string {
	var out []string
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		for _, x := range l {
			s, _ := x.(string)
			out = append(out, s)
		}
	}
	return out
}
