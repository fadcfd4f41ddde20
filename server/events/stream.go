package events

import (
	"context"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
)

// DefaultSettle is how old an event must be before Follow reads it, when
// StreamOptions.Settle is zero.
const DefaultSettle = 2 * time.Second

// idleSave bounds how often a following Stream that has read nothing new
// saves the position it reached (see Stream.Follow): often enough that a
// restart does not rescan much, rarely enough not to write on every poll.
const idleSave = time.Minute

// Sink receives the batches of events a Stream follows.
//
// Write must either accept the whole batch (return nil) or fail: the
// cursor moves past a batch only after Write returned nil, so a failed
// batch is written again, with the same events in the same order (plus,
// perhaps, more). Events are delivered at least once; receivers drop
// duplicates by event ID. Write must return when ctx ends. A Stream calls
// Write from one goroutine at a time.
type Sink interface {
	Write(ctx context.Context, batch []Event) error
}

// Cursor keeps a follower's position so that it resumes where it stopped:
// the ID of the last event a Sink accepted, or a position made by
// CursorAt.
//
// Load returns "" when nothing was saved yet (Follow then starts at the
// beginning of the log). Save stores the position durably before it
// returns: after a crash, Load must return it or a later one.
type Cursor interface {
	Load(ctx context.Context) (string, error)
	Save(ctx context.Context, cursor string) error
}

// StreamOptions tune a Stream.
type StreamOptions struct {
	// Settle is how old an event must be, on the Log's clock, before the
	// Stream reads it: DefaultSettle when zero, no wait when negative.
	// See Stream.Follow for why.
	Settle time.Duration
	// OnError, when set, is told of every failed round (a Sink that
	// refused a batch, a store or cursor error), and the Stream tries
	// again at the next poll from the last saved cursor. When nil, Follow
	// returns the first error.
	OnError func(error)
}

// Stream follows the system log from a cursor into a Sink: continuous
// export for SIEM ingestion and log-streaming webhooks. Make one with
// Log.Stream; it holds no state between calls and is safe for concurrent
// use.
type Stream struct {
	log     *Log
	settle  time.Duration
	onError func(error)
}

// Stream returns a Stream of l tuned by o.
func (l *Log) Stream(o StreamOptions) *Stream {
	s := &Stream{log: l, settle: o.Settle, onError: o.OnError}
	switch {
	case s.settle == 0:
		s.settle = DefaultSettle
	case s.settle < 0:
		s.settle = 0
	}
	return s
}

// Follow is l.Stream(StreamOptions{}).Follow: DefaultSettle, and the first
// error ends it.
func (l *Log) Follow(ctx context.Context, q Query, sink Sink, cursor Cursor, poll <-chan time.Time) error {
	return l.Stream(StreamOptions{}).Follow(ctx, q, sink, cursor, poll)
}

// Follow writes the events q selects to sink, oldest first, in batches of
// at most q.Limit (DefaultLimit when zero), starting after the position
// cursor holds. After each batch the sink accepted it saves the ID of the
// batch's last event to cursor: delivery is at least once, and a Follow
// started again with the same cursor resumes without loss. q.After must be
// empty: the position is the cursor's.
//
// Follow reads until it has caught up, then waits for a tick of poll and
// reads again. With a nil poll it returns nil once caught up (one pass,
// as `lintel events tail` without --follow). It returns ctx.Err() when ctx
// ends, nil when poll is closed, and otherwise the first error unless
// StreamOptions.OnError is set (see there). Bad input in q returns errors
// from internal/invalid at once.
//
// Settling. Event IDs begin with the event's time in milliseconds and the
// cursor is an ID, but events do not commit in ID order: a transaction
// that stamped its event at 12:00:00.100 and commits at 12:00:00.900
// inserts an ID smaller than those of events already committed, which a
// reader whose cursor has passed them would never see (Query documents
// this). Follow therefore reads only events older than the settle window
// (time < now − Settle, cut at a whole millisecond so that the cut by time
// and the cut by ID agree), on the Log's clock. An event whose transaction
// commits within Settle of its time is never skipped. Not covered, and
// skipped once the cursor has passed them: transactions that commit more
// than Settle after stamping their event, events appended with a Time
// further in the past (an import), and nodes whose clocks run behind by
// more than Settle. The price is latency: an event reaches the sink no
// sooner than Settle after it happened.
//
// Once caught up, the position moves to the settle cut even if q selected
// nothing before it, so that a sparse filter does not rescan the same
// events at every poll; that position is saved at the end of a one-pass
// Follow, and at most once a minute while following.
func (s *Stream) Follow(ctx context.Context, q Query, sink Sink, cursor Cursor, poll <-chan time.Time) error {
	if q.After != "" {
		return invalid.Field("after", "must be empty: the position comes from the cursor")
	}
	if _, _, _, err := q.compile(); err != nil {
		return err
	}
	f := &follower{s: s, q: q, sink: sink, cursor: cursor, oneShot: poll == nil}
	for {
		err := f.round(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if s.onError == nil || poll == nil {
				return err
			}
			s.onError(err)
			// Start the next round from what the cursor holds, the last
			// position a sink accepted.
			f.loaded = false
		}
		if poll == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-poll:
			if !ok {
				return nil
			}
		}
	}
}

