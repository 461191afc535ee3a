package transport_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// smallBudget holds two retries and earns no more: no deposits, no accrual.
var smallBudget = policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: -1, MaxTokens: 2}

// TestBudgetSpent: in an outage a small budget is spent at once and further
// retries stop with rule "budget", returning the last response.
func TestBudgetSpent(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
		transport.WithBudget(smallBudget))
	want := []string{"retry,retry,max_attempts", "budget", "budget", "budget"}
	for i, w := range want {
		resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := rules(as); got != w {
			t.Errorf("request %d: rules %s, want %s", i+1, got, w)
		}
		if resp.StatusCode != 504 || readAll(t, resp.Body) != gw504.body {
			t.Errorf("request %d: status %d", i+1, resp.StatusCode)
		}
		if as[len(as)-1].Rule == policy.RuleBudget && !as[len(as)-1].Retry && as[len(as)-1].Reason == "" {
			t.Errorf("request %d: no reason", i+1)
		}
	}
	if g.hits() != 3+3 {
		t.Errorf("%d hits, want 6", g.hits())
	}
}

// TestBudgetPerHost: spending one host's budget leaves another's whole.
func TestBudgetPerHost(t *testing.T) {
	t.Parallel()
	a, b := newGateway(t, gw504), newGateway(t, gw504)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
		transport.WithBudget(smallBudget))
	for i := 0; i < 3; i++ {
		do(t, rt, newRequest(t, "GET", a.URL, nil))
	}
	_, _, as := do(t, rt, newRequest(t, "GET", b.URL, nil))
	if got := rules(as); got != "retry,retry,max_attempts" {
		t.Errorf("other host: %s", got)
	}
}

// TestBudgetRefilledByRequests: successful first attempts deposit Ratio.
func TestBudgetRefilledByRequests(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
		transport.WithBudget(policy.BudgetConfig{Ratio: 0.5, MinRetriesPerSecond: -1, MaxTokens: 1}))
	// Full at 1 token (its deposit is capped): one retry, then spent.
	_, _, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if got := rules(as); got != "retry,budget" {
		t.Errorf("request 1: %s", got)
	}
	_, _, as = do(t, rt, newRequest(t, "GET", g.URL, nil)) // deposit 0.5: 0.5
	if got := rules(as); got != "budget" {
		t.Errorf("request 2: %s", got)
	}
	_, _, as = do(t, rt, newRequest(t, "GET", g.URL, nil)) // deposit 0.5: 1.0
	if got := rules(as); got != "retry,budget" {
		t.Errorf("request 3: %s", got)
	}
}

// TestWithoutBudget: with no budget every request retries up to MaxAttempts.
func TestWithoutBudget(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(), transport.WithoutBudget())
	for i := 0; i < 6; i++ {
		_, _, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
		if got := rules(as); got != "retry,retry,max_attempts" {
			t.Errorf("request %d: %s", i+1, got)
		}
	}
	if g.hits() != 18 {
		t.Errorf("%d hits", g.hits())
	}
}

// TestDefaultBudgetOn: New's default budget (10 tokens, 20%, 1/s) is on:
// in an outage, once what it holds is spent, a retry waits for the token
// that accrues (waiting for the host is the default), so the retries go
// no faster than the budget earns them. The original, in wall time,
// checked that the retries were at most 10 + 4 + 1 a second of the test,
// and took 26 s. In virtual time against an in-memory host, exactly: the
// 40 retries the 20 requests may make (MaxAttempts 3) are paid by the 10
// banked, 3.8 deposited (20% of each request but the first, whose deposit
// the full bucket could not hold) and 26.2 accrued, at 26.2 s.
func TestDefaultBudgetOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int32
		failing := scriptedBase(gw504)
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			hits.Add(1)
			return failing.RoundTrip(r)
		})
		rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBreaker())
		const requests = 20
		start := time.Now()
		for i := 0; i < requests; i++ {
			do(t, rt, newRequest(t, "GET", memURL, nil))
		}
		retries := int(hits.Load()) - requests
		if d := time.Since(start); retries != 2*requests || d != 26200*time.Millisecond {
			t.Errorf("%d retries for %d requests in %v, want 40 in 26.2s (10 banked, 3.8 deposited, then 1 a second)", retries, requests, d)
		}
	})
}
