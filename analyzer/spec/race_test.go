//go:build race

package spec

// The race detector slows parsing several times; timing limits are relaxed.
const raceEnabled = true
