package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Sites tells where a tenant's pages are served, for the passkeys'
// relying party. *tenant.Service implements it.
type Sites interface {
	// Origins lists the tenant's origins, its primary site first.
	Origins(ctx context.Context, tx store.Tx, tenantID string) ([]string, error)
	// PublicHost is the instance's public host ("" for none).
	PublicHost() string
	// TrustedOrigins lists the origins trusted for purpose by any app of
	// the tenant (pages that embed the widget, for the related origins).
	TrustedOrigins(ctx context.Context, tx store.Tx, tenantID, purpose string) ([]string, error)
	// OriginAllowed reports whether a page on origin may use the app for
	// purpose.
	OriginAllowed(ctx context.Context, tx store.Tx, tenantID, appID, origin, purpose string) (bool, error)
}

// RelyingParty is the WebAuthn relying party of a tenant's pages on base
// (the site a flow runs on): its RP ID is that of the tenant's primary
// site — the registrable domain of its oldest custom domain, or its host
// under the instance's public domain — and every origin of the tenant may
// run ceremonies for it, those under another registrable domain through
// the Related Origin Requests document (see RelatedOrigins). The pages
// the tenant trusts for CORS (host pages of the widget) are listed too,
// after the tenant's own origins and as far as browsers' limit on
// registrable-domain labels allows (passkey.AddRelated). A base the
// tenant does not list (a development host) is a relying party of its own.
// Origins on an IP address (an instance whose public URL is one) cannot
// run ceremonies and are left out.
func (e *Engine) RelyingParty(ctx context.Context, tx store.Tx, tenantID, base string) (passkey.RP, error) {
	all, err := e.Sites.Origins(ctx, tx, tenantID)
	if err != nil {
		return passkey.RP{}, err
	}
	public := e.Sites.PublicHost()
	if _, err := netip.ParseAddr(strings.Trim(public, "[]")); err == nil {
		public = "" // no DNS name is under an IP address
	}
	var origins []string
	for _, o := range all {
		if u, err := url.Parse(o); err == nil {
			if _, err := passkey.RPID(u.Host, public); err == nil {
				origins = append(origins, o)
			}
		}
	}
	primary := base
	if len(origins) > 0 && slices.Contains(origins, base) {
		primary = origins[0]
		trusted, err := e.Sites.TrustedOrigins(ctx, tx, tenantID, tenant.PurposeCORS)
		if err != nil {
			return passkey.RP{}, err
		}
		origins = passkey.AddRelated(origins, trusted...)
	} else {
		origins = []string{base}
	}
	u, err := url.Parse(primary)
	if err != nil {
		return passkey.RP{}, fmt.Errorf("engine: site %q: %w", primary, err)
	}
	id, err := passkey.RPID(u.Host, public)
	if err != nil {
		return passkey.RP{}, fmt.Errorf("engine: RP ID of %q: %w", primary, err)
	}
	return passkey.RP{ID: id, Name: id, Origins: origins}, nil
}

// RelatedOrigins is the tenant's /.well-known/webauthn document: the
// origins that may use passkeys of its RP ID (see RelyingParty). The
// customer serves or proxies it at https://{RP ID}/.well-known/webauthn.
// It returns the RP ID too.
func (e *Engine) RelatedOrigins(ctx context.Context, tenantID, base string) (string, []byte, error) {
	var rp passkey.RP
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rp, err = e.RelyingParty(ctx, tx, tenantID, base)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	doc, err := passkey.RelatedOrigins(rp.ID, rp.Origins)
	return rp.ID, doc, err
}

// passkeyUser is the WebAuthn account of a user: the user ID's bytes as
// the handle (never anything personal).
func passkeyUser(u directory.User) passkey.User {
	display := u.Name
	if display == "" {
		display = u.Login
	}
	return passkey.User{Handle: []byte(u.ID), Name: u.Login, DisplayName: display}
}

// storedPasskey is a person's passkey with the row it is stored in.
type storedPasskey struct {
	row  directory.Credential
	cred passkey.Credential
}

