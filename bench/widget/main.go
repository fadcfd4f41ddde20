// Command widget measures the sign-in widget's budgets of issue 12 and
// writes them as a markdown report: the first-paint transfer (loader, CSS
// and first step's HTML, brotli), the full WebAssembly module (brotli, and
// its code by Go package), and the time to the form's first paint and to
// wasm-interactive in headless Chromium on loopback, next to the Okta
// Sign-In Widget from npm answered by recorded IDX responses on loopback.
//
//	make build && go run ./bench/widget -runs 15 -out bench/out/widget.md
//
// (make bench does both, after the Go benchmarks.) It runs bin/lintel serve --demo with a
// fresh data directory behind a TLS front, downloads Okta's package with
// npm pack into a temporary directory, and serves both shops' pages on
// loopback under the names the browser maps there. Nothing it fetches is
// kept.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 15, "page loads per widget and cache state; the report gives medians")
	flag.StringVar(&o.out, "out", "bench/out/widget.md", "markdown report to write")
	flag.StringVar(&o.bin, "lintel", "bin/lintel", "the Lintel binary (make build), with the widget embedded")
	flag.StringVar(&o.okta, "okta", "7.49", "the npm version (or range) of "+oktaPackage+"; the newest 7.x if it does not resolve")
	flag.BoolVar(&o.warm, "warm", true, "also measure a warm repeat visit (HTTP and code caches primed by two loads)")
	flag.StringVar(&o.chromium, "chromium", "/usr/bin/chromium", "Chromium's executable")
	flag.StringVar(&o.shots, "shots", "", "directory to keep a screenshot of each page after its first cold load in; none when empty")
	flag.Float64Var(&o.quietLoad, "wait-load", 0, "before measuring, wait (at most 10 minutes) until the 1-minute load average is at most this; 0 does not wait")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "the longest one page load may take before its sample is dropped")
	flag.Parse()
	if o.runs < 1 {
		log.Fatal("-runs must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := toModuleRoot(ctx, &o); err != nil {
		log.Fatal(err)
	}
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

// toModuleRoot makes the paths of the flags absolute and changes to the
// module's root, where the widget's command and build output are.
func toModuleRoot(ctx context.Context, o *options) error {
	for _, p := range []*string{&o.out, &o.bin, &o.shots} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return fmt.Errorf("run this inside the Lintel module (go run ./bench/widget)")
	}
	return os.Chdir(filepath.Dir(mod))
}

