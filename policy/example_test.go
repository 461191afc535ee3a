package policy_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/retryscope/retryscope/policy"
)

func ExampleDefault() {
	p := policy.Default()
	fmt.Println("attempts:", p.MaxAttempts)
	fmt.Println("backoff:", p.Backoff.Jitter, p.Backoff.Base, p.Backoff.Cap)
	fmt.Println("max Retry-After:", p.MaxRetryAfter)
	// Output:
	// attempts: 4
	// backoff: full 100ms 10s
	// max Retry-After: 30s
}

func ExamplePolicy_Classify() {
	// What a REST API answers when the Lambda function outlives the
	// integration timeout.
	resp := &http.Response{StatusCode: http.StatusGatewayTimeout, Header: http.Header{
		"X-Amzn-Requestid": {"6f1c7d3e-8a44-4b9e-9d1f-2f0b3c4d5e6f"},
		"X-Amz-Apigw-Id":   {"K2G9wEbUoAMEvag="},
		"X-Amzn-Errortype": {"InternalServerErrorException"},
	}}
	o := policy.Default().Classify(policy.Exchange{
		Response: resp,
		Body:     []byte(`{"message": "Endpoint request timed out"}`),
	})
	fmt.Println(o.Reach, o.Cause, o.Retryable)
	fmt.Println("may have run:", o.Reach.MayHaveRun())
	// Output:
	// backend_timeout integration_timeout true
	// may have run: true
}

func ExamplePolicy_Decide() {
	p := policy.Default()
	p.Rand = func(n int64) int64 { return n / 2 } // deterministic jitter
	timedOut := policy.Outcome{Reach: policy.ReachBackendTimeout, Retryable: true,
		Cause: "integration_timeout", Reason: "API Gateway integration timeout"}
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

	for _, method := range []string{http.MethodPost, http.MethodGet} {
		s := policy.State{Method: method, Replayable: true, Attempts: 1, Start: now.Add(-29 * time.Second)}
		d := p.Decide(s, timedOut, now)
		fmt.Printf("%s: retry=%t rule=%s wait=%v\n", method, d.Retry, d.Rule, d.Wait)
	}
	// Output:
	// POST: retry=false rule=unsafe wait=0s
	// GET: retry=true rule=retry wait=50ms
}

func ExampleBackoff_Delay() {
	b := policy.Backoff{Jitter: policy.FullJitter, Base: 100 * time.Millisecond, Cap: time.Second}
	highest := func(n int64) int64 { return n - 1 } // the top of each range
	for retry := 1; retry <= 5; retry++ {
		fmt.Println(retry, b.Delay(retry, 0, highest))
	}
	// Output:
	// 1 100ms
	// 2 200ms
	// 3 400ms
	// 4 800ms
	// 5 1s
}

func ExampleParseRetryAfter() {
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	for _, v := range []string{"10", "Thu, 26 Nov 2026 01:01:30 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "soon"} {
		d, ok := policy.ParseRetryAfter(v, now)
		fmt.Println(d, ok)
	}
	// Output:
	// 10s true
	// 1m30s true
	// 0s true
	// 0s false
	// 0s false
}

func ExampleBudget() {
	b := policy.NewBudget(policy.BudgetConfig{}) // 20% of requests + 1/s, at most 10 banked
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

	// An outage: every request fails and wants a retry. The 10 banked
	// tokens go first (the first deposit finds the budget full); then 5
	// requests pay for one retry: 10 + 0.2*99 = 29.8 tokens.
	granted := 0
	for range 100 {
		b.Request(now)
		if b.Retry(now) {
			granted++
		}
	}
	fmt.Println("retries for 100 failing requests:", granted)
	fmt.Println("a second later:", b.Tokens(now.Add(time.Second)))
	// Output:
	// retries for 100 failing requests: 29
	// a second later: 1.8
}
