package oidc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// Key rotation. Each slot (tenant, server, algorithm) has a chain of keys
// numbered by generation. A key signs from its activates_at until the
// next generation's activates_at. It is published in the JWK set from its
// creation — so relying parties see a next key before any token carries
// it — until its successor's activates_at plus keyRetention, when the
// last token it signed has expired; RotateKeys then deletes it. A revoked
// key is neither used nor published.

// Default rotation policy; Deps.KeyRotation and Deps.KeyLead override it.
const (
	// KeyRotationPeriod is how long a key signs before its successor
	// takes over.
	KeyRotationPeriod = 90 * 24 * time.Hour
	// KeyRotationLead is how long a next key is published before it
	// signs. It must exceed by far the max-age of the JWK set (10
	// minutes): a relying party that fetched the set just before the next
	// key appeared must refetch it before seeing a token signed by that
	// key, and many relying parties cache the set longer than max-age says
	// (some for hours, some until restart) or refetch it only on a
	// schedule; a day covers them and the cache of every node
	// (activeKeyTTL).
	KeyRotationLead = 24 * time.Hour
)

// jwksCacheAge is the max-age of the JWK set (keysMaxAge in discovery.go).
const jwksCacheAge = 10 * time.Minute

// minKeyLead is the shortest lead New accepts: a relying party's cached
// JWK set, and every node's cached schedule, must have been refreshed
// once between a key's publication and its first signature.
const minKeyLead = jwksCacheAge + activeKeyTTL

// keyClockSkew is how far clocks of relying parties may lag ours.
const keyClockSkew = 5 * time.Minute

// keyRetention is how long a key stays published after it stopped
// signing: the longest lifetime of a token it signed, plus clock skew.
const keyRetention = max(AccessTokenLifetime, IDTokenLifetime) + keyClockSkew

// rotationPolicy applies the defaults to the period and lead of Deps and
// checks them.
func rotationPolicy(period, lead time.Duration) (time.Duration, time.Duration, error) {
	if period == 0 {
		period = KeyRotationPeriod
	}
	if lead == 0 {
		lead = KeyRotationLead
	}
	switch {
	case period < 0 || lead < 0:
		return 0, 0, errors.New("oidc: Deps.KeyRotation and Deps.KeyLead must not be negative")
	case lead < minKeyLead:
		return 0, 0, fmt.Errorf("oidc: Deps.KeyLead %v is shorter than %v: relying parties and nodes would meet tokens signed by a key they have not seen yet", lead, minKeyLead)
	case lead >= period:
		return 0, 0, fmt.Errorf("oidc: Deps.KeyLead %v must be shorter than Deps.KeyRotation %v", lead, period)
	}
	return period, lead, nil
}

// Statuses of a key in its schedule (KeyInfo.Status).
const (
	keyStatusNext    = "next"
	keyStatusCurrent = "current"
	keyStatusRetired = "retired"
	keyStatusRevoked = "revoked"
)

// keyRow is a stored key: its place in the schedule and its public key;
// sealed only when read for signing.
type keyRow struct {
	kid                    string
	slot                   keySlot
	generation             int64
	status                 string
	createdAt, activatesAt time.Time
	jwk, sealed            []byte
}

// scan reads keyCols and then more.
func (r *keyRow) scan(s interface{ Scan(...any) error }, more ...any) error {
	return s.Scan(append([]any{&r.kid, &r.slot.tenantID, &r.slot.server, &r.slot.alg, &r.generation, &r.status,
		&r.createdAt, &r.activatesAt}, more...)...)
}

// readKeys reads the schedule of the keys matching where (and their
// public keys when withJWK is set), in slot and generation order.
func readKeys(ctx context.Context, tx store.Tx, withJWK bool, where string, args ...any) ([]keyRow, error) {
	cols := keyCols
	if withJWK {
		cols += ", public_jwk"
	}
	rows, err := tx.Query(ctx, `SELECT `+cols+` FROM oidc_keys `+where+`
		ORDER BY tenant_id, server, alg, generation`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []keyRow
	for rows.Next() {
		var r keyRow
		var more []any
		if withJWK {
			more = append(more, &r.jwk)
		}
		if err := r.scan(rows, more...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// readSchedule reads the keys of one slot.
func readSchedule(ctx context.Context, tx store.Tx, slot keySlot) (schedule, error) {
	return readKeys(ctx, tx, false, `WHERE tenant_id = ? AND server = ? AND alg = ?`, slot.tenantID, slot.server, slot.alg)
}

// bySlot splits rows in slot order into one schedule per slot.
func bySlot(rows []keyRow) []schedule {
	var out []schedule
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].slot == rows[i].slot {
			j++
		}
		out = append(out, schedule(rows[i:j:j]))
		i = j
	}
	return out
}

// schedule is the keys of one slot in generation order.
type schedule []keyRow

// current is the index of the key that signs at now: of the keys not
// revoked, the newest generation already activated; -1 if none.
func (s schedule) current(now time.Time) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].status != keyRevoked && !s[i].activatesAt.After(now) {
			return i
		}
	}
	return -1
}

