package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Limits on what one event may hold.
const (
	maxTypeLen     = 64
	maxRefTypeLen  = 32
	maxIDLen       = 128
	maxDetailsSize = 16 << 10 // bytes of JSON
	maxPersonalLen = 64       // keys of Personal
	maxPersonal    = 16 << 10 // bytes of JSON, before sealing
)

// Append records e inside the caller's transaction tx, so that the change
// and its event commit or roll back together, and returns the event as
// stored.
//
// It fills ID (from Time) and Time (from the clock) when they are empty,
// and validates the event: Type is lowercase and dotted (at most 64
// bytes), Outcome is one of the defined outcomes, Actor has a type, IDs
// are opaque (printable ASCII without spaces or "@"), Details encode as
// JSON, and Personal is set only with Subject. Bad input returns errors
// from internal/invalid naming each field ("type", "actor.id", …), joined.
//
// The first event with personal details about a subject creates the
// subject's key in tx. When the subject has been erased, the personal
// details are not stored: the event is recorded without them and comes
// back with Erased set. A duplicate ID returns an error wrapping
// store.ErrConflict.
func (l *Log) Append(ctx context.Context, tx store.Tx, e Event) (Event, error) {
	if e.Time.IsZero() {
		e.Time = l.clk.Now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if e.ID == "" {
		e.ID = ident.New(IDPrefix, e.Time)
	}
	details, err := validateEvent(e)
	if err != nil {
		return Event{}, err
	}
	var personal []byte
	if len(e.Personal) > 0 {
		key, err := l.subjectKey(ctx, tx, e.TenantID, e.Subject, true)
		switch {
		case errors.Is(err, errErased):
			e.Personal, e.Erased = nil, true
		case err != nil:
			return Event{}, fmt.Errorf("events: append %s: %w", e.Type, err)
		default:
			if personal, err = sealPersonal(key, e.ID, e.Subject, e.Personal); err != nil {
				return Event{}, fmt.Errorf("events: append %s: %w", e.Type, err)
			}
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO events (id, occurred_at, type, tenant_id, actor_type, actor_id,
		target_type, target_id, outcome, request_id, details, subject_id, personal)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Time, e.Type, e.TenantID, e.Actor.Type, e.Actor.ID,
		e.Target.Type, e.Target.ID, string(e.Outcome), e.RequestID, nullable(details), e.Subject, nullable(personal))
	if err != nil {
		return Event{}, fmt.Errorf("events: append %s: %w", e.Type, err)
	}
	return e, nil
}

// nullable turns empty bytes into SQL NULL.
func nullable(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// validateEvent checks e and returns its details encoded as JSON (nil when
// there are none).
func validateEvent(e Event) ([]byte, error) {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, invalid.Field(field, format, args...))
	}
	if !ident.Valid(IDPrefix, e.ID) {
		add("id", "must be an event ID made by internal/ident with prefix %q", IDPrefix)
	}
	if reason := typeProblem(e.Type); reason != "" {
		add("type", "%s", reason)
	}
	if !e.Outcome.valid() {
		add("outcome", "must be %q, %q or %q", Success, Failure, Denied)
	}
	checkID := func(field, id string) {
		if reason := opaqueIDProblem(id); reason != "" {
			add(field, "%s", reason)
		}
	}
	checkID("tenant_id", e.TenantID)
	checkID("request_id", e.RequestID)
	if e.Actor.Type == "" {
		add("actor.type", "must be set (%q for actions of Lintel itself)", "system")
	} else if !refType(e.Actor.Type) {
		add("actor.type", "must be a lowercase word of at most %d bytes", maxRefTypeLen)
	}
	checkID("actor.id", e.Actor.ID)
	if e.Target.Type != "" && !refType(e.Target.Type) {
		add("target.type", "must be a lowercase word of at most %d bytes", maxRefTypeLen)
	}
	if e.Target.Type == "" && e.Target.ID != "" {
		add("target.type", "must be set when target.id is")
	}
	checkID("target.id", e.Target.ID)
	checkID("subject", e.Subject)
	if len(e.Personal) > 0 && e.Subject == "" {
		add("personal", "needs a subject: personal details are sealed under the subject's key")
	}
	size := 0
	for k, v := range e.Personal {
		if k == "" || len(k) > maxPersonalLen {
			add("personal", "keys must be 1 to %d bytes", maxPersonalLen)
			break
		}
		size += len(k) + len(v)
	}
	if size > maxPersonal {
		add("personal", "must hold at most %d bytes", maxPersonal)
	}
	var details []byte
	if len(e.Details) > 0 {
		var err error
		details, err = json.Marshal(e.Details)
		switch {
		case err != nil:
			add("details", "must encode as JSON")
		case len(details) > maxDetailsSize:
			add("details", "must be at most %d bytes as JSON", maxDetailsSize)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return details, nil
}

// typeProblem explains why t is not an event type, or returns "".
// A type is two or more dot-separated words of lowercase letters, digits
// and underscores, each starting with a letter, at most 64 bytes in all.
func typeProblem(t string) string {
	switch {
	case t == "":
		return "must be set"
	case len(t) > maxTypeLen:
		return fmt.Sprintf("must be at most %d bytes", maxTypeLen)
	}
	words, ok := dottedWords(t)
	if !ok {
		return "must be lowercase words (a-z, 0-9, _) joined by dots, each starting with a letter"
	}
	if words < 2 {
		return `must have at least two dotted parts, like "app.created"`
	}
	return ""
}

// dottedWords counts the words of s if it is words joined by single dots.
func dottedWords(s string) (int, bool) {
	n, start := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if start {
				return 0, false
			}
			start = true
		case c >= 'a' && c <= 'z':
			if start {
				n++
			}
			start = false
		case (c >= '0' && c <= '9') || c == '_':
			if start {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	if start {
		return 0, false // empty, or a trailing dot
	}
	return n, true
}

// refType reports whether s is a lowercase word, the type of a Ref.
func refType(s string) bool {
	if len(s) > maxRefTypeLen {
		return false
	}
	n, ok := dottedWords(s)
	return ok && n == 1
}

// opaqueIDProblem explains why id cannot be an opaque ID, or returns ""
// (the empty ID is allowed). The check keeps obvious personal data, such
// as an email address used as an ID, out of the plaintext columns.
func opaqueIDProblem(id string) string {
	if len(id) > maxIDLen {
		return fmt.Sprintf("must be at most %d bytes", maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c > '~' {
			return "must be printable ASCII without spaces"
		}
		if c == '@' {
			return "must be an opaque ID, not an email address"
		}
	}
	return ""
}
