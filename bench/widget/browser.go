package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// startBrowser launches headless Chromium with the flags this machine's
// guidelines give (as internal/browsertest does), mapping rules' names to
// loopback and every other name to nowhere, so a page can reach nothing
// but the bench's servers. It returns the browser's context and version.
func startBrowser(ctx context.Context, exe, userDir string, rules []string) (context.Context, context.CancelFunc, string, error) {
	rules = append(rules, "MAP * ~NOTFOUND")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ", ")),
		chromedp.UserDataDir(userDir),
		chromedp.WindowSize(1000, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	cancel := func() { cancelBrowser(); cancelAlloc() }
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		return nil, nil, "", fmt.Errorf("start chromium: %w", err)
	}
	v, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		cancel()
		return nil, nil, "", err
	}
	return bctx, cancel, v.Product, nil
}

// chromiumPath returns Debian's Chromium, or the named one.
func chromiumPath(flag string) (string, error) {
	for _, p := range []string{flag, "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium (apt-get install chromium)")
}

// sample is what bench.js reports of one page load.
type sample struct {
	Why       string             `json:"why"`
	Marks     map[string]float64 `json:"marks"`
	Paints    map[string]float64 `json:"paints"`
	LongTasks []struct {
		Start    float64 `json:"start"`
		Duration float64 `json:"duration"`
	} `json:"longTasks"`
	Resources []resource `json:"resources"`
	Nav       *struct {
		ResponseEnd      float64 `json:"responseEnd"`
		DOMInteractive   float64 `json:"domInteractive"`
		DOMContentLoaded float64 `json:"domContentLoaded"`
		Load             float64 `json:"load"`
		Transfer         float64 `json:"transfer"`
		Protocol         string  `json:"protocol"`
	} `json:"nav"`
	Mode   string   `json:"mode"`
	Errors []string `json:"errors"`
}

// resource is one Resource Timing entry.
type resource struct {
	Name          string  `json:"name"`
	Type          string  `json:"type"`
	Start         float64 `json:"start"`
	RequestStart  float64 `json:"requestStart"`
	ResponseStart float64 `json:"responseStart"`
	End           float64 `json:"end"`
	Transfer      float64 `json:"transfer"`
	Encoded       float64 `json:"encoded"`
	Decoded       float64 `json:"decoded"`
	Protocol      string  `json:"protocol"`
}

// mark returns a mark and whether it was seen.
func (s sample) mark(name string) (float64, bool) {
	v, ok := s.Marks[name]
	return v, ok
}

// blocking sums the long tasks that started before t: main-thread time
// spent in tasks over 50 ms (script evaluation, compilation, layout).
func (s sample) blocking(t float64) float64 {
	sum := 0.0
	for _, lt := range s.LongTasks {
		if lt.Start < t {
			sum += lt.Duration
		}
	}
	return sum
}

// bytesBefore sums the bytes the page transferred (the document and every
// resource whose response ended by t), headers included, as Resource
// Timing's transferSize counts them.
func (s sample) bytesBefore(t float64) float64 {
	sum := 0.0
	if s.Nav != nil {
		sum += s.Nav.Transfer
	}
	for _, r := range s.Resources {
		if r.End <= t {
			sum += r.Transfer
		}
	}
	return sum
}

// tab is a fresh browser context (its own cache, cookies, storage and
// connections, as a new visitor has) with one page.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newTab(browserCtx context.Context) (*tab, error) {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, err
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		cancel()
		return nil, err
	}
	return &tab{ctx: ctx, cancel: cancel}, nil
}

// cache turns the HTTP cache of the tab on or off.
func (t *tab) cache(on bool) error {
	_, err := chromedp.Call(t.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: !on})
	return err
}

// visit loads url and waits for bench.js's report.
func (t *tab) visit(url string, timeout time.Duration) (sample, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return sample{}, fmt.Errorf("navigate %s: %w", url, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[sample]("window.__bench.done", chromedp.EvalAwaitPromise))
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", url, err)
	}
	return s, nil
}

// screenshot keeps a picture of the page.
func (t *tab) screenshot(path string) error {
	png, err := chromedp.Run(t.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}
