// Package bench holds Lintel's benchmarks that compare a Lintel path
// with a minimal baseline doing the same essential work, under one load
// generator in one run, so that only ratios are reported. Run them with
// make bench.
package bench
