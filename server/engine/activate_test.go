package engine

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestActivation(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"activates, signs in, and returns to the app without a credential", testActivate},
				{"without an app it ends on Lintel's page", testActivateNoApp},
				{"a password-only policy cannot skip the password", testActivateNoSkip},
				{"the rule's enrollment prompt comes before the end", testActivatePrompt},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

// provisioned makes a provisioned user and an activation token for them.
func (v *env) provisioned(t *testing.T) (string, string) {
	t.Helper()
	var userID, token string
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := v.dir.CreateUser(ctx, tx, v.iss.TenantID, directory.UserInput{Login: "bea@example.com", Status: directory.StatusProvisioned})
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
	return userID, token
}

func testActivate(t *testing.T, v *env) {
	userID, token := v.provisioned(t)
	if _, err := v.e.ActivationLink(context.Background(), v.iss.TenantID, token); err != nil {
		t.Fatal(err)
	}
	app := v.app
	app.InitiateLoginURI = "https://app.example.test/login?from=mail"
	r, err := v.e.Activate(context.Background(), ActivateBegin{Issuer: v.iss, Token: token, App: &app, Origin: origin, Base: origin})
	if err != nil {
		t.Fatal(err)
	}
	if r.Flow.Step != StepEnrollPassword || r.SetSession == nil || !hasAction(r.Flow, ActionSkip) || !hasMessage(r.Flow, MsgActivatedIntroSkip) {
		t.Fatalf("after activating: step %s, actions %v (%s)", r.Flow.Step, r.Flow.Actions, messageIDs(r.Flow))
	}
	if s := v.sessionOf(t, r.SetSession.Value); s.UserID != userID {
		t.Fatalf("session of %s", s.UserID)
	}
	done := must(t)(v.cont(t, r, ActionSkip))
	u, err := url.Parse(done.Flow.Redirect)
	if done.Flow.Step != wire.StepDone || err != nil || u.Host != "app.example.test" || u.Query().Get("from") != "mail" ||
		u.Query().Get("iss") != v.iss.URL || u.Query().Get("login_hint") != "bea@example.com" || len(u.Query()) != 3 {
		t.Fatalf("ended at %q", done.Flow.Redirect)
	}
	if got := v.user(t, "bea@example.com"); got.Status != directory.StatusActive || !got.EmailVerified {
		t.Fatalf("user %s verified %v", got.Status, got.EmailVerified)
	}
	// The link is spent.
	if _, err := v.e.ActivationLink(context.Background(), v.iss.TenantID, token); !errors.Is(err, ErrActivationInvalid) {
		t.Fatalf("showing a used link: %v", err)
	}
	if _, err := v.e.Activate(context.Background(), ActivateBegin{Issuer: v.iss, Token: token, Origin: origin, Base: origin}); !errors.Is(err, ErrActivationInvalid) {
		t.Fatalf("using it again: %v", err)
	}
	v.wantEvents(t, "user.activated")
}

func testActivateNoApp(t *testing.T, v *env) {
	_, token := v.provisioned(t)
	r, err := v.e.Activate(context.Background(), ActivateBegin{Issuer: v.iss, Token: token, Origin: origin, Base: origin})
	if err != nil {
		t.Fatal(err)
	}
	done := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, newPassword))
	if done.Flow.Step != wire.StepDone || done.Flow.Redirect != origin+ActivatedPath {
		t.Fatalf("ended at %s %q (%s)", done.Flow.Step, done.Flow.Redirect, messageIDs(done.Flow))
	}
}

func testActivateNoSkip(t *testing.T, v *env) {
	v.policy(t, policy.Rule{Name: "passwords only", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword}, Factors: 1})
	_, token := v.provisioned(t)
	app := v.app
	r, err := v.e.Activate(context.Background(), ActivateBegin{Issuer: v.iss, Token: token, App: &app, Origin: origin, Base: origin})
	if err != nil {
		t.Fatal(err)
	}
	if hasAction(r.Flow, ActionSkip) || !hasMessage(r.Flow, MsgActivatedIntro) {
		t.Fatalf("actions %v (%s)", r.Flow.Actions, messageIDs(r.Flow))
	}
	if _, err := v.cont(t, r, ActionSkip); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("skipping: %v", err)
	}
}

func testActivatePrompt(t *testing.T, v *env) {
	v.policy(t, policy.Rule{Name: "apps", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword, policy.AuthTOTP},
		Factors: 1, Enroll: []string{policy.AuthTOTP}})
	_, token := v.provisioned(t)
	app := v.app
	r, err := v.e.Activate(context.Background(), ActivateBegin{Issuer: v.iss, Token: token, App: &app, Origin: origin, Base: origin})
	if err != nil {
		t.Fatal(err)
	}
	en := must(t)(v.cont(t, r, ActionSetPassword, FieldNewPassword, "a long enough passphrase"))
	if en.Flow.Step != wire.EnrollStep(policy.AuthTOTP) || !hasAction(en.Flow, ActionSkip) {
		t.Fatalf("after the password: %s %v (%s)", en.Flow.Step, en.Flow.Actions, messageIDs(en.Flow))
	}
	done := must(t)(v.cont(t, r, ActionSkip))
	if done.Flow.Step != wire.StepDone || done.Flow.Redirect == "" {
		t.Fatalf("after skipping: %s %q", done.Flow.Step, done.Flow.Redirect)
	}
	// The abandoned set-up leaves no credential behind.
	creds := storetest.Get(t, v.st, func(ctx context.Context, tx store.Tx) ([]directory.Credential, error) {
		return v.dir.Credentials(ctx, tx, v.iss.TenantID, v.user(t, "bea@example.com").ID)
	})
	if len(creds) != 1 || creds[0].Type != directory.CredentialPassword {
		t.Fatalf("credentials after skipping: %v", creds)
	}
}
