package phone

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// ErrBadSignature is returned by VerifyTwilio for a callback whose
// X-Twilio-Signature does not match, or for a tenant that does not use
// Twilio.
var ErrBadSignature = errors.New("phone: callback signature does not match")

// TwilioSignature is Twilio's request signature (the X-Twilio-Signature
// header) of a POST to fullURL with form values: the base64 HMAC-SHA1,
// under the account's auth token, of the URL followed by every parameter
// name and value, sorted by name.
func TwilioSignature(authToken, fullURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range names {
		for _, v := range form[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyTwilio checks a Twilio status callback for the tenant: its
// signature must match under the tenant's stored auth token, compared in
// constant time. A tenant without Twilio settings is ErrBadSignature too,
// so a callback tells nothing about a tenant's configuration.
func (s *Settings) VerifyTwilio(ctx context.Context, tenantID, fullURL string, form url.Values, signature string) error {
	r, err := s.route(ctx, tenantID)
	if errors.Is(err, ErrNotConfigured) || (err == nil && r.kind != KindTwilio) {
		return ErrBadSignature
	}
	if err != nil {
		return err
	}
	want := TwilioSignature(r.twilio.AuthToken, fullURL, form)
	if signature == "" || !hmac.Equal([]byte(want), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}
