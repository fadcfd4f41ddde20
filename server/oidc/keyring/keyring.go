// Package keyring holds the signing keys of authorization servers:
// created on first use, sealed by the secrets service, rotated on a
// schedule with the next key published before it signs, retired keys kept
// until their tokens expire.
//
// Keys live in slots: one per algorithm (RS256, ES256, EdDSA) of each
// authorization server of a tenant. Each slot has a chain of keys numbered
// by generation. A key signs from its activation until the next
// generation's activation. It is published (Ring.Published) from its
// creation — so relying parties see a next key before any token carries
// it — until its successor's activation plus the retention (the longest
// lifetime of a token it signed, plus clock skew), when the last token it
// signed has expired; Ring.Rotate then deletes it. A key revoked by an
// immediate rotation (Ring.RotateNow) is neither used nor published.
//
// The ring knows keys, not tenants: callers check that a tenant and its
// authorization server exist before asking for their keys. Private keys
// are stored sealed by the secrets service, bound to their tenant and kid;
// nothing of them is logged. Many nodes may share one database: each Ring
// caches the schedule of a slot for a few minutes, so that it switches to
// a pre-published key on time without reading the database.
package keyring

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Signing algorithms: ID tokens are RS256 by default (OIDC Core requires
// it), ES256 or EdDSA (Ed25519) for clients that register it; access
// tokens are ES256 (RFC 9068).
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// keyAlgs are the algorithms a server has keys for, in the order keys of
// one status are published.
var keyAlgs = []string{RS256, ES256, EdDSA}

// Algs returns the algorithms every authorization server has a key for
// (RS256, ES256, EdDSA), in the order Published lists keys of one status.
// The slice is the caller's.
func Algs() []string { return slices.Clone(keyAlgs) }

// Default rotation policy; Deps.Rotation and Deps.Lead override it.
const (
	// RotationPeriod is how long a key signs before its successor takes
	// over.
	RotationPeriod = 90 * 24 * time.Hour
	// RotationLead is how long a next key is published before it signs.
	// It must exceed by far the max-age of the JWK set (JWKSMaxAge): a
	// relying party that fetched the set just before the next key
	// appeared must refetch it before seeing a token signed by that key,
	// and many relying parties cache the set longer than max-age says
	// (some for hours, some until restart) or refetch it only on a
	// schedule; a day covers them and the cache of every node.
	RotationLead = 24 * time.Hour
)

// JWKSMaxAge is the max-age the JWK set is served with: MinLead counts on
// relying parties that honour it refetching the set at least this often.
const JWKSMaxAge = 10 * time.Minute

// MinLead is the shortest lead New accepts: a relying party's cached JWK
// set, and every node's cached schedule, must have been refreshed once
// between a key's publication and its first signature.
const MinLead = JWKSMaxAge + activeKeyTTL

// activeKeyTTL is how long a node trusts its cached schedule of a slot's
// keys. The schedule carries each key's activation time, so a node
// switches to a pre-published key on time without reading the database;
// the TTL only bounds how late it learns of keys created or revoked on
// another node.
const activeKeyTTL = 5 * time.Minute

// keyClockSkew is how far clocks of relying parties may lag ours.
const keyClockSkew = 5 * time.Minute

// Deps are what a Ring needs. Logger may be nil (logs are dropped); the
// ring adds no attributes of its own to it.
type Deps struct {
	Store   store.Store
	Secrets *secrets.Service
	Clock   clock.Clock
	Logger  *slog.Logger
	// TokenLifetime is the longest lifetime of a token the keys sign: a
	// key stays published that long, plus clock skew, after it stopped
	// signing. It must be positive.
	TokenLifetime time.Duration
	// Rotation is how long a key signs and Lead how long the next one is
	// published before; zero means RotationPeriod and RotationLead. Lead
	// must be at least MinLead and shorter than Rotation.
	Rotation, Lead time.Duration
}

// Ring is the signing keys of every authorization server. It is safe for
// concurrent use, and Rings of many nodes may share one database. Its
// only state is a cache of immutable keys and of their schedules. Its
// methods run their own transactions: never call them inside one. A
// cancelled ctx fails them, unless a fresh cache has the answer.
type Ring struct {
	st  store.Store
	sec *secrets.Service
	clk clock.Clock
	log *slog.Logger

	rotation, lead time.Duration // rotation policy (rotation.go)
	retention      time.Duration // how long a key is published after it signed last

	mu     sync.Mutex           // guards byKID and active
	byKID  map[string]*Key      // every key seen, by kid
	active map[keySlot]slotKeys // the keys of each slot and when they sign
	loadMu sync.Mutex           // serialises loading and creating keys
}

// New returns a Ring. Every dependency but Logger is required; it refuses
// a rotation policy that relying parties could not follow (see Deps).
func New(d Deps) (*Ring, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("keyring: Deps.Store is required")
	case d.Secrets == nil:
		return nil, errors.New("keyring: Deps.Secrets is required")
	case d.Clock == nil:
		return nil, errors.New("keyring: Deps.Clock is required")
	case d.TokenLifetime <= 0:
		return nil, errors.New("keyring: Deps.TokenLifetime must be positive")
	}
	rotation, lead, err := rotationPolicy(d.Rotation, d.Lead)
	if err != nil {
		return nil, err
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Ring{
		st: d.Store, sec: d.Secrets, clk: d.Clock, log: log,
		rotation: rotation, lead: lead, retention: d.TokenLifetime + keyClockSkew,
		byKID:  map[string]*Key{},
		active: map[keySlot]slotKeys{},
	}, nil
}

// rotationPolicy applies the defaults to the period and lead of Deps and
// checks them.
func rotationPolicy(period, lead time.Duration) (time.Duration, time.Duration, error) {
	if period == 0 {
		period = RotationPeriod
	}
	if lead == 0 {
		lead = RotationLead
	}
	switch {
	case period < 0 || lead < 0:
		return 0, 0, errors.New("keyring: Deps.Rotation and Deps.Lead must not be negative")
	case lead < MinLead:
		return 0, 0, fmt.Errorf("keyring: Deps.Lead %v is shorter than %v: relying parties and nodes would meet tokens signed by a key they have not seen yet", lead, MinLead)
	case lead >= period:
		return 0, 0, fmt.Errorf("keyring: Deps.Lead %v must be shorter than Deps.Rotation %v", lead, period)
	}
	return period, lead, nil
}

// now is the current time as the store reads it back.
func (r *Ring) now() time.Time {
	return r.clk.Now().UTC().Truncate(time.Microsecond)
}
