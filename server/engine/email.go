package engine

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// Email challenge limits.
const (
	// emailTTL is how long a code and its link are good for.
	emailTTL = 10 * time.Minute
	// codeAttempts bounds wrong codes (and wrong links) per email sent;
	// past it the code is void and a new email is needed.
	codeAttempts = 5
	// maxSends bounds emails per flow.
	maxSends = 5
	// resendAfter is how long a person waits before asking again.
	resendAfter = 30 * time.Second
	codeDigits  = 6
)

// Keyed-hash purposes of codes and link tokens: both are stored only as
// HMACs bound to their flow.
const (
	codePurpose = "engine.email-code"
	linkPurpose = "engine.email-link"
)

// LinkPath is where sign-in links point on a site: LinkPath + token.
const LinkPath = "/signin/email/"

// emailChallenge is one emailed code and link. For a login without an
// account (or one that cannot sign in) the challenge exists all the same,
// with hashes of values nobody knows, so that every answer is the same.
type emailChallenge struct {
	CodeMAC   []byte    `json:"code_mac,omitempty"`
	LinkMAC   []byte    `json:"link_mac,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	// UserID is the account the email went to, "" when none did.
	UserID   string    `json:"user_id,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Sends    int       `json:"sends"`
	LastSent time.Time `json:"last_sent"`
	// Registrant is set when the email went to a pending address: a
	// registration's (no account yet) or an email change's new one.
	Registrant bool `json:"registrant,omitempty"`
	// ConfirmedAt is when the link was confirmed in another browser: the
	// flow waits for this browser to approve. Zero otherwise.
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// pendingApproval reports whether the flow waits for its own browser to
// approve a link confirmed elsewhere.
func (f *flow) pendingApproval() bool {
	return f.State.Email != nil && !f.State.Email.ConfirmedAt.IsZero()
}

// sixDigits returns a uniformly random code of codeDigits digits.
func sixDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s := strconv.FormatInt(n.Int64(), 10)
	return strings.Repeat("0", codeDigits-len(s)) + s
}

func (e *Engine) codeMAC(flowID, code string) []byte {
	return e.Secrets.MAC(codePurpose, []byte(flowID+"\x00"+code))
}

func (e *Engine) linkMAC(flowID, token string) []byte {
	return e.Secrets.MAC(linkPurpose, []byte(flowID+"\x00"+token))
}

