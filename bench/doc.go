// Package bench holds Lintel's benchmarks that compare a Lintel path
// with a minimal baseline doing the same essential work, under one load
// generator in one run, so that only ratios are reported. Run them with
// make bench. The sign-in widget's budgets and its time to first paint,
// next to Okta's Sign-In Widget in the same browser, are measured by the
// program in bench/widget (its last report: bench/widget/REPORT.md).
// Custom-domain TLS (handshakes next to bare crypto/tls, time to a first
// certificate from Pebble) is measured by edge/autotls's benchmarks; their
// last report is bench/tls/REPORT.md.
package bench
