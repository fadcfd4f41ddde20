package mail

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// DNSRecord is a DNS record to publish for a brand's sender domain.
type DNSRecord struct {
	// Type is the record type ("TXT").
	Type string
	// Name is the owner name, without a trailing dot.
	Name string
	// Value is the record's text; "" when Lintel cannot suggest one (Note
	// says why). DKIM values over 255 bytes go in as several strings of
	// one record; DNS providers' forms usually split them themselves.
	Value string
	// Purpose is "dkim" (the key that signs), "dkim-next" (a rotation's
	// key, to publish before it signs), "dkim-retired" (a replaced key
	// that may be removed), "spf" or "dmarc".
	Purpose string
	// Note explains the record in a sentence.
	Note string
}

// The purposes of DNSRecord.
const (
	PurposeDKIM        = "dkim"
	PurposeDKIMNext    = "dkim-next"
	PurposeDKIMRetired = "dkim-retired"
	PurposeSPF         = "spf"
	PurposeDMARC       = "dmarc"
)

// records are the DNS records a sender needs: its DKIM keys, SPF naming
// the relay that carries the tenant's mail, and a starting DMARC policy.
func (b *BrandSenders) records(ctx context.Context, tx store.Tx, s BrandSender) ([]DNSRecord, error) {
	dk := func(sel string) string { return sel + "._domainkey." + s.Domain }
	out := []DNSRecord{{Type: "TXT", Name: dk(s.Selector), Value: s.Record, Purpose: PurposeDKIM,
		Note: "The public key of the DKIM key that signs this brand's mail."}}
	if s.NextSelector != "" {
		out = append(out, DNSRecord{Type: "TXT", Name: dk(s.NextSelector), Value: s.NextRecord, Purpose: PurposeDKIMNext,
			Note: "The key of a rotation: publish it, then verify; it signs from then on, and the current key's record may be removed."})
	}
	if s.RetiredSelector != "" {
		out = append(out, DNSRecord{Type: "TXT", Name: dk(s.RetiredSelector), Value: s.RetiredRecord, Purpose: PurposeDKIMRetired,
			Note: fmt.Sprintf("Replaced on %s and no longer signs: keep it a few days for mail still in transit, then remove it.",
				s.RetiredAt.UTC().Format(time.DateOnly))})
	}
	spf, note, err := b.spf(ctx, tx, s.TenantID)
	if err != nil {
		return nil, err
	}
	out = append(out, DNSRecord{Type: "TXT", Name: s.Domain, Value: spf, Purpose: PurposeSPF, Note: note},
		DNSRecord{Type: "TXT", Name: "_dmarc." + s.Domain, Value: "v=DMARC1; p=none; rua=mailto:dmarc-reports@" + s.Domain,
			Purpose: PurposeDMARC,
			Note: "A starting policy that only asks for reports (to an address you can read): once they show your mail passing, " +
				"move p to quarantine, then reject."})
	return out, nil
}

// spf suggests the SPF record of a sender domain whose mail goes through
// the tenant's relay (else the instance's), or explains why it cannot.
func (b *BrandSenders) spf(ctx context.Context, tx store.Tx, tenantID string) (value, note string, err error) {
	var host string
	err = tx.QueryRow(ctx, `SELECT host FROM mail_settings WHERE tenant_id = ?`, tenantID).Scan(&host)
	switch {
	case errors.Is(err, store.ErrNotFound):
		host = b.settings.instance.Host
	case err != nil:
		return "", "", err
	}
	const one = " A domain has one SPF record: if it has one already, add the mechanism to it instead of publishing a second."
	switch a, literal := literalAddr(host); {
	case host == "":
		return "", "No SMTP relay is configured for the tenant or the instance, so the servers that send its mail are unknown: " +
			"configure one, then publish an SPF record that allows it.", nil
	case literal && (a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()):
		return "", "The relay " + host + " is on an internal address: the SPF record must allow the public addresses it " +
			"delivers from, which Lintel cannot see." + one, nil
	case literal && a.Is4():
		return "v=spf1 ip4:" + a.String() + " ~all", "Allows the relay " + host + " to send for the domain." + one, nil
	case literal:
		return "v=spf1 ip6:" + a.String() + " ~all", "Allows the relay " + host + " to send for the domain." + one, nil
	}
	return "v=spf1 a:" + host + " ~all", "Allows the addresses of the relay " + host + ". If the relay is a mail service that " +
		"publishes its own SPF record (its documentation gives an include: mechanism), use that include instead." + one, nil
}

// Check is the outcome of looking up a sender's DKIM records.
type Check struct {
	// Selector and NextSelector are the keys looked up.
	Selector, NextSelector string
	// Current and Next say whether their records hold the right key.
	Current, Next bool
	// Problems explain what is wrong, readable and without key material.
	Problems []string
	At       time.Time
}

