package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLimitsFromSettings starts the binary with a tight per-address limit
// (limits.ip) and sees the site refuse the request past it with 429 and
// Retry-After, while the operational endpoints stay unmetered.
func TestLimitsFromSettings(t *testing.T) {
	port := freePort(t)
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "LINTEL_LIMITS_IP=3/1h",
		fmt.Sprintf("LINTEL_PUBLIC_URL=http://127.0.0.1:%d", port)}
	s := startCommand(t, exec.Command(binary, "serve", "--demo", "--addr", fmt.Sprintf("127.0.0.1:%d", port)), env).server
	for i := range 3 {
		if code, _ := s.get(t, "/demo"); code != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, code)
		}
	}
	resp, err := http.Get(s.base + "/demo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1200" {
		t.Fatalf("4th request: %d, Retry-After %q; want 429 and 1200", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code, _ := s.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
}
