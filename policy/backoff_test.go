package policy_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// Deterministic sources for Backoff.Delay: the lowest, the highest and the
// middle value of [0, n).
var (
	lowest  = func(n int64) int64 { return 0 }
	highest = func(n int64) int64 { return n - 1 }
	middle  = func(n int64) int64 { return n / 2 }
)

const ms = time.Millisecond

// TestBackoffDelay pins exact waits for every jitter with base 100 ms and
// cap 10 s, expo(n) = min(cap, base*2^(n-1)).
func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := func(j policy.Jitter) policy.Backoff {
		return policy.Backoff{Jitter: j, Base: 100 * ms, Cap: 10 * time.Second}
	}
	tests := []struct {
		name string
		b    policy.Backoff
		n    int
		prev time.Duration
		rnd  func(int64) int64
		want time.Duration
	}{
		{"exponential 1", b(policy.NoJitter), 1, 0, nil, 100 * ms},
		{"exponential 2", b(policy.NoJitter), 2, 0, nil, 200 * ms},
		{"exponential 3", b(policy.NoJitter), 3, 0, nil, 400 * ms},
		{"exponential 7", b(policy.NoJitter), 7, 0, nil, 6400 * ms},
		{"exponential 8 capped", b(policy.NoJitter), 8, 0, nil, 10 * time.Second},
		{"exponential 64", b(policy.NoJitter), 64, 0, nil, 10 * time.Second},
		{"exponential MaxInt", b(policy.NoJitter), math.MaxInt, 0, nil, 10 * time.Second},
		{"exponential 0", b(policy.NoJitter), 0, 0, nil, 100 * ms},
		{"exponential negative", b(policy.NoJitter), -3, 0, nil, 100 * ms},

		{"full lowest", b(policy.FullJitter), 3, 0, lowest, 0},
		{"full highest", b(policy.FullJitter), 3, 0, highest, 400 * ms},
		{"full middle", b(policy.FullJitter), 1, 0, middle, 50 * ms},
		{"full highest capped", b(policy.FullJitter), 30, 0, highest, 10 * time.Second},

		{"equal lowest", b(policy.EqualJitter), 3, 0, lowest, 200 * ms},
		{"equal highest", b(policy.EqualJitter), 3, 0, highest, 400 * ms},
		{"equal middle", b(policy.EqualJitter), 2, 0, middle, 150 * ms},

		{"decorrelated first lowest", b(policy.DecorrelatedJitter), 1, 0, lowest, 100 * ms},
		{"decorrelated first highest", b(policy.DecorrelatedJitter), 1, 0, highest, 300 * ms},
		{"decorrelated prev 1s highest", b(policy.DecorrelatedJitter), 2, time.Second, highest, 3 * time.Second},
		{"decorrelated prev 1s middle", b(policy.DecorrelatedJitter), 2, time.Second, middle, 1550 * ms},
		{"decorrelated prev 5s capped", b(policy.DecorrelatedJitter), 3, 5 * time.Second, highest, 10 * time.Second},
		// 3*prev overflowed for a prev beyond MaxInt64/3 and the wait
		// collapsed to Base.
		{"decorrelated huge prev", b(policy.DecorrelatedJitter), 3, 1 << 62, highest, 10 * time.Second},
		{"decorrelated MaxInt64 prev", b(policy.DecorrelatedJitter), 3, math.MaxInt64, highest, 10 * time.Second},

		{"decorrelated base equals cap", policy.Backoff{Jitter: policy.DecorrelatedJitter, Base: time.Second, Cap: time.Second}, 4, time.Second, highest, time.Second},

		{"constant", b(policy.Constant), 5, 0, highest, 100 * ms},
		{"none", b(policy.NoWait), 5, 0, highest, 0},

		{"zero value is full jitter 100ms", policy.Backoff{}, 1, 0, highest, 100 * ms},
		{"zero value cap 10s", policy.Backoff{Jitter: policy.NoJitter}, 20, 0, nil, 10 * time.Second},
		{"base above cap is the cap", policy.Backoff{Jitter: policy.Constant, Base: time.Minute, Cap: time.Second}, 1, 0, nil, time.Second},
		{"negative base and cap mean defaults", policy.Backoff{Jitter: policy.NoJitter, Base: -1, Cap: -1}, 2, 0, nil, 200 * ms},
		{"unknown jitter is full jitter", policy.Backoff{Jitter: 42}, 1, 0, highest, 100 * ms},

		// A misbehaving source is clamped into range.
		{"source below range", b(policy.FullJitter), 2, 0, func(int64) int64 { return -1 }, 200 * ms},
		{"source above range", b(policy.FullJitter), 2, 0, func(n int64) int64 { return n + 5 }, 200 * ms},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.b.Delay(tc.n, tc.prev, tc.rnd); got != tc.want {
				t.Errorf("Delay(%d, %v) = %v, want %v", tc.n, tc.prev, got, tc.want)
			}
		})
	}
}