// retiresAt is when key i stops signing: when a later generation that is
// not revoked activates — the next one, unless an immediate rotation
// revoked it and put a newer one first. (Keys older than a revoked one
// thus count from its replacement: published a little longer, never
// shorter, than their tokens need.)
func (s schedule) retiresAt(i int) (time.Time, bool) {
	var end time.Time
	for _, r := range s[i+1:] {
		if r.status != keyRevoked && (end.IsZero() || r.activatesAt.Before(end)) {
			end = r.activatesAt
		}
	}
	return end, !end.IsZero()
}

// published reports whether key i verifies tokens at now: not revoked,
// and not past its retention.
func (s schedule) published(i int, now time.Time) bool {
	if s[i].status == keyRevoked {
		return false
	}
	end, ok := s.retiresAt(i)
	return !ok || now.Before(end.Add(keyRetention))
}

// status is key i's KeyInfo.Status at now.
func (s schedule) status(i int, now time.Time) string {
	cur := s.current(now)
	switch {
	case s[i].status == keyRevoked:
		return keyStatusRevoked
	case i == cur:
		return keyStatusCurrent
	case i > cur:
		return keyStatusNext
	}
	return keyStatusRetired
}

// pending returns the indexes of the keys not revoked that will sign
// after the current one.
func (s schedule) pending(now time.Time) []int {
	var out []int
	for i := s.current(now) + 1; i < len(s); i++ {
		if s[i].status != keyRevoked {
			out = append(out, i)
		}
	}
	return out
}

// nextGeneration is the generation a new key of the slot takes.
func (s schedule) nextGeneration() int64 {
	if len(s) == 0 {
		return 1
	}
	return s[len(s)-1].generation + 1
}

// expired returns the indexes of keys that may be deleted at now: older
// than the current key and past their retention (revoked keys too, on
// the same schedule).
func (s schedule) expired(now time.Time) []int {
	var out []int
	for i := 0; i < s.current(now); i++ {
		if end, _ := s.retiresAt(i); !now.Before(end.Add(keyRetention)) {
			out = append(out, i)
		}
	}
	return out
}

// RotationReport is what one run of RotateKeys did.
type RotationReport struct {
	// Created counts next keys created, Deleted keys removed after their
	// retention.
	Created, Deleted int
}

// RotateKeys is the scheduled rotation job; the binary runs it hourly on
// every node. For each slot (tenant, authorization server, algorithm)
// whose current key activated at least KeyRotation − KeyLead ago and that
// has no next key yet, it creates the next generation, activating at the
// current key's activation plus KeyRotation, but never earlier than now +
// KeyLead (a job that ran late still publishes the key a full lead before
// it signs). It deletes keys past their retention. Slots without a key
// are left alone: their first key is created on first use.
//
// It is safe to run on many nodes at once: nodes racing on a slot insert
// the same generation, the unique index refuses all but one and the
// others count nothing. A failure on one slot does not stop the others:
// the report counts what was done and the error joins the failures. It
// stops at the first error when ctx ends. Private keys are sealed by the
// secrets service; nothing of them is logged.
func (p *Provider) RotateKeys(ctx context.Context) (RotationReport, error) {
	var rows []keyRow
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rows, err = readKeys(ctx, tx, false, "")
		return err
	})
	if err != nil {
		return RotationReport{}, fmt.Errorf("oidc: rotate keys: %w", err)
	}
	var rep RotationReport
	var errs []error
	for _, sched := range bySlot(rows) {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("oidc: rotate keys: %w", err)
		}
		created, deleted, err := p.rotateSlot(ctx, sched)
		rep.Created += created
		rep.Deleted += deleted
		if err != nil {
			slot := sched[0].slot
			errs = append(errs, fmt.Errorf("oidc: rotate keys of %s/%s %s: %w", slot.tenantID, slot.server, slot.alg, err))
		}
	}
	return rep, errors.Join(errs...)
}

