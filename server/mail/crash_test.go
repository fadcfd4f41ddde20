package mail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// The crash tests run a child process, this test binary again, that writes
// to a SQLite file and is killed at a chosen point; the parent then opens
// the file as a restarted server would.
const (
	crashDBEnv    = "MAIL_CRASH_TEST_DB"
	crashStageEnv = "MAIL_CRASH_TEST_STAGE"
	// crashMarker precedes the message ID on the child's output, printed
	// just before it dies.
	crashMarker = "crash-test-enqueued "
)

// Where the child dies.
const (
	stageEnqueued = "enqueued" // after the enqueue committed, before any delivery
	stageClaimed  = "claimed"  // after claiming the message (lease taken), before sending
)

// TestCrashChild is the child process; run alone it skips.
func TestCrashChild(t *testing.T) {
	path, stage := os.Getenv(crashDBEnv), os.Getenv(crashStageEnv)
	if path == "" {
		t.Skip("the child of TestOutboxSurvivesCrash")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: path, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	ob := New(st, clock.NewFake(t0), Options{})
	var id string
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		id, err = ob.Enqueue(ctx, tx, message())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if stage == stageClaimed {
		got, _, err := ob.claim(ctx, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %d, %v", len(got), err)
		}
	}
	fmt.Println(crashMarker + id)
	// Die at once, as a crash would: no deferred calls, no Close of the
	// store, no test framework epilogue.
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = p.Kill()
	}
	t.Fatalf("still alive: %v", err)
}

// crash runs the child for stage on the database at path and returns the
// ID of the message it enqueued.
func crash(t *testing.T, path, stage string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashStageEnv+"="+stage)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Success() || exit.ExitCode() != -1 {
		t.Fatalf("child did not die by a signal: %v\n%s", err, out.String())
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), crashMarker); ok {
			return id
		}
	}
	t.Fatalf("child died before enqueuing:\n%s", out.String())
	return ""
}

// restart opens the crashed database as a restarted node: a fresh store,
// secrets service, Settings whose instance relay is the sink, and Outbox
// on a fake clock starting at t0, sending through the Router as lintel
// serve does.
func restart(t *testing.T, path string, sk *sink) (*Outbox, *Router, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: path, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	relay := sk.start(t)
	s, err := NewSettings(st, sec, clk, SettingsOptions{Instance: Relay{Host: relay.Host, Port: relay.Port, TLS: NoTLS, From: "Lintel <mail@lintel.example>"}})
	if err != nil {
		t.Fatal(err)
	}
	return New(st, clk, Options{}), NewRouter(s, loopbackEgress(), RouterOptions{Timeout: 10 * time.Second}), clk
}

// TestOutboxSurvivesCrash kills a process after it enqueued a message, and
// after it claimed one, and checks that the restarted server delivers the
// message exactly once.
func TestOutboxSurvivesCrash(t *testing.T) {
	t.Run("a committed message is delivered once after a crash before delivery", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lintel.db")
		id := crash(t, path, stageEnqueued)
		var sk sink
		ob, r, _ := restart(t, path, &sk)
		if en, err := ob.Lookup(context.Background(), id); err != nil || en.Status != Pending || en.Attempts != 0 {
			t.Fatalf("after the crash: %+v, %v; want pending", en, err)
		}
		// Run, as lintel serve does: one tick, then the ticks end.
		ticks := make(chan time.Time, 1)
		ticks <- t0
		close(ticks)
		if err := ob.Run(context.Background(), r, ticks); err != nil {
			t.Fatalf("Run = %v", err)
		}
		checkArrived(t, &sk, id)
		if sent, failed, err := ob.Deliver(context.Background(), r, 10); err != nil || sent+failed != 0 {
			t.Fatalf("second pass = %d, %d, %v; want nothing", sent, failed, err)
		}
		if n := len(sk.messages()); n != 1 {
			t.Fatalf("sink has %d messages, want exactly 1", n)
		}
		if en, err := ob.Lookup(context.Background(), id); err != nil || en.Status != Delivered || en.Attempts != 1 {
			t.Fatalf("entry %+v, %v", en, err)
		}
	})
	t.Run("a claimed message is delivered once after its lease expires", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lintel.db")
		id := crash(t, path, stageClaimed)
		var sk sink
		ob, r, clk := restart(t, path, &sk)
		if sent, failed, err := ob.Deliver(context.Background(), r, 10); err != nil || sent+failed != 0 {
			t.Fatalf("Deliver while the dead node's lease holds = %d, %d, %v; want nothing", sent, failed, err)
		}
		clk.Advance(DefaultLease + time.Second)
		if sent, failed, err := ob.Deliver(context.Background(), r, 10); err != nil || sent != 1 || failed != 0 {
			t.Fatalf("Deliver after the lease = %d, %d, %v; want 1 sent", sent, failed, err)
		}
		checkArrived(t, &sk, id)
		clk.Advance(DefaultLease + time.Second)
		if sent, failed, err := ob.Deliver(context.Background(), r, 10); err != nil || sent+failed != 0 {
			t.Fatalf("second pass = %d, %d, %v; want nothing", sent, failed, err)
		}
		if n := len(sk.messages()); n != 1 {
			t.Fatalf("sink has %d messages, want exactly 1", n)
		}
	})
}

// checkArrived asserts that the sink holds exactly one message, the
// message() that id names, headers and body intact.
func checkArrived(t *testing.T, sk *sink, id string) {
	t.Helper()
	msgs := sk.messages()
	if len(msgs) != 1 {
		t.Fatalf("sink has %d messages, want exactly 1", len(msgs))
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := message()
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	to, _ := msg.Header.AddressList("To")
	from, _ := msg.Header.AddressList("From")
	if got := msg.Header.Get("Message-Id"); got != "<"+id+"@acme.example>" {
		t.Errorf("Message-ID %q, want <%s@acme.example>", got, id)
	}
	if subject != want.Subject || len(to) != 1 || to[0].Address != "ada@example.org" || len(from) != 1 || from[0].Address != "no-reply@acme.example" {
		t.Errorf("headers: subject %q, to %v, from %v", subject, to, from)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = strings.TrimSpace(string(b))
	}
	if parts["text/plain"] != want.Text || parts["text/html"] != want.HTML {
		t.Errorf("body parts %q", parts)
	}
}
