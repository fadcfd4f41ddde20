package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// TestSessionTimeoutsComeFromTheSettings opens the system as serve does,
// with sessions.idle and sessions.absolute set, and starts a session: its
// expiries follow the settings, not the package defaults.
func TestSessionTimeoutsComeFromTheSettings(t *testing.T) {
	ctx := context.Background()
	c, err := settings.Load(nil, []string{"LINTEL_DATA_DIR=" + t.TempDir(), "LINTEL_SESSIONS_IDLE=7m", "LINTEL_SESSIONS_ABSOLUTE=3h"})
	if err != nil {
		t.Fatal(err)
	}
	sys, err := (&env{stdout: io.Discard, stderr: io.Discard}).openSystem(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.store.Close()
	var ses session.Session
	if err := sys.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		ses, _, err = sys.sessions.Create(ctx, tx, "ten_a", "usr_a", []string{"pwd"}, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if idle, abs := ses.IdleExpiresAt.Sub(ses.CreatedAt), ses.AbsoluteExpiresAt.Sub(ses.CreatedAt); idle != 7*time.Minute || abs != 3*time.Hour {
		t.Fatalf("idle %v and absolute %v, want 7m and 3h", idle, abs)
	}
}
