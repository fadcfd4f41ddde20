package main

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/widget/dist"
)

// Budgets of issue 12, in bytes.
const (
	firstPaintBudget = 40 << 10
	wasmGate         = 600 << 10
	wasmGoal         = 520 << 10
)

// report is everything one run of the command measured.
type report struct {
	runs           int
	warm           bool
	started        time.Time
	finished       time.Time
	machine        machine
	oktaVersion    string
	oktaSizes      []oktaSize
	oktaAnswered   map[string]int
	oktaUnexpected map[string]int
	wasm           wasmSizes
	sides          []*side
	lintelMissing  string
}

// metric is one timing read from a sample; ok is false when the sample
// did not see it.
type metric struct {
	name, help string
	value      func(sample) (float64, bool)
	unit       string
}

func markOf(name string) func(sample) (float64, bool) {
	return func(s sample) (float64, bool) { return s.mark(name) }
}

var metrics = []metric{
	{"widget script ran", "the shop's app.js starts: the widget's script (Okta's bundle, Lintel's loader) was fetched and evaluated", markOf("app"), "ms"},
	{"form in the DOM", "the widget's first text input is in the document (or its shadow root)", markOf("form"), "ms"},
	{"**form painted**", "the first animation frame in which that input is rendered visible", markOf("paint"), "ms"},
	{"**wasm-interactive**", `the mount element's data-lintel-mode is "wasm" (Lintel only)`, markOf("wasm"), "ms"},
	{"wasm module downloaded", "the .wasm response ended (Resource Timing). The loader compiles it with instantiateStreaming, which reads the body as it compiles, so this includes most of the baseline compilation; wasm-interactive less this is the rest of it, instantiation and the Go program's start", func(s sample) (float64, bool) {
		for _, r := range s.Resources {
			if strings.HasSuffix(r.Name, ".wasm") {
				return r.End, true
			}
		}
		return 0, false
	}, "ms"},
	{"page first contentful paint", "the host page's own first text (Paint Timing), for reference", func(s sample) (float64, bool) {
		v, ok := s.Paints["first-contentful-paint"]
		return v, ok
	}, "ms"},
	{"load event", "the page's load event ended", func(s sample) (float64, bool) {
		if s.Nav == nil || s.Nav.Load == 0 {
			return 0, false
		}
		return s.Nav.Load, true
	}, "ms"},
	{"long tasks before the form painted", "main-thread tasks over 50 ms (Long Tasks API) that started before the form painted, summed", func(s sample) (float64, bool) {
		p, ok := s.mark("paint")
		return s.blocking(p), ok
	}, "ms"},
	{"long tasks until interactive", "the same, up to the widget being fully interactive: for Okta its form painted (its script already runs), for Lintel wasm-interactive (compiling and starting the Go program included)", func(s sample) (float64, bool) {
		t, ok := s.mark("wasm")
		if !ok {
			if _, wasm := s.mark("shadow"); wasm {
				return 0, false // Lintel's, but the wasm never took over
			}
			t, ok = s.mark("paint")
		}
		return s.blocking(t), ok
	}, "ms"},
	{"transferred before the form painted", "the document and every response that ended by the form's paint, headers included (Resource Timing transferSize)", func(s sample) (float64, bool) {
		p, ok := s.mark("paint")
		return s.bytesBefore(p) / 1024, ok
	}, "KB"},
}

// stats are order statistics of a metric over samples.
type stats struct {
	n                     int
	median, p25, p75, min float64
	max                   float64
}

func summarize(samples []sample, m metric) stats {
	var v []float64
	for _, s := range samples {
		if x, ok := m.value(s); ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return stats{}
	}
	slices.Sort(v)
	q := func(p float64) float64 {
		pos := p * float64(len(v)-1)
		lo := int(pos)
		if lo+1 >= len(v) {
			return v[lo]
		}
		return v[lo] + (pos-float64(lo))*(v[lo+1]-v[lo])
	}
	return stats{n: len(v), median: q(0.5), p25: q(0.25), p75: q(0.75), min: v[0], max: v[len(v)-1]}
}

