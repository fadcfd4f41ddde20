package wire

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestFlowGolden pins the exact bytes of a representative flow, so that a
// change to the encoding shows in review. Refresh with -update.
func TestFlowGolden(t *testing.T) {
	path := filepath.Join("testdata", "flow.golden")
	got := append(sampleFlow().AppendJSON(nil), '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding differs from %s (go test -update to accept):\n got %s\nwant %s", path, got, want)
	}
	parsed, err := ParseFlow(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, sampleFlow()) {
		t.Fatalf("%s parses to\n%#v\nwant\n%#v", path, parsed, sampleFlow())
	}
	if err := parsed.Validate(); err != nil {
		t.Fatalf("%s is not a valid flow: %v", path, err)
	}
}
