package policy_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// TestThrottleBackoff: after a throttle the wait is on the throttle scale
// (1 s base, 20 s cap, full jitter with the cap applied before the jitter,
// as the AWS SDKs' standard mode); after other transient errors on the
// ordinary one. The draw is pinned to its maximum so the bound shows.
func TestThrottleBackoff(t *testing.T) {
	t.Parallel()
	top := func(n int64) int64 { return n - 1 } // the largest draw
	p := policy.Default()
	p.Rand = top
	p.MaxAttempts = 10
	tests := []struct {
		name     string
		o        policy.Outcome
		attempts int
		want     time.Duration
	}{
		{"429, first retry", gateway, 1, time.Second},
		{"429, second retry", gateway, 2, 2 * time.Second},
		{"429, capped at 20 s", gateway, 6, 20 * time.Second},
		{"Lambda throttle 500, first retry", lambdaThrottle, 1, time.Second},
		{"Lambda throttle 500, second retry", lambdaThrottle, 2, 2 * time.Second},
		{"Lambda throttle 500, third retry", lambdaThrottle, 3, 4 * time.Second},
		{"Lambda throttle 500, capped at 4 s", lambdaThrottle, 4, 4 * time.Second},
		{"connection refused, first retry", notSent, 1, 100 * time.Millisecond},
		{"connection refused, capped at 10 s", notSent, 9, 10 * time.Second},
		{"CloudFront 503 is not a throttle", edge503, 1, 100 * time.Millisecond},
	}
	for _, tc := range tests {
		s := policy.State{Method: "GET", Replayable: true, Attempts: tc.attempts, Start: now}
		d := p.Decide(s, tc.o, now)
		if !d.Retry || d.Wait != tc.want {
			t.Errorf("%s: Decide = %+v, want a retry after %v", tc.name, d, tc.want)
		}
	}
	// The zero Policy has the same throttle scale and Lambda throttle cap.
	var zero policy.Policy
	zero.Rand = top
	if d := zero.Decide(policy.State{Method: "GET", Replayable: true, Attempts: 1}, gateway, now); d.Wait != time.Second {
		t.Errorf("zero Policy after a 429: wait %v, want 1s", d.Wait)
	}
	if d := zero.Decide(policy.State{Method: "GET", Replayable: true, Attempts: 3}, lambdaThrottle, now); d.Wait != 4*time.Second {
		t.Errorf("zero Policy after a third Lambda throttle: wait %v, want 4s", d.Wait)
	}
	// LambdaThrottleCap moves it, and never above ThrottleBackoff's cap.
	p.LambdaThrottleCap = 5 * time.Second
	if d := p.Decide(policy.State{Method: "GET", Replayable: true, Attempts: 5}, lambdaThrottle, now); d.Wait != 5*time.Second {
		t.Errorf("LambdaThrottleCap 5s: wait %v", d.Wait)
	}
	p.LambdaThrottleCap, p.ThrottleBackoff.Cap = time.Minute, 3*time.Second
	if d := p.Decide(policy.State{Method: "GET", Replayable: true, Attempts: 5}, lambdaThrottle, now); d.Wait != 3*time.Second {
		t.Errorf("LambdaThrottleCap above ThrottleBackoff.Cap: wait %v, want 3s", d.Wait)
	}
}

// TestLambdaThrottleWaitFloor: after a Lambda throttle, full jitter
// becomes equal jitter, so the smallest draw still waits half the step; a
// 429 keeps full jitter (down to no wait), and a jitter the user chose is
// kept.
func TestLambdaThrottleWaitFloor(t *testing.T) {
	t.Parallel()
	least := func(int64) int64 { return 0 } // the smallest draw
	p := policy.Default()
	p.Rand = least
	constant := policy.Default()
	constant.Rand = least
	constant.ThrottleBackoff.Jitter = policy.Constant
	tests := []struct {
		name     string
		p        policy.Policy
		o        policy.Outcome
		attempts int
		want     time.Duration
	}{
		{"Lambda throttle 500, first retry: half of 1 s", p, lambdaThrottle, 1, 500 * time.Millisecond},
		{"Lambda throttle 500, second retry: half of 2 s", p, lambdaThrottle, 2, time.Second},
		{"Lambda throttle 500, third retry: half of the 4 s cap", p, lambdaThrottle, 3, 2 * time.Second},
		{"429: full jitter, no floor", p, gateway, 1, 0},
		{"Lambda throttle 500, the user's constant jitter", constant, lambdaThrottle, 2, time.Second},
	}
	for _, tc := range tests {
		s := policy.State{Method: "GET", Replayable: true, Attempts: tc.attempts, Start: now}
		if d := tc.p.Decide(s, tc.o, now); !d.Retry || d.Wait != tc.want {
			t.Errorf("%s: Decide = %+v, want a retry after %v", tc.name, d, tc.want)
		}
	}
}

