package tenant

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestNormalizeCIDRs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, want []string
	}{
		{"keeps an IPv4 prefix", []string{"192.0.2.0/24"}, []string{"192.0.2.0/24"}},
		{"clears IPv4 host bits", []string{"10.1.2.3/8"}, []string{"10.0.0.0/8"}},
		{"takes a bare IPv4 address as /32", []string{"192.0.2.7"}, []string{"192.0.2.7/32"}},
		{"writes IPv6 in canonical form", []string{"2001:DB8:0:0::1/64"}, []string{"2001:db8::/64"}},
		{"takes a bare IPv6 address as /128", []string{"2001:db8::1"}, []string{"2001:db8::1/128"}},
		{"turns an IPv4-mapped prefix into IPv4", []string{"::ffff:10.0.0.0/104"}, []string{"10.0.0.0/8"}},
		{"turns a bare IPv4-mapped address into IPv4", []string{"::ffff:192.0.2.1"}, []string{"192.0.2.1/32"}},
		{"trims spaces", []string{" 192.0.2.0/24 "}, []string{"192.0.2.0/24"}},
		{"allows any IPv4 and any IPv6 address", []string{"0.0.0.0/0", "::/0"}, []string{"0.0.0.0/0", "::/0"}},
		{"allows any address with others", []string{"0.0.0.0/0", "10.0.0.0/8"}, []string{"0.0.0.0/0", "10.0.0.0/8"}},
		{"allows overlapping prefixes", []string{"10.0.0.0/8", "10.1.0.0/16"}, []string{"10.0.0.0/8", "10.1.0.0/16"}},
		{"keeps the order given", []string{"2001:db8::/32", "192.0.2.0/24"}, []string{"2001:db8::/32", "192.0.2.0/24"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeCIDRs("cidrs", tc.in)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	many := make([]string, MaxZoneCIDRs+1)
	for i := range many {
		many[i] = fmt.Sprintf("10.0.%d.%d/32", i/256, i%256)
	}
	for _, tc := range []struct {
		name   string
		in     []string
		fields []string
	}{
		{"refuses an empty list", nil, []string{"cidrs"}},
		{"refuses too many prefixes", many, []string{"cidrs"}},
		{"refuses an empty entry", []string{"10.0.0.0/8", " "}, []string{"cidrs[1]"}},
		{"refuses a host name", []string{"example.com"}, []string{"cidrs[0]"}},
		{"refuses an IPv4 prefix longer than 32", []string{"10.0.0.0/33"}, []string{"cidrs[0]"}},
		{"refuses an IPv6 prefix longer than 128", []string{"2001:db8::/129"}, []string{"cidrs[0]"}},
		{"refuses a prefix without a length", []string{"10.0.0.0/"}, []string{"cidrs[0]"}},
		{"refuses a negative length", []string{"10.0.0.0/-1"}, []string{"cidrs[0]"}},
		{"refuses a short IPv4 form", []string{"10/8"}, []string{"cidrs[0]"}},
		{"refuses a leading zero in IPv4", []string{"010.0.0.0/8"}, []string{"cidrs[0]"}},
		{"refuses an address range", []string{"10.0.0.1-10.0.0.9"}, []string{"cidrs[0]"}},
		{"refuses an IPv6 zone", []string{"fe80::1%eth0"}, []string{"cidrs[0]"}},
		{"refuses an IPv6 zone in a prefix", []string{"fe80::%eth0/64"}, []string{"cidrs[0]"}},
		{"refuses an IPv4-mapped prefix shorter than /96", []string{"::ffff:0.0.0.0/95"}, []string{"cidrs[0]"}},
		{"refuses a duplicate", []string{"10.0.0.0/8", "10.0.0.0/8"}, []string{"cidrs[1]"}},
		{"refuses a duplicate after clearing host bits", []string{"10.0.0.0/8", "10.9.9.9/8"}, []string{"cidrs[1]"}},
		{"refuses a bare address duplicating its /32", []string{"192.0.2.1/32", "192.0.2.1"}, []string{"cidrs[1]"}},
		{"refuses a mapped prefix duplicating its IPv4 form", []string{"10.0.0.0/8", "::ffff:10.0.0.0/104"}, []string{"cidrs[1]"}},
		{"refuses an IPv6 duplicate in another spelling", []string{"2001:db8::/32", "2001:0DB8:0000::/32"}, []string{"cidrs[1]"}},
		{"reports every bad entry", []string{"x", "10.0.0.0/8", "y", "10.0.0.0/8"}, []string{"cidrs[0]", "cidrs[2]", "cidrs[3]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := normalizeCIDRs("cidrs", tc.in)
			wantFields(t, err, tc.fields...)
		})
	}
}

// zone creates a network zone, failing the test on an error.
func (e *env) zone(t *testing.T, tenantID string, in ZoneInput) Zone {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Zone, error) { return e.svc.CreateZone(ctx, tx, tenantID, in) })
}

