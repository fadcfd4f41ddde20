package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lintel-id/lintel/widget/dist"
)

// wasmSizes is the WebAssembly module as `make widget` builds it
// (dist.BuildFlags, stripped by -ldflags='-s -w') and the same build
// unstripped, whose name section says which function each body is.
type wasmSizes struct {
	err        string // why there are no sizes
	raw, br    int    // the stripped module, raw and brotli q11
	distBR     int    // widget/dist/files/lintel.wasm.br as make widget left it; 0 if absent
	sections   map[string]int
	order      []string
	codeBR     int // the code section alone, brotli q11
	dataBR     int // the data section alone, brotli q11
	codeTotal  int
	byPackage  []pkgSize
	unstripped int
}

const widgetCmd = "./widget/cmd/lintel-widget"

// measureWasm builds the widget's command for js/wasm twice (with
// dist.BuildFlags, as make widget does, and the same without -s -w) and
// sizes both.
func measureWasm(ctx context.Context, tmp string) wasmSizes {
	if _, err := os.Stat(filepath.FromSlash(widgetCmd)); err != nil {
		return wasmSizes{err: widgetCmd + " does not exist yet"}
	}
	build := func(out string, flags []string) ([]byte, error) {
		args := append([]string{"build"}, flags...)
		args = append(args, "-o", out, widgetCmd)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		return os.ReadFile(out)
	}
	// The unstripped build keeps the name section: the same flags without
	// the linker's -s -w.
	var unstripped []string
	for _, f := range dist.BuildFlags {
		if !strings.HasPrefix(f, "-ldflags") {
			unstripped = append(unstripped, f)
		}
	}
	// Both builds must be of the same source: a file edited between them
	// (a work tree in use) shows as different code, and they are built
	// again, up to three times.
	var stripped, full []byte
	var sm, fm *wasmModule
	for try := 0; ; try++ {
		var err error
		if stripped, err = build(filepath.Join(tmp, "lintel.wasm"), dist.BuildFlags); err != nil {
			return wasmSizes{err: err.Error()}
		}
		if full, err = build(filepath.Join(tmp, "lintel-unstripped.wasm"), unstripped); err != nil {
			return wasmSizes{err: err.Error()}
		}
		if sm, err = parseWasm(stripped); err != nil {
			return wasmSizes{err: "stripped module: " + err.Error()}
		}
		if fm, err = parseWasm(full); err != nil {
			return wasmSizes{err: "unstripped module: " + err.Error()}
		}
		if bytes.Equal(sm.code, fm.code) {
			break
		}
		if try == 2 {
			// The breakdown would describe other code than is served.
			return wasmSizes{err: "the stripped and unstripped builds kept having different code sections"}
		}
	}
	s := wasmSizes{raw: len(stripped), unstripped: len(full)}
	if b, err := os.ReadFile(filepath.Join("widget", "dist", "files", "lintel.wasm.br")); err == nil {
		s.distBR = len(b)
	}
	br, err := brotliSize(stripped)
	if err != nil {
		return wasmSizes{err: err.Error()}
	}
	s.br = br.size()
	s.sections, s.order = sm.sections, sm.order
	for _, part := range []struct {
		b   []byte
		dst *int
	}{{sm.code, &s.codeBR}, {sm.data, &s.dataBR}} {
		c, err := brotliSize(part.b)
		if err != nil {
			return wasmSizes{err: err.Error()}
		}
		*part.dst = c.size()
	}
	list := exec.CommandContext(ctx, "go", "list", "-deps", widgetCmd)
	list.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	deps, err := list.Output()
	if err != nil {
		return wasmSizes{err: "go list -deps " + widgetCmd + ": " + err.Error()}
	}
	s.byPackage = codeByPackage(fm.funcs, newPackages(strings.Fields(string(deps))))
	for _, p := range s.byPackage {
		s.codeTotal += p.bytes
	}
	return s
}

// oktaSize is one file of Okta's package as the shop serves it.
type oktaSize struct {
	name    string
	raw, br int
}

func oktaSizes(dir string, p *precompressed) []oktaSize {
	var out []oktaSize
	for _, n := range []string{oktaJS, oktaCSS} {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			continue
		}
		out = append(out, oktaSize{name: n, raw: int(fi.Size()), br: len(p.variants[n]["br"])})
	}
	return out
}

// machine describes where the numbers were measured.
type machine struct {
	cpu      string
	cores    int
	goVer    string
	chromium string
	commit   string
	// load is /proc/loadavg at the start and end of the measurements:
	// other work on the machine shows in the spread of the samples.
	loadStart, loadEnd string
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func describeMachine(ctx context.Context) machine {
	m := machine{cores: runtime.NumCPU(), goVer: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.goVer = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			m.commit += " with uncommitted changes in the work tree"
		}
	}
	return m
}

// waitForQuiet waits until the 1-minute load average is at most max, or
// for at most limit: other work on a shared machine skews the timings.
func waitForQuiet(ctx context.Context, max float64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		load, err := strconv.ParseFloat(strings.Fields(loadAverage() + " x")[0], 64)
		if err != nil || load <= max || time.Now().After(deadline) {
			return
		}
		log.Printf("load average %.2f > %.2f: waiting", load, max)
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}
