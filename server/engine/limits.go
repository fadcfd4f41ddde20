package engine

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// op is a kind of attempt the abuse limits count.
type op string

const (
	opIdentify op = "identify"
	opPassword op = "password"
	opCode     op = "code"
	opSend     op = "send"
)

// opLimits are the limits per client IP and per login of each kind of
// attempt. Per login they hold whether or not an account exists, so they
// say nothing about accounts; per IP they stop one address from spraying
// many logins. Sends are the tightest: each is an email someone receives.
var opLimits = map[op]struct{ ip, login Limit }{
	opIdentify: {ip: Limit{Rate: 60, Per: time.Minute}, login: Limit{Rate: 30, Per: time.Minute}},
	opPassword: {ip: Limit{Rate: 30, Per: time.Minute}, login: Limit{Rate: 10, Per: time.Minute}},
	opCode:     {ip: Limit{Rate: 30, Per: time.Minute}, login: Limit{Rate: 10, Per: time.Minute}},
	opSend:     {ip: Limit{Rate: 20, Per: time.Hour}, login: Limit{Rate: 5, Per: 15 * time.Minute}},
}

// limited counts an attempt of kind o against the client's IP and the
// flow's login. When either is over its limit it puts the rate-limit
// message in the flow, records the refusal in tx, and reports true; nothing
// else of the attempt may happen then (no hashing, no mail).
func (e *Engine) limited(ctx context.Context, tx store.Tx, f *flow, o op) (bool, error) {
	l := opLimits[o]
	keys := []struct {
		key   string
		limit Limit
	}{{"login:" + string(o) + ":" + f.TenantID + ":" + directory.NormalizeLogin(f.State.Login), l.login}}
	if ip := clientip.From(ctx); ip.IsValid() {
		keys = append(keys, struct {
			key   string
			limit Limit
		}{"ip:" + string(o) + ":" + ipKey(ip), l.ip})
	}
	var wait time.Duration
	for _, k := range keys {
		ok, retry, err := e.Limits.Allow(ctx, k.key, k.limit)
		if err != nil {
			return false, fmt.Errorf("engine: rate limit: %w", err)
		}
		if !ok && retry > wait {
			wait = retry
		}
		if !ok && wait == 0 {
			wait = time.Second
		}
	}
	if wait == 0 {
		return false, nil
	}
	f.State.Messages = []wire.Message{secondsMessage(MsgRateLimited, wire.LevelError, wait)}
	return true, e.event(ctx, tx, f, "user.signin.rate_limited", events.Failure, "", map[string]any{"attempt": string(o)})
}

// ipKey groups addresses as the limits count them: IPv4 per address,
// IPv6 per /64 (one subscriber's usual allocation).
func ipKey(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
