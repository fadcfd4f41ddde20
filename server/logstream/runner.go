package logstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// maxLastError bounds the failure text kept in a stream's row.
const maxLastError = 500

// Run follows every active stream until ctx ends, then returns ctx.Err()
// (nil when tick is closed). At every tick it reads the streams again:
// it starts a follower for each new or re-enabled stream, restarts one
// whose settings changed, and stops (and waits for) the followers of
// streams deleted or disabled; then it passes the tick to each follower,
// which sends what the log holds past its cursor.
//
// A follower's failure is logged and kept in the stream's last_error; the
// follower tries again at the next tick from the saved cursor, so a
// receiver that is down gets every event once it is back. Every node that
// runs Run delivers every stream: run it on one node, or accept the
// duplicates that at-least-once delivery allows anyway.
func (s *Service) Run(ctx context.Context, tick <-chan time.Time) error {
	if s.d.Store == nil || s.d.Events == nil || s.d.HTTP == nil {
		return errors.New("logstream: Run needs Deps.Store, Deps.Events and Deps.HTTP")
	}
	r := s.newRunner()
	defer r.stopAll()
	r.sync(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok := <-tick:
			if !ok {
				return nil
			}
			r.sync(ctx)
			r.poll(t)
		}
	}
}

// runner is the state of one Run: a follower per active stream.
type runner struct {
	s       *Service
	running map[string]*follower
}

// follower is one stream's goroutine.
type follower struct {
	updated time.Time
	poll    chan time.Time
	cancel  context.CancelFunc
	done    chan struct{}
}

func (s *Service) newRunner() *runner { return &runner{s: s, running: map[string]*follower{}} }

// ended reports whether the follower's goroutine has returned.
func (f *follower) ended() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

func (f *follower) stop() {
	f.cancel()
	<-f.done
}

// toStart is an active stream that needs a new follower, with its secret.
type toStart struct {
	st     Stream
	secret []byte
}

// sync brings the followers in line with the active streams. When the
// streams cannot be read it leaves the followers as they are.
func (r *runner) sync(ctx context.Context) {
	active := map[string]bool{}
	var start []toStart
	err := r.s.d.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		clear(active)
		start = start[:0]
		rows, err := tx.Query(ctx, `SELECT `+streamCols+` FROM log_streams WHERE status = ? ORDER BY id`, string(Active))
		type row struct {
			st     Stream
			sealed []byte
		}
		all, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
			st, sealed, err := scanStream(sc)
			return row{st, sealed}, err
		})
		if err != nil {
			return err
		}
		for _, x := range all {
			active[x.st.ID] = true
			if f := r.running[x.st.ID]; f != nil && f.updated.Equal(x.st.UpdatedAt) && !f.ended() {
				continue
			}
			secret, err := r.s.secret(ctx, tx, x.st, x.sealed)
			if err != nil {
				r.s.d.Logger.Error("log stream not started", "stream", x.st.ID, "tenant", x.st.TenantID, "error", err)
				continue
			}
			start = append(start, toStart{x.st, secret})
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			r.s.d.Logger.Error("log streams not read", "error", err)
		}
		return
	}
	for id, f := range r.running {
		if !active[id] {
			f.stop()
			delete(r.running, id)
		}
	}
	for _, x := range start {
		if f := r.running[x.st.ID]; f != nil {
			f.stop()
		}
		r.running[x.st.ID] = r.s.follow(ctx, x.st, x.secret)
	}
}

// poll passes a tick to every follower; one still busy with the last tick
// keeps that one (it reads everything new when it gets to it).
func (r *runner) poll(t time.Time) {
	for _, f := range r.running {
		select {
		case f.poll <- t:
		default:
		}
	}
}

func (r *runner) stopAll() {
	for id, f := range r.running {
		f.stop()
		delete(r.running, id)
	}
}

// follow starts the goroutine that follows st.
func (s *Service) follow(ctx context.Context, st Stream, secret []byte) *follower {
	ctx, cancel := context.WithCancel(ctx)
	f := &follower{updated: st.UpdatedAt, poll: make(chan time.Time, 1), cancel: cancel, done: make(chan struct{})}
	o := s.d.Webhook
	o.URL, o.Secret, o.Client, o.Clock, o.StreamID, o.Personal = st.URL, secret, s.d.HTTP, s.d.Clock, st.ID, st.Personal
	go func() {
		defer close(f.done)
		sink, err := NewWebhook(o)
		if err != nil {
			s.failed(ctx, st, err)
			return
		}
		q := events.Query{TenantID: st.TenantID, AllTenants: st.TenantID == "", Types: st.Types, Limit: MaxBatch}
		stream := s.d.Events.Stream(events.StreamOptions{Settle: s.d.Settle, OnError: func(err error) { s.failed(ctx, st, err) }})
		err = stream.Follow(ctx, q, sink, storeCursor{st: s.d.Store, id: st.ID}, f.poll)
		if err != nil && ctx.Err() == nil {
			s.failed(ctx, st, err)
		}
	}()
	return f
}

// failed logs a stream's failure and keeps it in the stream's row.
func (s *Service) failed(ctx context.Context, st Stream, err error) {
	s.d.Logger.Warn("log stream delivery failed", "stream", st.ID, "tenant", st.TenantID, "error", err)
	msg := err.Error()
	if len(msg) > maxLastError {
		msg = strings.ToValidUTF8(msg[:maxLastError], "")
	}
	werr := s.d.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE log_streams SET last_error = ? WHERE id = ?`, msg, st.ID)
		return err
	})
	if werr != nil && ctx.Err() == nil {
		s.d.Logger.Error("log stream failure not recorded", "stream", st.ID, "error", fmt.Errorf("logstream: %w", werr))
	}
}
