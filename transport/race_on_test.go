//go:build race

package transport_test

// raceEnabled: the race detector adds allocations of its own.
const raceEnabled = true