// sendEmail starts (or restarts) the email challenge in tx: a new code and
// link replace any earlier ones. The email goes out through the outbox
// only when the login names an account that may sign in and has an
// address; otherwise nothing is sent and the flow answers exactly as if it
// had been. Cooldown, per-flow and per-login/IP send limits apply first.
// It reports whether a challenge was started.
func (e *Engine) sendEmail(ctx context.Context, tx store.Tx, f *flow) (bool, error) {
	now := e.Clock.Now()
	if c := f.State.Email; c != nil {
		if refused := resendRefused(c.Sends, c.LastSent, now); refused != nil {
			f.State.Messages = refused
			return false, nil
		}
	}
	if limited, err := e.limited(ctx, tx, f, opSend); err != nil || limited {
		return false, err
	}
	from, err := e.sender(ctx, tx, f)
	if errors.Is(err, mail.ErrNotConfigured) {
		e.Logger.WarnContext(ctx, "engine: email sign-in offered but the tenant cannot send mail", "tenant", f.TenantID)
		f.State.Messages = []wire.Message{{ID: MsgEmailUnavailable, Level: wire.LevelError}}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ttl := emailTTL
	if f.State.Journey == journeyRecover {
		pol, err := e.Policies.Recovery(ctx, tx, f.TenantID)
		if err != nil {
			return false, err
		}
		if !pol.Enabled {
			f.State.Messages = []wire.Message{{ID: MsgRecoveryUnavailable, Level: wire.LevelError}}
			return false, nil
		}
		ttl = pol.TokenTTL
	}
	u, ok, err := e.recipient(ctx, tx, f)
	if err != nil {
		return false, err
	}
	code, token := sixDigits(), newSecret()
	sends := 1
	if f.State.Email != nil {
		sends = f.State.Email.Sends + 1
	}
	expires := now.Add(ttl)
	if expires.After(f.ExpiresAt) {
		expires = f.ExpiresAt
	}
	f.State.Email = &emailChallenge{
		CodeMAC: e.codeMAC(f.ID, code), LinkMAC: e.linkMAC(f.ID, token),
		ExpiresAt: expires, Sends: sends, LastSent: now,
	}
	sent := MsgEmailSent
	switch f.State.Journey {
	case journeyRecover:
		sent = MsgEmailSentRecovery
	case journeyRegister:
		sent = MsgEmailSentRegister
	case journeyChangeEmail:
		sent = MsgEmailSentChange
	}
	to := f.State.Login
	if f.State.Journey == journeyChangeEmail && f.State.Pending != nil {
		to = f.State.Pending.Email // the new address, not the login
	}
	f.State.Messages = []wire.Message{{ID: sent, Level: wire.LevelInfo, Params: []wire.Param{{Name: "login", Value: to}}}}
	if !ok {
		return true, nil
	}
	f.State.Email.UserID, f.State.Email.Registrant = u.ID, f.State.Journey == journeyRegister || f.State.Journey == journeyChangeEmail
	link := f.State.Base + LinkPath + url.PathEscape(f.ID+"."+token)
	ip := ""
	if a := clientip.From(ctx); a.IsValid() {
		ip = a.String()
	}
	kind, r, err := e.renderChallenge(ctx, tx, f, recipientLocale(f, u), code, link, expires.Sub(now), now, ip)
	if err != nil {
		return false, fmt.Errorf("engine: render %s email: %w", kind, err)
	}
	if _, err := e.Mail.Enqueue(ctx, tx, mail.Message{
		TenantID: f.TenantID, To: u.Email, From: from, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Kind: kind, UserID: u.ID,
	}); err != nil {
		return false, fmt.Errorf("engine: queue %s email: %w", kind, err)
	}
	return true, e.event(ctx, tx, f, "user.email.sent", events.Success, u.ID, map[string]any{"kind": kind, "send": sends})
}

// renderChallenge renders the email of the flow's journey that carries a
// code and a link: the sign-in email, or the recovery email, in lang.
func (e *Engine) renderChallenge(ctx context.Context, tx store.Tx, f *flow, lang, code, link string, ttl time.Duration, now time.Time, ip string) (string, emailtemplates.Rendered, error) {
	set := e.templates(ctx, tx, f, lang)
	minutes := int((ttl + time.Minute - 1) / time.Minute)
	requested := now.UTC().Format("2006-01-02 15:04 UTC")
	if f.State.Journey == journeyChangeEmail {
		r, err := set.EmailChange(lang, emailtemplates.EmailChangeView{Code: code, Link: link, ExpiresMinutes: minutes})
		return "email-change", r, err
	}
	if f.State.Journey == journeyRegister {
		r, err := set.VerifyEmail(lang, emailtemplates.VerifyEmailView{
			App: f.State.AppName, Code: code, Link: link, ExpiresMinutes: minutes,
		})
		return "verify-email", r, err
	}
	if f.State.Journey == journeyRecover {
		r, err := set.Recovery(lang, emailtemplates.RecoveryView{
			App: f.State.AppName, Code: code, Link: link, ExpiresMinutes: minutes, RequestedAt: requested, IP: ip,
		})
		return "recovery", r, err
	}
	r, err := set.Passwordless(lang, emailtemplates.PasswordlessView{
		App: f.State.AppName, Code: code, Link: link, ExpiresMinutes: minutes, RequestedAt: requested, IP: ip,
	})
	return "passwordless", r, err
}

// sendAndPoll sends the flow's email challenge (sendEmail) and, when it
// started, moves the flow to the poll step; then it saves the flow in tx.
func (e *Engine) sendAndPoll(ctx context.Context, tx store.Tx, f *flow) error {
	started, err := e.sendEmail(ctx, tx, f)
	if err != nil {
		return err
	}
	if started {
		f.Step = wire.StepPoll
	}
	return e.update(ctx, tx, f)
}

// recipient is the account an email challenge goes to: the person proven
// by an earlier factor, else the account of the login, when it may sign in
// and has an address.
func (e *Engine) recipient(ctx context.Context, tx store.Tx, f *flow) (directory.User, bool, error) {
	var u directory.User
	var err error
	if f.State.Journey == journeyRegister || f.State.Journey == journeyChangeEmail {
		// A registration's or an email change's new address gets mail
		// unless an account signs in with it already; the answer is the
		// same either way.
		if f.State.Pending == nil {
			return directory.User{}, false, nil
		}
		_, err := e.Directory.UserByLogin(ctx, tx, f.TenantID, f.State.Pending.Email)
		if errors.Is(err, store.ErrNotFound) {
			return directory.User{Email: f.State.Pending.Email}, true, nil
		}
		return directory.User{}, false, err
	}
	if f.State.UserID != "" {
		u, err = e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	} else {
		u, err = e.Directory.UserByLogin(ctx, tx, f.TenantID, f.State.Login)
	}
	if errors.Is(err, store.ErrNotFound) {
		return directory.User{}, false, nil
	}
	if err != nil {
		return directory.User{}, false, err
	}
	if f.State.Journey == journeyRecover {
		return u, recoverable(u.Status) && u.Email != "", nil
	}
	return u, u.Status.CanSignIn() && u.Email != "", nil
}

// emailStep handles the actions of the poll and challenge-email steps.
func (e *Engine) emailStep(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		switch {
		case req.Action == ActionResend && !f.pendingApproval():
			if _, err := e.sendEmail(ctx, tx, f); err != nil {
				return err
			}
		case req.Action == ActionEnterCode && f.Step == wire.StepPoll && !f.pendingApproval():
			f.Step, f.State.Messages = wire.StepChallengeEmail, nil
		case req.Action == ActionVerify && f.Step == wire.StepChallengeEmail:
			var err error
			if cookie, err = e.verifyCode(ctx, tx, f, req, sessionCookie); err != nil {
				return err
			}
		case req.Action == ActionApprove && f.pendingApproval():
			var err error
			if cookie, err = e.emailProved(ctx, tx, f, sessionCookie); err != nil {
				return err
			}
		case req.Action == ActionCancel && f.pendingApproval():
			// The link confirmed elsewhere is not honoured; a new email
			// starts over.
			f.State.Email.ConfirmedAt, f.State.Email.LinkMAC, f.State.Email.CodeMAC = time.Time{}, nil, nil
			f.State.Messages = []wire.Message{{ID: MsgLinkCancelled, Level: wire.LevelInfo}}
		default:
			return ErrUnknownAction
		}
		return e.update(ctx, tx, f)
	})
	return cookie, err
}

