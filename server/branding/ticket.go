package branding

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Ticket is a short-lived capability to preview one version of a scope's
// theme: the studio's sandboxed preview iframes cannot send a bearer
// token, so the management API issues a ticket and the edge serves
// previews to whoever holds it until it expires.
type Ticket struct {
	TenantID, ScopeID string
	// Number is the version previewed; 0 for the draft, LiveVersion for
	// the live one.
	Number int
	// BrandID and AppID are the page's brand and app ("" for none).
	BrandID, AppID string
	// Expires is when the ticket stops working, at most MaxTicketAge
	// after it was issued (whole seconds).
	Expires time.Time
}

// MaxTicketAge bounds a ticket's life.
const MaxTicketAge = 10 * time.Minute

// ticketPurpose binds the MAC to tickets, so no other MAC of the
// instance's key opens as one.
const ticketPurpose = "branding.preview-ticket"

// maxTicketLen bounds what OpenTicket decodes; real tickets are far
// shorter.
const maxTicketLen = 1024

// ticketPayload is a ticket's signed content, with short names to keep
// URLs short.
type ticketPayload struct {
	Tenant  string `json:"t"`
	Scope   string `json:"s"`
	Number  int    `json:"n,omitempty"`
	Brand   string `json:"b,omitempty"`
	App     string `json:"a,omitempty"`
	Expires int64  `json:"e"`
}

// IssueTicket returns t as a token: base64url(payload) "." base64url(MAC).
// An Expires that is zero or further than MaxTicketAge from now is cut
// to MaxTicketAge from now. The token is a capability: it belongs in a
// URL given to the one who asked, never in a log.
func (s *Service) IssueTicket(t Ticket) string {
	limit := s.clk.Now().Add(MaxTicketAge)
	if t.Expires.IsZero() || t.Expires.After(limit) {
		t.Expires = limit
	}
	p, _ := json.Marshal(ticketPayload{Tenant: t.TenantID, Scope: t.ScopeID, Number: t.Number, Brand: t.BrandID, App: t.AppID,
		Expires: t.Expires.Unix()}) // strings and numbers always marshal
	enc := base64.RawURLEncoding
	return enc.EncodeToString(p) + "." + enc.EncodeToString(s.mac(ticketPurpose, p))
}

// OpenTicket checks a token from IssueTicket and returns its ticket. A
// malformed, tampered or expired token returns ErrTicket, and nothing
// about which it was.
func (s *Service) OpenTicket(token string) (Ticket, error) {
	if len(token) > maxTicketLen {
		return Ticket{}, ErrTicket
	}
	p64, m64, ok := strings.Cut(token, ".")
	enc := base64.RawURLEncoding
	p, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(ticketPurpose, p)) {
		return Ticket{}, ErrTicket
	}
	var tp ticketPayload
	d := json.NewDecoder(bytes.NewReader(p))
	d.DisallowUnknownFields()
	if err := d.Decode(&tp); err != nil || tp.Tenant == "" || tp.Scope == "" || tp.Number < LiveVersion {
		return Ticket{}, ErrTicket
	}
	t := Ticket{TenantID: tp.Tenant, ScopeID: tp.Scope, Number: tp.Number, BrandID: tp.Brand, AppID: tp.App,
		Expires: time.Unix(tp.Expires, 0).UTC()}
	if !s.clk.Now().Before(t.Expires) {
		return Ticket{}, ErrTicket
	}
	return t, nil
}
