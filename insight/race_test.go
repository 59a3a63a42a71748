//go:build race

package insight_test

// raceDetector is set when the tests run under the race detector, which
// slows the attack suite tenfold and adds nothing to what it measures; make
// test runs the suite once more without it.
const raceDetector = true