// reread refreshes the parts of f a concurrent request may have changed,
// and refuses a flow that ended meanwhile.
func (e *Engine) reread(ctx context.Context, tx store.Tx, f *flow) error {
	g, err := e.loadRow(ctx, tx, f.ID)
	if err != nil {
		return err
	}
	if g.Done || g.Step != f.Step {
		return ErrFlowDone
	}
	f.State, f.Attempts = g.State, g.Attempts
	return nil
}

// verifyCode checks a typed code against the challenge. Wrong codes count
// against the challenge; past codeAttempts (or after expiry) it is void.
func (e *Engine) verifyCode(ctx context.Context, tx store.Tx, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	code, _ := req.Value(FieldCode)
	code = strings.Join(strings.Fields(code), "")
	f.State.Messages = nil
	if code == "" {
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldCode}}
		return nil, nil
	}
	if limited, err := e.limited(ctx, tx, f, opCode); err != nil || limited {
		return nil, err
	}
	c := f.State.Email
	switch {
	case c == nil || c.CodeMAC == nil || !e.Clock.Now().Before(c.ExpiresAt):
		f.State.Messages = []wire.Message{{ID: MsgCodeExpired, Level: wire.LevelError, Field: FieldCode}}
		return nil, nil
	case c.Attempts >= codeAttempts:
		f.State.Messages = []wire.Message{{ID: MsgCodeAttempts, Level: wire.LevelError, Field: FieldCode}}
		return nil, nil
	}
	if len(code) != codeDigits || !hmac.Equal(e.codeMAC(f.ID, code), c.CodeMAC) {
		c.Attempts++
		f.State.Messages = []wire.Message{{ID: MsgCodeInvalid, Level: wire.LevelError, Field: FieldCode}}
		if c.Attempts >= codeAttempts {
			f.State.Messages = []wire.Message{{ID: MsgCodeAttempts, Level: wire.LevelError, Field: FieldCode}}
		}
		u, _, err := e.recipient(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		return nil, e.event(ctx, tx, f, "user.signin", events.Failure, u.ID, map[string]any{"reason": "code", "factor": factorEmail, "attempt": c.Attempts})
	}
	return e.emailProved(ctx, tx, f, sessionCookie)
}

