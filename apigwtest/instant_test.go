package apigwtest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Invocations that start or end at one instant are seen alike whatever
// order the scheduler runs them in: each arrival's Latency and Moment see
// the invocations running just before the instant, itself added for
// Latency. Two invocations (C, D) run before the instant; at it, A and B
// start and C ends, in every order.
func TestInFlightAtOneInstantWhateverTheOrder(t *testing.T) {
	t.Parallel()
	const (
		startA = iota
		startB
		endC
	)
	orders := [][]int{
		{startA, startB, endC}, {startA, endC, startB}, {startB, startA, endC},
		{startB, endC, startA}, {endC, startA, startB}, {endC, startB, startA},
	}
	for _, order := range orders {
		synctest.Test(t, func(t *testing.T) {
			s := &Server{}
			s.cfg.concurrencyLimit = 10
			var seen []int
			f := Fault{Latency: LatencyFunc(func(_ *rand.Rand, inFlight int) time.Duration {
				seen = append(seen, inFlight)
				return 0
			})}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 2 { // C and D
				if _, _, _, ok := s.acquire(time.Now(), f, rng); !ok {
					t.Fatal("no slot")
				}
			}
			time.Sleep(time.Second)
			seen = nil
			var moments []int
			for _, ev := range order {
				if ev == endC {
					s.release(nil, false)
					continue
				}
				now := time.Now()
				s.mu.Lock()
				moments = append(moments, s.runningBeforeLocked(now))
				s.mu.Unlock()
				if _, _, _, ok := s.acquire(now, f, rng); !ok {
					t.Fatal("no slot")
				}
			}
			// C and D ran just before the instant; each arrival adds itself.
			if !slices.Equal(seen, []int{3, 3}) || !slices.Equal(moments, []int{2, 2}) {
				t.Errorf("order %v: Latency saw %v, Moment %v; want [3 3] and [2 2]", order, seen, moments)
			}
			// A later instant sees the instant's starts and ends as done.
			time.Sleep(time.Millisecond)
			s.mu.Lock()
			if got := s.runningBeforeLocked(time.Now()); got != 3 {
				t.Errorf("order %v: %d running after the instant, want 3 (A, B, D)", order, got)
			}
			s.mu.Unlock()
		})
	}
}
