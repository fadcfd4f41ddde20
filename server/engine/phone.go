package engine

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/store"
)

// Phones queues SMS and voice messages in the caller's transaction, after
// the tenant's settings, country allowlist and caps allow them.
// *phone.Outbox implements it.
type Phones interface {
	Enqueue(ctx context.Context, tx store.Tx, tenantID string, m phone.Message, clientIP netip.Addr) (string, error)
}

// phoneCodePurpose separates phone-code hashes from other keyed hashes.
const phoneCodePurpose = "engine.phone-code"

// phoneChallenge is a code sent to a phone number.
type phoneChallenge struct {
	// Number is the E.164 number the code went to.
	Number   string    `json:"number"`
	CodeMAC  []byte    `json:"code_mac,omitempty"`
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts,omitempty"`
	Sends    int       `json:"sends"`
	LastSent time.Time `json:"last_sent"`
}

// channelOf is the phone channel of a factor.
func channelOf(factor string) phone.Channel {
	if factor == factorVoice {
		return phone.Voice
	}
	return phone.SMS
}

// phoneChallenge sends a code to the person's verified phone number.
func (e *Engine) phoneChallenge(ctx context.Context, tx store.Tx, f *flow, u directory.User, factor string) error {
	phones, err := e.credentials(ctx, tx, f.TenantID, u.ID, directory.CredentialPhone)
	if err != nil {
		return err
	}
	if len(phones) == 0 {
		return fmt.Errorf("engine: %s has no verified phone", u.ID)
	}
	f.Step = challengeStep[factor]
	f.State.Factor.CredentialID = phones[0].ID
	f.State.Factor.Phone = &phoneChallenge{Number: phones[0].Secret}
	return e.sendPhoneCode(ctx, tx, f)
}

// sendPhoneCode sends a new code to the challenge's number, replacing an
// earlier one, after the same cooldown and per-flow limit as email codes;
// the outbox applies the tenant's allowlist and caps.
func (e *Engine) sendPhoneCode(ctx context.Context, tx store.Tx, f *flow) error {
	c, now := f.State.Factor.Phone, e.Clock.Now()
	if f.State.Messages = resendRefused(c.Sends, c.LastSent, now); f.State.Messages != nil {
		return nil
	}
	n, err := phone.ParseNumber(c.Number)
	if err != nil {
		return fmt.Errorf("engine: stored phone number: %w", err)
	}
	code := sixDigits()
	body := e.text(f.State.Locale, phone.MsgSMSCode, "code", code, "app", f.State.AppName)
	if channelOf(f.State.Factor.Name) == phone.Voice {
		body = e.text(f.State.Locale, phone.MsgVoiceCode, "code", phone.VoiceCode(code), "app", f.State.AppName)
	}
	_, err = e.Phones.Enqueue(ctx, tx, f.TenantID, phone.Message{To: n, Channel: channelOf(f.State.Factor.Name), Body: body, Locale: f.State.Locale}, clientip.From(ctx))
	var capped *phone.CappedError
	switch {
	case errors.As(err, &capped):
		f.State.Messages = []wire.Message{secondsMessage(MsgRateLimited, wire.LevelError, capped.RetryAfter)}
		return nil
	case errors.Is(err, phone.ErrCountryNotAllowed):
		f.State.Messages = []wire.Message{{ID: MsgPhoneCountry, Level: wire.LevelError, Field: FieldPhone}}
		return nil
	case errors.Is(err, phone.ErrNotConfigured), errors.Is(err, phone.ErrChannelNotAllowed):
		f.State.Messages = []wire.Message{{ID: MsgPhoneUnavailable, Level: wire.LevelError}}
		return nil
	case err != nil:
		return err
	}
	c.CodeMAC, c.Expires, c.Attempts = e.Secrets.MAC(phoneCodePurpose, []byte(f.ID+"\x00"+code)), now.Add(emailTTL), 0
	c.Sends++
	c.LastSent = now
	return e.event(ctx, tx, f, "user.phone.code_sent", events.Success, f.State.UserID, map[string]any{"channel": string(channelOf(f.State.Factor.Name))})
}

