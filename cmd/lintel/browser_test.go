package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the browser the end-to-end tests drive: Debian's, which
// `make test` installs (make deps). Without it the test fails: a browser
// test that quietly skips would hide a broken sign-in.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium is not installed; run make deps (make test does)")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// browserContext starts headless Chromium with JavaScript off.
func browserContext(t *testing.T, javascript bool) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 800),
	}
	if !javascript {
		opts = append(opts, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// screenshot keeps a picture of the page as test output.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowserSignsInAtTheDemoWithJavaScriptOff starts Lintel as `make run`
// does (serve --demo, SQLite in a data directory, the public URL on
// localhost) and signs in at /demo in headless Chromium with JavaScript
// disabled, reading the demo user's password from the first start's output.
func TestBrowserSignsInAtTheDemoWithJavaScriptOff(t *testing.T) {
	ctx := browserContext(t, false)
	port := freePort(t)
	base := fmt.Sprintf("http://localhost:%d", port)
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "LINTEL_PUBLIC_URL=" + base}
	cmd := exec.Command(binary, "serve", "--demo", "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	s := startCommand(t, cmd, env)
	m := regexp.MustCompile(`user\s+(\S+), password (\S+)`).FindStringSubmatch(s.output)
	if m == nil {
		t.Fatalf("no demo user in the output:\n%s", s.output)
	}
	login, password := m[1], m[2]

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/demo"), chromedp.WaitReady(chromedp.CSS("#demo-sign-in"))); err != nil {
		t.Fatalf("open /demo: %v", err)
	}
	screenshot(t, ctx, "1-demo")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#demo-sign-in")), chromedp.WaitReady(chromedp.CSS("#f-login"))); err != nil {
		t.Fatalf("to the sign-in page: %v", err)
	}
	screenshot(t, ctx, "2-identify")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-login"), login),
		chromedp.Click(chromedp.CSS(`button[value="next"]`)),
		chromedp.WaitReady(chromedp.CSS("#f-password")),
	); err != nil {
		t.Fatalf("identify: %v", err)
	}
	screenshot(t, ctx, "3-password")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		chromedp.Click(chromedp.CSS(`button[value="sign-in"]`)),
		chromedp.WaitReady(chromedp.CSS("#claims")),
	); err != nil {
		t.Fatalf("password: %v", err)
	}
	screenshot(t, ctx, "4-claims")
	claims, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("#claims")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{login, "<dt>iss</dt>", base + "/oauth2/default", "<dt>amr</dt>"} {
		if !strings.Contains(claims, want) {
			t.Errorf("claims lack %q:\n%s", want, claims)
		}
	}
	s.stop(t)
}
