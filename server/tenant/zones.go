package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Limits of a network zone.
const (
	MaxZoneCIDRs          = 200 // prefixes of a zone
	MaxZoneDescriptionLen = 500 // characters of a zone's description
	maxCIDRLen            = 64  // characters of one prefix as given
)

// Zone is a named list of IP prefixes of a tenant ("Office", "VPN"),
// which sign-on policy rules name to allow or refuse requests by the
// client's address.
//
// CIDRs holds 1–MaxZoneCIDRs prefixes in the order given, each normalized
// to netip.Prefix.Masked().String(): host bits cleared ("10.1.2.3/8" is
// "10.0.0.0/8"), IPv6 in its canonical lowercase form, a bare address as
// a single-address prefix ("192.0.2.1" is "192.0.2.1/32", "2001:db8::1"
// is "2001:db8::1/128"), an IPv4-mapped IPv6 prefix of at least 96 bits
// as the IPv4 prefix it stands for ("::ffff:10.0.0.0/104" is
// "10.0.0.0/8"). Two entries may not normalize to the same prefix;
// overlapping prefixes are allowed. "0.0.0.0/0" and "::/0" are allowed,
// alone or with others: a zone may stand for every IPv4 or IPv6 address.
type Zone struct {
	ID, TenantID, Name   string // ID is "nzn_…"
	CIDRs                []string
	Description          string
	CreatedAt, UpdatedAt time.Time
}

// ZoneInput describes a new network zone.
type ZoneInput struct {
	Name        string
	CIDRs       []string
	Description string
}

// ZonePatch changes a network zone; nil fields stay as they are.
type ZonePatch struct {
	Name, Description *string
	CIDRs             *[]string
}

const zoneCols = `id, tenant_id, name, cidrs, description, created_at, updated_at`

func scanZone(r scanner) (Zone, error) {
	var z Zone
	var cidrs []byte
	if err := r.Scan(&z.ID, &z.TenantID, &z.Name, &cidrs, &z.Description, &z.CreatedAt, &z.UpdatedAt); err != nil {
		return Zone{}, err
	}
	return z, store.ParseJSONList(cidrs, &z.CIDRs)
}

// checkZone validates and normalizes a zone's fields, reporting every
// problem at once, then checks its name is free in its tenant.
func (s *Service) checkZone(ctx context.Context, tx store.Tx, z *Zone) error {
	var errs []error
	var err error
	if z.Name, err = checkName("name", z.Name); err != nil {
		errs = append(errs, err)
	}
	if z.CIDRs, err = normalizeCIDRs("cidrs", z.CIDRs); err != nil {
		errs = append(errs, err)
	}
	if z.Description, err = checkDescription("description", z.Description, MaxZoneDescriptionLen); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return s.uniqueName(ctx, tx, "network_zones", z.TenantID, z.ID, z.Name, "a network zone")
}

// normalizeCIDRs checks a zone's list of prefixes and returns it
// normalized (see Zone.CIDRs).
func normalizeCIDRs(field string, in []string) ([]string, error) {
	switch {
	case len(in) == 0:
		return nonNil(in), invalid.Field(field, "must have at least one prefix")
	case len(in) > MaxZoneCIDRs:
		return in, invalid.Field(field, "must have at most %d entries, not %d", MaxZoneCIDRs, len(in))
	}
	var errs []error
	out := make([]string, len(in))
	first := map[string]int{}
	for i, s := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		p, err := parseCIDR(s)
		if err != nil {
			errs = append(errs, invalid.Field(f, "%s", err))
			out[i] = s
			continue
		}
		out[i] = p.String()
		if j, dup := first[out[i]]; dup {
			errs = append(errs, invalid.Field(f, "%s is the same prefix as %s[%d]", out[i], field, j))
			continue
		}
		first[out[i]] = i
	}
	return out, errors.Join(errs...)
}

// parseCIDR reads one prefix or bare address and returns it masked, with
// IPv4-mapped IPv6 turned into IPv4. Its errors are reasons for a field.
func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, errors.New("is empty")
	}
	if len(s) > maxCIDRLen {
		return netip.Prefix{}, fmt.Errorf("must be at most %d characters", maxCIDRLen)
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 or IPv6 prefix (like 192.0.2.0/24 or 2001:db8::/32)", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 or IPv6 prefix (like 192.0.2.0/24 or 2001:db8::/32)", s)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q has an IPv6 zone, which a prefix cannot hold", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped prefix shorter than /96; write the IPv4 prefix", s)
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// checkDescription trims an optional description and checks it is at most
// max printable characters (line breaks and tabs allowed).
func checkDescription(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return s, invalid.Field(field, "must be valid UTF-8")
	case n > max:
		return s, invalid.Field(field, "must be at most %d characters, not %d", max, n)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\n' && r != '\t' {
			return s, invalid.Field(field, "must contain only printable characters (found %U)", r)
		}
	}
	return s, nil
}

