package policy_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

func TestBudgetConfigDefaults(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		in   policy.BudgetConfig
		want policy.BudgetConfig
	}{
		{"zero", policy.BudgetConfig{}, policy.BudgetConfig{Ratio: 0.2, MinRetriesPerSecond: 1, MaxTokens: 10, ThrottleCost: 5.0 / 14}},
		{"set", policy.BudgetConfig{Ratio: 0.1, MinRetriesPerSecond: 10, MaxTokens: 100}, policy.BudgetConfig{Ratio: 0.1, MinRetriesPerSecond: 10, MaxTokens: 100, ThrottleCost: 5.0 / 14}},
		{"negative means none", policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: -1, MaxTokens: -1}, policy.BudgetConfig{Ratio: 0, MinRetriesPerSecond: 0, MaxTokens: 10, ThrottleCost: 5.0 / 14}},
		{"NaN and Inf mean defaults", policy.BudgetConfig{Ratio: nan, MinRetriesPerSecond: inf, MaxTokens: inf}, policy.BudgetConfig{Ratio: 0.2, MinRetriesPerSecond: 1, MaxTokens: 10, ThrottleCost: 5.0 / 14}},
		{"MaxTokens below 1 raised", policy.BudgetConfig{MaxTokens: 0.5}, policy.BudgetConfig{Ratio: 0.2, MinRetriesPerSecond: 1, MaxTokens: 1, ThrottleCost: 5.0 / 14}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.NewBudget(tc.in).Config(); got != tc.want {
				t.Errorf("Config() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// budgetStep is one call on a Budget at a time after t0.
type budgetStep struct {
	at    time.Duration
	op    string // "request", "retry", "tokens"
	n     int    // how many times (default 1)
	want  bool   // retry: granted (every one of the n)
	token float64
}

// TestBudget runs scripted calls with injected times.
func TestBudget(t *testing.T) {
	t.Parallel()
	ratioOnly := policy.BudgetConfig{MinRetriesPerSecond: -1}
	tests := []struct {
		name  string
		c     policy.BudgetConfig
		steps []budgetStep
	}{
		{"starts full", policy.BudgetConfig{}, []budgetStep{
			{op: "tokens", token: 10},
			{op: "retry", n: 10, want: true},
			{op: "retry", want: false},
			{op: "tokens", token: 0},
		}},
		{"refused retry withdraws nothing", ratioOnly, []budgetStep{
			{op: "retry", n: 10, want: true},
			{op: "request", n: 4},
			{op: "retry", want: false},
			{op: "tokens", token: 0.8},
			{op: "request"},
			{op: "retry", want: true},
		}},
		{"five requests pay for one retry", ratioOnly, []budgetStep{
			{op: "retry", n: 10, want: true},
			{op: "request", n: 5},
			{op: "retry", want: true},
			{op: "retry", want: false},
		}},
		{"ten deposits of 0.1 pay for one retry", policy.BudgetConfig{Ratio: 0.1, MinRetriesPerSecond: -1}, []budgetStep{
			{op: "retry", n: 10, want: true},
			{op: "request", n: 10},
			{op: "retry", want: true},
			{op: "tokens", token: 0},
		}},
		{"deposits capped", ratioOnly, []budgetStep{
			{op: "request", n: 1000},
			{op: "tokens", token: 10},
			{op: "retry", n: 10, want: true},
			{op: "retry", want: false},
		}},
		{"accrues per second", policy.BudgetConfig{}, []budgetStep{
			{op: "retry", n: 10, want: true},
			{at: 500 * time.Millisecond, op: "retry", want: false},
			{at: 500 * time.Millisecond, op: "tokens", token: 0.5},
			{at: time.Second, op: "retry", want: true},
			{at: time.Second, op: "retry", want: false},
			{at: 3 * time.Second, op: "retry", n: 2, want: true},
			{at: 3 * time.Second, op: "retry", want: false},
		}},
		{"accrual capped after a quiet spell", policy.BudgetConfig{}, []budgetStep{
			{op: "retry", n: 10, want: true},
			{at: time.Hour, op: "tokens", token: 10},
			{at: time.Hour, op: "retry", n: 10, want: true},
			{at: time.Hour, op: "retry", want: false},
		}},
		{"no floor: a quiet client cannot retry", ratioOnly, []budgetStep{
			{op: "retry", n: 10, want: true},
			{at: time.Hour, op: "retry", want: false},
		}},
		{"earlier time accrues nothing", policy.BudgetConfig{}, []budgetStep{
			{at: time.Hour, op: "retry", n: 10, want: true},
			{at: 0, op: "tokens", token: 0},
			{at: 0, op: "retry", want: false},
			{at: time.Hour + time.Second, op: "tokens", token: 1},
		}},
		{"a full budget's request moves its clock", policy.BudgetConfig{}, []budgetStep{
			{op: "tokens", token: 10},
			{at: 10 * time.Second, op: "request"},
			{at: 5 * time.Second, op: "retry", want: true}, // earlier than the request: accrues nothing
			{at: 10*time.Second + 500*time.Millisecond, op: "tokens", token: 9.5},
		}},
		{"requests and the floor add up", policy.BudgetConfig{Ratio: 0.5, MinRetriesPerSecond: 2, MaxTokens: 4}, []budgetStep{
			{op: "retry", n: 4, want: true},
			{at: 250 * time.Millisecond, op: "request"},
			{at: 250 * time.Millisecond, op: "tokens", token: 1},
			{at: 250 * time.Millisecond, op: "retry", want: true},
		}},
	}
	t0 := now
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := policy.NewBudget(tc.c)
			for i, s := range tc.steps {
				at := t0.Add(s.at)
				n := max(s.n, 1)
				switch s.op {
				case "request":
					for range n {
						b.Request(at)
					}
				case "retry":
					for j := range n {
						if got := b.Retry(at); got != s.want {
							t.Fatalf("step %d: retry %d of %d at +%v = %t, want %t (tokens %v)", i, j+1, n, s.at, got, s.want, b.Tokens(at))
						}
					}
				case "tokens":
					if got := b.Tokens(at); math.Abs(got-s.token) > 1e-9 {
						t.Fatalf("step %d: Tokens(+%v) = %v, want %v", i, s.at, got, s.token)
					}
				}
			}
		})
	}
}

