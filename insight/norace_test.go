//go:build !race

package insight_test

const raceDetector = false
