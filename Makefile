# Lintel — build, run and test. `make run` and `make test` work on a fresh
# machine; see README.md.

SHELL     := bash
.SHELLFLAGS := -o pipefail -ec
GO        ?= go
BIN       := bin/lintel
DATA_DIR  ?= ./data
# Packages whose tests also run under the race detector. The store's own
# conformance run is left out: modernc SQLite under -race is slow and adds
# nothing the PostgreSQL run does not already cover.
# Debian packages the tests need: chromium for the browser tests, Debian's rustc
# with the wasm32 standard library for the Rust example hook (docs/hooks).
DEBIAN_PKGS := chromium rustc libstd-rust-dev-wasm32
RACE_SKIP := github.com/lintel-id/lintel/server/store

.PHONY: all build widget run test deps lint fmt-check templ-check vet staticcheck wasm-vet unit race bench clean

all: build

build: widget
	$(GO) build -trimpath -o $(BIN) ./cmd/lintel

# widget builds the sign-in widget's WebAssembly and copies Go's
# wasm_exec.js into widget/dist/files (embedded by the binary, not
# committed), each with .br (brotli q11) and .gz variants. A file that did
# not change keeps its variants, so a rebuild costs only the Go build.
# Without widget/cmd/lintel-widget the widget serves fragments only.
WIDGET_OUT := widget/dist/files
WIDGET_TMP := bin/widget
widget:
	@mkdir -p $(WIDGET_OUT) $(WIDGET_TMP)
	@if [ -d widget/cmd/lintel-widget ]; then \
		GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -gcflags=all=-l -o $(WIDGET_TMP)/lintel.wasm ./widget/cmd/lintel-widget; \
	else \
		echo "widget: widget/cmd/lintel-widget does not exist yet; the widget serves server-rendered steps only"; \
		rm -f $(WIDGET_TMP)/lintel.wasm $(WIDGET_OUT)/lintel.wasm $(WIDGET_OUT)/lintel.wasm.br $(WIDGET_OUT)/lintel.wasm.gz; \
	fi
	@cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WIDGET_TMP)/wasm_exec.js
	@for f in lintel.wasm wasm_exec.js; do \
		[ -f $(WIDGET_TMP)/$$f ] || continue; \
		if cmp -s $(WIDGET_TMP)/$$f $(WIDGET_OUT)/$$f && [ -f $(WIDGET_OUT)/$$f.br ] && [ -f $(WIDGET_OUT)/$$f.gz ]; then continue; fi; \
		cp $(WIDGET_TMP)/$$f $(WIDGET_OUT)/$$f; \
		$(GO) run ./widget/dist/internal/precompress $(WIDGET_OUT)/$$f; \
	done

run: build
	$(BIN) serve --demo --data-dir $(DATA_DIR)

# deps installs what the tests need and is not part of Go's module cache.
# Debian packages are installed only when missing, after one apt-get update.
deps:
	@./.ci/deps $(DEBIAN_PKGS)

test: deps lint unit race

lint: fmt-check templ-check vet staticcheck wasm-vet

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# templ output is committed; regenerating must change nothing.
templ-check:
	$(GO) tool templ generate -path . >/dev/null
	@out="$$(git diff --name-only -- '*_templ.go'; git ls-files --others --exclude-standard -- '*_templ.go')"; \
	if [ -n "$$out" ]; then echo "templ generate changed files (commit its output):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

# The widget's syscall/js code builds only for js/wasm; vet and
# staticcheck it there too (staticcheck itself built for this machine).
wasm-vet:
	GOOS=js GOARCH=wasm $(GO) vet ./widget/...
	sc="$$($(GO) tool -n staticcheck)" && GOOS=js GOARCH=wasm "$$sc" ./widget/...

# The store's conformance suite runs verbosely so the log shows each
# behaviour passing on both SQLite and PostgreSQL.
unit:
	$(GO) test -count=1 -v ./server/store/ | grep -E -- '^(ok|FAIL|PASS)|--- (PASS|FAIL|SKIP)'
	mkdir -p test-output
	$(GO) test -count=1 -timeout 30m -artifacts -outputdir $(CURDIR)/test-output $$($(GO) list ./... | grep -v -x -F 'github.com/lintel-id/lintel/server/store')

# -timeout 30m: under -race on two cores the edge package (browser tests
# included) takes close to go test's default 10 minutes per package.
race:
	$(GO) test -count=1 -race -timeout 30m $$($(GO) list ./... | grep -v -x -F '$(RACE_SKIP)')

# bench runs the benchmarks on both store dialects; reports go to bench/out.
bench:
	mkdir -p bench/out
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee bench/out/bench.txt
	$(MAKE) build && $(GO) run ./bench/widget -runs 15 -out bench/out/widget.md

clean:
	rm -rf bin bench/out test-output