// passkeys reads a person's verified passkeys; rows that no longer decode
// are skipped (and logged).
func (e *Engine) passkeys(ctx context.Context, tx store.Tx, tenantID, userID string) ([]storedPasskey, error) {
	rows, err := e.credentials(ctx, tx, tenantID, userID, directory.CredentialWebAuthn)
	if err != nil {
		return nil, err
	}
	out := make([]storedPasskey, 0, len(rows))
	for _, r := range rows {
		c, err := passkey.Decode(r.Secret)
		if err != nil {
			e.Logger.WarnContext(ctx, "engine: stored passkey does not decode", "credential", r.ID, "err", err)
			continue
		}
		out = append(out, storedPasskey{row: r, cred: c})
	}
	return out, nil
}

// credentialsOf lists the WebAuthn credentials of stored passkeys.
func credentialsOf(keys []storedPasskey) []passkey.Credential {
	out := make([]passkey.Credential, len(keys))
	for i, k := range keys {
		out[i] = k.cred
	}
	return out
}

// ceremony reads the passkey ceremony the flow's step began and the
// relying party it runs for.
func (e *Engine) ceremony(ctx context.Context, tx store.Tx, f *flow) (passkey.Session, passkey.RP, error) {
	var s passkey.Session
	if err := json.Unmarshal(f.State.Factor.WebAuthn, &s); err != nil {
		return s, passkey.RP{}, fmt.Errorf("engine: passkey session: %w", err)
	}
	rp, err := e.flowRP(ctx, tx, f)
	return s, rp, err
}

// flowRP is the relying party of a flow's ceremonies: that of its site
// (RelyingParty), which also accepts the flow's Origin (the page that
// embeds the widget) when the app still trusts that origin for CORS,
// even where the related origins could not list it.
func (e *Engine) flowRP(ctx context.Context, tx store.Tx, f *flow) (passkey.RP, error) {
	rp, err := e.RelyingParty(ctx, tx, f.TenantID, f.State.Base)
	if err != nil || f.Origin == "" || slices.Contains(rp.Origins, f.Origin) {
		return rp, err
	}
	ok, err := e.Sites.OriginAllowed(ctx, tx, f.TenantID, f.ClientID, f.Origin, tenant.PurposeCORS)
	if err != nil {
		return passkey.RP{}, err
	}
	if ok {
		rp.Origins = append(slices.Clone(rp.Origins), f.Origin)
	}
	return rp, nil
}

// startPasskeyLogin begins a passkey sign-in at the current step: for a
// known person, with their passkeys (a second factor); otherwise a
// discoverable one, where the passkey names its owner (the identify
// step's autofill and button, and a passkey-first policy, whatever login
// was typed, so that the step tells nothing about accounts).
func (e *Engine) startPasskeyLogin(ctx context.Context, tx store.Tx, f *flow, u *directory.User) error {
	rp, err := e.flowRP(ctx, tx, f)
	if err != nil {
		return err
	}
	var opts string
	var s passkey.Session
	if u != nil {
		keys, err := e.passkeys(ctx, tx, f.TenantID, u.ID)
		if err != nil {
			return err
		}
		opts, s, err = e.Passkeys.BeginLogin(rp, passkeyUser(*u), credentialsOf(keys), passkey.VerificationPreferred)
		if err != nil {
			return err
		}
	} else if opts, s, err = e.Passkeys.BeginDiscoverableLogin(rp); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if f.State.Factor == nil {
		f.State.Factor = &factorState{Name: factorPasskey}
	}
	f.State.Factor.WebAuthn, f.State.Factor.Options = raw, opts
	return nil
}

// passkeyChallenge asks a known person for one of their passkeys.
func (e *Engine) passkeyChallenge(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	f.Step = wire.StepChallengePasskey
	return e.startPasskeyLogin(ctx, tx, f, &u)
}

// offersPasskey reports whether the identify step offers signing in with
// a passkey (autofill and a button).
func (f *flow) offersPasskey() bool {
	return f.Step == wire.StepIdentify && f.State.Factor != nil && f.State.Factor.Name == factorPasskey && f.State.Factor.Options != ""
}

