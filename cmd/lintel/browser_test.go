package main

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestBrowserSignsInAtTheDemoWithJavaScriptOff starts Lintel as `make run`
// does (serve --demo, SQLite in a data directory, the public URL on
// localhost) and signs in at /demo in headless Chromium with JavaScript
// disabled, reading the demo user's password from the first start's output.
func TestBrowserSignsInAtTheDemoWithJavaScriptOff(t *testing.T) {
	ctx := browsertest.Start(t, browsertest.Options{})
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
	browsertest.Screenshot(t, ctx, "1-demo")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#demo-sign-in")), chromedp.WaitReady(chromedp.CSS("#f-login"))); err != nil {
		t.Fatalf("to the sign-in page: %v", err)
	}
	browsertest.Screenshot(t, ctx, "2-identify")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-login"), login),
		chromedp.Click(chromedp.CSS(`button[value="next"]`)),
		chromedp.WaitReady(chromedp.CSS("#f-password")),
	); err != nil {
		t.Fatalf("identify: %v", err)
	}
	browsertest.Screenshot(t, ctx, "3-password")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		chromedp.Click(chromedp.CSS(`button[value="sign-in"]`)),
		chromedp.WaitReady(chromedp.CSS("#claims")),
	); err != nil {
		t.Fatalf("password: %v", err)
	}
	browsertest.Screenshot(t, ctx, "4-claims")
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
