package edge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clientip"
)

// Limits are the edge's request limits. Each bounds one kind of traffic
// under its own keys, so that one noisy party cannot use up another's
// budget; a zero Limit takes its default (DefaultLimits). The sign-in
// attempts of each account and address have their own, stricter limits in
// the engine.
type Limits struct {
	// IP bounds the requests one client address (an IPv6 /64) makes to
	// every site, static files aside.
	IP ratelimit.Limit
	// Tenant bounds the requests to one tenant's sites from everyone
	// together, so that a flood at one tenant leaves the others served.
	Tenant ratelimit.Limit
	// Client bounds the sign-ins one OAuth client of a tenant starts
	// (authorization requests and flow starts).
	Client ratelimit.Limit
	// TokenClient and TokenIP bound token requests per OAuth client and
	// per client address.
	TokenClient, TokenIP ratelimit.Limit
	// MgmtIP and MgmtCredential bound management API requests per client
	// address and per credential (bearer token).
	MgmtIP, MgmtCredential ratelimit.Limit
}

// DefaultLimits are generous enough for a busy tenant behind one address
// (a company's NAT) and tight enough that a single address or client
// cannot flood a node.
func DefaultLimits() Limits {
	return Limits{
		IP:             ratelimit.Limit{Rate: 600, Per: time.Minute, Burst: 200},
		Tenant:         ratelimit.Limit{Rate: 30000, Per: time.Minute, Burst: 5000},
		Client:         ratelimit.Limit{Rate: 3000, Per: time.Minute, Burst: 600},
		TokenClient:    ratelimit.Limit{Rate: 1200, Per: time.Minute, Burst: 300},
		TokenIP:        ratelimit.Limit{Rate: 300, Per: time.Minute, Burst: 100},
		MgmtIP:         ratelimit.Limit{Rate: 1200, Per: time.Minute, Burst: 300},
		MgmtCredential: ratelimit.Limit{Rate: 600, Per: time.Minute, Burst: 200},
	}
}

// withDefaults fills every zero limit from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def ratelimit.Limit) ratelimit.Limit {
		if v == (ratelimit.Limit{}) {
			return def
		}
		return v
	}
	return Limits{
		IP: pick(l.IP, d.IP), Tenant: pick(l.Tenant, d.Tenant), Client: pick(l.Client, d.Client),
		TokenClient: pick(l.TokenClient, d.TokenClient), TokenIP: pick(l.TokenIP, d.TokenIP),
		MgmtIP: pick(l.MgmtIP, d.MgmtIP), MgmtCredential: pick(l.MgmtCredential, d.MgmtCredential),
	}
}

