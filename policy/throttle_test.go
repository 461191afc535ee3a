package policy_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// record counts n requests at at, accepted of them accepted.
func record(th *policy.AdaptiveThrottle, at time.Time, n, accepted int) {
	for i := range n {
		th.Record(at, i < accepted)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestAdaptiveThrottleProbability pins p = max(0, (requests - K*accepts) /
// (requests + 1)) over the window.
func TestAdaptiveThrottleProbability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		c        policy.ThrottleConfig
		n, acc   int
		after    time.Duration // when p is read, after the records
		wantProb float64
	}{
		{"no history", policy.ThrottleConfig{}, 0, 0, 0, 0},
		{"all accepted", policy.ThrottleConfig{}, 100, 100, 0, 0},
		{"half accepted, K=2", policy.ThrottleConfig{}, 10, 5, 0, 0},
		{"40% accepted, K=2", policy.ThrottleConfig{}, 10, 4, 0, 2.0 / 11},
		{"all rejected", policy.ThrottleConfig{}, 10, 0, 0, 10.0 / 11},
		{"K=1.5", policy.ThrottleConfig{K: 1.5}, 10, 4, 0, 4.0 / 11},
		{"K below 1 is 1", policy.ThrottleConfig{K: 0.1}, 10, 4, 0, 6.0 / 11},
		{"K NaN is 2", policy.ThrottleConfig{K: math.NaN()}, 10, 4, 0, 2.0 / 11},
		{"inside the window", policy.ThrottleConfig{}, 10, 0, 110 * time.Second, 10.0 / 11},
		{"past the window", policy.ThrottleConfig{}, 10, 0, 2*time.Minute + 5*time.Second, 0},
		{"short window", policy.ThrottleConfig{Window: time.Second}, 10, 0, 2 * time.Second, 0},
		{"tiny window", policy.ThrottleConfig{Window: time.Nanosecond}, 10, 0, 0, 10.0 / 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			th := policy.NewAdaptiveThrottle(tc.c)
			record(th, now, tc.n, tc.acc)
			if got := th.Probability(now.Add(tc.after)); !near(got, tc.wantProb) {
				t.Errorf("Probability = %v, want %v", got, tc.wantProb)
			}
		})
	}
}

// TestAdaptiveThrottleSlidingWindow: counts leave the window a slice (5 s
// at the default window) at a time.
func TestAdaptiveThrottleSlidingWindow(t *testing.T) {
	t.Parallel()
	th := policy.NewAdaptiveThrottle(policy.ThrottleConfig{})
	record(th, now, 10, 0)                   // slice 0
	record(th, now.Add(time.Minute), 10, 0)  // slice 12
	record(th, now.Add(-time.Hour), 1000, 0) // long gone: never counted
	if got := th.Probability(now.Add(time.Minute)); !near(got, 20.0/21) {
		t.Errorf("at +1m: p = %v, want 20/21", got)
	}
	if got := th.Probability(now.Add(2*time.Minute + time.Second)); !near(got, 10.0/11) {
		t.Errorf("at +2m1s: p = %v, want 10/11 (the first ten expired)", got)
	}
	if got := th.Probability(now.Add(3*time.Minute + 5*time.Second)); got != 0 {
		t.Errorf("at +3m5s: p = %v, want 0", got)
	}
	// A late record for a slice whose slot moved on is dropped.
	record(th, now.Add(time.Minute), 5, 0)
	record(th, now.Add(time.Minute-2*time.Minute), 5, 0)
	if got := th.Probability(now.Add(time.Minute)); !near(got, 25.0/26) {
		t.Errorf("after late records: p = %v, want 25/26", got)
	}
}

// TestAdaptiveThrottleAllow: Allow refuses when rnd < p and counts the
// refusal as a request not accepted.
func TestAdaptiveThrottleAllow(t *testing.T) {
	t.Parallel()
	th := policy.NewAdaptiveThrottle(policy.ThrottleConfig{})
	if !th.Allow(now, 0) {
		t.Fatal("a fresh throttle refused")
	}
	record(th, now, 10, 4) // p = 2/11
	if !th.Allow(now, 2.0/11) {
		t.Error("refused with rnd = p")
	}
	if got := th.Probability(now); !near(got, 2.0/11) {
		t.Errorf("an allowed request was counted: p = %v", got)
	}
	if th.Allow(now, 0.1) {
		t.Error("allowed with rnd < p")
	}
	if got := th.Probability(now); !near(got, 3.0/12) {
		t.Errorf("after a refusal p = %v, want (11-8)/12", got)
	}
	if !th.Allow(now, math.NaN()) {
		t.Error("refused with rnd NaN")
	}
}

// TestAdaptiveThrottleOutage: with a backend that rejects everything, the
// client sends only a small share; once it recovers, it sends everything
// again within a window.
func TestAdaptiveThrottleOutage(t *testing.T) {
	t.Parallel()
	th := policy.NewAdaptiveThrottle(policy.ThrottleConfig{})
	r := rand.New(rand.NewPCG(3, 4))
	run := func(from time.Duration, seconds int, up bool) (sent, total int) {
		for i := range seconds * 100 { // 100 requests a second
			at := now.Add(from + time.Duration(i)*10*time.Millisecond)
			total++
			if th.Allow(at, r.Float64()) {
				sent++
				th.Record(at, up)
			}
		}
		return sent, total
	}
	run(0, 60, true)
	// K=2 tolerates rejections until they are half the window's requests,
	// so the first minute of the outage still sends; by the third minute
	// the window holds only the outage.
	run(time.Minute, 120, false)
	if sent, total := run(3*time.Minute, 60, false); float64(sent) > 0.01*float64(total) {
		t.Errorf("outage: sent %d of %d, want under 1%%", sent, total)
	}
	// Recovering: the share sent roughly doubles every minute, from a
	// trickle to everything in about a quarter of an hour.
	first, _ := run(4*time.Minute, 60, true)
	var later int
	for m := 5; m < 19; m++ {
		later, _ = run(time.Duration(m)*time.Minute, 60, true)
	}
	if later <= first {
		t.Errorf("recovering: sent %d in the first minute and %d in the last", first, later)
	}
	if sent, total := run(19*time.Minute, 60, true); sent != total {
		t.Errorf("recovered: sent %d of %d", sent, total)
	}
}

// TestAdaptiveThrottleConcurrent runs under -race.
func TestAdaptiveThrottleConcurrent(t *testing.T) {
	t.Parallel()
	th := policy.NewAdaptiveThrottle(policy.ThrottleConfig{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 0))
			for i := range 500 {
				at := now.Add(time.Duration(i) * time.Millisecond)
				if th.Allow(at, r.Float64()) {
					th.Record(at, i%3 == 0)
				}
			}
		})
	}
	wg.Wait()
	if p := th.Probability(now.Add(time.Second)); p < 0 || p >= 1 {
		t.Errorf("p = %v", p)
	}
}
