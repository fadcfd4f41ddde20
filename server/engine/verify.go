package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// verifyEmailTTL is how long the link that verifies the address of an
// account registered with verification "after" stays valid.
const verifyEmailTTL = 24 * time.Hour

// kindVerifyEmail is the mail kind of the email that confirms an
// address.
const kindVerifyEmail = "verify-email"

// ErrVerificationInvalid: an email-verification link that does not exist,
// was used, expired, or was made for an address the account no longer
// has. None of these is told apart.
var ErrVerificationInvalid = errors.New("engine: email verification link invalid")

// sendVerification creates, in tx, a token that verifies u's address
// and queues the email carrying its link (the link only: no page waits
// for a code), in u's language, through notify: a tenant that cannot
// send mail gets a warning in the log and no mail, and the registration
// goes on. The link points at the flow's verified base URL. A user
// without an address, or whose address is verified, gets nothing.
func (e *Engine) sendVerification(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	if u.Email == "" || u.EmailVerified {
		return nil
	}
	token, err := e.Directory.CreateEmailVerification(ctx, tx, f.TenantID, u.ID, verifyEmailTTL)
	if err != nil {
		return err
	}
	link := f.State.Base + directory.VerifyEmailPath + url.PathEscape(token)
	return e.notify(ctx, tx, f, u, kindVerifyEmail, func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
		return s.VerifyEmail(lang, emailtemplates.VerifyEmailView{
			Audience: a, App: f.State.AppName, Link: link, ExpiresHours: int(verifyEmailTTL / time.Hour),
		})
	})
}

// EmailVerificationLink checks an email-verification token of tenantID
// without using it, for the page that asks the person to confirm: mail
// scanners fetch links, and only VerifyEmailLink (a POST) uses one. It
// returns the account's language, "" when unknown. Any problem with the
// token is ErrVerificationInvalid.
func (e *Engine) EmailVerificationLink(ctx context.Context, tenantID, token string) (locale string, err error) {
	err = e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.Directory.EmailVerificationUser(ctx, tx, tenantID, token)
		locale = u.Locale
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrVerificationInvalid
	}
	if err != nil {
		return "", fmt.Errorf("engine: email verification: %w", err)
	}
	return locale, nil
}

// VerifyEmailLink uses an email-verification token of tenantID, once:
// the account's address becomes verified (see directory.VerifyEmail). It
// signs nobody in: the link proves the address, not who opened it. Any
// problem with the token is ErrVerificationInvalid, and changes nothing.
//
// Only a registration with verification "after" makes these tokens, and
// each is used once: the account now exists with its address proven, so
// its welcome goes now, in the tenant's default look (no flow tells the
// brand or the app any more), without a link.
func (e *Engine) VerifyEmailLink(ctx context.Context, tenantID, token string) error {
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.Directory.VerifyEmail(ctx, tx, tenantID, token)
		if err != nil {
			return err
		}
		return e.welcome(ctx, tx, &flow{TenantID: tenantID}, u, "")
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrVerificationInvalid
	}
	if err != nil {
		return fmt.Errorf("engine: verify email: %w", err)
	}
	return nil
}