func TestIsThrottle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cause policy.Cause
		want  bool
	}{
		{"throttled", true}, {"gateway_error", true}, {"quota_exceeded", false},
		{"edge_error", false}, {"unavailable", false}, {"integration_timeout", false},
	} {
		if got := (policy.Outcome{Cause: tc.cause}).IsThrottle(); got != tc.want {
			t.Errorf("IsThrottle(%q) = %v, want %v", tc.cause, got, tc.want)
		}
	}
}

// TestBudgetThrottleCost: a throttle retry withdraws 5/14 of a token, a
// failure retry a whole one, so an empty-ish budget still pays for
// throttle retries.
func TestBudgetThrottleCost(t *testing.T) {
	t.Parallel()
	b := policy.NewBudget(policy.BudgetConfig{MinRetriesPerSecond: -1, Ratio: -1, MaxTokens: 1})
	if got := b.Cost(gateway); got != 5.0/14 {
		t.Fatalf("Cost(429) = %v, want 5/14", got)
	}
	if got := b.Cost(backendTimeout); got != 1 {
		t.Fatalf("Cost(504) = %v, want 1", got)
	}
	// One token pays for two throttle retries (10/14), not a third.
	for i, want := range []bool{true, true, false} {
		if _, ok := b.Reserve(now, b.Cost(gateway), 0); ok != want {
			t.Errorf("throttle retry %d: %v, want %v", i+1, ok, want)
		}
	}
	// 4/14 left: no failure retry.
	if b.Retry(now) {
		t.Error("a failure retry was paid with 4/14 of a token")
	}
	if c := policy.NewBudget(policy.BudgetConfig{ThrottleCost: 3}).Config().ThrottleCost; c != 1 {
		t.Errorf("ThrottleCost 3 became %v, want 1 (never dearer than a failure)", c)
	}
}

// TestBudgetReserve: a retry may wait for the tokens that accrue, within
// the caller's bound, and later ones queue behind it; Refund returns them.
func TestBudgetReserve(t *testing.T) {
	t.Parallel()
	b := policy.NewBudget(policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: 2, MaxTokens: 1})
	if w, ok := b.Reserve(now, 1, 0); !ok || w != 0 {
		t.Fatalf("full budget: Reserve = %v, %v; want 0, true", w, ok)
	}
	if _, ok := b.Reserve(now, 1, 0); ok {
		t.Fatal("empty budget, no wait allowed: Reserve granted")
	}
	if _, ok := b.Reserve(now, 1, 400*time.Millisecond); ok {
		t.Fatal("a token is 500 ms away: Reserve within 400 ms granted")
	}
	if w, ok := b.Reserve(now, 1, time.Second); !ok || w != 500*time.Millisecond {
		t.Fatalf("Reserve within 1 s = %v, %v; want 500ms, true", w, ok)
	}
	// The next one queues behind: 1 s.
	if w, ok := b.Reserve(now, 1, 2*time.Second); !ok || w != time.Second {
		t.Fatalf("second reservation = %v, %v; want 1s, true", w, ok)
	}
	b.Refund(1)
	b.Refund(1)
	if got := b.Tokens(now); got != 0 {
		t.Errorf("after two refunds: %v tokens, want 0", got)
	}
	// Without accrual no wait can help.
	none := policy.NewBudget(policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: -1, MaxTokens: 1})
	none.Retry(now)
	if _, ok := none.Reserve(now, 1, time.Hour); ok {
		t.Error("no accrual: Reserve granted")
	}
}

// sendStep is one call on a SendRate at a time after t0.
type sendStep struct {
	at   time.Duration
	op   string // "send" (Reserve), "429", "ok"
	wait time.Duration
	ok   bool
}

