package keyring

import (
	"context"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// Stored key statuses. An active key signs and is published as its
// schedule says; a revoked key (an operator's emergency rotation) is
// neither used nor published, whatever its schedule.
const (
	keyActive  = "active"
	keyRevoked = "revoked"
)

// Statuses of a key in its schedule (KeyInfo.Status).
const (
	keyStatusNext    = "next"
	keyStatusCurrent = "current"
	keyStatusRetired = "retired"
	keyStatusRevoked = "revoked"
)

// keyCols are the columns of a key's place in its schedule (keyRow.scan).
const keyCols = `id, tenant_id, server, alg, generation, status, created_at, activates_at`

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
// and not past its retention (how long a key stays published after it
// stopped signing).
func (s schedule) published(i int, now time.Time, retention time.Duration) bool {
	if s[i].status == keyRevoked {
		return false
	}
	end, ok := s.retiresAt(i)
	return !ok || now.Before(end.Add(retention))
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
func (s schedule) expired(now time.Time, retention time.Duration) []int {
	var out []int
	for i := 0; i < s.current(now); i++ {
		if end, _ := s.retiresAt(i); !now.Before(end.Add(retention)) {
			out = append(out, i)
		}
	}
	return out
}
