package phone

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limit allows Rate events per Per.
type Limit struct {
	Rate int
	Per  time.Duration
}

// Limiter counts events against limits; the engine adapts its rate
// limiter (edge/ratelimit, Redis across nodes) to it.
//
// Allow counts one event under key against l and reports whether it was
// allowed; a refused event is not counted, and retryAfter says how long
// until the same event would be allowed (0 when allowed or unknown). Keys
// start with "phone:" and may hold phone numbers and addresses: personal
// data that a Limiter must not log or put in errors. An error means no
// decision; Enqueue then refuses the message (fails closed). A Limiter is
// safe for concurrent use.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (ok bool, retryAfter time.Duration, err error)
}

// Caps bound how many messages a tenant sends, against SMS pumping. Zero
// fields take the defaults when Settings.Put stores them.
type Caps struct {
	// PerNumberHour and PerNumberDay bound messages to one number per
	// hour and per day (defaults 5 and 10).
	PerNumberHour, PerNumberDay int
	// PerClientIPDay bounds messages requested from one client address
	// per day, an IPv6 address counting as its /64 (default 10).
	PerClientIPDay int
	// PerTenantDay bounds all the tenant's messages per day (default 1,000).
	PerTenantDay int
}

// The default caps.
const (
	DefaultPerNumberHour  = 5
	DefaultPerNumberDay   = 10
	DefaultPerClientIPDay = 10
	DefaultPerTenantDay   = 1000
)

// Upper bounds of the caps a tenant may set.
const (
	maxPerNumberHour  = 100
	maxPerNumberDay   = 1000
	maxPerClientIPDay = 100_000
	maxPerTenantDay   = 10_000_000
)

// validate fills in defaults and checks bounds ("caps.…" fields).
func (c Caps) validate() (Caps, error) {
	var errs []error
	check := func(field string, v *int, def, max int) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0 || *v > max:
			errs = append(errs, invalid.Field(field, "must be from 1 to %d (0 for the default, %d)", max, def))
		}
	}
	check("caps.per_number_hour", &c.PerNumberHour, DefaultPerNumberHour, maxPerNumberHour)
	check("caps.per_number_day", &c.PerNumberDay, DefaultPerNumberDay, maxPerNumberDay)
	check("caps.per_client_ip_day", &c.PerClientIPDay, DefaultPerClientIPDay, maxPerClientIPDay)
	check("caps.per_tenant_day", &c.PerTenantDay, DefaultPerTenantDay, maxPerTenantDay)
	if len(errs) == 0 && c.PerNumberDay < c.PerNumberHour {
		errs = append(errs, invalid.Field("caps.per_number_day", "must be at least caps.per_number_hour"))
	}
	return c, errors.Join(errs...)
}

const day = 24 * time.Hour

// checkCaps counts one message of the tenant to the number, requested
// from clientIP, against each cap, and returns a *CappedError for the
// first that refuses it. The client address is counted first and the
// tenant last, so that one client hammering the form uses up its own
// budget and not the tenant's; a message refused by a later cap has still
// been counted by the earlier ones. The zero clientIP (a request not made
// over IP) is not counted per address; the other caps still apply.
func checkCaps(ctx context.Context, lim Limiter, tenantID string, to Number, clientIP netip.Addr, c Caps) error {
	type check struct {
		cap Cap
		key string
		l   Limit
	}
	var checks []check
	if k := ipKey(clientIP); k != "" {
		checks = append(checks, check{CapClientIP, "phone:ip:" + tenantID + ":" + k, Limit{c.PerClientIPDay, day}})
	}
	checks = append(checks,
		check{CapNumberHour, "phone:number-hour:" + tenantID + ":" + to.String(), Limit{c.PerNumberHour, time.Hour}},
		check{CapNumberDay, "phone:number-day:" + tenantID + ":" + to.String(), Limit{c.PerNumberDay, day}},
		check{CapTenant, "phone:tenant:" + tenantID, Limit{c.PerTenantDay, day}},
	)
	for _, ch := range checks {
		ok, retry, err := lim.Allow(ctx, ch.key, ch.l)
		if err != nil {
			return fmt.Errorf("phone: %s cap: %w", ch.cap, err)
		}
		if !ok {
			return &CappedError{Cap: ch.cap, RetryAfter: retry}
		}
	}
	return nil
}

// ipKey returns the part of a limiter key that stands for a client
// address: an IPv4 address itself, an IPv6 address its /64 (one
// subscriber usually has a whole /64 to rotate through), an IPv4-mapped
// address the IPv4 address; "" for the zero Addr.
func ipKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	switch {
	case a.Is4():
		return a.String()
	case a.Is6():
		p, _ := a.Prefix(64) // cannot fail for an IPv6 address
		return p.String()
	}
	return ""
}