// TestBackoffHugeCap: with a cap of MaxInt64 no step overflows and the
// default source is never asked for a value in [0, n<=0) (which panics).
func TestBackoffHugeCap(t *testing.T) {
	t.Parallel()
	for _, j := range []policy.Jitter{policy.FullJitter, policy.EqualJitter, policy.DecorrelatedJitter, policy.NoJitter, policy.Constant, policy.NoWait} {
		t.Run(j.String(), func(t *testing.T) {
			t.Parallel()
			b := policy.Backoff{Jitter: j, Base: time.Nanosecond, Cap: math.MaxInt64}
			for _, n := range []int{1, 62, 63, 64, 65, 1000, math.MaxInt} {
				for _, prev := range []time.Duration{0, math.MaxInt64 / 3, math.MaxInt64/3 + 1, math.MaxInt64} {
					for _, rnd := range []func(int64) int64{nil, lowest, highest, middle} {
						if d := b.Delay(n, prev, rnd); d < 0 {
							t.Fatalf("Delay(%d, %v) = %v < 0", n, prev, d)
						}
					}
				}
			}
			if j == policy.NoJitter {
				if d := b.Delay(1000, 0, nil); d != math.MaxInt64 {
					t.Errorf("Delay(1000) = %v, want the cap", d)
				}
			}
		})
	}
}

// TestBackoffBounds: with a seeded source, every wait stays inside its
// formula's range.
func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	const base, cap = 5 * ms, 2 * time.Second // Brooker's simulation setup
	expo := func(n int) time.Duration {
		return time.Duration(min(float64(cap), float64(base)*math.Pow(2, float64(n-1))))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, j := range []policy.Jitter{policy.FullJitter, policy.EqualJitter, policy.DecorrelatedJitter, policy.NoJitter} {
		b := policy.Backoff{Jitter: j, Base: base, Cap: cap}
		var prev time.Duration
		for n := 1; n <= 100; n++ {
			d := b.Delay(n, prev, r.Int64N)
			lo, hi := time.Duration(0), expo(n)
			switch j {
			case policy.EqualJitter:
				lo = hi / 2
			case policy.DecorrelatedJitter:
				lo, hi = base, min(cap, 3*max(prev, base))
			case policy.NoJitter:
				lo = hi
			}
			if d < lo || d > hi {
				t.Errorf("%s retry %d (prev %v): %v outside [%v, %v]", j, n, prev, d, lo, hi)
			}
			prev = d
		}
	}
}

func TestJitterString(t *testing.T) {
	t.Parallel()
	for j, want := range map[policy.Jitter]string{
		policy.FullJitter: "full", policy.EqualJitter: "equal", policy.DecorrelatedJitter: "decorrelated",
		policy.NoJitter: "exponential", policy.Constant: "constant", policy.NoWait: "none",
		-1: "unknown", 6: "unknown",
	} {
		if got := j.String(); got != want {
			t.Errorf("Jitter(%d).String() = %q, want %q", int(j), got, want)
		}
	}
}
