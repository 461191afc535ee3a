//go:build unix

package cputime_test

import (
	"testing"
	"time"

	"github.com/retryscope/retryscope/internal/cputime"
)

// Work shows up: spinning on a core for a while makes Process grow by
// about as much.
func TestProcessAdvances(t *testing.T) {
	start := cputime.Process()
	if start <= 0 {
		t.Fatalf("Process() = %v at the start of a test, want a positive time", start)
	}
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for cputime.Process()-start < 20*time.Millisecond {
		for i := range 100000 {
			x += i
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s of spinning added %v of CPU time", cputime.Process()-start)
		}
	}
	_ = x
}