// passkeySignIn checks a passkey assertion and records the outcome in one
// transaction: the passkey's new sign count and backup state written with
// a compare-and-swap, then the factor proven (a passkey verified by its
// owner counts as two); or a failed attempt and a fresh challenge (a
// ceremony serves one answer).
func (e *Engine) passkeySignIn(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	resp, _ := req.Value(FieldPasskey)
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Messages = nil
		if f.State.Factor == nil || f.State.Factor.WebAuthn == nil {
			return ErrUnknownAction
		}
		if resp == "" {
			f.State.Messages = []wire.Message{{ID: MsgPasskeyFailed, Level: wire.LevelError}}
			return e.update(ctx, tx, f)
		}
		if limited, err := e.limited(ctx, tx, f, opCode); err != nil || limited {
			if err == nil {
				err = e.update(ctx, tx, f)
			}
			return err
		}
		s, rp, err := e.ceremony(ctx, tx, f)
		if err != nil {
			return err
		}
		var rows []storedPasskey
		find := func(ctx context.Context, handle, _ []byte) (passkey.User, []passkey.Credential, error) {
			u, err := e.Directory.User(ctx, tx, f.TenantID, string(handle))
			if errors.Is(err, store.ErrNotFound) {
				return passkey.User{}, nil, passkey.ErrUnknownCredential
			}
			if err != nil {
				return passkey.User{}, nil, err
			}
			if rows, err = e.passkeys(ctx, tx, f.TenantID, u.ID); err != nil {
				return passkey.User{}, nil, err
			}
			return passkeyUser(u), credentialsOf(rows), nil
		}
		pu, used, err := e.Passkeys.FinishLogin(ctx, rp, s, resp, find)
		userID := string(pu.Handle)
		if err == nil && f.State.UserID != "" && userID != f.State.UserID {
			err = passkey.ErrUnknownCredential // another person's passkey
		}
		if err == nil {
			i := slices.IndexFunc(rows, func(r storedPasskey) bool { return bytes.Equal(r.cred.ID, used.ID) })
			if i < 0 {
				return fmt.Errorf("engine: passkey of %s not among theirs", userID)
			}
			err = e.Directory.SwapCredentialSecret(ctx, tx, f.TenantID, userID, rows[i].row.ID, rows[i].row.Secret, used.Encode(), true)
			if errors.Is(err, directory.ErrCredentialChanged) {
				err = passkey.ErrCloned // the same assertion, used at the same moment
			}
		}
		if err != nil {
			if !isPasskeyRefusal(err) {
				return err
			}
			return e.passkeyFailed(ctx, tx, f, userID, err)
		}
		if f.State.UserID == "" {
			u, err := e.Directory.User(ctx, tx, f.TenantID, userID)
			if err != nil {
				return err
			}
			f.State.UserID, f.State.Login = u.ID, u.Login
		}
		f.State.PasskeyUV = s.UserVerification == passkey.VerificationRequired
		f.State.PasskeySynced = used.BackupState
		f.State.Factor = nil
		if cookie, err = e.proved(ctx, tx, f, factorPasskey, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: passkey sign-in: %w", err)
	}
	return cookie, nil
}

