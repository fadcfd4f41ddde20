//go:build race

package emailtemplates

// raceDetector is true in a -race build: the tests that render every
// kind in every language then keep to a few (testLanguages), since the
// detector looks for data races, not for texts, and makes each render
// about ten times slower.
const raceDetector = true