func TestNetworkZones(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme", ""), e.tenant(t, "other", "")
		create := func(tenantID string, in ZoneInput) (Zone, error) {
			var z Zone
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				var err error
				z, err = e.svc.CreateZone(ctx, tx, tenantID, in)
				return err
			})
			return z, err
		}
		office, err := create(ten.ID, ZoneInput{Name: " Office ", CIDRs: []string{"192.0.2.77/24", "2001:DB8::/48", "198.51.100.9"},
			Description: "  HQ and branch  "})
		if err != nil {
			t.Fatal(err)
		}
		if office.Name != "Office" || office.Description != "HQ and branch" || !strings.HasPrefix(office.ID, "nzn_") ||
			!slices.Equal(office.CIDRs, []string{"192.0.2.0/24", "2001:db8::/48", "198.51.100.9/32"}) {
			t.Fatalf("created %+v", office)
		}
		read := get(t, e, func(ctx context.Context, tx store.Tx) (Zone, error) { return e.svc.Zone(ctx, tx, ten.ID, office.ID) })
		if !slices.Equal(read.CIDRs, office.CIDRs) || read.Name != office.Name || !read.CreatedAt.Equal(office.CreatedAt) {
			t.Fatalf("read back %+v, created %+v", read, office)
		}
		mapped := e.zone(t, ten.ID, ZoneInput{Name: "Mapped", CIDRs: []string{"::ffff:203.0.113.0/120"}})
		anyV6 := e.zone(t, ten.ID, ZoneInput{Name: "Any IPv6", CIDRs: []string{"::/0"}})
		theirs := e.zone(t, other.ID, ZoneInput{Name: "Office", CIDRs: []string{"0.0.0.0/0"}})

		before := e.count(t, "network_zones")
		long := strings.Repeat("d", MaxZoneDescriptionLen+1)
		for _, tc := range []struct {
			name   string
			in     ZoneInput
			fields []string
		}{
			{"refuses a zone without prefixes", ZoneInput{Name: "X"}, []string{"cidrs"}},
			{"refuses a bad prefix", ZoneInput{Name: "X", CIDRs: []string{"10.0.0.0/8", "10.0.0.0/40"}}, []string{"cidrs[1]"}},
			{"refuses duplicates after normalization", ZoneInput{Name: "X", CIDRs: []string{"2001:db8::/32", "2001:db8:ffff::/32"}}, []string{"cidrs[1]"}},
			{"refuses a long description", ZoneInput{Name: "X", CIDRs: []string{"10.0.0.0/8"}, Description: long}, []string{"description"}},
			{"refuses a control character in the description", ZoneInput{Name: "X", CIDRs: []string{"10.0.0.0/8"}, Description: "a\x00b"}, []string{"description"}},
			{"reports every problem at once", ZoneInput{CIDRs: []string{"nope"}, Description: long}, []string{"name", "cidrs[0]", "description"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := create(ten.ID, tc.in)
				wantFields(t, err, tc.fields...)
			})
		}
		t.Run("refuses a name in use, ignoring case", func(t *testing.T) {
			_, err := create(ten.ID, ZoneInput{Name: "OFFICE", CIDRs: []string{"10.0.0.0/8"}})
			wantConflict(t, err, "name")
		})
		t.Run("refuses a zone for an unknown tenant", func(t *testing.T) {
			_, err := create("ten_nope", ZoneInput{Name: "X", CIDRs: []string{"10.0.0.0/8"}})
			wantNotFound(t, err)
		})
		if n := e.count(t, "network_zones"); n != before {
			t.Fatalf("refused creations left %d zones, want %d", n, before)
		}

		for _, tc := range []struct {
			name           string
			tenantID, zone string
			ip             netip.Addr
			want           bool
		}{
			{"finds an address inside an IPv4 prefix", ten.ID, office.ID, netip.MustParseAddr("192.0.2.100"), true},
			{"finds the first address of a prefix", ten.ID, office.ID, netip.MustParseAddr("192.0.2.0"), true},
			{"finds the last address of a prefix", ten.ID, office.ID, netip.MustParseAddr("192.0.2.255"), true},
			{"misses the address before a prefix", ten.ID, office.ID, netip.MustParseAddr("192.0.1.255"), false},
			{"misses the address after a prefix", ten.ID, office.ID, netip.MustParseAddr("192.0.3.0"), false},
			{"finds a single address", ten.ID, office.ID, netip.MustParseAddr("198.51.100.9"), true},
			{"misses the single address's neighbour", ten.ID, office.ID, netip.MustParseAddr("198.51.100.10"), false},
			{"finds an address inside an IPv6 prefix", ten.ID, office.ID, netip.MustParseAddr("2001:db8:0:ffff::1"), true},
			{"misses an address outside an IPv6 prefix", ten.ID, office.ID, netip.MustParseAddr("2001:db8:1::1"), false},
			{"takes an IPv4-mapped address as IPv4", ten.ID, office.ID, netip.MustParseAddr("::ffff:192.0.2.5"), true},
			{"ignores an IPv6 zone of the address", ten.ID, office.ID, netip.MustParseAddr("2001:db8::1%eth0"), true},
			{"matches a zone given as an IPv4-mapped prefix", ten.ID, mapped.ID, netip.MustParseAddr("203.0.113.7"), true},
			{"matches a mapped address in a mapped zone", ten.ID, mapped.ID, netip.MustParseAddr("::ffff:203.0.113.7"), true},
			{"never puts IPv4 in an IPv6 zone", ten.ID, anyV6.ID, netip.MustParseAddr("192.0.2.1"), false},
			{"never puts a mapped address in an IPv6 zone", ten.ID, anyV6.ID, netip.MustParseAddr("::ffff:192.0.2.1"), false},
			{"puts any IPv6 address in ::/0", ten.ID, anyV6.ID, netip.MustParseAddr("fd00::1"), true},
			{"never puts IPv6 in an IPv4 zone", other.ID, theirs.ID, netip.MustParseAddr("2001:db8::1"), false},
			{"puts any IPv4 address in 0.0.0.0/0", other.ID, theirs.ID, netip.MustParseAddr("203.0.113.1"), true},
			{"puts no invalid address in a zone", other.ID, theirs.ID, netip.Addr{}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
					return e.svc.InZone(ctx, tx, tc.tenantID, tc.zone, tc.ip)
				})
				if got != tc.want {
					t.Fatalf("InZone(%s) = %v, want %v", tc.ip, got, tc.want)
				}
			})
		}

		t.Run("keeps tenants apart", func(t *testing.T) {
			ip := netip.MustParseAddr("203.0.113.1")
			for name, call := range map[string]func(ctx context.Context, tx store.Tx) error{
				"Zone": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.Zone(ctx, tx, ten.ID, theirs.ID)
					return err
				},
				"InZone": func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.InZone(ctx, tx, ten.ID, theirs.ID, ip)
					return err
				},
				"UpdateZone": func(ctx context.Context, tx store.Tx) error {
					n := "Mine"
					_, err := e.svc.UpdateZone(ctx, tx, ten.ID, theirs.ID, ZonePatch{Name: &n})
					return err
				},
				"DeleteZone": func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteZone(ctx, tx, ten.ID, theirs.ID) },
			} {
				t.Run(name, func(t *testing.T) { wantNotFound(t, e.do(t, call)) })
			}
			for tenantID, want := range map[string]bool{ten.ID: false, other.ID: true} {
				if got := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
					return e.svc.ZoneExists(ctx, tx, tenantID, theirs.ID)
				}); got != want {
					t.Errorf("ZoneExists(%s) = %v, want %v", tenantID, got, want)
				}
			}
			z := get(t, e, func(ctx context.Context, tx store.Tx) (Zone, error) { return e.svc.Zone(ctx, tx, other.ID, theirs.ID) })
			if z.Name != "Office" {
				t.Fatalf("the other tenant's zone changed: %+v", z)
			}
		})

		t.Run("updates", func(t *testing.T) {
			e.clk.Advance(time.Minute)
			cidrs, desc := []string{"10.9.8.7/16"}, ""
			up := get(t, e, func(ctx context.Context, tx store.Tx) (Zone, error) {
				return e.svc.UpdateZone(ctx, tx, ten.ID, office.ID, ZonePatch{CIDRs: &cidrs, Description: &desc})
			})
			if up.Name != "Office" || up.Description != "" || !slices.Equal(up.CIDRs, []string{"10.9.0.0/16"}) || !up.UpdatedAt.After(office.UpdatedAt) {
				t.Fatalf("updated %+v", up)
			}
			if in := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
				return e.svc.InZone(ctx, tx, ten.ID, office.ID, netip.MustParseAddr("192.0.2.100"))
			}); in {
				t.Fatal("an address of the replaced prefixes is still in the zone")
			}
			rename := "office"
			get(t, e, func(ctx context.Context, tx store.Tx) (Zone, error) {
				return e.svc.UpdateZone(ctx, tx, ten.ID, office.ID, ZonePatch{Name: &rename})
			})
			taken, empty := "mapped", []string{}
			wantConflict(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateZone(ctx, tx, ten.ID, office.ID, ZonePatch{Name: &taken})
				return err
			}), "name")
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateZone(ctx, tx, ten.ID, office.ID, ZonePatch{CIDRs: &empty})
				return err
			}), "cidrs")
		})

		t.Run("lists a page at a time", func(t *testing.T) {
			ids := walk(t, e, func(z Zone) string { return z.ID }, func(ctx context.Context, tx store.Tx, after string) ([]Zone, string, error) {
				return e.svc.ListZones(ctx, tx, ten.ID, Page{After: after, Limit: 2})
			})
			want := []string{office.ID, mapped.ID, anyV6.ID}
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("listed %q", ids)
			}
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.svc.ListZones(ctx, tx, ten.ID, Page{Limit: MaxLimit + 1})
				return err
			}), "limit")
		})

		t.Run("deletes, after which rules naming the zone never match", func(t *testing.T) {
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteZone(ctx, tx, ten.ID, mapped.ID) })
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.InZone(ctx, tx, ten.ID, mapped.ID, netip.MustParseAddr("203.0.113.7"))
				return err
			})
			wantNotFound(t, err)
			if exists := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
				return e.svc.ZoneExists(ctx, tx, ten.ID, mapped.ID)
			}); exists {
				t.Fatal("a deleted zone exists")
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteZone(ctx, tx, ten.ID, mapped.ID) }))
			// The name is free again.
			e.zone(t, ten.ID, ZoneInput{Name: "Mapped", CIDRs: []string{"203.0.113.0/24"}})
		})
	})
}