// TestSendRate runs scripted sends and answers with injected times.
func TestSendRate(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	var steady []sendStep
	for i := range 10 { // 10 sends a second for a second
		steady = append(steady, sendStep{at: time.Duration(i) * 100 * ms, op: "send", ok: true})
	}
	tests := []struct {
		name  string
		steps []sendStep
	}{
		{"lets everything through before a throttle", append(steady,
			sendStep{at: 1000 * ms, op: "send", ok: true},
			sendStep{at: 1000 * ms, op: "send", ok: true},
			sendStep{at: 1000 * ms, op: "send", ok: true})},
		{"a 429 caps the rate at 0.7 of the measured rate", append(steady,
			sendStep{at: 1000 * ms, op: "429"},
			// measured 10/s: the cap is 7/s, one send every 142.857 ms.
			sendStep{at: 1000 * ms, op: "send", ok: true, wait: 0},
			sendStep{at: 1000 * ms, op: "send", ok: true, wait: 142857142},
			sendStep{at: 1000 * ms, op: "send", ok: true, wait: 285714284},
			// too long for the caller: nothing reserved
			sendStep{at: 1000 * ms, op: "send", ok: false, wait: 100 * ms})},
		{"a burst of 429s cuts once a period", append(steady,
			sendStep{at: 1000 * ms, op: "429"},
			sendStep{at: 1010 * ms, op: "429"},
			sendStep{at: 1020 * ms, op: "429"},
			sendStep{at: 1100 * ms, op: "send", ok: true},
			sendStep{at: 1100 * ms, op: "send", ok: true, wait: 142857142})},
		{"a later cut goes no lower than the rate delivered since the last", append(steady,
			sendStep{at: 1000 * ms, op: "429"}, // 7/s
			sendStep{at: 2000 * ms, op: "ok"},  // grows to 7.7/s
			sendStep{at: 2000 * ms, op: "ok"}, sendStep{at: 2000 * ms, op: "ok"}, sendStep{at: 2000 * ms, op: "ok"},
			sendStep{at: 2000 * ms, op: "ok"}, sendStep{at: 2000 * ms, op: "ok"}, sendStep{at: 2000 * ms, op: "ok"},
			sendStep{at: 2000 * ms, op: "ok"},  // 8 delivered in the second since the cut
			sendStep{at: 2000 * ms, op: "429"}, // min(measured 8, cap 7.7) = 7.7 > 0.7*7.7: stays 7.7/s
			sendStep{at: 2000 * ms, op: "send", ok: true},
			sendStep{at: 2000 * ms, op: "send", ok: true, wait: 129870129})},
		{"a later cut to Beta when the host delivered less", append(steady,
			sendStep{at: 1000 * ms, op: "429"},
			sendStep{at: 2000 * ms, op: "ok"}, sendStep{at: 2000 * ms, op: "ok"}, // 2 delivered
			sendStep{at: 2000 * ms, op: "429"}, // 0.7 * 7.7 = 5.39/s
			sendStep{at: 2000 * ms, op: "send", ok: true},
			sendStep{at: 2000 * ms, op: "send", ok: true, wait: 185528756})},
		{"successes grow the rate back and release it", append(steady,
			sendStep{at: 1000 * ms, op: "429"},
			sendStep{at: 2000 * ms, op: "ok"}, // 7.7/s
			sendStep{at: 3000 * ms, op: "ok"}, // 8.47/s
			sendStep{at: 9000 * ms, op: "ok"}, // idle since: measured falls, the cap is released
			sendStep{at: 9000 * ms, op: "send", ok: true},
			sendStep{at: 9000 * ms, op: "send", ok: true},
			sendStep{at: 9000 * ms, op: "send", ok: true})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := policy.NewSendRate(policy.SendRateConfig{})
			for i, st := range tc.steps {
				limit := st.wait
				if st.ok {
					limit = time.Hour
				}
				if w, ok := feed(s, st, limit); st.op == "send" && (ok != st.ok || (ok && w != st.wait)) {
					t.Fatalf("step %d: Reserve = %v, %v; want %v, %v", i, w, ok, st.wait, st.ok)
				}
			}
		})
	}
}

// TestSendRateFloor: a rate cut again and again stops at Min.
func TestSendRateFloor(t *testing.T) {
	t.Parallel()
	s := policy.NewSendRate(policy.SendRateConfig{Min: 2})
	s.Reserve(now, 0)
	for i := range 20 {
		s.Throttled(now.Add(time.Duration(i) * time.Second))
	}
	if r, on := s.Rate(); !on || r != 2 {
		t.Errorf("Rate = %v, %v; want 2, true", r, on)
	}
	if c := policy.NewSendRate(policy.SendRateConfig{Beta: 1.5}).Config(); c.Beta != policy.DefaultSendRateBeta || c.Period != time.Second {
		t.Errorf("Config = %+v, want the defaults for an out-of-range Beta", c)
	}
}

