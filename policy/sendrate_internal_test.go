package policy

import (
	"math/rand/v2"
	"testing"
	"time"
)

// measureBySub is measure as it was written before periodEnd: the period
// rolls while now.Sub(periodStart) >= Period. It works on the fields of s
// other than periodEnd.
func measureBySub(s *SendRate, now time.Time) {
	if s.periodStart.IsZero() {
		s.periodStart = now
		return
	}
	for now.Sub(s.periodStart) >= s.cfg.Period {
		if s.measured == 0 {
			s.measured = s.count
		} else {
			s.measured = 0.8*s.measured + 0.2*s.count
		}
		s.count = 0
		s.periodStart = s.periodStart.Add(s.cfg.Period)
		if s.measured < 1e-3 {
			s.measured = 0
			s.periodStart = now
		}
	}
}

// TestMeasureAsSub: measure, which compares with periodEnd, rolls the
// measuring period exactly as the subtraction did, for times with and
// without a monotonic reading (a virtual-time run's carry none), mixed,
// out of order, with idle gaps that restart the period, and sends counted
// in between.
func TestMeasureAsSub(t *testing.T) {
	base := time.Now()
	for _, tc := range []struct {
		name string
		mono func(i int) bool // whether the i-th time keeps its monotonic reading
	}{
		{"monotonic", func(int) bool { return true }},
		{"wall only", func(int) bool { return false }},
		{"mixed", func(i int) bool { return i%3 != 0 }},
	} {
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 7))
			s := NewSendRate(SendRateConfig{})
			ref := NewSendRate(SendRateConfig{})
			at := base
			for i := range 2000 {
				var step time.Duration
				switch r := rng.IntN(100); {
				case r < 60:
					step = time.Duration(rng.Int64N(int64(20 * time.Millisecond)))
				case r < 80:
					step = -time.Duration(rng.Int64N(int64(5 * time.Millisecond))) // out of order
				case r < 95:
					step = time.Duration(rng.Int64N(int64(3 * s.cfg.Period)))
				default:
					step = time.Duration(rng.Int64N(int64(100 * s.cfg.Period))) // idle
				}
				at = at.Add(step)
				now := at
				if !tc.mono(i) {
					now = now.Round(0)
				}
				s.measure(now)
				measureBySub(ref, now)
				if !s.periodStart.Equal(ref.periodStart) || s.count != ref.count || s.measured != ref.measured {
					t.Fatalf("%s, seed %d, step %d: start %v count %v measured %v, want %v %v %v",
						tc.name, seed, i, s.periodStart, s.count, s.measured, ref.periodStart, ref.count, ref.measured)
				}
				if !s.periodEnd.Equal(s.periodStart.Add(s.cfg.Period)) {
					t.Fatalf("%s, seed %d, step %d: periodEnd %v, periodStart %v", tc.name, seed, i, s.periodEnd, s.periodStart)
				}
				if n := rng.IntN(3); n > 0 {
					s.count += float64(n)
					ref.count += float64(n)
				}
			}
		}
	}
}