// CheckBrandSender looks up the DKIM records of s (its signing key and a
// rotation's pending key) through the resolver, outside any transaction,
// within the lookup timeout. It never fails: what it could not find is in
// the Check's Problems.
func (b *BrandSenders) CheckBrandSender(ctx context.Context, s BrandSender) Check {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	c := Check{Selector: s.Selector, NextSelector: s.NextSelector}
	var problem string
	if c.Current, problem = b.lookup(ctx, s.Selector+"._domainkey."+s.Domain, s.Record); problem != "" {
		c.Problems = append(c.Problems, problem)
	}
	if s.NextSelector != "" {
		if c.Next, problem = b.lookup(ctx, s.NextSelector+"._domainkey."+s.Domain, s.NextRecord); problem != "" {
			c.Problems = append(c.Problems, "the rotation's new key: "+problem+"; the current key keeps signing")
		}
	}
	c.At = b.now()
	return c
}

// lookup tells whether a TXT record at name publishes the key of want (a
// Record value), or what is wrong.
func (b *BrandSenders) lookup(ctx context.Context, name, want string) (bool, string) {
	values, err := b.resolver.LookupTXT(ctx, name)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false, "no TXT record at " + name
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout, errors.Is(err, context.DeadlineExceeded):
		return false, "DNS lookup of " + name + " timed out"
	case err != nil:
		return false, "DNS lookup of " + name + " failed"
	}
	wantKey := tag(want, "p")
	found := false
	for _, v := range values {
		if !strings.Contains(v, "p=") {
			continue
		}
		found = true
		if subtle.ConstantTimeCompare([]byte(tag(v, "p")), []byte(wantKey)) == 1 {
			if k := tag(v, "k"); k != "" && k != tag(want, "k") {
				return false, "the TXT record at " + name + " has k=" + k + ", want k=" + tag(want, "k")
			}
			return true, ""
		}
	}
	if !found {
		return false, "no DKIM key (p=) in the TXT records at " + name
	}
	return false, "the TXT record at " + name + " holds another key than this sender's"
}

// tag returns the value of tag name in a DKIM tag list, white space
// removed.
func tag(list, name string) string {
	for _, t := range strings.Split(list, ";") {
		k, v, ok := strings.Cut(t, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
}

// RecordCheck writes the outcome of c in tx: verified_at when the signing
// key's record was found, the problems as last_error; when the pending
// key's record was found, that key signs from now on and the replaced one
// is kept as retired. A check made for other keys than the sender has now
// (rotated or changed meanwhile) wraps store.ErrConflict and writes
// nothing.
func (b *BrandSenders) RecordCheck(ctx context.Context, tx store.Tx, tenantID, brandID string, c Check) (BrandSender, error) {
	r, err := b.read(ctx, tx, tenantID, brandID)
	if err != nil {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	if r.Selector != c.Selector || r.NextSelector != c.NextSelector {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: its keys changed during the check: %w", brandID, store.ErrConflict)
	}
	lastErr := strings.Join(c.Problems, "; ")
	switch {
	case c.Next:
		_, err = tx.Exec(ctx, `UPDATE brand_senders SET retired_selector = selector, retired_public_key = public_key, retired_at = ?,
			selector = next_selector, public_key = next_public_key, private_sealed = next_private_sealed, key_created_at = next_created_at,
			next_selector = '', next_public_key = ?, next_private_sealed = ?, next_created_at = NULL,
			verified_at = ?, checked_at = ?, last_error = '', updated_at = ? WHERE brand_id = ?`,
			c.At, []byte{}, []byte{}, c.At, c.At, c.At, brandID)
		b.forget(tenantID)
	case c.Current:
		_, err = tx.Exec(ctx, `UPDATE brand_senders SET verified_at = ?, checked_at = ?, last_error = ?, updated_at = ? WHERE brand_id = ?`,
			c.At, c.At, lastErr, c.At, brandID)
	default:
		_, err = tx.Exec(ctx, `UPDATE brand_senders SET checked_at = ?, last_error = ?, updated_at = ? WHERE brand_id = ?`,
			c.At, lastErr, c.At, brandID)
	}
	if err != nil {
		return BrandSender{}, fmt.Errorf("mail: record check of brand %s: %w", brandID, err)
	}
	return b.GetBrandSender(ctx, tx, tenantID, brandID)
}

// VerifyBrandSender reads the brand's sender, checks its DKIM records
// (CheckBrandSender) and records the outcome (RecordCheck), each step in
// its own transaction. A failed check is no error: the sender comes back
// with Status DKIMFailed and LastError.
func (b *BrandSenders) VerifyBrandSender(ctx context.Context, tenantID, brandID string) (BrandSender, error) {
	var s BrandSender
	err := b.settings.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		s, err = b.GetBrandSender(ctx, tx, tenantID, brandID)
		return err
	})
	if err != nil {
		return BrandSender{}, err
	}
	c := b.CheckBrandSender(ctx, s)
	err = b.settings.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		s, err = b.RecordCheck(ctx, tx, tenantID, brandID, c)
		return err
	})
	return s, err
}

// netResolver is the system's resolver.
type netResolver struct{}

func (netResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return net.DefaultResolver.LookupTXT(ctx, name)
}
