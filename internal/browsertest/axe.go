package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axePath is axe-core's browser build, relative to the module root:
// make deps installs it there with npm ci from the pinned lockfile in
// internal/browsertest/axe (node_modules is not committed).
const axePath = "internal/browsertest/axe/node_modules/axe-core/axe.min.js"

// AxeTags are the axe-core rule tags the accessibility checks run: WCAG
// 2.0 and 2.1, levels A and AA, and axe's best practices.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"}

// Violation is one axe-core rule that a page breaks.
type Violation struct {
	// ID is the rule's ID (color-contrast, label, …).
	ID string `json:"id"`
	// Impact is minor, moderate, serious or critical.
	Impact string `json:"impact"`
	// Help says what the rule asks, HelpURL where it is explained.
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	// Nodes are the elements that fail it.
	Nodes []ViolationNode `json:"nodes"`
}

// ViolationNode is one element that fails a rule.
type ViolationNode struct {
	// Target is the element's CSS selector; a path through shadow roots
	// is joined with " >>> ".
	Target string `json:"target"`
	// HTML is the element's opening markup.
	HTML string `json:"html"`
	// Summary is axe's account of what to fix.
	Summary string `json:"summary"`
}

// Serious reports whether the violation is serious or critical: the
// impacts that fail a page.
func (v Violation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s [%s]", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n\t%s: %s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
	}
	return b.String()
}

var axeSource = sync.OnceValues(func() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(axePath)))
	if err != nil {
		return "", fmt.Errorf("%w (run make deps: it installs axe-core with npm ci)", err)
	}
	return string(b), nil
})

// moduleRoot is the nearest directory at or above the working directory
// (a test's package directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// axeRun runs axe on the document and returns its violations in the shape
// of Violation. It is evaluated through the DevTools protocol, which the
// page's Content-Security-Policy does not govern.
const axeRun = `axe.run(document, {
	runOnly: {type: "tag", values: %s},
	resultTypes: ["violations"],
}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({
		target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)).join(" "),
		html: n.html, summary: n.failureSummary || "",
	})),
})))`

// Axe injects axe-core into the page shown in ctx's tab and runs the
// AxeTags rules on it, returning every violation. The browser must run
// JavaScript (Options.JavaScript). The page's own scripts and CSP are
// untouched: axe arrives through Runtime.evaluate, not a <script> tag.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof axe`))
	if err != nil {
		t.Fatalf("axe-core: %v (is JavaScript on?)", err)
	}
	if kind != "object" {
		if kind, err = chromedp.Run(ctx, chromedp.Evaluate[string](src+"\n;typeof axe")); err != nil || kind != "object" {
			t.Fatalf("inject axe-core: %q %v", kind, err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	return vs
}

// AxeClean runs Axe and fails the test with every serious or critical
// violation; lesser ones are logged. It returns all of them.
func AxeClean(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	vs := Axe(t, ctx)
	var serious, minor []string
	for _, v := range vs {
		if v.Serious() {
			serious = append(serious, v.String())
		} else {
			minor = append(minor, v.String())
		}
	}
	if len(minor) > 0 {
		t.Logf("axe: %d minor or moderate violations:\n%s", len(minor), strings.Join(minor, "\n"))
	}
	if len(serious) > 0 {
		t.Errorf("axe: %d serious or critical violations:\n%s", len(serious), strings.Join(serious, "\n"))
	}
	return vs
}
