package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Authenticator names a sign-on policy can allow.
const (
	// AuthPassword is the person's password.
	AuthPassword = "password"
	// AuthEmail is a one-time code or magic link sent to the person's
	// verified email address.
	AuthEmail = "email"
	// AuthPasskey is a WebAuthn credential. One verified by the person
	// (a PIN or biometric on the device) satisfies two factors alone.
	AuthPasskey = "passkey"
	// AuthTOTP is an authenticator app's time-based code.
	AuthTOTP = "totp"
	// AuthSMS and AuthVoice are codes sent to the person's verified phone
	// number by text message or read out in a call.
	AuthSMS   = "sms"
	AuthVoice = "voice"
	// AuthRecoveryCode is one of the person's single-use recovery codes,
	// a stand-in for a lost second factor.
	AuthRecoveryCode = "recovery_code"
	// AuthSecurityAnswer is the answer to a security question: low
	// assurance, for tenants whose people have no phone.
	AuthSecurityAnswer = "security_answer"
)

// Authenticators lists every authenticator name, in a stable order.
var Authenticators = []string{AuthPassword, AuthEmail, AuthPasskey, AuthTOTP, AuthSMS, AuthVoice, AuthRecoveryCode, AuthSecurityAnswer}

// Enrollable lists the authenticators a rule may prompt people to enroll
// (Rule.Enroll) or make them enroll to reach its factors: those a person
// sets up on a sign-in page. A password and an email address come with
// the account.
var Enrollable = []string{AuthPasskey, AuthTOTP, AuthSMS, AuthVoice, AuthSecurityAnswer}

// Access is what a matching rule decides.
const (
	// AccessAllow lets the person sign in with the rule's authenticators.
	AccessAllow = "allow"
	// AccessDeny refuses the sign-in.
	AccessDeny = "deny"
)

// Limits of a sign-on policy.
const (
	// MaxRules is the most rules of one policy.
	MaxRules = 50
	// MaxRuleNameLen is the most characters of a rule's name.
	MaxRuleNameLen = 100
	// MaxReauthenticateAfter bounds Rule.ReauthenticateAfter.
	MaxReauthenticateAfter = 90 * 24 * time.Hour
	// maxAppIDLen bounds the app IDs a policy is stored under.
	maxAppIDLen = 64
)

// Rule is one rule of a sign-on policy. Rules are evaluated in the order
// of the policy's list; the first whose condition holds decides.
type Rule struct {
	// Name identifies the rule in decisions and logs; unique within the
	// policy, ignoring case.
	Name string
	// Condition is a CEL expression of type bool over app, network and
	// user (see SignOn); "" always holds.
	Condition string
	// Access is AccessAllow or AccessDeny.
	Access string
	// Authenticators are the names the person may use, most preferred
	// first; required for an allowing rule, empty for a denying one.
	Authenticators []string
	// Factors is how many different authenticators a sign-in needs: 1 or
	// 2 (which needs at least two authenticators). 0 on input means 1 for
	// an allowing rule; a denying rule has 0.
	Factors int
	// ReauthenticateAfter is how old the last authentication of a live
	// session may be for the session to count, 0 to 90 days in whole
	// seconds; 0 accepts any live session. A denying rule has 0.
	ReauthenticateAfter time.Duration
	// Enroll names authenticators (of Enrollable) a person who has none
	// of them is asked to set up once signed in, first the first; they
	// may skip it. An allowing rule only.
	Enroll []string
	// EnrollGrace is how long after an account was created its person may
	// still sign in with fewer factors than Factors when they have not
	// enrolled enough (asked to enroll, able to skip); past it, they must
	// enroll one of the rule's authenticators before the sign-in ends.
	// 0 to 90 days in whole seconds; 0 gives no grace. An allowing rule
	// with 2 factors only.
	EnrollGrace time.Duration
}

