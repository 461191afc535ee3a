package benchmarks

import (
	"slices"
	"testing"
	"time"
)

// RunVirtual's queue: heavy jobs first, at most maxHeavy at once, light
// ones taken meanwhile instead of waiting; costlier light jobs first.
func TestJobQueue(t *testing.T) {
	t.Parallel()
	sc := func(name string, d time.Duration, rate float64, heavy bool) Scenario {
		return Scenario{Name: name, Duration: d, Load: steadyLoad(rate), Heavy: heavy}
	}
	short, long := sc("short", time.Minute, 4, false), sc("long", 5*time.Minute, 4, false)
	storm, fleet := sc("storm", 100*time.Second, 350, true), sc("fleet", 150*time.Second, 100, true)
	jobs := []Job{
		{Scenario: short}, {Scenario: long}, {Scenario: short, Deadline: 10 * time.Second},
		{Scenario: fleet}, {Scenario: long, Deadline: 10 * time.Second}, {Scenario: storm},
	}
	q := newJobQueue(jobs, 1)
	var got []int
	take := func() int {
		i, ok := q.next()
		if !ok {
			t.Fatalf("queue empty after %v", got)
		}
		got = append(got, i)
		return i
	}
	first := take() // the storm: heavy and the costliest
	take()          // fleet must wait for it: the longest light job instead
	take()          // the next light one
	q.finished(jobs[first])
	for range 3 {
		take()
	}
	if _, ok := q.next(); ok {
		t.Fatal("a job left over")
	}
	if want := []int{5, 1, 4, 3, 0, 2}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}

	// Only heavy jobs left and the limit reached: next waits for finished.
	q = newJobQueue([]Job{{Scenario: storm}, {Scenario: fleet}}, 1)
	a, _ := q.next()
	second := make(chan int)
	go func() {
		i, _ := q.next()
		second <- i
	}()
	select {
	case i := <-second:
		t.Fatalf("second heavy job %d handed out while the first runs", i)
	case <-time.After(50 * time.Millisecond):
	}
	q.finished(Job{Scenario: storm})
	if i := <-second; i != 1-a {
		t.Fatalf("second job %d, want %d", i, 1-a)
	}
}