// CreateZone adds a network zone to a tenant. Its name must be unused by
// the tenant's other zones, ignoring case (store.ErrConflict otherwise).
func (s *Service) CreateZone(ctx context.Context, tx store.Tx, tenantID string, in ZoneInput) (Zone, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return Zone{}, err
	}
	now := s.now()
	z := Zone{ID: ident.New("nzn", now), TenantID: t.ID, Name: in.Name, CIDRs: in.CIDRs, Description: in.Description,
		CreatedAt: now, UpdatedAt: now}
	if err := s.checkZone(ctx, tx, &z); err != nil {
		return Zone{}, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO network_zones (`+zoneCols+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		z.ID, z.TenantID, z.Name, store.JSONList(z.CIDRs), z.Description, z.CreatedAt, z.UpdatedAt, fold(z.Name))
	if err != nil {
		return Zone{}, nameConflict(err, "a network zone", z.Name)
	}
	return z, nil
}

// Zone returns a network zone of a tenant; a zone of another tenant is
// store.ErrNotFound.
func (s *Service) Zone(ctx context.Context, tx store.Tx, tenantID, id string) (Zone, error) {
	z, err := scanZone(tx.QueryRow(ctx, `SELECT `+zoneCols+` FROM network_zones WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Zone{}, notFound("network zone", id)
	}
	return z, err
}

// ZoneExists reports whether id is a network zone of the tenant, for
// checking the zones a sign-on policy rule names.
func (s *Service) ZoneExists(ctx context.Context, tx store.Tx, tenantID, id string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM network_zones WHERE id = ? AND tenant_id = ?`, id, tenantID).Scan(&n)
	return n > 0, err
}

// ListZones lists a tenant's network zones in ID (creation) order, one
// page at a time, and returns the cursor of the next page ("" after the
// last).
func (s *Service) ListZones(ctx context.Context, tx store.Tx, tenantID string, p Page) ([]Zone, string, error) {
	limit, err := p.check()
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+zoneCols+` FROM network_zones WHERE tenant_id = ? AND id > ?
		ORDER BY id LIMIT ?`, tenantID, p.After, limit+1)
	list, err := store.Collect(rows, err, scanZone)
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit, func(z Zone) string { return z.ID })
	return nonNilList(list), next, nil
}

// UpdateZone changes a network zone of a tenant. New CIDRs replace the
// whole list.
func (s *Service) UpdateZone(ctx context.Context, tx store.Tx, tenantID, id string, p ZonePatch) (Zone, error) {
	z, err := s.Zone(ctx, tx, tenantID, id)
	if err != nil {
		return Zone{}, err
	}
	set(&z.Name, p.Name)
	set(&z.CIDRs, p.CIDRs)
	set(&z.Description, p.Description)
	if err := s.checkZone(ctx, tx, &z); err != nil {
		return Zone{}, err
	}
	z.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE network_zones SET name = ?, name_fold = ?, cidrs = ?, description = ?, updated_at = ?
		WHERE id = ?`, z.Name, fold(z.Name), store.JSONList(z.CIDRs), z.Description, z.UpdatedAt, z.ID)
	if err != nil {
		return Zone{}, nameConflict(err, "a network zone", z.Name)
	}
	return z, nil
}

// DeleteZone removes a network zone of a tenant. Sign-on policy rules
// that name it are not changed: from then on InZone answers
// store.ErrNotFound for it, and a rule naming a zone that no longer
// exists never matches (whether it names it as a zone to be in or one to
// be outside of). Refusing to delete a zone a rule uses comes with the
// policies' own storage.
func (s *Service) DeleteZone(ctx context.Context, tx store.Tx, tenantID, id string) error {
	n, err := tx.Exec(ctx, `DELETE FROM network_zones WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err == nil && n == 0 {
		return notFound("network zone", id)
	}
	return err
}

// InZone reports whether ip is in one of the prefixes of a network zone of
// the tenant. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is taken as
// the IPv4 address it carries, and an IPv6 zone (%eth0) is ignored; an
// IPv4 address is never in an IPv6 prefix (not even ::/0) nor the other
// way round. The invalid zero netip.Addr is in no zone. An unknown zone,
// or one of another tenant, is store.ErrNotFound: callers evaluating a
// rule should treat it as the rule not matching.
func (s *Service) InZone(ctx context.Context, tx store.Tx, tenantID, zoneID string, ip netip.Addr) (bool, error) {
	z, err := s.Zone(ctx, tx, tenantID, zoneID)
	if err != nil {
		return false, err
	}
	if !ip.IsValid() {
		return false, nil
	}
	ip = ip.Unmap().WithZone("")
	for _, c := range z.CIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return false, fmt.Errorf("tenant: network zone %s: stored prefix %q: %w", z.ID, c, err)
		}
		if p.Contains(ip) {
			return true, nil
		}
	}
	return false, nil
}

// ZonesContaining returns the names of the tenant's network zones that
// have ip in one of their prefixes, sorted, for sign-on policy
// conditions (network.zones). Addresses are matched as InZone does; the
// invalid zero netip.Addr is in no zone, and an unknown tenant has none.
func (s *Service) ZonesContaining(ctx context.Context, tx store.Tx, tenantID string, ip netip.Addr) ([]string, error) {
	if !ip.IsValid() {
		return []string{}, nil
	}
	ip = ip.Unmap().WithZone("")
	rows, err := tx.Query(ctx, `SELECT `+zoneCols+` FROM network_zones WHERE tenant_id = ?`, tenantID)
	zones, err := store.Collect(rows, err, scanZone)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, z := range zones {
		for _, c := range z.CIDRs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return nil, fmt.Errorf("tenant: network zone %s: stored prefix %q: %w", z.ID, c, err)
			}
			if p.Contains(ip) {
				out = append(out, z.Name)
				break
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
