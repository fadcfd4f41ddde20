package pages_test

import (
	"regexp"
	"testing"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine/wire"
)

// TestScreenTitlesAreMessages checks that every screen's title is a
// message of each catalog, so that no page is titled with a raw ID.
func TestScreenTitlesAreMessages(t *testing.T) {
	for _, lang := range langs {
		l := localizer(t, lang)
		for _, s := range pages.Screens() {
			if !l.Has(s.Title) {
				t.Errorf("%s: screen %s's title %q is not a message", lang, s.Name, s.Title)
			}
		}
	}
}

// TestScreenNames checks the names callers keep in URLs and files: stable
// kebab-case, unique, each found by ScreenByName.
func TestScreenNames(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, s := range pages.Screens() {
		if !kebab.MatchString(s.Name) {
			t.Errorf("%q is not kebab-case", s.Name)
		}
		if seen[s.Name] {
			t.Errorf("%q is listed twice", s.Name)
		}
		seen[s.Name] = true
		if got, ok := pages.ScreenByName(s.Name); !ok || got.Name != s.Name || got.Title != s.Title {
			t.Errorf("ScreenByName(%q) = %q, %v", s.Name, got.Name, ok)
		}
	}
	if _, ok := pages.ScreenByName("no-such-screen"); ok {
		t.Error("ScreenByName found a screen that does not exist")
	}
	for _, name := range []string{"identify", "identify-passkey", "identify-idps", "redirect-idp-choice", "redirect-idp",
		"redirect-idp-handover", "challenge-password", "enroll-totp", "recovery-codes",
		"register", "consent", "poll", "done", "error", "error-404", "error-429", "error-500", "logout", "logged-out",
		"link-confirm", "link-elsewhere", "activate", "verify-email", "security"} {
		if !seen[name] {
			t.Errorf("no screen %q", name)
		}
	}
}

// TestSampleFlowsCoverEveryStepAndField checks that the samples are
// valid flows and hold every step kind the engine shows on a page and
// every field type.
func TestSampleFlowsCoverEveryStepAndField(t *testing.T) {
	steps := map[wire.StepKind]bool{}
	fields := map[wire.FieldType]bool{}
	for _, f := range pages.SampleFlows() {
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", f.ID, err)
		}
		steps[f.Step] = true
		for _, fld := range f.Fields {
			fields[fld.Type] = true
		}
	}
	for _, k := range []wire.StepKind{
		wire.StepIdentify, wire.StepChallengePassword, wire.StepChallengeEmail, wire.StepChallengePasskey,
		wire.StepChallengeTOTP, wire.StepChallengeSMS, wire.StepChallengeVoice, wire.StepChallengeRecoveryCode,
		wire.StepChallengeSecurityAnswer, wire.StepSelectAuthenticator, wire.StepRegister, wire.StepProfile, wire.StepTerms,
		wire.StepConsent, wire.StepRecover, wire.StepChangeEmail, wire.StepPoll, wire.StepDone, wire.StepError, wire.StepRedirectIdP,
		wire.EnrollStep("passkey"), wire.EnrollStep("totp"), wire.EnrollStep("sms"), wire.EnrollStep("security_answer"),
		wire.EnrollStep("password"), wire.EnrollStep("recovery_code"),
	} {
		if !steps[k] {
			t.Errorf("no sample flow of step %s", k)
		}
	}
	for _, ft := range []wire.FieldType{
		wire.FieldText, wire.FieldEmail, wire.FieldPassword, wire.FieldHidden, wire.FieldCheckbox, wire.FieldSelect,
		wire.FieldTel, wire.FieldNumber, wire.FieldOTP, wire.FieldList, wire.FieldWebAuthn, wire.FieldQR, wire.FieldCodes,
	} {
		if !fields[ft] {
			t.Errorf("no sample field of type %s", ft)
		}
	}
}
