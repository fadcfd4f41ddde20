package mail

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/mail/dkim"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// dkimPurpose binds sealed DKIM private keys (secrets.Binding.Purpose).
const dkimPurpose = "mail.dkim-key"

// DKIMKeyBits is the size of the RSA keys made for brand senders.
const DKIMKeyBits = 2048

// MaxSenderNameLen bounds BrandSenderInput.Name, in bytes.
const MaxSenderNameLen = 100

// BrandSenderInput is what PutBrandSender writes.
type BrandSenderInput struct {
	// Address is one addr-spec, local@domain, on a DNS name (not an IP
	// literal): no display name, no angle brackets.
	Address string
	// Name is the display name, "" for none.
	Name string
}

// DKIMStatus says whether the signing key's DNS record was found.
type DKIMStatus string

// The DKIM statuses.
const (
	// DKIMPending: DNS was not checked since the key was made.
	DKIMPending DKIMStatus = "pending"
	// DKIMVerified: the last check found the signing key's record.
	DKIMVerified DKIMStatus = "verified"
	// DKIMFailed: the last check did not (see LastError).
	DKIMFailed DKIMStatus = "failed"
)

// BrandSender is a brand's sender address with its DKIM key (the public
// part only: the private key never leaves the package).
type BrandSender struct {
	TenantID, BrandID string
	// Address is local@domain; Name the display name ("" for none);
	// Domain the address's domain, which signs (d=).
	Address, Name, Domain string
	// Algorithm is the a= of the signatures (dkim.RSASHA256).
	Algorithm string
	// Selector names the key that signs; Record is its TXT value.
	Selector, Record string
	KeyCreatedAt     time.Time
	// NextSelector and NextRecord are the key a rotation made, which signs
	// once a verification finds its record; "" when none is pending.
	NextSelector, NextRecord string
	// RetiredSelector and RetiredRecord are the key the last rotation
	// replaced at RetiredAt; "" when none.
	RetiredSelector, RetiredRecord string
	RetiredAt                      time.Time
	Status                         DKIMStatus
	// VerifiedAt is when the signing key's record was last found, zero
	// when never; CheckedAt when DNS was last asked.
	VerifiedAt, CheckedAt time.Time
	// LastError says what the last check found wrong, "" when nothing.
	LastError string
	// Records are the DNS records to publish for the domain.
	Records              []DNSRecord
	CreatedAt, UpdatedAt time.Time
}

// From is the sender as a header value: "Name <address>" or "<address>".
func (b BrandSender) From() string {
	return (&mail.Address{Name: b.Name, Address: b.Address}).String()
}

// TXTResolver looks up TXT records; *net.Resolver satisfies it (the same
// shape as edge/ownership's). Each string is one record, its
// character-strings joined. It must honour ctx and be safe for concurrent
// use.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// BrandSendersOptions configure BrandSenders; every field is optional.
type BrandSendersOptions struct {
	// Resolver looks up DKIM records for VerifyBrandSender; nil means the
	// system's.
	Resolver TXTResolver
	// LookupTimeout bounds one verification's DNS lookups; 0 means 10s.
	LookupTimeout time.Duration
	// CacheTTL bounds how long a DKIM key opened for signing is reused; 0
	// means DefaultCacheTTL.
	CacheTTL time.Duration
	// Logger receives failures to open keys, never key material.
	Logger *slog.Logger
}

// BrandSenders holds the brands' sender addresses and DKIM keys, says
// which DNS records each needs, checks them, and opens the keys that sign
// outgoing mail (RouterOptions.Senders). Private keys are sealed through
// the secrets service, bound to tenant, brand and selector.
//
// Put, Rotate, Delete, Get and RecordCheck work in the caller's
// transaction; a change is seen by this node's senders once it commits,
// by other nodes' within CacheTTL. A brand's sender goes with the brand.
// BrandSenders is safe for concurrent use.
type BrandSenders struct {
	settings *Settings
	resolver TXTResolver
	timeout  time.Duration
	ttl      time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	keys    map[string]cachedKey // tenant + "\x00" + domain
	changed map[string]time.Time // tenant → until when lookups bypass the cache
}