// follower is the state of one Follow call.
type follower struct {
	s       *Stream
	q       Query
	sink    Sink
	cursor  Cursor
	oneShot bool

	loaded  bool
	pos     string    // where the next read starts
	saved   string    // what cursor holds
	savedAt time.Time // when it was saved, on the Log's clock
}

// round reads and writes until caught up with the settle cut.
func (f *follower) round(ctx context.Context) error {
	if !f.loaded {
		c, err := f.cursor.Load(ctx)
		if err != nil {
			return fmt.Errorf("events: follow: load cursor: %w", err)
		}
		if c != "" && !ident.Valid(IDPrefix, c) {
			return fmt.Errorf("events: follow: cursor %q is not an event ID", c)
		}
		f.pos, f.saved, f.loaded = c, c, true
	}
	for {
		now := f.s.log.clk.Now()
		q := f.q
		q.After = f.pos
		cut := time.UnixMilli(now.Add(-f.s.settle).UnixMilli()).UTC()
		if q.To.IsZero() || cut.Before(q.To) {
			q.To = cut
		}
		if !q.From.IsZero() && !q.To.After(q.From) {
			return nil // the window has not reached From yet
		}
		page, next, err := f.s.log.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("events: follow: %w", err)
		}
		if len(page) > 0 {
			if err := f.sink.Write(ctx, page); err != nil {
				return fmt.Errorf("events: follow: sink refused %d events from %s: %w", len(page), page[0].ID, err)
			}
			if err := f.save(ctx, page[len(page)-1].ID, now); err != nil {
				return err
			}
		}
		if next != "" {
			continue
		}
		// Caught up: every event before q.To has been read, so the
		// position may move to q.To's millisecond (IDs there sort after
		// CursorAt's).
		if c := CursorAt(q.To); c > f.pos {
			f.pos = c
		}
		if f.pos != f.saved && (f.oneShot || now.Sub(f.savedAt) >= idleSave) {
			return f.save(ctx, f.pos, now)
		}
		return nil
	}
}

func (f *follower) save(ctx context.Context, c string, now time.Time) error {
	if err := f.cursor.Save(ctx, c); err != nil {
		return fmt.Errorf("events: follow: save cursor: %w", err)
	}
	f.pos, f.saved, f.savedAt = c, c, now
	return nil
}

// CursorAt returns the position just before every event of t's millisecond
// and after every earlier event: a cursor that makes Follow start at time
// t (to the millisecond). It is an event ID whose random part is zero.
func CursorAt(t time.Time) string {
	id := ident.New(IDPrefix, t)
	// The 26 characters after "evt_" are 130 bits: 2 bits of padding, 48
	// bits of milliseconds, 80 random bits; the first 10 hold the time.
	const timeChars = 10
	head := len(IDPrefix) + 1 + timeChars
	return id[:head] + "0000000000000000"
}

// CheckTypes validates event type patterns as Query.Types takes them
// (exact types, or prefixes ending in ".*"), for callers that store a
// filter to use later. Errors come from internal/invalid and name
// "types[i]".
func CheckTypes(types []string) error {
	_, _, err := parseTypes(types)
	return err
}