// storedRule is a Rule as stored in the rules column.
type storedRule struct {
	Name           string   `json:"name"`
	Condition      string   `json:"condition"`
	Access         string   `json:"access"`
	Authenticators []string `json:"authenticators"`
	Factors        int      `json:"factors"`
	// ReauthSeconds is Rule.ReauthenticateAfter in whole seconds.
	ReauthSeconds int64    `json:"reauthenticate_after"`
	Enroll        []string `json:"enroll,omitempty"`
	// GraceSeconds is Rule.EnrollGrace in whole seconds.
	GraceSeconds int64 `json:"enroll_grace,omitempty"`
}

// SignOnPolicy is the sign-on policy of an app, or the tenant's default
// (AppID ""), which applies to apps without one of their own.
type SignOnPolicy struct {
	ID       string // "sop_…"
	TenantID string
	// AppID is the app the policy belongs to; "" for the tenant default.
	AppID string
	// Rules are evaluated in order; no matching rule refuses the sign-in.
	Rules                []Rule
	CreatedAt, UpdatedAt time.Time
}

const signOnCols = `id, tenant_id, app_id, rules, version, created_at, updated_at`

func (s *Service) scanSignOn(r store.Scanner) (SignOnPolicy, int64, error) {
	var p SignOnPolicy
	var rules []byte
	var version int64
	if err := r.Scan(&p.ID, &p.TenantID, &p.AppID, &rules, &version, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return SignOnPolicy{}, 0, err
	}
	var err error
	p.Rules, err = decodeRules(rules)
	return p, version, err
}

// encodeRules writes rules for the rules column.
func encodeRules(rules []Rule) string {
	st := make([]storedRule, len(rules))
	for i, r := range rules {
		if r.Authenticators == nil {
			r.Authenticators = []string{}
		}
		st[i] = storedRule{Name: r.Name, Condition: r.Condition, Access: r.Access, Authenticators: r.Authenticators,
			Factors: r.Factors, ReauthSeconds: int64(r.ReauthenticateAfter / time.Second),
			Enroll: r.Enroll, GraceSeconds: int64(r.EnrollGrace / time.Second)}
	}
	b, _ := json.Marshal(st) // plain strings and numbers always encode
	return string(b)
}

// decodeRules reads the rules column.
func decodeRules(b []byte) ([]Rule, error) {
	var st []storedRule
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("policy: stored sign-on rules: %w", err)
	}
	out := make([]Rule, len(st))
	for i, r := range st {
		out[i] = Rule{Name: r.Name, Condition: r.Condition, Access: r.Access, Authenticators: r.Authenticators,
			Factors: r.Factors, ReauthenticateAfter: time.Duration(r.ReauthSeconds) * time.Second,
			Enroll: r.Enroll, EnrollGrace: time.Duration(r.GraceSeconds) * time.Second}
		if out[i].Authenticators == nil {
			out[i].Authenticators = []string{}
		}
	}
	return out, nil
}

// SignOnPolicy returns the sign-on policy of an app of the tenant, or the
// tenant default when appID is "". Without one it is store.ErrNotFound
// (SignOn then falls back as documented there).
func (s *Service) SignOnPolicy(ctx context.Context, tx store.Tx, tenantID, appID string) (SignOnPolicy, error) {
	p, _, err := s.scanSignOn(tx.QueryRow(ctx, `SELECT `+signOnCols+` FROM signon_policies WHERE tenant_id = ? AND app_id = ?`,
		tenantID, appID))
	if errors.Is(err, store.ErrNotFound) {
		return SignOnPolicy{}, signOnNotFound(appID)
	}
	return p, err
}

func signOnNotFound(appID string) error {
	if appID == "" {
		return notFound("default sign-on policy")
	}
	return notFound("sign-on policy of app %q", appID)
}