// NewBrandSenders returns the brand senders kept in settings' store,
// sealing keys with its secrets service; the SPF advice names its relays.
func NewBrandSenders(settings *Settings, opts BrandSendersOptions) *BrandSenders {
	b := &BrandSenders{settings: settings, resolver: opts.Resolver, timeout: opts.LookupTimeout, ttl: opts.CacheTTL,
		log: opts.Logger, keys: map[string]cachedKey{}, changed: map[string]time.Time{}}
	if b.resolver == nil {
		b.resolver = netResolver{}
	}
	if b.timeout <= 0 {
		b.timeout = 10 * time.Second
	}
	if b.ttl <= 0 {
		b.ttl = DefaultCacheTTL
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	return b
}

const senderCols = `brand_id, tenant_id, address, name, domain, algorithm, selector, public_key, private_sealed,
	key_created_at, next_selector, next_public_key, next_private_sealed, next_created_at,
	retired_selector, retired_public_key, retired_at, verified_at, checked_at, last_error, created_at, updated_at`

// senderRow is a stored sender with its keys.
type senderRow struct {
	BrandSender
	pub, sealed, nextPub, nextSealed, retiredPub []byte
}

func (b *BrandSenders) read(ctx context.Context, tx store.Tx, tenantID, brandID string) (senderRow, error) {
	var r senderRow
	var nextAt, retiredAt, verifiedAt, checkedAt sql.NullTime
	err := tx.QueryRow(ctx, `SELECT `+senderCols+` FROM brand_senders WHERE brand_id = ? AND tenant_id = ?`, brandID, tenantID).
		Scan(&r.BrandID, &r.TenantID, &r.Address, &r.Name, &r.Domain, &r.Algorithm, &r.Selector, &r.pub, &r.sealed,
			&r.KeyCreatedAt, &r.NextSelector, &r.nextPub, &r.nextSealed, &nextAt,
			&r.RetiredSelector, &r.retiredPub, &retiredAt, &verifiedAt, &checkedAt, &r.LastError, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return senderRow{}, err
	}
	r.RetiredAt, r.VerifiedAt, r.CheckedAt = retiredAt.Time, verifiedAt.Time, checkedAt.Time
	switch {
	case !checkedAt.Valid:
		r.Status = DKIMPending
	case verifiedAt.Valid && verifiedAt.Time.Equal(checkedAt.Time):
		r.Status = DKIMVerified
	default:
		r.Status = DKIMFailed
	}
	for _, k := range []struct {
		der []byte
		out *string
	}{{r.pub, &r.Record}, {r.nextPub, &r.NextRecord}, {r.retiredPub, &r.RetiredRecord}} {
		if len(k.der) == 0 {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(k.der)
		if err != nil {
			return senderRow{}, fmt.Errorf("stored DKIM public key: %w", err)
		}
		if *k.out, err = dkim.Record(pub); err != nil {
			return senderRow{}, err
		}
	}
	return r, nil
}

// GetBrandSender returns the brand's sender with the DNS records to
// publish, or an error wrapping store.ErrNotFound when the brand has none
// (its mail uses the tenant's sender, see Settings.From).
func (b *BrandSenders) GetBrandSender(ctx context.Context, tx store.Tx, tenantID, brandID string) (BrandSender, error) {
	r, err := b.read(ctx, tx, tenantID, brandID)
	if err != nil {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	if r.Records, err = b.records(ctx, tx, r.BrandSender); err != nil {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	return r.BrandSender, nil
}

// PutBrandSender validates in and makes it the brand's sender. The first
// time, and whenever the domain changes, it makes a new DKIM key (RSA
// 2048, a new selector) whose record must then be published; otherwise the
// key and its verification stay. Refused input returns an error holding an
// *invalid.Error per field (address, name) and writes nothing; a brand
// that is not the tenant's wraps store.ErrNotFound.
func (b *BrandSenders) PutBrandSender(ctx context.Context, tx store.Tx, tenantID, brandID string, in BrandSenderInput) (BrandSender, error) {
	addr, domain, name, err := checkSender(in)
	if err != nil {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM brands WHERE id = ? AND tenant_id = ?`, brandID, tenantID).Scan(&one); err != nil {
		return BrandSender{}, fmt.Errorf("mail: brand %s: %w", brandID, err)
	}
	old, err := b.read(ctx, tx, tenantID, brandID)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	now := b.now()
	switch {
	case exists && old.Domain == domain:
		_, err = tx.Exec(ctx, `UPDATE brand_senders SET address = ?, name = ?, updated_at = ? WHERE brand_id = ?`,
			addr, name, now, brandID)
	default:
		var k newKey
		if k, err = b.newKey(tenantID, brandID, now); err != nil {
			return BrandSender{}, err
		}
		if exists {
			_, err = tx.Exec(ctx, `UPDATE brand_senders SET address = ?, name = ?, domain = ?, algorithm = ?, selector = ?,
				public_key = ?, private_sealed = ?, key_created_at = ?, next_selector = '', next_public_key = ?,
				next_private_sealed = ?, next_created_at = NULL, retired_selector = '', retired_public_key = ?, retired_at = NULL,
				verified_at = NULL, checked_at = NULL, last_error = '', updated_at = ? WHERE brand_id = ?`,
				addr, name, domain, dkim.RSASHA256, k.selector, k.pub, k.sealed, now, []byte{}, []byte{}, []byte{}, now, brandID)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO brand_senders (`+senderCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, NULL, '', ?, NULL, NULL, NULL, '', ?, ?)`,
				brandID, tenantID, addr, name, domain, dkim.RSASHA256, k.selector, k.pub, k.sealed, now,
				[]byte{}, []byte{}, []byte{}, now, now)
		}
	}
	if err != nil {
		return BrandSender{}, fmt.Errorf("mail: write sender of brand %s: %w", brandID, err)
	}
	b.forget(tenantID)
	return b.GetBrandSender(ctx, tx, tenantID, brandID)
}

// RotateBrandSender makes a new DKIM key with a new selector for the
// brand's sender. The current key keeps signing until VerifyBrandSender
// finds the new key's record; then the new key signs and the old record
// may be removed from DNS. Rotating again before that replaces the
// pending key. A brand without a sender wraps store.ErrNotFound.
func (b *BrandSenders) RotateBrandSender(ctx context.Context, tx store.Tx, tenantID, brandID string) (BrandSender, error) {
	if _, err := b.read(ctx, tx, tenantID, brandID); err != nil {
		return BrandSender{}, fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	now := b.now()
	k, err := b.newKey(tenantID, brandID, now)
	if err != nil {
		return BrandSender{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE brand_senders SET next_selector = ?, next_public_key = ?, next_private_sealed = ?,
		next_created_at = ?, updated_at = ? WHERE brand_id = ?`, k.selector, k.pub, k.sealed, now, now, brandID)
	if err != nil {
		return BrandSender{}, fmt.Errorf("mail: rotate key of brand %s: %w", brandID, err)
	}
	b.forget(tenantID)
	return b.GetBrandSender(ctx, tx, tenantID, brandID)
}

// DeleteBrandSender removes the brand's sender and its keys: the brand's
// mail then goes out from the tenant's sender. A brand without one wraps
// store.ErrNotFound.
func (b *BrandSenders) DeleteBrandSender(ctx context.Context, tx store.Tx, tenantID, brandID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM brand_senders WHERE brand_id = ? AND tenant_id = ?`, brandID, tenantID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("mail: delete sender of brand %s: %w", brandID, err)
	}
	b.forget(tenantID)
	return nil
}

func (b *BrandSenders) now() time.Time {
	return b.settings.clk.Now().UTC().Truncate(time.Microsecond)
}

// newKey is a fresh sealed key and its selector.
type newKey struct {
	selector    string
	pub, sealed []byte
}

// newKey makes an RSA key, names it with a new selector
// (lintel<yyyymm>-<random>) and seals it bound to tenant, brand and
// selector.
func (b *BrandSenders) newKey(tenantID, brandID string, now time.Time) (newKey, error) {
	var rnd [5]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return newKey{}, fmt.Errorf("mail: dkim selector: %w", err)
	}
	sel := "lintel" + now.Format("200601") + "-" + strings.ToLower(base32.StdEncoding.EncodeToString(rnd[:]))
	key, err := rsa.GenerateKey(rand.Reader, DKIMKeyBits)
	if err != nil {
		return newKey{}, fmt.Errorf("mail: make dkim key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return newKey{}, fmt.Errorf("mail: encode dkim key: %w", err)
	}
	sealed, err := b.settings.sec.Seal(keyBinding(tenantID, brandID, sel), der)
	if err != nil {
		return newKey{}, fmt.Errorf("mail: seal dkim key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return newKey{}, fmt.Errorf("mail: encode dkim public key: %w", err)
	}
	return newKey{selector: sel, pub: pub, sealed: sealed}, nil
}

// keyBinding is the row a sealed DKIM key belongs to.
func keyBinding(tenantID, brandID, selector string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: dkimPurpose, Row: brandID + "/" + selector}
}

// openKey opens a sealed DKIM key.
func (b *BrandSenders) openKey(ctx context.Context, tx store.Tx, tenantID, brandID, selector string, sealed []byte) (crypto.Signer, error) {
	der, err := b.settings.sec.Open(ctx, tx, keyBinding(tenantID, brandID, selector), sealed)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("stored DKIM key is not PKCS #8")
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("stored DKIM key is a %T", k)
	}
	return s, nil
}

// checkSender validates in, returning the address with its domain
// lowercased, the domain and the name.
func checkSender(in BrandSenderInput) (addr, domain, name string, err error) {
	var errs []error
	a, perr := mail.ParseAddress(in.Address)
	local, dom, _ := strings.Cut(strings.TrimSpace(in.Address), "@")
	dom = strings.ToLower(strings.TrimSuffix(dom, "."))
	switch {
	case in.Address == "":
		errs = append(errs, invalid.Field("address", "must be set"))
	case len(in.Address) > MaxAddressLen:
		errs = append(errs, invalid.Field("address", "must be at most %d bytes", MaxAddressLen))
	case perr != nil || a.Name != "" || a.Address != in.Address:
		errs = append(errs, invalid.Field("address", "must be one address, local@domain, without a display name or angle brackets"))
	case strings.HasPrefix(dom, "["):
		errs = append(errs, invalid.Field("address", "must be on a domain name, not an IP address"))
	case isIP(dom):
		errs = append(errs, invalid.Field("address", "must be on a domain name, not an IP address"))
	case !validHost(dom) || !strings.Contains(dom, "."):
		errs = append(errs, invalid.Field("address", "must be on a domain name with at least two labels, such as mail.acme.example"))
	}
	switch {
	case len(in.Name) > MaxSenderNameLen:
		errs = append(errs, invalid.Field("name", "must be at most %d bytes", MaxSenderNameLen))
	case !utf8.ValidString(in.Name) || strings.IndexFunc(in.Name, unicode.IsControl) >= 0:
		errs = append(errs, invalid.Field("name", "must be one line of UTF-8"))
	}
	if err := errors.Join(errs...); err != nil {
		return "", "", "", err
	}
	return local + "@" + dom, dom, strings.TrimSpace(in.Name), nil
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
