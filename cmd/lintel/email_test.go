package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmailPreviewWritesFiles publishes an app's theme on the demo
// tenant, then runs `lintel email preview` against the same database:
// every kind in Arabic lands in files, right to left, in the app's
// colours; one kind in German; bad input is refused before anything is
// written.
func TestEmailPreviewWritesFiles(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := []string{"LINTEL_DATA_DIR=" + data}
	s := startServerOutput(t, env, "--demo")
	m := demoOutput.FindStringSubmatch(s.output)
	if m == nil {
		t.Fatalf("no demo data in the output:\n%s", s.output)
	}
	app := m[2]
	b := &brandedInstance{admin: m[5], api: s.server.base + "/api/v1/mgmt/tenants/demo"}
	b.publish(t, app, map[string]any{"tokens": map[string]string{"color-primary": "#7a1f5c"}})

	out := t.TempDir()
	stdout, stderr, code := lintel(t, env, "email", "preview", "all", "--tenant", "demo", "--app", app, "--locale", "ar-EG", "--out", out)
	if code != 0 {
		t.Fatalf("email preview all: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d kinds printed, want 12:\n%s", len(lines), stdout)
	}
	for _, line := range lines {
		kind := strings.Fields(line)[0]
		html, err := os.ReadFile(filepath.Join(out, kind+".ar.html"))
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(filepath.Join(out, kind+".ar.txt"))
		if err != nil || len(text) == 0 {
			t.Fatalf("%s text: %v", kind, err)
		}
		if !strings.Contains(string(html), `lang="ar" dir="rtl"`) {
			t.Errorf("%s: not Arabic, right to left", kind)
		}
		if kind == "passwordless" && !strings.Contains(string(html), "#7a1f5c") {
			t.Errorf("passwordless: the app's primary colour is missing")
		}
		if strings.Contains(string(text), "Acme") {
			t.Errorf("%s shows the sample's names, not the demo's:\n%s", kind, text)
		}
	}

	_, stderr, code = lintel(t, env, "email", "preview", "welcome", "--tenant", "demo", "--locale", "de", "--out", out)
	if _, err := os.Stat(filepath.Join(out, "welcome.de.html")); code != 0 || err != nil {
		t.Fatalf("email preview welcome --locale de: exit %d, %v\n%s", code, err, stderr)
	}

	for _, bad := range [][]string{
		{"email", "preview", "nope", "--tenant", "demo", "--out", out},
		{"email", "preview", "welcome", "--tenant", "nope", "--out", out},
		{"email", "preview", "welcome", "--tenant", "demo", "--brand", "nope", "--out", out},
		{"email", "preview", "welcome", "--tenant", "demo", "--locale", "!!", "--out", out},
	} {
		if _, stderr, code := lintel(t, env, bad...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, %q", bad[2:], code, stderr)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 26 {
		t.Errorf("%d files in the output directory, want 26 (12 kinds × 2 in Arabic, welcome × 2 in German)", len(entries))
	}
}