// TestBudgetBound: over a long run in which every attempt fails and every
// request wants two retries, the retries granted never exceed
// Ratio*requests + MinRetriesPerSecond*seconds + MaxTokens, and with steady
// traffic they reach that share (the budget does not starve retries).
func TestBudgetBound(t *testing.T) {
	t.Parallel()
	configs := []policy.BudgetConfig{
		{},
		{Ratio: 0.1, MinRetriesPerSecond: 10, MaxTokens: 100},
		{Ratio: 0.5, MinRetriesPerSecond: -1, MaxTokens: 1},
		{Ratio: -1, MinRetriesPerSecond: 0.5},
	}
	rates := []float64{0.2, 5, 200} // requests per second
	for ci, c := range configs {
		for _, rate := range rates {
			t.Run(fmt.Sprintf("config%d/%vrps", ci, rate), func(t *testing.T) {
				t.Parallel()
				b := policy.NewBudget(c)
				cfg := b.Config()
				r := rand.New(rand.NewPCG(uint64(ci), uint64(rate*10)))
				at := now
				var requests, retries int
				for range 20000 {
					// Poisson arrivals; the retries follow within 300 ms.
					at = at.Add(time.Duration(r.ExpFloat64() / rate * float64(time.Second)))
					b.Request(at)
					requests++
					for k := range 2 {
						if b.Retry(at.Add(time.Duration(k+1) * 100 * time.Millisecond)) {
							retries++
						}
					}
				}
				seconds := at.Add(300 * time.Millisecond).Sub(now).Seconds()
				earned := cfg.Ratio*float64(requests) + cfg.MinRetriesPerSecond*seconds
				bound := earned + cfg.MaxTokens
				if float64(retries) > bound+1e-6*float64(retries) {
					t.Errorf("%d retries for %d requests in %.0fs: more than the bound %.1f", retries, requests, seconds, bound)
				}
				share := float64(retries) / float64(requests)
				limit := cfg.Ratio + cfg.MinRetriesPerSecond*seconds/float64(requests) + cfg.MaxTokens/float64(requests)
				if share > limit+1e-9 {
					t.Errorf("retries/requests = %.4f > %.4f", share, limit)
				}
				// At a steady rate nearly every earned token is spent, up to
				// the demand of two retries a request.
				if want := min(earned, 2*float64(requests)); rate >= 5 && float64(retries) < 0.95*want {
					t.Errorf("%d retries, want at least 95%% of %.1f (earned %.1f)", retries, want, earned)
				}
			})
		}
	}
}

// TestBudgetConcurrent: many goroutines on one budget (run with -race);
// the total granted stays inside the bound, and the balance never goes
// negative.
func TestBudgetConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG = 8, 500
	b := policy.NewBudget(policy.BudgetConfig{})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		retries int
	)
	for g := range goroutines {
		wg.Go(func() {
			granted := 0
			for i := range perG {
				at := now.Add(time.Duration(i) * time.Millisecond)
				b.Request(at)
				if b.Retry(at) {
					granted++
				}
				if g == 0 && b.Tokens(at) < 0 {
					t.Errorf("negative balance at +%dms", i)
				}
			}
			mu.Lock()
			retries += granted
			mu.Unlock()
		})
	}
	wg.Wait()
	// The clock ran 0.5 s: 0.2*4000 + 1*0.5 + 10.
	if bound := 0.2*goroutines*perG + 0.5 + 10; float64(retries) > bound {
		t.Errorf("%d retries granted, more than %v", retries, bound)
	}
	if tokens := b.Tokens(now.Add(time.Second)); tokens < 0 || tokens > 10 {
		t.Errorf("Tokens = %v", tokens)
	}
}