// validate reports the first limit a Limiter could not use.
func (l Limits) validate() error {
	for _, v := range []ratelimit.Limit{l.IP, l.Tenant, l.Client, l.TokenClient, l.TokenIP, l.MgmtIP, l.MgmtCredential} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// newRequestLimits builds the edge's limits from cfg: its Limiter, or one in
// process on its Clock.
func newRequestLimits(cfg Config) (*requestLimits, error) {
	lim := cfg.Limiter
	if lim == nil {
		lim = ratelimit.NewMemory(cfg.Clock, ratelimit.MemoryOptions{})
	}
	limits := cfg.Limits.withDefaults()
	if err := limits.validate(); err != nil {
		return nil, fmt.Errorf("edge: limits: %w", err)
	}
	refuse := func(w http.ResponseWriter, _ *http.Request, retry time.Duration) { tooManyRequestsAPI(w, retry) }
	return &requestLimits{lim: lim, cfg: limits, log: cfg.Logger, refuse: refuse}, nil
}

// requestLimits applies Limits through a ratelimit.Limiter.
type requestLimits struct {
	lim ratelimit.Limiter
	cfg Limits
	log *slog.Logger
	// refuse answers a request a site limit refused: people with the
	// branded page, machines with JSON (siteHandlers.rateLimited).
	refuse func(w http.ResponseWriter, r *http.Request, retry time.Duration)
}

// rule is one key checked against one limit. The key is name + ":" + id;
// only the name is ever logged, because ids hold addresses and client IDs.
type rule struct {
	name, id string
	l        ratelimit.Limit
}

// check counts the request under each rule in order and returns how long
// to wait when one refuses (the later rules are then not counted). The
// limits fail open: when the backend fails (Redis unreachable) the request
// goes on and the failure is logged, because refusing every sign-in is
// worse than serving some unmetered; the engine's per-account limits and
// the password hashing semaphore still hold.
func (l *requestLimits) check(ctx context.Context, rules ...rule) (time.Duration, bool) {
	for _, ru := range rules {
		if ru.id == "" {
			continue
		}
		res, err := l.lim.Allow(ctx, ru.name+":"+ru.id, ru.l)
		if err != nil {
			if ctx.Err() == nil {
				l.log.WarnContext(ctx, "edge: rate limit unavailable; request allowed", "limit", ru.name, "err", err)
			}
			continue
		}
		if !res.Allowed {
			return res.RetryAfter, false
		}
	}
	return 0, true
}

// ipRule limits the client address of ctx; an empty rule (skipped) when
// the connection has no IP address (a Unix socket, which only the
// operator can open).
func ipRule(ctx context.Context, name string, l ratelimit.Limit) rule {
	return rule{name, ratelimit.IPKey(clientip.From(ctx)), l}
}

// unmetered reports paths that never count: static files (cached,
// content-hashed, cheap) and the well-known documents browsers and CAs
// fetch on their own.
func unmetered(path string) bool {
	return strings.HasPrefix(path, "/assets/") || strings.HasPrefix(path, "/.well-known/")
}

// site limits every request routed to a site by client address, then by
// tenant.
func (l *requestLimits) site(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site, ok := SiteFrom(r.Context())
		if !ok || unmetered(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		retry, ok := l.check(r.Context(), ipRule(r.Context(), "edge:ip", l.cfg.IP), rule{"edge:tenant", site.Tenant.ID, l.cfg.Tenant})
		if !ok {
			l.refuse(w, r, retry)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// client counts one sign-in started by an OAuth client of a tenant.
// Client IDs longer than a key allows are not counted here: no app has
// one, and the authorization request refuses them.
func (l *requestLimits) client(ctx context.Context, tenantID, clientID string) (time.Duration, bool) {
	if clientID == "" || len(clientID) > 128 {
		return 0, true
	}
	return l.check(ctx, rule{"edge:client", tenantID + ":" + clientID, l.cfg.Client})
}

// token limits the token endpoint per client address and per client (from
// HTTP Basic authentication or the client_id parameter). Refusals answer
// as OAuth errors: 429 with Retry-After and temporarily_unavailable, the
// registered code closest to "slow down" that every client understands.
func (l *requestLimits) token(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site, _ := SiteFrom(r.Context())
		rules := []rule{ipRule(r.Context(), "edge:token:ip", l.cfg.TokenIP)}
		if id := tokenClientID(r); id != "" && len(id) <= 128 {
			rules = append(rules, rule{"edge:token:client", site.Tenant.ID + ":" + id, l.cfg.TokenClient})
		}
		retry, ok := l.check(r.Context(), rules...)
		if !ok {
			refuseJSON(w, retry, "application/json", func(secs string) any {
				return map[string]string{"error": "temporarily_unavailable", "error_description": "Too many requests; retry after " + secs + " seconds."}
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tokenClientID names the client of a token request without
// authenticating it: the Basic user name, else the client_id parameter.
// The form is parsed into r.PostForm (bounded like the handler's own
// parse), where the token endpoint reads it again.
func tokenClientID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		return id
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return ""
	}
	return r.PostForm.Get("client_id")
}

// mgmt limits the management API per client address and per credential;
// refusals are problem+json.
func (l *requestLimits) mgmt(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rules := []rule{ipRule(r.Context(), "mgmt:ip", l.cfg.MgmtIP)}
		if auth := r.Header.Get("Authorization"); auth != "" {
			// The key holds a digest, never the credential itself.
			sum := sha256.Sum256([]byte(auth))
			rules = append(rules, rule{"mgmt:cred", hex.EncodeToString(sum[:16]), l.cfg.MgmtCredential})
		}
		retry, ok := l.check(r.Context(), rules...)
		if !ok {
			refuseJSON(w, retry, "application/problem+json", func(secs string) any {
				return map[string]any{
					"type": "about:blank", "title": "Too Many Requests", "status": http.StatusTooManyRequests,
					"detail": "Too many requests; retry after " + secs + " seconds.",
				}
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseJSON answers a refused request with 429, Retry-After, and the
// JSON body of contentType that body makes from the wait in seconds.
func refuseJSON(w http.ResponseWriter, retry time.Duration, contentType string, body func(secs string) any) {
	secs := setRetryAfter(w, retry)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(body(secs))
}
