package eventhooks

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/store"
)

// docsPath is the receiver's guide.
const docsPath = "../../docs/event-hooks.md"

// buildDocsReceiver builds the Go receiver of the guide in dir and
// returns the binary's path.
func buildDocsReceiver(dir string) (string, error) {
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(m) != 1 {
		return "", &os.PathError{Op: "find one go block", Path: docsPath, Err: os.ErrNotExist}
	}
	files := map[string][]byte{"go.mod": []byte("module receiver\n\ngo 1.26\n"), "main.go": m[0][1]}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(dir, "receiver")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.Error{Name: "go build: " + string(out), Err: err}
	}
	return bin, nil
}

// TestDocsReceiver builds the guide's receiver and runs it against real
// deliveries: it completes the handshake, verifies signatures (refusing a
// wrong one), and processes each event once although one is delivered
// twice.
func TestDocsReceiver(t *testing.T) {
	bin, err := buildDocsReceiver(t.TempDir())
	if err != nil {
		t.Fatalf("build the receiver of %s: %v", docsPath, err)
	}
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		ctx := context.Background()
		// The receiver checks timestamps against the real clock.
		w.clk.Set(time.Now().UTC())
		h, secret := w.create(t, w.a, Input{Name: "docs", URL: "http://127.0.0.1:1/", Types: []string{"user.*"}})

		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "HOOK_SECRET="+secret, "ADDR=127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		next := func() string {
			select {
			case l := <-lines:
				return l
			case <-time.After(30 * time.Second):
				t.Fatal("the receiver printed nothing")
				return ""
			}
		}
		addr, ok := strings.CutPrefix(next(), "listening on ")
		if !ok {
			t.Fatalf("receiver did not start")
		}
		url := "http://" + addr + "/lintel"
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.Update(ctx, tx, w.a, h.ID, Input{Name: h.Name, URL: url, Types: h.Types})
			return err
		})
		if err := w.svc.Verify(ctx, w.a, h.ID); err != nil {
			t.Fatalf("handshake with the guide's receiver: %v", err)
		}

		ids := []string{w.appendEvent(t, w.a, "user.created"), w.appendEvent(t, w.a, "user.deleted")}
		w.settle()
		w.enqueue(t)
		if n := w.runOnce(t); n != 2 {
			t.Fatalf("RunOnce = %d, want 2", n)
		}
		// A repeat, as after a crash before the outcome was recorded: the
		// receiver acknowledges it and does not process it again.
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE event_deliveries SET status = 'pending', finished_at = NULL WHERE event_id = ?`, ids[0])
			return err
		})
		if n := w.runOnce(t); n != 1 {
			t.Fatalf("RunOnce of the repeat = %d, want 1", n)
		}
		// A request signed with another secret is refused.
		body := []byte(`{"id":"evt_forged","type":"user.deleted"}`)
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set(hooksig.Header, hooksig.Sign(time.Now(), body, []byte("lev_wrong")))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("forged request answered %d", resp.StatusCode)
		}
		// Stop the receiver and read everything it printed.
		_ = cmd.Process.Kill()
		var got []string
		for l := range lines {
			got = append(got, l)
		}
		want := []string{"event " + ids[0] + " user.created", "event " + ids[1] + " user.deleted"}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("receiver processed %q, want %q", got, want)
		}
	})
}
