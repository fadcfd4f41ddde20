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
# Debian packages the tests need (chromium arrives with the browser tests).
DEBIAN_PKGS := chromium
RACE_SKIP := github.com/lintel-id/lintel/server/store

.PHONY: all build run test deps lint fmt-check templ-check vet staticcheck unit race bench clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/lintel

run: build
	$(BIN) serve --demo --data-dir $(DATA_DIR)

# deps installs what the tests need and is not part of Go's module cache.
# Debian packages are installed only when missing, after one apt-get update.
deps:
	@./.ci/deps $(DEBIAN_PKGS)

test: deps lint unit race

lint: fmt-check templ-check vet staticcheck

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

# The store's conformance suite runs verbosely so the log shows each
# behaviour passing on both SQLite and PostgreSQL.
unit:
	$(GO) test -count=1 -v ./server/store/ | grep -E -- '^(ok|FAIL|PASS)|--- (PASS|FAIL|SKIP)'
	mkdir -p test-output
	$(GO) test -count=1 -artifacts -outputdir $(CURDIR)/test-output $$($(GO) list ./... | grep -v -x -F 'github.com/lintel-id/lintel/server/store')

race:
	$(GO) test -count=1 -race $$($(GO) list ./... | grep -v -x -F '$(RACE_SKIP)')

# bench runs the benchmarks on both store dialects; reports go to bench/out.
bench:
	mkdir -p bench/out
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee bench/out/bench.txt

clean:
	rm -rf bin bench/out test-output
