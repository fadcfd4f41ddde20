package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/mail/dkim"
	"github.com/lintel-id/lintel/server/store"
)

// errDKIMKey marks a DKIM key that could not be read or opened for
// signing; such a send is retried (an operator may restore the key
// configuration, or rotate the key).
var errDKIMKey = errors.New("mail: the DKIM key of the sender's domain does not open")

// cachedKey is the signer of a tenant's sender domain (nil when the domain
// has no key), as read for sending, until expires.
type cachedKey struct {
	signer  *dkim.Signer
	expires time.Time
}

// signer returns the DKIM signer for mail of the tenant from the address
// from, or nil when no brand sender of the tenant is on from's domain.
// When several are, the verified one whose key is newest signs. Opened
// keys are cached for the TTL (see Settings.route for why not right after
// a change). Errors wrap errDKIMKey and carry no key material.
func (b *BrandSenders) signer(ctx context.Context, tenantID, from string) (*dkim.Signer, error) {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, nil // the SMTP sender refuses it, permanently
	}
	_, domain, _ := strings.Cut(a.Address, "@")
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	key := tenantID + "\x00" + domain
	now := b.settings.clk.Now()
	b.mu.Lock()
	c, hit := b.keys[key]
	b.mu.Unlock()
	if hit && now.Before(c.expires) {
		return c.signer, nil
	}
	c = cachedKey{expires: now.Add(b.ttl)}
	var brandID string
	err = b.settings.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var selector string
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT brand_id, selector, private_sealed FROM brand_senders WHERE tenant_id = ? AND domain = ?
			ORDER BY CASE WHEN verified_at IS NOT NULL AND verified_at = checked_at THEN 0 ELSE 1 END, key_created_at DESC, brand_id
			LIMIT 1`, tenantID, domain).Scan(&brandID, &selector, &sealed)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		k, err := b.openKey(ctx, tx, tenantID, brandID, selector, sealed)
		if err != nil {
			return err
		}
		c.signer = &dkim.Signer{Domain: domain, Selector: selector, Key: k, Now: b.settings.clk.Now}
		return nil
	})
	if err != nil {
		// The error names no key material: secrets' errors are sentinels.
		b.log.WarnContext(ctx, "mail: dkim key does not open", "tenant_id", tenantID, "brand_id", brandID, "error", err)
		return nil, fmt.Errorf("%w: tenant %s: %w", errDKIMKey, tenantID, err)
	}
	b.mu.Lock()
	if until, ok := b.changed[tenantID]; ok && !b.settings.clk.Now().Before(until) {
		delete(b.changed, tenantID)
	}
	if _, recent := b.changed[tenantID]; !recent {
		b.keys[key] = c
	}
	b.mu.Unlock()
	return c.signer, nil
}

// forget drops the tenant's cached keys and keeps them out of the cache
// for a TTL.
func (b *BrandSenders) forget(tenantID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.keys {
		if strings.HasPrefix(k, tenantID+"\x00") {
			delete(b.keys, k)
		}
	}
	b.changed[tenantID] = b.settings.clk.Now().Add(b.ttl)
}
