//go:build !race

package emailtemplates

// raceDetector is false outside a -race build: see race_test.go.
const raceDetector = false