func (s stats) cell(unit string) string {
	if s.n == 0 {
		return "—"
	}
	f := "%.0f"
	if unit == "KB" {
		f = "%.1f"
	}
	return fmt.Sprintf(f+" %s (%s–%s, n=%d)", s.median, unit, fmt.Sprintf(f, s.p25), fmt.Sprintf(f, s.p75), s.n)
}

// fpRow is one response Lintel served during the first cold visit.
type fpRow struct {
	method, path, ctype, encoding string
	sent, raw, br                 int
	end                           float64 // responseEnd on the page's clock; -1 when the page did not time it
	budget                        bool    // the loader, the CSS or the first step's HTML
}

// firstPaint sizes what Lintel served in the first cold visit: each
// response as sent, decoded, and recompressed with brotli q11.
func (s *side) firstPaintRows() ([]fpRow, float64, error) {
	if len(s.cold) == 0 || len(s.firstPaint) == 0 {
		return nil, 0, fmt.Errorf("no cold visit was recorded")
	}
	visit := s.cold[0]
	paint, _ := visit.mark("paint")
	used := map[int]bool{}
	var rows []fpRow
	for _, r := range s.firstPaint {
		if r.method == "OPTIONS" {
			continue
		}
		raw, err := decode(r.body, r.encoding)
		if err != nil {
			return nil, 0, fmt.Errorf("%s %s: %w", r.method, r.url, err)
		}
		br, err := brotliSize(raw)
		if err != nil {
			return nil, 0, err
		}
		row := fpRow{method: r.method, ctype: r.ctype, encoding: cmp.Or(r.encoding, "identity"), sent: len(r.body), raw: len(raw), br: br.size(), end: -1}
		if u, err := url.Parse(r.url); err == nil {
			row.path = u.Path
		}
		for i, res := range visit.Resources {
			if !used[i] && res.Name == r.url {
				used[i], row.end = true, res.End
				break
			}
		}
		ct := strings.ToLower(r.ctype)
		row.budget = row.path == "/widget/lintel.js" || strings.HasPrefix(ct, "text/css") || strings.HasPrefix(ct, "text/html")
		rows = append(rows, row)
	}
	return rows, paint, nil
}