// PutSignOnPolicy sets the sign-on policy of an app of the tenant (the
// tenant default when appID is ""), replacing the one it had: the policy
// keeps its ID and CreatedAt. The caller checks that the app exists.
// Rules are checked (see checkRules) and every problem is reported at
// once as *invalid.Error naming "rules[i].field"; nothing is written then.
func (s *Service) PutSignOnPolicy(ctx context.Context, tx store.Tx, tenantID, appID string, rules []Rule) (SignOnPolicy, error) {
	if len(appID) > maxAppIDLen {
		return SignOnPolicy{}, invalid.Field("app_id", "must be at most %d characters", maxAppIDLen)
	}
	rules, compiled, err := s.checkRules(rules)
	if err != nil {
		return SignOnPolicy{}, err
	}
	now := s.now()
	p, err := s.SignOnPolicy(ctx, tx, tenantID, appID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p = SignOnPolicy{ID: ident.New("sop", now), TenantID: tenantID, AppID: appID, CreatedAt: now}
	case err != nil:
		return SignOnPolicy{}, err
	}
	p.Rules, p.UpdatedAt = rules, now
	version := rand.Int64()
	_, err = tx.Exec(ctx, `INSERT INTO signon_policies (`+signOnCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, app_id) DO UPDATE SET rules = excluded.rules, version = excluded.version, updated_at = excluded.updated_at`,
		p.ID, p.TenantID, p.AppID, encodeRules(rules), version, p.CreatedAt, p.UpdatedAt)
	if err != nil {
		return SignOnPolicy{}, fmt.Errorf("policy: put sign-on policy: %w", err)
	}
	// The transaction may still roll back; the version is random, so no
	// committed state ever has it then and the entry is never used.
	s.cache.put(p.ID, &compiledPolicy{version: version, rules: rules, conds: compiled, errs: make([]error, len(rules))})
	return p, nil
}

// DeleteSignOnPolicy removes the sign-on policy of an app of the tenant
// (the tenant default when appID is ""); the app then follows the tenant
// default, or the built-in one. Without a policy it is store.ErrNotFound.
func (s *Service) DeleteSignOnPolicy(ctx context.Context, tx store.Tx, tenantID, appID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM signon_policies WHERE tenant_id = ? AND app_id = ?`, tenantID, appID)
	if err != nil {
		return fmt.Errorf("policy: delete sign-on policy: %w", err)
	}
	if n == 0 {
		return signOnNotFound(appID)
	}
	return nil
}