func TestZonesContaining(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme", ""), e.tenant(t, "other", "")
		e.zone(t, ten.ID, ZoneInput{Name: "Office", CIDRs: []string{"192.0.2.0/24", "2001:db8::/32"}})
		e.zone(t, ten.ID, ZoneInput{Name: "VPN", CIDRs: []string{"198.51.100.0/24", "192.0.2.128/25"}})
		e.zone(t, ten.ID, ZoneInput{Name: "Any IPv6", CIDRs: []string{"::/0"}})
		e.zone(t, other.ID, ZoneInput{Name: "Everywhere", CIDRs: []string{"0.0.0.0/0"}})
		for _, tc := range []struct {
			name     string
			tenantID string
			ip       netip.Addr
			want     []string
		}{
			{"names every zone holding the address, sorted", ten.ID, netip.MustParseAddr("192.0.2.200"), []string{"Office", "VPN"}},
			{"names one zone", ten.ID, netip.MustParseAddr("192.0.2.1"), []string{"Office"}},
			{"takes an IPv4-mapped address as IPv4", ten.ID, netip.MustParseAddr("::ffff:198.51.100.1"), []string{"VPN"}},
			{"matches IPv6", ten.ID, netip.MustParseAddr("2001:db8::1%eth0"), []string{"Any IPv6", "Office"}},
			{"names none for an address outside every zone", ten.ID, netip.MustParseAddr("203.0.113.1"), []string{}},
			{"names none for the invalid address", ten.ID, netip.Addr{}, []string{}},
			{"keeps tenants apart", other.ID, netip.MustParseAddr("192.0.2.1"), []string{"Everywhere"}},
			{"names none for an unknown tenant", "ten_nope", netip.MustParseAddr("192.0.2.1"), []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := get(t, e, func(ctx context.Context, tx store.Tx) ([]string, error) {
					return e.svc.ZonesContaining(ctx, tx, tc.tenantID, tc.ip)
				})
				if got == nil || !slices.Equal(got, tc.want) {
					t.Fatalf("ZonesContaining(%s) = %q, want %q", tc.ip, got, tc.want)
				}
			})
		}
	})
}
