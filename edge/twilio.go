package edge

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/store"
)

// TwilioStatusPath is where a tenant's Twilio account reports how its
// texts and calls went: its settings' status_callback is
// "https://{the tenant's site}" + TwilioStatusPath.
const TwilioStatusPath = "/phone/twilio/status"

// maxCallbackBytes bounds a status callback's form.
const maxCallbackBytes = 16 << 10

// twilioCallbacks records delivery statuses Twilio reports.
type twilioCallbacks struct {
	settings *phone.Settings
	phones   *phone.Outbox
	log      *slog.Logger
}

// status checks the callback's X-Twilio-Signature under the tenant's auth
// token, over the URL of the tenant's site (never one built from request
// headers), and records the message's or call's status. Unknown messages
// (purged meanwhile) are acknowledged, so Twilio stops retrying.
func (c *twilioCallbacks) status(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	r.Body = http.MaxBytesReader(w, r.Body, maxCallbackBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "", http.StatusBadRequest)
		return
	}
	err := c.settings.VerifyTwilio(r.Context(), site.Tenant.ID, site.Base+r.URL.RequestURI(), r.PostForm, r.Header.Get("X-Twilio-Signature"))
	if errors.Is(err, phone.ErrBadSignature) {
		http.Error(w, "", http.StatusForbidden)
		return
	}
	if err != nil {
		c.log.ErrorContext(r.Context(), "edge: twilio callback", "tenant", site.Tenant.ID, "err", err)
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	id, status := r.PostForm.Get("MessageSid"), r.PostForm.Get("MessageStatus")
	if id == "" {
		id, status = r.PostForm.Get("CallSid"), r.PostForm.Get("CallStatus")
	}
	err = c.phones.RecordStatus(r.Context(), site.Tenant.ID, id, status)
	switch {
	case invalid.Is(err):
		http.Error(w, "", http.StatusBadRequest)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		c.log.ErrorContext(r.Context(), "edge: twilio callback", "tenant", site.Tenant.ID, "err", err)
		http.Error(w, "", http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
