// Package browsertest starts Debian's headless Chromium for end-to-end
// tests through chromedp, and checks pages in it with axe-core (Axe).
// `make test` installs Chromium and axe-core (make deps); a test that
// needs them fails without them rather than skipping, since a browser
// test that quietly skips would hide a broken sign-in.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns Chromium's executable, failing the test when there is none.
func Path(t testing.TB) string {
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

// Options say how to start the browser.
type Options struct {
	// JavaScript enables scripts; pages must work without them.
	JavaScript bool
	// IgnoreCertificateErrors accepts the test servers' self-signed
	// certificates.
	IgnoreCertificateErrors bool
	// HostResolverRules is passed as --host-resolver-rules, to serve
	// names from loopback: "MAP login.acme.test:443 127.0.0.1:8443" makes
	// https://login.acme.test (origin without a port) reach a test
	// server on a random loopback port. Rules are separated by commas;
	// "" changes nothing.
	HostResolverRules string
	// Timeout bounds everything the returned context does (and the
	// contexts Isolated makes from it): a guard against a hung browser,
	// not a performance bound, so it is generous for a loaded CI machine;
	// 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds a browser's whole test when Options.Timeout is 0.
const DefaultTimeout = 5 * time.Minute

// Start launches a headless Chromium with the flags the machine's
// guidelines give and returns a context for its first tab. The browser
// stops when the test ends.
func Start(t testing.TB, o Options) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)),
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
	if !o.JavaScript {
		opts = append(opts, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	}
	if o.IgnoreCertificateErrors {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors", true))
	}
	if o.HostResolverRules != "" {
		opts = append(opts, chromedp.Flag("host-resolver-rules", o.HostResolverRules))
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	ctx, cancel3 := context.WithTimeout(ctx, o.Timeout)
	t.Cleanup(cancel3)
	// Start the browser now, so that contexts made from this one share it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Isolated returns a tab in a new browser context of the same browser:
// its own cookies and storage, as a second browser would have.
func Isolated(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return ctx
}

// Screenshot keeps a picture of the page as a test artifact.
func Screenshot(t *testing.T, ctx context.Context, name string) {
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