func (r *report) lintelSide() *side {
	for _, s := range r.sides {
		if s.lintel != nil {
			return s
		}
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "within"
	}
	return "**over**"
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Sign-in widget: budgets and time to first paint\n\n")
	p("Measured by `go run ./bench/widget -runs %d` (`make bench` runs it after `make build`) from %s to %s.\n\n",
		r.runs, r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.UTC().Format("15:04 MST"))
	p("| | |\n| --- | --- |\n")
	p("| machine | %s, %d cores |\n", cmp.Or(r.machine.cpu, "unknown CPU"), r.machine.cores)
	p("| load average (1, 5, 15 min) | %s at the first load, %s at the last |\n", r.machine.loadStart, r.machine.loadEnd)
	p("| Go | %s |\n| Chromium | %s, headless |\n| Lintel | commit %s |\n| Okta Sign-In Widget | %s (npm) |\n\n",
		r.machine.goVer, r.machine.chromium, cmp.Or(r.machine.commit, "?"), r.oktaVersion)
	if r.lintelMissing != "" {
		p("> **Lintel's widget was not measured**: %s. Only Okta's side and the sizes that could be built are below.\n\n", r.lintelMissing)
	}

	ls := r.lintelSide()
	var rows []fpRow
	var paint float64
	var fpErr error
	budgetBR := 0
	if ls != nil {
		rows, paint, fpErr = ls.firstPaintRows()
		for _, row := range rows {
			if row.budget {
				budgetBR += row.br
			}
		}
	}

	p("## Budgets\n\n| budget | limit | measured | |\n| --- | --- | --- | --- |\n")
	switch {
	case ls == nil:
		p("| first-paint transfer (loader + CSS + first step HTML), brotli q11 | ≤ 40 KB | not measured | |\n")
	case fpErr != nil:
		p("| first-paint transfer (loader + CSS + first step HTML), brotli q11 | ≤ 40 KB | not measured: %s | |\n", fpErr)
	default:
		p("| first-paint transfer (loader + CSS + first step HTML), brotli q11 | ≤ 40 KB | %s | %s |\n", kb(budgetBR), verdict(budgetBR <= firstPaintBudget))
	}
	oktaBR := 0
	for _, f := range r.oktaSizes {
		oktaBR += f.br
	}
	p("| (Okta %s before its first paint: OIE bundle + CSS, brotli q11) | | %s | |\n", r.oktaVersion, kb(oktaBR))
	if r.wasm.err != "" {
		p("| full wasm, brotli q11 | gate ≤ 600 KB, goal ≤ 520 KB | not measured: %s | |\n", firstLine(r.wasm.err))
	} else {
		p("| full wasm, brotli q11 | gate ≤ 600 KB, goal ≤ 520 KB | %s | gate: %s, goal: %s |\n", kb(r.wasm.br), verdict(r.wasm.br <= wasmGate), verdict(r.wasm.br <= wasmGoal))
	}
	for _, s := range r.sides {
		st := summarize(s.cold, metrics[2])
		p("| form painted, cold, median of %d | (compared) | %s: %s | |\n", st.n, s.name, st.cell("ms"))
		if s.lintel != nil {
			st := summarize(s.cold, metrics[3])
			p("| wasm-interactive, cold, median of %d | (compared) | %s: %s | |\n", st.n, s.name, st.cell("ms"))
		}
	}
	p("\nTimes are milliseconds from navigation start on the page's clock: median (25th–75th percentile, samples).\n\n")

	p("## First-paint transfer\n\n")
	switch {
	case ls == nil:
		p("Not measured: Lintel's widget was not served.\n\n")
	case fpErr != nil:
		p("Not measured: %s.\n\n", fpErr)
	default:
		p("Every response Lintel's origin sent during the first cold visit, as sent and recompressed with brotli q11 (the budget's unit). The form painted at %.0f ms. Rows marked ✓ are the budget's: the loader, CSS and the first step's HTML.\n\n", paint)
		p("| | request | type | sent (encoding) | raw | brotli q11 | response ended |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, row := range rows {
			mark := ""
			if row.budget {
				mark = "✓"
			}
			end := "not timed"
			if row.end >= 0 {
				rel := "before"
				if row.end > paint {
					rel = "after"
				}
				end = fmt.Sprintf("%.0f ms (%s paint)", row.end, rel)
			}
			p("| %s | %s %s | %s | %s (%s) | %s | %s | %s |\n", mark, row.method, row.path, row.ctype, kb(row.sent), row.encoding, kb(row.raw), kb(row.br), end)
		}
		p("| ✓ | **first-paint transfer** | | | | **%s** | budget 40 KB |\n\n", kb(budgetBR))
	}

	p("## WebAssembly module\n\n")
	if r.wasm.err != "" {
		p("Not measured: %s\n\n", "`"+firstLine(r.wasm.err)+"`")
	} else {
		w := r.wasm
		p("`GOOS=js GOARCH=wasm go build %s %s` (dist.BuildFlags, as `make widget`): **%s raw, %s brotli q11**", shellWords(dist.BuildFlags), widgetCmd, kb(w.raw), kb(w.br))
		switch {
		case w.distBR == w.br:
			p(" (widget/dist/files/lintel.wasm.br, as served: the same)")
		case w.distBR > 0:
			p(" (**widget/dist/files/lintel.wasm.br, as served, is %s: another build; run make build before the bench**)", kb(w.distBR))
		}
		p(". Without `-ldflags=-s -w`: %s raw.\n\n", kb(w.unstripped))
		p("Sections of the served module: ")
		var parts []string
		for _, name := range w.order {
			parts = append(parts, fmt.Sprintf("%s %s", name, kb(w.sections[name])))
		}
		p("%s. Code alone compresses to %s, data alone to %s.\n\n", strings.Join(parts, ", "), kb(w.codeBR), kb(w.dataBR))
		p("Top contributors to the code section, by Go package. `go tool nm` does not read WebAssembly (\"unrecognized object file\"), so the bench reads the same symbol names from the unstripped build's name section and sums each function's body in the code section (identical in both builds). The data section (read-only data, type descriptors, the pclntab) carries no names and is one line. The brotli column pro-rates the code section's compressed size by raw share: an estimate.\n\n")
		p("| package | functions | code | share of code | ≈ brotli |\n| --- | --- | --- | --- | --- |\n")
		rest, restFuncs := 0, 0
		for i, pk := range w.byPackage {
			if i >= 20 {
				rest += pk.bytes
				restFuncs += pk.funcs
				continue
			}
			share := float64(pk.bytes) / float64(w.codeTotal)
			p("| `%s` | %d | %s | %.1f%% | %s |\n", pk.pkg, pk.funcs, kb(pk.bytes), 100*share, kb(int(share*float64(w.codeBR))))
		}
		if rest > 0 {
			share := float64(rest) / float64(w.codeTotal)
			p("| %d other packages | %d | %s | %.1f%% | %s |\n", len(w.byPackage)-20, restFuncs, kb(rest), 100*share, kb(int(share*float64(w.codeBR))))
		}
		p("| data section | | %s | | %s |\n\n", kb(w.sections["data"]), kb(w.dataBR))
	}

	p("## Okta Sign-In Widget %s\n\n", r.oktaVersion)
	p("The OIE-only bundle and its CSS, the least the package ships for an Identity Engine org, served by the shop with brotli q11:\n\n| file | raw | brotli q11 |\n| --- | --- | --- |\n")
	total := 0
	for _, f := range r.oktaSizes {
		p("| `%s` | %s | %s |\n", f.name, kb(f.raw), kb(f.br))
		total += f.br
	}
	p("| **before its first paint** | | **%s** (+ its IDX JSON) |\n\n", kb(total))

	for _, cache := range []string{"cold", "warm"} {
		if cache == "warm" && !r.warm {
			continue
		}
		if cache == "cold" {
			p("## Time to first paint, cold\n\nA fresh browser context for each load (empty HTTP cache, no code cache, new connections: DNS-free, but TCP and TLS 1.3 handshakes to each origin), the HTTP cache disabled.\n\n")
		} else {
			p("## Time to first paint, warm\n\nThe same browser context after two loads with the cache on (HTTP cache and V8's code caches primed, connections kept alive): a returning visitor.\n\n")
		}
		p("| metric |")
		for _, s := range r.sides {
			p(" %s |", s.name)
		}
		p("\n| --- |%s\n", strings.Repeat(" --- |", len(r.sides)))
		for _, m := range metrics {
			p("| %s |", m.name)
			for _, s := range r.sides {
				samples := s.cold
				if cache == "warm" {
					samples = s.warm
				}
				p(" %s |", summarize(samples, m).cell(m.unit))
			}
			p("\n")
		}
		p("\n")
	}
	p("What each row is:\n\n")
	for _, m := range metrics {
		p("- %s: %s.\n", strings.Trim(m.name, "*"), m.help)
	}
	p("\n")

	p("## Requests of the first cold load\n\nEach page's requests as Resource Timing saw them (transfer includes headers; the document itself is not listed).\n\n")
	for _, s := range r.sides {
		if len(s.cold) == 0 {
			continue
		}
		c := s.cold[0]
		paint, _ := c.mark("paint")
		p("%s (form painted at %.0f ms):\n\n| request | protocol | transferred | body (encoded → decoded) | started | ended |\n| --- | --- | --- | --- | --- | --- |\n", s.name, paint)
		for _, res := range c.Resources {
			name := res.Name
			if u, err := url.Parse(res.Name); err == nil {
				name = u.Host + u.Path
			}
			p("| %s | %s | %s | %s → %s | %.0f ms | %.0f ms |\n", name, res.Protocol, kb(int(res.Transfer)), kb(int(res.Encoded)), kb(int(res.Decoded)), res.Start, res.End)
		}
		p("\n")
	}
	p("## How it was measured\n\n")
	p("- **Okta's side: recorded IDX responses on loopback.** Its page runs the real widget end to end to its first form: `new OktaSignIn({issuer, clientId, redirectUri, useInteractionCodeFlow: true}).showSignIn({el})` against an org on loopback (`https://%s`) that answers discovery, `POST /oauth2/default/v1/interact` and `POST /idp/idx/introspect` with JSON written after Okta's published IDX shapes (the identify remediation: user name, keep me signed in, sign up). ", oktaOrgHos)
	p("Requests answered over the whole run: %s. ", counted(r.oktaAnswered))
	if len(r.oktaUnexpected) == 0 {
		p("The widget asked the org for nothing else.\n")
	} else {
		p("It also asked for %s, answered 404 (it rendered regardless).\n", counted(r.oktaUnexpected))
	}
	p("- **Lintel's side**: `bin/lintel serve --demo` (the binary `make build` makes, widget embedded) with a fresh SQLite data directory, public URL `https://%s`, reached through a TLS front in the bench process (HTTP/2; it adds `Timing-Allow-Origin` so the page can time Lintel's responses, and records bodies for the size table). The shop's app and trusted origin are made through the management API. The shop's page carries the issue's Content-Security-Policy (`%s`) and mounts the widget with `Lintel.mount(el, {issuer, clientId, redirectUri})` from its own script.\n", lintelHost, lintelCSP)
	p("- Each page is its own HTTPS origin on loopback with its own certificate (Chromium's `--host-resolver-rules`; every other name resolves to nothing). Okta's bundle and CSS come from the shop's own origin, as an npm dependency does; Lintel's loader, CSS, fragment and wasm come from Lintel's origin, one more connection.\n")
	p("- `bench.js` runs first in each page: a MutationObserver (also inside shadow roots, by wrapping `attachShadow`) marks the first text input, and an animation-frame loop marks the first frame that renders it visible; a second observer watches `data-lintel-mode`. Long tasks come from the Long Tasks API, sizes from Resource Timing.\n")
	p("- %d loads per widget and cache state, the widgets alternating which goes first. Loopback, no network or CPU throttling: real networks add round trips that hurt the larger download and the longer request chain; these numbers are the floor on this machine.\n\n", r.runs)

	var problems []string
	for _, s := range r.sides {
		for _, e := range s.errs {
			problems = append(problems, fmt.Sprintf("- %s: %s", s.name, firstLine(e)))
		}
		for i, c := range s.cold {
			if c.Why != "complete" {
				problems = append(problems, fmt.Sprintf("- %s cold load %d stopped waiting (%s), mode %q", s.name, i+1, c.Why, c.Mode))
			}
		}
		for i, c := range s.warm {
			if c.Why != "complete" {
				problems = append(problems, fmt.Sprintf("- %s warm load %d stopped waiting (%s), mode %q", s.name, i+1, c.Why, c.Mode))
			}
		}
	}
	for _, s := range r.sides {
		seen := map[string]bool{}
		for _, c := range append(slices.Clone(s.cold), s.warm...) {
			for _, e := range c.Errors {
				if !seen[e] {
					seen[e] = true
					problems = append(problems, fmt.Sprintf("- %s page reported: `%s`", s.name, strings.ReplaceAll(e, "`", "'")))
				}
			}
		}
	}
	if len(problems) > 0 {
		p("## Problems during the run\n\n%s\n", strings.Join(problems, "\n"))
	}
	return b.String()
}

// shellWords joins arguments as a shell command line would quote them.
func shellWords(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && strings.Contains(v, " ") {
			a = k + "='" + v + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// counted lists requests with their counts, sorted.
func counted(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("`%s` ×%d", k, v))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
