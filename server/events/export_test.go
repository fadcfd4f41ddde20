package events

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestExport(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"writes JSON Lines matching the golden file", testExportGolden},
		{"pages through the store and counts what it wrote", testExportPages},
	})
}

// fixedID is a valid event ID that sorts by n.
func fixedID(n int) string { return fmt.Sprintf("evt_01jdgq%020d", n) }

func testExportGolden(t *testing.T, e *env) {
	at := func(n int) time.Time { return t0.Add(time.Duration(n)*time.Minute + 123456*time.Microsecond) }
	created := change("app.created")
	created.ID, created.Time = fixedID(1), at(1)
	created.Details = map[string]any{"fields": []string{"name", "redirect_uris"}, "count": 2, "note": "<&>"}
	signIn := about("usr_ada", ada)
	signIn.ID, signIn.Time, signIn.RequestID = fixedID(2), at(2), "req_2"
	denied := change("mgmt_token.created")
	denied.ID, denied.Time, denied.Outcome, denied.Target = fixedID(3), at(3), Denied, Ref{}
	erased := about("usr_grace", grace)
	erased.ID, erased.Time, erased.Outcome = fixedID(4), at(4), Failure
	instance := Event{ID: fixedID(5), Time: at(5), Type: "instance.updated", Actor: Ref{Type: "system"}, Outcome: Success}
	other := change("app.deleted")
	other.ID, other.Time, other.TenantID = fixedID(6), at(6), "ten_b"

	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, ev := range []Event{created, signIn, denied, erased, instance, other} {
			if _, err := e.log.Append(ctx, tx, ev); err != nil {
				return err
			}
		}
		return e.log.EraseSubject(ctx, tx, "usr_grace")
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := e.log.Export(context.Background(), Query{AllTenants: true}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("exported %d events, want 6", n)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines for %d events", len(lines), n)
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("line %d is not JSON: %s", i+1, l)
		}
	}
	golden := filepath.Join("testdata", "export.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("export differs from %s (run with -update to accept):\n got: %s\nwant: %s", golden, buf.Bytes(), want)
	}
}

func testExportPages(t *testing.T, e *env) {
	for range 25 {
		e.append(t, change("app.updated"), about("usr_ada", ada))
	}
	var buf bytes.Buffer
	n, err := e.log.Export(context.Background(), Query{TenantID: "ten_a", Types: []string{"user.*"}, Limit: 7}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != 25 || strings.Count(buf.String(), "\n") != 25 {
		t.Fatalf("exported %d events in %d lines, want 25", n, strings.Count(buf.String(), "\n"))
	}
	dec := json.NewDecoder(&buf)
	seen := map[string]bool{}
	for dec.More() {
		var line struct {
			ID       string            `json:"id"`
			Type     string            `json:"type"`
			Personal map[string]string `json:"personal"`
		}
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		if seen[line.ID] || line.Type != "user.signed_in" || line.Personal["email"] != ada["email"] {
			t.Fatalf("unexpected line %+v", line)
		}
		seen[line.ID] = true
	}
}
