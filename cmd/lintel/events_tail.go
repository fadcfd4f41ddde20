package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/logstream"
	"github.com/lintel-id/lintel/server/store"
)

func (e *env) eventsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Read the system log from the machine Lintel runs on",
	}
	cmd.AddCommand(e.eventsTailCommand())
	return cmd
}

// tailOptions are the flags of `lintel events tail`.
type tailOptions struct {
	tenant     string
	all        bool
	types      []string
	follow     bool
	cursorFile string
	sinceStart bool
	out        string
	interval   time.Duration
	settle     time.Duration
}

func (e *env) eventsTailCommand() *cobra.Command {
	var o tailOptions
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Write the system log as JSON Lines, once or continuously, resumable by a cursor file",
		Long: `Write the events of a tenant (--tenant) or of every tenant and the instance
(--all) as JSON Lines, one event per line in the format of the export, for a
SIEM's file or pipe collector. The lines hold the events' personal details.

Without a saved position it starts now (--since-start: at the beginning of
the log). With --cursor-file it resumes after the last event written by the
previous run and saves its position there after every batch, so a stopped
tail restarted with the same file loses nothing; an event may be written
twice after a crash, never skipped. With --follow it keeps polling for new
events until interrupted; without, it stops once it has caught up.

An event is written only once it is older than --settle, so that an event
whose transaction commits a little after it was stamped is not skipped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.all == (o.tenant != "") {
				return errors.New("give either --tenant SLUG or --all")
			}
			return e.withSystem(cmd, func(ctx context.Context, s *system) error { return e.tail(ctx, s, o) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tenant, "tenant", "", "tenant ID or slug whose events to write (flag only)")
	f.BoolVar(&o.all, "all", false, "write the events of every tenant and of the instance (flag only)")
	f.StringArrayVar(&o.types, "type", nil, `event type, or a prefix like "user.*"; repeat for several; default every type (flag only)`)
	f.BoolVar(&o.follow, "follow", false, "keep polling for new events until interrupted (flag only)")
	f.StringVar(&o.cursorFile, "cursor-file", "", "resume from the position in this file and save it there after every batch (flag only)")
	f.BoolVar(&o.sinceStart, "since-start", false, "without a saved position, start at the beginning of the log instead of now (flag only)")
	f.StringVar(&o.out, "out", "", "append to this file (synced after every batch) instead of writing to standard output (flag only)")
	f.DurationVar(&o.interval, "interval", time.Second, "how often --follow polls (flag only)")
	f.DurationVar(&o.settle, "settle", events.DefaultSettle, "write an event only once it is this old; 0 for no wait, which may skip late commits (flag only)")
	settings.Bind(f, adminFlags)
	return cmd
}

// tail runs `lintel events tail` on an open system.
func (e *env) tail(ctx context.Context, s *system, o tailOptions) error {
	if o.interval <= 0 {
		return errors.New("--interval must be positive")
	}
	q := events.Query{AllTenants: o.all, Types: o.types, Limit: events.MaxLimit}
	if o.tenant != "" {
		err := s.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
			t, err := s.tenants.Tenant(ctx, tx, o.tenant)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no tenant %q", o.tenant)
			}
			q.TenantID = t.ID
			return err
		})
		if err != nil {
			return err
		}
	}
	var w io.Writer = e.stdout
	if o.out != "" {
		f, err := os.OpenFile(o.out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	settle := o.settle
	if settle <= 0 {
		settle = -1 // events.StreamOptions: negative is no wait
	}
	cur := &startCursor{Cursor: &memoryCursor{}}
	if o.cursorFile != "" {
		cur.Cursor = logstream.NewFileCursor(o.cursorFile)
	}
	if !o.sinceStart {
		cur.start = events.CursorAt(s.clock.Now().Add(-max(settle, 0)))
	}
	var poll <-chan time.Time
	if o.follow {
		t := time.NewTicker(o.interval)
		defer t.Stop()
		poll = t.C
	}
	err := s.events.Stream(events.StreamOptions{Settle: settle}).Follow(ctx, q, events.NewJSONLines(w), cur, poll)
	if o.follow && errors.Is(err, context.Canceled) {
		return nil // interrupted: the position is saved, a stop like any other
	}
	return err
}

// startCursor is a Cursor that starts at start when nothing was saved.
type startCursor struct {
	events.Cursor
	start string
}

func (c *startCursor) Load(ctx context.Context) (string, error) {
	v, err := c.Cursor.Load(ctx)
	if err == nil && v == "" {
		v = c.start
	}
	return v, err
}

// memoryCursor is the position of a tail without --cursor-file.
type memoryCursor struct{ v string }

func (c *memoryCursor) Load(context.Context) (string, error)   { return c.v, nil }
func (c *memoryCursor) Save(_ context.Context, v string) error { c.v = v; return nil }

var (
	_ events.Cursor = (*startCursor)(nil)
	_ events.Cursor = (*memoryCursor)(nil)
)