// isPasskeyRefusal tells a refused ceremony from a failure of Lintel's.
func isPasskeyRefusal(err error) bool {
	for _, r := range []error{passkey.ErrCeremony, passkey.ErrSessionExpired, passkey.ErrUserVerification, passkey.ErrCloned, passkey.ErrUnknownCredential} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// passkeyFailed counts a refused passkey and starts a new ceremony (the
// flow ends after maxAttempts).
func (e *Engine) passkeyFailed(ctx context.Context, tx store.Tx, f *flow, userID string, cause error) error {
	f.Attempts++
	f.State.Messages = []wire.Message{{ID: MsgPasskeyFailed, Level: wire.LevelError}}
	reason := "ceremony"
	switch {
	case errors.Is(cause, passkey.ErrCloned):
		reason = "sign_count"
	case errors.Is(cause, passkey.ErrUnknownCredential):
		reason, userID = "unknown_credential", f.State.UserID
	case errors.Is(cause, passkey.ErrSessionExpired):
		reason = "expired"
	}
	e.Logger.InfoContext(ctx, "engine: passkey refused", "flow", f.ID, "reason", reason, "err", cause)
	if err := e.event(ctx, tx, f, "user.signin", events.Failure, userID, map[string]any{"reason": reason, "factor": factorPasskey, "attempt": f.Attempts}); err != nil {
		return err
	}
	if f.Attempts >= maxAttempts {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAttemptsExceeded, Level: wire.LevelError}}
		return e.update(ctx, tx, f)
	}
	var u *directory.User
	if f.State.UserID != "" {
		known, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
		if err != nil {
			return err
		}
		u = &known
	}
	if err := e.startPasskeyLogin(ctx, tx, f, u); err != nil {
		return err
	}
	return e.update(ctx, tx, f)
}

// passkeyEnroll begins creating a passkey for the person: discoverable,
// verified by its owner, none of theirs created again.
func (e *Engine) passkeyEnroll(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	rp, err := e.flowRP(ctx, tx, f)
	if err != nil {
		return err
	}
	keys, err := e.passkeys(ctx, tx, f.TenantID, u.ID)
	if err != nil {
		return err
	}
	opts, s, err := e.Passkeys.BeginRegistration(rp, passkeyUser(u), credentialsOf(keys))
	if err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	f.State.Factor.WebAuthn, f.State.Factor.Options = raw, opts
	return nil
}

// passkeyRegister checks a new passkey and stores it, labelled with the
// kind of device the browser reported, then moves on (see afterEnroll).
func (e *Engine) passkeyRegister(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	resp, _ := req.Value(FieldPasskey)
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Messages = nil
		if f.State.Factor == nil || f.State.Factor.WebAuthn == nil {
			return ErrUnknownAction
		}
		u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
		if err != nil {
			return err
		}
		s, rp, err := e.ceremony(ctx, tx, f)
		if err != nil {
			return err
		}
		var c passkey.Credential
		if resp == "" {
			err = passkey.ErrCeremony
		} else {
			c, err = e.Passkeys.FinishRegistration(rp, s, passkeyUser(u), resp)
		}
		if err != nil {
			if !isPasskeyRefusal(err) {
				return err
			}
			f.Attempts++
			f.State.Messages = []wire.Message{{ID: MsgPasskeyFailed, Level: wire.LevelError}}
			e.Logger.InfoContext(ctx, "engine: passkey registration refused", "flow", f.ID, "err", err)
			if f.Attempts >= maxAttempts {
				f.Step, f.Done = wire.StepError, true
				f.State.Messages = []wire.Message{{ID: MsgAttemptsExceeded, Level: wire.LevelError}}
			} else if err := e.passkeyEnroll(ctx, tx, f, u); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		row, err := e.Directory.AddCredential(ctx, tx, f.TenantID, u.ID, directory.CredentialInput{
			Type: directory.CredentialWebAuthn, Secret: c.Encode(), Verified: true, Label: passkeyLabel(req)})
		if err != nil {
			return err
		}
		f.State.Factor.CredentialID = row.ID
		f.State.PasskeyUV, f.State.PasskeySynced = true, c.BackupState
		if cookie, err = e.afterEnroll(ctx, tx, f, factorPasskey, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: passkey registration: %w", err)
	}
	return cookie, nil
}

// passkeyLabel names a new passkey after the authenticator attachment the
// browser reported (the person may rename it).
func passkeyLabel(req wire.ContinueRequest) string {
	resp, _ := req.Value(FieldPasskey)
	var v struct {
		Attachment string `json:"authenticatorAttachment"`
	}
	_ = json.Unmarshal([]byte(resp), &v) // checked already; a label is a nicety
	switch strings.ToLower(v.Attachment) {
	case "platform":
		return "Passkey on this device"
	case "cross-platform":
		return "Security key or phone"
	}
	return "Passkey"
}
