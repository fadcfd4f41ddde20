package lintel_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lintel-id/lintel"

// pkg is what `go list` tells about one package of the module.
type pkg struct {
	path    string
	doc     string
	imports []string // direct imports
	deps    []string // transitive dependencies
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Doc}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			t.Fatalf("unexpected go list line %q", sc.Text())
		}
		pkgs = append(pkgs, pkg{path: f[0], doc: f[1], imports: strings.Fields(f[2]), deps: strings.Fields(f[3])})
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func under(path, prefix string) bool {
	p := module + "/" + prefix
	return path == p || strings.HasPrefix(path, p+"/")
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// TestArchitecture enforces the dependency direction of DESIGN.md:
// cmd → edge → server/* → server/store.
func TestArchitecture(t *testing.T) {
	rules := []struct {
		name    string
		applies func(p pkg) bool
		bad     func(dep string) bool
		direct  bool // check direct imports only
	}{
		{
			name:    "server never imports edge",
			applies: func(p pkg) bool { return under(p.path, "server") },
			bad:     func(d string) bool { return under(d, "edge") },
		},
		{
			name:    "nothing imports cmd",
			applies: func(p pkg) bool { return !under(p.path, "cmd") },
			bad:     func(d string) bool { return under(d, "cmd") },
		},
		{
			name:    "only cmd reads the binary's settings",
			applies: func(p pkg) bool { return !under(p.path, "cmd") && !under(p.path, "internal/settings") },
			bad:     func(d string) bool { return under(d, "internal/settings") },
		},
		{
			name:    "oidc never imports the engine or the edge",
			applies: func(p pkg) bool { return under(p.path, "server/oidc") },
			bad:     func(d string) bool { return under(d, "server/engine") || under(d, "edge") },
		},
		{
			name:    "the flow wire types import only strings, strconv and errors",
			applies: func(p pkg) bool { return p.path == module+"/server/engine/wire" },
			bad:     func(d string) bool { return !slices.Contains([]string{"strings", "strconv", "errors"}, d) },
			direct:  true,
		},
		{
			name:    "the widget core imports only the standard library and the wire types",
			applies: func(p pkg) bool { return under(p.path, "widget/core") },
			bad: func(d string) bool {
				return !isStd(d) && d != module+"/server/engine/wire" && !under(d, "widget/core")
			},
		},
	}
	pkgs := listPackages(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			for _, p := range pkgs {
				if !r.applies(p) {
					continue
				}
				deps := p.deps
				if r.direct {
					deps = p.imports
				}
				for _, d := range deps {
					if r.bad(d) {
						t.Errorf("%s imports %s", p.path, d)
					}
				}
			}
		})
	}
}
