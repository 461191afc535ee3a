package transport

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
)

// TestFastBreakerDecidesAsGobreaker: a host's breaker with the fast path
// opens on the same attempt as gobreaker alone fed every verdict, for
// runs of successes (s), failures (f) and excluded attempts (x); "a" lets
// an attempt go without ending it yet, "e" ends the oldest of those with a
// success and "F" with a failure. The fast path is taken: after the
// successes alone, gobreaker has counted nothing.
func TestFastBreakerDecidesAsGobreaker(t *testing.T) {
	t.Parallel()
	failure := &OutcomeError{Status: 504, Outcome: policy.Outcome{Reach: policy.ReachBackendTimeout, Cause: policy.CauseIntegrationTimeout}}
	throttle := &OutcomeError{Status: 429, Outcome: policy.Outcome{Reach: policy.ReachGateway, Cause: policy.CauseThrottled}, Excluded: true}
	tests := []struct{ name, seq string }{
		{"successes", strings.Repeat("s", 50)},
		{"the ratio after many successes", strings.Repeat("s", 100) + strings.Repeat("f", 9) + "s" + strings.Repeat("f", 9) + "s" + strings.Repeat("f", 200)},
		{"the ratio trips", strings.Repeat("sf", 30)},
		{"consecutive failures", "ssss" + strings.Repeat("f", 12)},
		{"successes between failures", strings.Repeat("fffffffffs", 5) + strings.Repeat("f", 12)},
		{"exclusions count as requests", strings.Repeat("x", 40) + strings.Repeat("sf", 15)},
		{"in flight", strings.Repeat("a", 30) + strings.Repeat("e", 10) + strings.Repeat("F", 20) + strings.Repeat("f", 5)},
		{"in flight count as requests", strings.Repeat("a", 40) + strings.Repeat(strings.Repeat("F", 9)+"e", 4)},
	}
	for _, tc := range tests {
		s := DefaultBreaker()
		var tab hostTable
		tab.init(config{breaker: &s}, nil)
		h := tab.newHost("https://api.example.com:443")
		if h.fast == nil {
			t.Fatal("no fast path with the default settings")
		}
		ref := DefaultBreaker()
		ref.IsExcluded = isExcluded
		want := gobreaker.NewTwoStepCircuitBreaker[struct{}](ref)
		var pending, refPending []func(error)
		for i, op := range tc.seq {
			var v error
			switch op {
			case 'f', 'F':
				v = failure
			case 'x':
				v = throttle
			}
			if op == 'e' || op == 'F' {
				pending[0](v)
				refPending[0](v)
				pending, refPending = pending[1:], refPending[1:]
			} else {
				done, err := h.allow()
				rdone, rerr := want.Allow()
				if (err == nil) != (rerr == nil) {
					t.Fatalf("%s, step %d (%c): allowed %v, gobreaker %v", tc.name, i, op, err == nil, rerr == nil)
				}
				if err != nil {
					continue
				}
				if op == 'a' {
					pending, refPending = append(pending, done), append(refPending, rdone)
					continue
				}
				done(v)
				rdone(v)
			}
			if got, w := h.breaker.State(), want.State(); got != w {
				t.Fatalf("%s, step %d (%c): state %v, gobreaker alone %v", tc.name, i, op, got, w)
			}
		}
		if tc.name == "successes" && h.breaker.Counts().Requests != 0 {
			t.Errorf("successes went through gobreaker: %+v", h.breaker.Counts())
		}
	}
}

// TestFastBreakerOff: settings whose callbacks could tell (the user's
// IsSuccessful or IsExcluded, or no rolling window) keep every attempt on
// gobreaker.
func TestFastBreakerOff(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]gobreaker.Settings{
		"IsSuccessful": func() gobreaker.Settings {
			s := DefaultBreaker()
			s.IsSuccessful = func(error) bool { return true }
			return s
		}(),
		"IsExcluded": func() gobreaker.Settings {
			s := DefaultBreaker()
			s.IsExcluded = func(error) bool { return false }
			return s
		}(),
		"no buckets":  {Interval: 60e9},
		"no interval": {},
	} {
		var tab hostTable
		tab.init(config{breaker: &s}, nil)
		if h := tab.newHost("https://h:443"); h.fast != nil {
			t.Errorf("%s: fast path on", name)
		}
	}
}

// TestFastBucketFound: the bucket the fast path finds for a time through
// its last one is the bucket the window's arithmetic gives, for times in
// any order and across new windows.
func TestFastBucketFound(t *testing.T) {
	t.Parallel()
	s := DefaultBreaker()
	f := newFastBreaker(&s, false, false)
	period := int64(f.period)
	ref := make([]fastBucket, len(f.buckets))
	refBucket := func(t int64) *fastBucket {
		age := max((t-f.start)/period, 0)
		b := &ref[age%int64(len(ref))]
		if b.age != age {
			*b = fastBucket{age: age}
		}
		return b
	}
	rng := rand.New(rand.NewPCG(1, 2))
	at := f.start
	for i := range 20000 {
		switch r := rng.IntN(100); {
		case r == 0:
			f.reset(true)
			f.mu.Lock()
			f.start = at + rng.Int64N(period) // the new window starts later, as it would
			at = f.start
			f.mu.Unlock()
			clear(ref)
		case r < 60:
			at += rng.Int64N(period / 4) // forward, mostly within a period
		case r < 70:
			at -= rng.Int64N(2 * period) // back, also before the window
		default:
			at += rng.Int64N(3 * period)
		}
		f.mu.Lock()
		f.bucket(at).ok++
		got := slices.Clone(f.buckets)
		f.mu.Unlock()
		refBucket(at).ok++
		if !slices.Equal(got, ref) {
			t.Fatalf("step %d, time %d after the start: buckets %v, want %v", i, at-f.start, got, ref)
		}
	}
}