// emailProved ends the email challenge: its account proved the factor.
func (e *Engine) emailProved(ctx context.Context, tx store.Tx, f *flow, sessionCookie string) (*SessionCookie, error) {
	if f.State.Journey == journeyRegister || f.State.Journey == journeyChangeEmail {
		registrant := f.State.Email.Registrant
		f.State.Email = nil
		if !registrant {
			return nil, fmt.Errorf("engine: flow %s: email to a pending address that got none", f.ID)
		}
		if f.State.Journey == journeyChangeEmail {
			return nil, e.emailChanged(ctx, tx, f)
		}
		return e.createRegistered(ctx, tx, f, true, factorEmail, sessionCookie)
	}
	userID := f.State.Email.UserID
	f.State.Email = nil
	if userID == "" {
		// Unreachable: no one knows the code or link of an email that was
		// never sent. Refuse all the same.
		return nil, fmt.Errorf("engine: flow %s: email challenge without an account", f.ID)
	}
	if f.State.UserID != "" && f.State.UserID != userID {
		return nil, fmt.Errorf("engine: flow %s: email proved another account", f.ID)
	}
	if f.State.Journey == journeyRecover {
		return nil, e.recoveryProved(ctx, tx, f, userID)
	}
	f.State.UserID = userID
	return e.proved(ctx, tx, f, factorEmail, sessionCookie)
}

// LinkInfo describes a sign-in link for its confirmation page.
type LinkInfo struct {
	// App is the name of the app the flow signs in to.
	App string
	// Locale and Dir are the flow's language and writing direction.
	Locale, Dir string
}

// LinkFlowID returns the flow a sign-in link token belongs to, "" for a
// token of the wrong shape. The caller uses it to find the flow's cookie.
func LinkFlowID(token string) string {
	id, _, ok := strings.Cut(token, ".")
	if !ok || !strings.HasPrefix(id, "flw_") || len(id) > 64 {
		return ""
	}
	return id
}

// linkFlow loads the flow of a link token and checks the token; it does
// not consume it. A token that does not match counts as a wrong code.
func (e *Engine) linkFlow(ctx context.Context, tx store.Tx, tenantID, token string, count bool) (*flow, error) {
	id := LinkFlowID(token)
	if id == "" || len(token) > 128 {
		return nil, ErrLinkInvalid
	}
	f, err := e.loadRow(ctx, tx, id)
	if errors.Is(err, ErrFlowNotFound) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	c := f.State.Email
	if f.TenantID != tenantID || f.Done || !e.Clock.Now().Before(f.ExpiresAt) ||
		(f.Step != wire.StepPoll && f.Step != wire.StepChallengeEmail) ||
		c == nil || c.LinkMAC == nil || !c.ConfirmedAt.IsZero() || !e.Clock.Now().Before(c.ExpiresAt) || c.Attempts >= codeAttempts {
		return nil, ErrLinkInvalid
	}
	_, secret, _ := strings.Cut(token, ".")
	if !hmac.Equal(e.linkMAC(f.ID, secret), c.LinkMAC) {
		if count {
			c.Attempts++
			if err := e.update(ctx, tx, f); err != nil {
				return nil, err
			}
		}
		return nil, ErrLinkInvalid
	}
	return f, nil
}