// options are the command's flags.
type options struct {
	runs      int
	out       string
	bin       string
	okta      string
	warm      bool
	chromium  string
	shots     string
	quietLoad float64
	timeout   time.Duration
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "lintel-bench-widget-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := &report{runs: o.runs, warm: o.warm, started: time.Now()}
	r.machine = describeMachine(ctx)

	log.Printf("okta: npm pack %s@%s", oktaPackage, o.okta)
	okta, err := fetchOkta(ctx, tmp, o.okta)
	if err != nil {
		return err
	}
	r.oktaVersion = okta.version
	log.Printf("okta: %s unpacked; compressing its bundle and CSS (brotli q11)", okta.version)
	oktaFiles, err := newPrecompressed(okta.dir, oktaJS, oktaCSS)
	if err != nil {
		return err
	}
	r.oktaSizes = oktaSizes(okta.dir, oktaFiles)

	log.Print("wasm: building ./widget/cmd/lintel-widget (stripped and unstripped)")
	r.wasm = measureWasm(ctx, tmp)

	org := newOktaOrg("https://" + oktaOrgHos)
	orgSrv, err := serveTLS(oktaOrgHos, org)
	if err != nil {
		return err
	}
	defer orgSrv.Close()
	oktaSrv, err := serveTLS(oktaShop, shopHandler(oktaPage, oktaApp, "", oktaFiles))
	if err != nil {
		return err
	}
	defer oktaSrv.Close()
	rules := []string{
		fmt.Sprintf("MAP %s:443 127.0.0.1:%d", oktaShop, portOf(oktaSrv)),
		fmt.Sprintf("MAP %s:443 127.0.0.1:%d", oktaOrgHos, portOf(orgSrv)),
	}
	sides := []*side{{name: "Okta Sign-In Widget " + okta.version, url: "https://" + oktaShop + "/"}}

	log.Printf("lintel: starting %s serve --demo", o.bin)
	var lt *lintel
	lt, err = startLintel(ctx, o.bin, tmp)
	if err == nil {
		defer lt.stop()
		if why := lt.servable(ctx); why != "" {
			err = fmt.Errorf("the widget is not served: %s", why)
		}
	}
	if err != nil {
		r.lintelMissing = err.Error()
		log.Printf("lintel: %v; measuring Okta's widget alone", err)
	} else {
		shop, err := serveTLS(lintelShop, shopHandler(withClient(lintelPage, lt.clientID), lintelApp, lintelCSP, nil))
		if err != nil {
			return err
		}
		defer shop.Close()
		rules = append(rules,
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", lintelShop, portOf(shop)),
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", lintelHost, portOf(lt.front)))
		sides = append(sides, &side{name: "Lintel", url: "https://" + lintelShop + "/", lintel: lt})
	}

	exe, err := chromiumPath(o.chromium)
	if err != nil {
		return err
	}
	bctx, cancel, product, err := startBrowser(ctx, exe, filepath.Join(tmp, "chromium"), rules)
	if err != nil {
		return err
	}
	defer cancel()
	r.machine.chromium = product
	r.sides = sides

	if o.quietLoad > 0 {
		waitForQuiet(ctx, o.quietLoad, 10*time.Minute)
	}
	r.machine.loadStart = loadAverage()
	for i := range o.runs {
		order := sides
		if i%2 == 1 {
			order = []*side{}
			for j := len(sides) - 1; j >= 0; j-- {
				order = append(order, sides[j])
			}
		}
		for _, s := range order {
			if err := s.measure(bctx, i == 0, o); err != nil {
				s.errs = append(s.errs, err.Error())
				log.Printf("%s run %d: %v", s.name, i+1, err)
			}
		}
		log.Printf("run %d/%d done", i+1, o.runs)
	}
	r.oktaAnswered, r.oktaUnexpected = org.requests()
	r.finished = time.Now()
	r.machine.loadEnd = loadAverage()

	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s", o.out)
	return nil
}

// side is one widget's page and its samples.
type side struct {
	name   string
	url    string
	lintel *lintel // nil for Okta's
	cold   []sample
	warm   []sample
	errs   []string
	// firstPaint is the first cold visit's Lintel responses, as served.
	firstPaint []served
}

// slug names the side in file names.
func (s *side) slug() string {
	if s.lintel != nil {
		return "lintel"
	}
	return "okta"
}

// measure loads the page in a fresh browser context with its cache off
// (cold); then, with the cache on, twice to prime the HTTP cache and V8's
// code caches, and once more (warm). The first run also records Lintel's
// responses for the size table.
func (s *side) measure(browserCtx context.Context, first bool, o options) error {
	t, err := newTab(browserCtx)
	if err != nil {
		return err
	}
	defer t.cancel()
	if err := t.cache(false); err != nil {
		return err
	}
	if first && s.lintel != nil {
		s.lintel.log.capture()
	}
	cold, err := t.visit(s.url, o.timeout)
	if first && s.lintel != nil {
		s.firstPaint = s.lintel.log.stop()
	}
	if err != nil {
		return err
	}
	s.cold = append(s.cold, cold)
	if first && o.shots != "" {
		if err := t.screenshot(filepath.Join(o.shots, s.slug()+".png")); err != nil {
			return err
		}
	}
	if !o.warm {
		return nil
	}
	if err := t.cache(true); err != nil {
		return err
	}
	for range 2 {
		if _, err := t.visit(s.url, o.timeout); err != nil {
			return err
		}
	}
	warm, err := t.visit(s.url, o.timeout)
	if err != nil {
		return err
	}
	s.warm = append(s.warm, warm)
	return nil
}
