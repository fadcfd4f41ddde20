package edge

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
)

// verifyEmailPath is where email-verification links point:
// verifyEmailPath + token. The engine mails them after a registration
// with verification "after".
const verifyEmailPath = directory.VerifyEmailPath

// verifyEmailPage asks the person to confirm an email-verification link,
// in the account's language. It never uses the link: mail scanners and
// previews fetch links with GET.
func (s *siteHandlers) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	token := r.PathValue("token")
	locale, err := s.engine.EmailVerificationLink(r.Context(), site.Tenant.ID, token)
	if err != nil {
		s.verifyError(w, r, err)
		return
	}
	l := s.localizerFor(locale, r)
	s.render(w, r, http.StatusOK, pages.ConfirmPage(s.page(r.Context(), l, "verify_email.title"), pages.Confirm{
		Step: "confirm-verification", Intro: "verify_email.intro", Button: "action.confirm_email", Action: verifyEmailPath + url.PathEscape(token),
	}))
}

// verifyEmailPost uses an email-verification link, then says, in the
// account's language, that the address is confirmed. It signs nobody in:
// the link proves the address, not who opened it.
func (s *siteHandlers) verifyEmailPost(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	token := r.PathValue("token")
	locale, err := s.engine.EmailVerificationLink(r.Context(), site.Tenant.ID, token)
	if err == nil {
		err = s.engine.VerifyEmailLink(r.Context(), site.Tenant.ID, token)
	}
	if err != nil {
		s.verifyError(w, r, err)
		return
	}
	l := s.localizerFor(locale, r)
	s.render(w, r, http.StatusOK, pages.InfoPage(s.page(r.Context(), l, "verify_email.done.title"), "verify_email.done.help"))
}

// verifyError answers a link that is not valid with the branded 404, and
// anything else with the branded 500 (the details go to the log).
func (s *siteHandlers) verifyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, engine.ErrVerificationInvalid) {
		s.errorPage(w, r, http.StatusNotFound, "error.verification.invalid")
		return
	}
	s.log.ErrorContext(r.Context(), "edge: email verification", "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "error.server")
}