// Link checks a sign-in link without using it, for the page that asks the
// person to confirm (mail scanners fetch links; only ConfirmLink uses
// one). Any problem is ErrLinkInvalid.
func (e *Engine) Link(ctx context.Context, tenantID, token string) (LinkInfo, error) {
	var info LinkInfo
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		f, err := e.linkFlow(ctx, tx, tenantID, token, false)
		if err != nil {
			return err
		}
		info = LinkInfo{App: f.State.AppName, Locale: f.State.Locale, Dir: f.State.Dir}
		return nil
	})
	return info, err
}

// LinkResult is the outcome of a confirmed sign-in link.
type LinkResult struct {
	// Elsewhere is true when the link was opened in another browser than
	// the one signing in: that browser must approve, and this one only
	// says so.
	Elsewhere bool
	// Info describes the flow for the page that says so.
	Info LinkInfo
	// Result is the flow moved on, when the link was opened in the browser
	// signing in (Elsewhere false).
	Result Result
}

// ConfirmLink uses a sign-in link, once. secret is the flow secret the
// confirming browser holds for the link's flow ("" when it holds none).
// When it is the flow's own secret, the email factor is proven here and
// the flow moves on (a session cookie may come back). Otherwise the flow
// waits at the poll step until its own browser approves: a link never
// signs in a browser that did not start the sign-in, so a link mailed to
// someone cannot hand them a session someone else started.
func (e *Engine) ConfirmLink(ctx context.Context, tenantID, token, secret, sessionCookie string) (LinkResult, error) {
	var out LinkResult
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		out = LinkResult{}
		f, err := e.linkFlow(ctx, tx, tenantID, token, true)
		if err != nil {
			return err
		}
		out.Info = LinkInfo{App: f.State.AppName, Locale: f.State.Locale, Dir: f.State.Dir}
		own := secret != "" && hmac.Equal(e.Secrets.MAC(secretPurpose, []byte(secret)), f.SecretMAC)
		if !own {
			out.Elsewhere = true
			f.State.Email.ConfirmedAt, f.State.Email.LinkMAC, f.State.Email.CodeMAC = e.Clock.Now(), nil, nil
			f.Step, f.State.Messages = wire.StepPoll, nil
			u, _, err := e.recipient(ctx, tx, f)
			if err != nil {
				return err
			}
			if err := e.event(ctx, tx, f, "user.email.link_confirmed", events.Success, u.ID, map[string]any{"browser": "other"}); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		cookie, err := e.emailProved(ctx, tx, f, sessionCookie)
		if err != nil {
			return err
		}
		out.Result = Result{SetSession: cookie, RedirectURI: f.target()}
		if err := e.update(ctx, tx, f); err != nil {
			return err
		}
		out.Result.Flow = e.view(ctx, f)
		return nil
	})
	if err != nil && !errors.Is(err, ErrLinkInvalid) {
		return LinkResult{}, fmt.Errorf("engine: confirm sign-in link: %w", err)
	}
	return out, err
}

// resendRefused is why another code may not go out yet after sends codes
// (the last at last): the cooldown, or the per-flow limit; nil when it
// may.
func resendRefused(sends int, last, now time.Time) []wire.Message {
	if wait := last.Add(resendAfter).Sub(now); wait > 0 {
		return []wire.Message{secondsMessage(MsgResendWait, wire.LevelError, wait)}
	}
	if sends >= maxSends {
		return []wire.Message{{ID: MsgResendLimit, Level: wire.LevelError}}
	}
	return nil
}

// secondsMessage is a message with a "seconds" parameter, rounded up.
func secondsMessage(id, level string, d time.Duration) wire.Message {
	s := int((d + time.Second - 1) / time.Second)
	return wire.Message{ID: id, Level: level, Params: []wire.Param{{Name: "count", Value: strconv.Itoa(s)}}}
}