// TestSendRateGrowthWaitsForItsEvidence: below the rate of the last cut the
// cap grows by Growth a Period; at or above it, while the slots given reach
// more than a Period ahead, by Growth per that backlog (a higher rate shows
// at the host only once the backlog is sent).
func TestSendRateGrowthWaitsForItsEvidence(t *testing.T) {
	ms := time.Millisecond
	var start []sendStep
	for i := range 10 { // 10 sends a second for a second, then a 429: 7/s, the last cut's rate 10/s
		start = append(start, sendStep{at: time.Duration(i) * 100 * ms, op: "send"})
	}
	start = append(start, sendStep{at: 1000 * ms, op: "429"})
	// Back to the last cut's rate: the host delivered 8 in the second
	// since the cut, so the next cut stays at the cap, 7.7/s, and that is
	// the last cut's rate.
	atLast := append([]sendStep{}, start...)
	atLast = append(atLast, sendStep{at: 2000 * ms, op: "ok"})
	for range 7 {
		atLast = append(atLast, sendStep{at: 2000 * ms, op: "ok"})
	}
	atLast = append(atLast, sendStep{at: 2000 * ms, op: "429"})
	backlog := func(at time.Duration, n int) []sendStep {
		var s []sendStep
		for range n {
			s = append(s, sendStep{at: at, op: "send"})
		}
		return s
	}
	tests := []struct {
		name  string
		steps []sendStep
		rate  float64
	}{
		{"below the last cut's rate, with a backlog of 2 s: 10% a second",
			append(append(append([]sendStep{}, start...), backlog(1000*ms, 21)...), sendStep{at: 2000 * ms, op: "ok"}), 7.7},
		{"at the last cut's rate, no backlog: 10% a second",
			append(append([]sendStep{}, atLast...), sendStep{at: 3000 * ms, op: "ok"}), 7.7 * 1.1},
		{"at the last cut's rate, a backlog of 1.987 s: 10% per 1.987 s",
			append(append(append([]sendStep{}, atLast...), backlog(2000*ms, 23)...), sendStep{at: 3000 * ms, op: "ok"}),
			7.7 * (1 + 0.1/(23/7.7-1))},
		{"at the last cut's rate, a backlog of under a Period: 10% a second",
			append(append(append([]sendStep{}, atLast...), backlog(2000*ms, 15)...), sendStep{at: 3000 * ms, op: "ok"}), 7.7 * 1.1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := policy.NewSendRate(policy.SendRateConfig{})
			for _, st := range tc.steps {
				feed(s, st, time.Hour)
			}
			if r, on := s.Rate(); !on || math.Abs(r-tc.rate) > 1e-6 {
				t.Errorf("Rate = %v, %v; want %v, true", r, on, tc.rate)
			}
		})
	}
}

// feed gives s one step at its time: a send reserves a slot within limit
// (and returns Reserve's answer), a 429 is Throttled, an ok Succeeded.
func feed(s *policy.SendRate, st sendStep, limit time.Duration) (time.Duration, bool) {
	at := now.Add(st.at)
	switch st.op {
	case "send":
		return s.Reserve(at, limit)
	case "429":
		s.Throttled(at)
	case "ok":
		s.Succeeded(at)
	}
	return 0, true
}

// TestSendRateTakeIfFree: TakeIfFree counts a send exactly as Reserve
// does while the rate lets everything through, and counts nothing once
// it paces. Two rates fed the same events, one taking its sends through
// TakeIfFree (Reserve when it declines), the other through Reserve alone,
// stay equal after every step.
func TestSendRateTakeIfFree(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name string
		seq  string // s: a send, o: a success, x: a throttle, 1: 100 ms pass, 9: 2 s pass
	}{
		{"free", "sosos1so9so"},
		{"throttled, then free again", "ssss1sxs1sxsoso9sosososo9so1so"},
		{"idle periods", "s9999s1s"},
	}
	for _, tc := range tests {
		viaTake, viaReserve := policy.NewSendRate(policy.SendRateConfig{}), policy.NewSendRate(policy.SendRateConfig{})
		now, took, declined := t0, 0, 0
		for i, op := range tc.seq {
			switch op {
			case 's':
				if viaTake.TakeIfFree(now) {
					took++
				} else {
					declined++
					before := fmt.Sprintf("%+v", viaTake)
					if _, ok := viaTake.Reserve(now, time.Minute); !ok {
						t.Fatalf("%s, step %d: Reserve refused", tc.name, i)
					}
					if fmt.Sprintf("%+v", viaTake) == before {
						t.Fatalf("%s, step %d: Reserve after a declined TakeIfFree counted nothing", tc.name, i)
					}
				}
				if _, ok := viaReserve.Reserve(now, time.Minute); !ok {
					t.Fatalf("%s, step %d: Reserve refused", tc.name, i)
				}
			case 'o':
				viaTake.Succeeded(now)
				viaReserve.Succeeded(now)
			case 'x':
				viaTake.Throttled(now)
				viaReserve.Throttled(now)
			case '1':
				now = now.Add(100 * time.Millisecond)
			case '9':
				now = now.Add(2 * time.Second)
			}
			if got, want := fmt.Sprintf("%+v", viaTake), fmt.Sprintf("%+v", viaReserve); got != want {
				t.Fatalf("%s, step %d (%c):\n TakeIfFree %s\n Reserve    %s", tc.name, i, op, got, want)
			}
		}
		if took == 0 {
			t.Errorf("%s: TakeIfFree took no send", tc.name)
		}
		if strings.Contains(tc.seq, "x") && declined == 0 {
			t.Errorf("%s: TakeIfFree declined no send while the rate paced", tc.name)
		}
	}
}