// phoneStep answers the phone steps: send a code to a number being set
// up, send another, or check one.
func (e *Engine) phoneStep(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	if req.Action == ActionVerify {
		return e.codeFactor(ctx, f, req, sessionCookie)
	}
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if f.State.Factor == nil {
			return ErrUnknownAction
		}
		if req.Action == ActionSend && f.Step.IsEnroll() {
			raw, _ := req.Value(FieldPhone)
			n, err := phone.ParseNumber(raw)
			if err != nil {
				if !errors.Is(err, phone.ErrInvalidNumber) && !invalid.Is(err) {
					return err
				}
				f.State.Messages = []wire.Message{{ID: MsgPhoneInvalid, Level: wire.LevelError, Field: FieldPhone}}
				return e.update(ctx, tx, f)
			}
			f.State.Factor.Phone = &phoneChallenge{Number: n.String()}
		}
		if f.State.Factor.Phone == nil {
			return ErrUnknownAction
		}
		if err := e.sendPhoneCode(ctx, tx, f); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	return nil, err
}

// phoneCode checks a code against the phone challenge; a code is good
// once, for emailTTL, and codeAttempts wrong ones void it. A person
// setting up the number gets it stored, verified.
func (e *Engine) phoneCode(ctx context.Context, tx store.Tx, f *flow, code string) (ok, used bool, err error) {
	c := f.State.Factor.Phone
	if c == nil || c.CodeMAC == nil {
		return false, false, nil
	}
	if !e.Clock.Now().Before(c.Expires) || c.Attempts >= codeAttempts {
		c.CodeMAC = nil
		return false, false, nil
	}
	code = strings.ReplaceAll(code, " ", "")
	if !hmac.Equal(c.CodeMAC, e.Secrets.MAC(phoneCodePurpose, []byte(f.ID+"\x00"+code))) {
		c.Attempts++
		return false, false, nil
	}
	c.CodeMAC = nil // good once
	if f.Step.IsEnroll() {
		row, err := e.Directory.AddCredential(ctx, tx, f.TenantID, f.State.UserID, directory.CredentialInput{
			Type: directory.CredentialPhone, Secret: c.Number, Verified: true})
		if err != nil {
			return false, false, err
		}
		f.State.Factor.CredentialID = row.ID
	}
	return true, false, nil
}

// phoneView is a phone step: the number to set up, or the code sent.
func (e *Engine) phoneView(f *flow, href string, msgs []wire.Message) ([]wire.Field, []wire.Action, []wire.Message) {
	var c *phoneChallenge
	if f.State.Factor != nil {
		c = f.State.Factor.Phone
	}
	if c == nil {
		msgs = append(msgs, wire.Message{ID: MsgEnrollPhoneIntro, Level: wire.LevelInfo})
		return []wire.Field{{Name: FieldPhone, Type: wire.FieldTel, Label: MsgPhoneLabel, Required: true,
				Constraints: wire.Constraints{MaxLength: 32, Autocomplete: "tel", InputMode: "tel"}}},
			[]wire.Action{{Name: ActionSend, Method: "POST", Href: href, Label: MsgActionSendCode, Primary: true}}, msgs
	}
	sent := MsgPhoneSent
	if f.State.Factor.Name == factorVoice {
		sent = MsgVoiceSent
	}
	masked := c.Number
	if n, err := phone.ParseNumber(c.Number); err == nil {
		masked = n.Masked()
	}
	if c.Sends > 0 {
		msgs = append([]wire.Message{{ID: sent, Level: wire.LevelInfo, Params: []wire.Param{{Name: "number", Value: masked}}}}, msgs...)
	}
	return []wire.Field{{Name: FieldCode, Type: wire.FieldOTP, Label: MsgCodeLabel, Required: true, Secret: true,
			Constraints: wire.Constraints{MinLength: codeDigits, MaxLength: codeDigits, Pattern: "[0-9]{6}", Autocomplete: "one-time-code", InputMode: "numeric"}}},
		[]wire.Action{
			{Name: ActionVerify, Method: "POST", Href: href, Label: MsgActionVerify, Primary: true},
			{Name: ActionResend, Method: "POST", Href: href, Label: MsgActionResend},
		}, msgs
}

// text localizes a message for a text message or call; without a
// localizer it is the ID and its parameters.
func (e *Engine) text(locale, id string, params ...string) string {
	if e.Text != nil {
		return e.Text(locale, id, params...)
	}
	return id + " " + strings.Join(params, " ")
}
