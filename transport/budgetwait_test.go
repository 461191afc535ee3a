package transport_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestRetryWaitsForBudget: with waiting on, a retry the spent budget cannot
// pay now waits for the tokens that accrue (here one every 100 ms) instead
// of giving up; with a deadline too close for them, it gives up ("budget").
// In virtual time against an in-memory host: the first retry takes the
// only token at once, the second waits 100 ms exactly for the next; under
// the deadline, the give-up comes at once.
func TestRetryWaitsForBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: 10, MaxTokens: 1}
		rt := transport.New(scriptedBase(gw504, gw504, ok200), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(), transport.WithBudget(b))
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || rules(as) != "retry,retry,not_retryable" {
			t.Fatalf("status %d, rules %s; want 200 after two retries", resp.StatusCode, rules(as))
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("the second retry went after %v, want 100ms: the next token", d)
		}
		if as[0].Wait != 0 || as[1].Wait != 100*time.Millisecond {
			t.Errorf("the recorded waits before the retries are %v and %v, want 0 and the budget's 100ms", as[0].Wait, as[1].Wait)
		}
	})

	synctest.Test(t, func(t *testing.T) {
		rt := transport.New(scriptedBase(gw504), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
			transport.WithBudget(policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: 1, MaxTokens: 1}))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if rules(as) != "retry,budget" || time.Since(start) != 0 {
			t.Errorf("a token 1 s away under a 200 ms deadline: rules %s after %v, want retry,budget at once", rules(as), time.Since(start))
		}
	})
}

// TestThrottleRetriesCheaper: a retry after a 429 costs 5/14 of a token, so
// one token pays for two throttle retries where it pays for one after a
// 504.
func TestThrottleRetriesCheaper(t *testing.T) {
	t.Parallel()
	one := policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: -1, MaxTokens: 1}
	for _, tc := range []struct {
		name string
		a    answer
		want string
	}{
		{"429", gw429, "retry,retry,max_attempts"},
		{"504", gw504, "retry,budget"},
	} {
		g := newGateway(t, tc.a)
		rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
			transport.WithBudget(one), transport.WithoutSendRate())
		resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if rules(as) != tc.want {
			t.Errorf("%s: rules %s, want %s", tc.name, rules(as), tc.want)
		}
	}
}
