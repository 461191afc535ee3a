//go:build race

package benchmarks

// raceEnabled is true under the race detector, which multiplies the scale
// scenarios' memory (thousands of connections) and the real-time runs'
// scheduling noise.
const raceEnabled = true