// checkRules validates and normalizes the rules of a policy, compiling
// each condition, and reports every problem at once:
//   - 1 to MaxRules rules; names of 1 to MaxRuleNameLen printable
//     characters (trimmed), unique ignoring case;
//   - a condition that compiles (see compileCondition);
//   - access AccessAllow or AccessDeny;
//   - an allowing rule names 1 or more known authenticators, each once,
//     most preferred first; factors is 1 or 2 (0 means 1), and 2 needs at
//     least two authenticators or a passkey; reauthenticate_after is
//     whole seconds from 0 to MaxReauthenticateAfter; enroll names
//     Enrollable authenticators, each once; enroll_grace is whole seconds
//     from 0 to MaxReauthenticateAfter, and only with 2 factors;
//   - a denying rule sets none of authenticators, factors,
//     reauthenticate_after, enroll and enroll_grace.
func (s *Service) checkRules(in []Rule) ([]Rule, []*condition, error) {
	switch {
	case len(in) == 0:
		return nil, nil, invalid.Field("rules", "must have at least one rule (delete the policy to fall back to the default)")
	case len(in) > MaxRules:
		return nil, nil, invalid.Field("rules", "must have at most %d rules, not %d", MaxRules, len(in))
	}
	var errs []error
	out := make([]Rule, len(in))
	conds := make([]*condition, len(in))
	names := map[string]int{}
	for i, r := range in {
		f := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		r.Name = strings.TrimSpace(r.Name)
		if err := checkRuleName(f("name"), r.Name); err != nil {
			errs = append(errs, err)
		} else if j, dup := names[strings.ToLower(r.Name)]; dup {
			errs = append(errs, invalid.Field(f("name"), "%q is also the name of rules[%d]", r.Name, j))
		} else {
			names[strings.ToLower(r.Name)] = i
		}
		r.Condition = strings.TrimSpace(r.Condition)
		c, err := s.compileCondition(f("condition"), r.Condition)
		errs = append(errs, err)
		conds[i] = c
		r.Authenticators = slices.Clone(r.Authenticators)
		if r.Authenticators == nil {
			r.Authenticators = []string{}
		}
		r.Enroll = slices.Clone(r.Enroll)
		if len(r.Enroll) == 0 {
			r.Enroll = nil
		}
		switch r.Access {
		case AccessAllow:
			errs = append(errs, checkAllow(f, &r))
		case AccessDeny:
			if len(r.Authenticators) > 0 {
				errs = append(errs, invalid.Field(f("authenticators"), "must be empty for a denying rule"))
			}
			if r.Factors != 0 {
				errs = append(errs, invalid.Field(f("factors"), "must be left out for a denying rule"))
			}
			if r.ReauthenticateAfter != 0 {
				errs = append(errs, invalid.Field(f("reauthenticate_after"), "must be left out for a denying rule"))
			}
			if len(r.Enroll) > 0 {
				errs = append(errs, invalid.Field(f("enroll"), "must be left out for a denying rule"))
			}
			if r.EnrollGrace != 0 {
				errs = append(errs, invalid.Field(f("enroll_grace"), "must be left out for a denying rule"))
			}
		default:
			errs = append(errs, invalid.Field(f("access"), "must be %q or %q", AccessAllow, AccessDeny))
		}
		out[i] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return out, conds, nil
}

// checkAllow checks and fills in the fields of an allowing rule.
func checkAllow(f func(string) string, r *Rule) error {
	var errs []error
	if len(r.Authenticators) == 0 {
		errs = append(errs, invalid.Field(f("authenticators"), "must name at least one of %s", strings.Join(Authenticators, ", ")))
	}
	errs = append(errs, checkNames(f("authenticators"), r.Authenticators, Authenticators))
	if r.Factors == 0 {
		r.Factors = 1
	}
	switch {
	case r.Factors < 1 || r.Factors > 2:
		errs = append(errs, invalid.Field(f("factors"), "must be 1 or 2"))
	case r.Factors == 2 && len(r.Authenticators) < 2 && !slices.Contains(r.Authenticators, AuthPasskey):
		errs = append(errs, invalid.Field(f("factors"), "2 factors need at least two authenticators or a passkey"))
	}
	errs = append(errs, checkSeconds(f("reauthenticate_after"), r.ReauthenticateAfter))
	errs = append(errs, checkNames(f("enroll"), r.Enroll, Enrollable))
	errs = append(errs, checkSeconds(f("enroll_grace"), r.EnrollGrace))
	if r.EnrollGrace != 0 && r.Factors != 2 {
		errs = append(errs, invalid.Field(f("enroll_grace"), "applies only to a rule with 2 factors"))
	}
	return errors.Join(errs...)
}

// checkNames checks a list of authenticator names: each one of known,
// none twice.
func checkNames(field string, names, known []string) error {
	var errs []error
	for j, a := range names {
		switch {
		case !slices.Contains(known, a):
			errs = append(errs, invalid.Field(fmt.Sprintf("%s[%d]", field, j), "must be one of %s", strings.Join(known, ", ")))
		case slices.Index(names, a) < j:
			errs = append(errs, invalid.Field(fmt.Sprintf("%s[%d]", field, j), "names %q twice", a))
		}
	}
	return errors.Join(errs...)
}

// checkSeconds checks a period of 0 to MaxReauthenticateAfter in whole
// seconds.
func checkSeconds(field string, d time.Duration) error {
	switch {
	case d < 0 || d > MaxReauthenticateAfter:
		return invalid.Field(field, "must be 0 to %d seconds (90 days)", int64(MaxReauthenticateAfter/time.Second))
	case d%time.Second != 0:
		return invalid.Field(field, "must be whole seconds")
	}
	return nil
}

// checkRuleName checks a trimmed rule name.
func checkRuleName(field, name string) error {
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return invalid.Field(field, "must be valid UTF-8")
	case n == 0:
		return invalid.Field(field, "is required")
	case n > MaxRuleNameLen:
		return invalid.Field(field, "must be at most %d characters, not %d", MaxRuleNameLen, n)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return invalid.Field(field, "must contain only printable characters")
	}
	return nil
}