// rotateSlot does RotateKeys's work on one slot.
func (p *Provider) rotateSlot(ctx context.Context, sched schedule) (created, deleted int, err error) {
	slot := sched[0].slot
	now := p.now()
	var errs []error
	if cur := sched.current(now); cur >= 0 && len(sched.pending(now)) == 0 &&
		!now.Before(sched[cur].activatesAt.Add(p.rotation-p.lead)) {
		activates := sched[cur].activatesAt.Add(p.rotation)
		if earliest := now.Add(p.lead); activates.Before(earliest) {
			activates = earliest
		}
		ok, err := p.createNextKey(ctx, slot, sched.nextGeneration(), activates)
		if ok {
			created++
		}
		errs = append(errs, err)
	}
	for _, i := range sched.expired(now) {
		r := sched[i]
		var n int64
		err := p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM oidc_keys WHERE id = ? AND tenant_id = ? AND server = ?`,
				r.kid, slot.tenantID, slot.server)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n > 0 {
			deleted++
			p.log.InfoContext(ctx, "deleted signing key past its retention", "tenant", slot.tenantID, "server", slot.server,
				"alg", slot.alg, "kid", r.kid, "generation", r.generation)
		}
	}
	return created, deleted, errors.Join(errs...)
}

// createNextKey inserts generation gen of slot, activating at activates.
// It reports false, and no error, when another node inserted that
// generation first.
func (p *Provider) createNextKey(ctx context.Context, slot keySlot, gen int64, activates time.Time) (bool, error) {
	nk, err := p.newKey(slot)
	if err != nil {
		return false, err
	}
	now := p.now()
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		return nk.insert(ctx, tx, gen, activates, now)
	})
	if errors.Is(err, store.ErrConflict) {
		p.log.DebugContext(ctx, "next signing key made by another node", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg, "generation", gen)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	p.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
		"kid", nk.kid, "generation", gen, "activates_at", activates)
	return true, nil
}

// KeyInfo describes a signing key for the management API.
type KeyInfo struct {
	// ID is the key's kid.
	ID string
	// Alg is RS256, ES256 or EdDSA.
	Alg string
	// Status is "current" (signs now), "next" (published, signs from
	// ActivatesAt), "retired" (no longer signs, published until its
	// tokens have expired) or "revoked" (withdrawn by an immediate
	// rotation: neither used nor published).
	Status string
	// CreatedAt is when the key was made, which is when it was first
	// published unless revoked.
	CreatedAt time.Time
	// ActivatesAt is when the key starts signing.
	ActivatesAt time.Time
	// RetiresAt is when the key stops (or stopped) signing: the
	// ActivatesAt of the next key that is not revoked; nil while there is
	// none.
	RetiresAt *time.Time
}

// Keys lists the signing keys of one authorization server of a tenant,
// by algorithm (ES256, EdDSA, RS256) and newest first. Deleted keys (past
// their retention, removed by RotateKeys) are not listed. It refreshes
// this node's cache of the server's keys. An unknown tenant or server is
// an error wrapping store.ErrNotFound.
func (p *Provider) Keys(ctx context.Context, tenantID, server string) ([]KeyInfo, error) {
	if err := p.checkServer(ctx, tenantID, server); err != nil {
		return nil, err
	}
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	return p.keyInfos(ctx, tenantID, server)
}

// keyInfos lists the keys of a server. The caller holds loadMu.
func (p *Provider) keyInfos(ctx context.Context, tenantID, server string) ([]KeyInfo, error) {
	loaded, err := p.loadSlots(ctx, tenantID, server)
	if err != nil {
		return nil, fmt.Errorf("oidc: list keys: %w", err)
	}
	now := p.clk.Now()
	type listed struct {
		info KeyInfo
		gen  int64
	}
	var list []listed
	for _, s := range loaded {
		for i, r := range s.sched {
			k := KeyInfo{ID: r.kid, Alg: r.slot.alg, Status: s.sched.status(i, now),
				CreatedAt: r.createdAt, ActivatesAt: r.activatesAt}
			if end, ok := s.sched.retiresAt(i); ok {
				k.RetiresAt = &end
			}
			list = append(list, listed{k, r.generation})
		}
	}
	slices.SortFunc(list, func(a, b listed) int {
		return cmp.Or(strings.Compare(a.info.Alg, b.info.Alg), cmp.Compare(b.gen, a.gen))
	})
	out := make([]KeyInfo, len(list))
	for i, l := range list {
		out[i] = l.info
	}
	return out, nil
}

// RotateNow rotates every signing key (RS256, ES256, EdDSA) of one
// authorization server of a tenant at an operator's request, and returns
// the server's keys as Keys does. A slot without keys gets its first key,
// signing at once.
//
// Not immediate, each slot gets a next key that signs from now + KeyLead
// (a slot that already has a next key keeps it): relying parties see it
// first, and every token stays valid.
//
// Immediate is for a compromised key: each slot gets a key that signs at
// once, and the key that signed until now is revoked — unpublished at
// once, so every token it signed stops verifying, here at once and on
// other nodes within activeKeyTTL (5 minutes), during which they may also
// still sign with it. A next key waiting to sign is revoked too (it would
// never sign, and may share the compromise). Retired keys stay until
// their retention ends.
//
// The change is visible on this node at once (its cache is refreshed).
// An unknown tenant or server is an error wrapping store.ErrNotFound.
func (p *Provider) RotateNow(ctx context.Context, tenantID, server string, immediate bool) ([]KeyInfo, error) {
	if err := p.checkServer(ctx, tenantID, server); err != nil {
		return nil, err
	}
	for _, alg := range keyAlgs {
		slot := keySlot{tenantID, server, alg}
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if err = p.rotateNow(ctx, slot, immediate); !errors.Is(err, store.ErrConflict) {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("oidc: rotate %s key of %s/%s: %w", alg, tenantID, server, err)
		}
	}
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	return p.keyInfos(ctx, tenantID, server)
}

// rotateNow does RotateNow's work on one slot. A generation inserted
// concurrently by another node is store.ErrConflict: the caller tries
// again on the new state.
func (p *Provider) rotateNow(ctx context.Context, slot keySlot, immediate bool) error {
	var sched schedule
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		sched, err = readSchedule(ctx, tx, slot)
		return err
	})
	if err != nil {
		return err
	}
	now := p.now()
	cur := sched.current(now)
	if !immediate && cur >= 0 && len(sched.pending(now)) > 0 {
		return nil // keep the next key
	}
	nk, err := p.newKey(slot)
	if err != nil {
		return err
	}
	// Hold loadMu from the write to forgetting the cache, so that no load
	// of this node that read the old keys can cache them afterwards.
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	now = p.now()
	var activates time.Time
	var revoked []keyRow
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		activates, revoked = now.Add(p.lead), nil
		sched, err := readSchedule(ctx, tx, slot)
		if err != nil {
			return err
		}
		cur := sched.current(now)
		switch {
		case immediate:
			activates = now
			if cur >= 0 {
				revoked = append(revoked, sched[cur])
			}
			for _, i := range sched.pending(now) {
				revoked = append(revoked, sched[i])
			}
		case cur < 0:
			activates = now // a first key, or none left that signs
		case len(sched.pending(now)) > 0:
			return errKeyExists
		}
		for _, r := range revoked {
			if _, err := tx.Exec(ctx, `UPDATE oidc_keys SET status = ? WHERE id = ?`, keyRevoked, r.kid); err != nil {
				return err
			}
		}
		return nk.insert(ctx, tx, sched.nextGeneration(), activates, now)
	})
	if errors.Is(err, errKeyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	p.forget(slot.tenantID, slot.server)
	p.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
		"kid", nk.kid, "activates_at", activates, "operator", true)
	for _, r := range revoked {
		p.log.WarnContext(ctx, "revoked signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg,
			"kid", r.kid, "generation", r.generation)
	}
	return nil
}

// checkServer refuses a tenant or authorization server that does not
// exist, with an error wrapping store.ErrNotFound.
func (p *Provider) checkServer(ctx context.Context, tenantID, server string) error {
	// The URL does not matter to which servers exist.
	if !(Issuer{TenantID: tenantID, Server: server, URL: "-"}).valid() {
		return fmt.Errorf("oidc: %w: authorization server %q of tenant %q", store.ErrNotFound, server, tenantID)
	}
	return p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := p.tenants.Tenant(ctx, tx, tenantID)
		if err == nil && t.ID != tenantID { // found by slug
			err = fmt.Errorf("%w: tenant %q", store.ErrNotFound, tenantID)
		}
		if err != nil {
			return fmt.Errorf("oidc: %w", err)
		}
		return nil
	})
}
