package transport_test

import (
	"errors"
	"io"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestBugHedgeGetBodyFailureKeepsWinner: a hedge whose GetBody fails sends
// nothing; the attempt in flight goes on and its answer is returned whole,
// as it is without hedging. The failed hedge is recorded, no further hedge
// is tried, and the breaker is not told about it.
func TestBugHedgeGetBodyFailureKeepsWinner(t *testing.T) {
	t.Parallel()
	g := newGateway(t, slowAnswer(150*time.Millisecond))
	for _, hedging := range []bool{false, true} {
		var opts []transport.Option
		if hedging {
			opts = append(opts, transport.WithHedging(10*time.Millisecond))
		}
		rt := transport.New(newBase(t), fast(opts...)...)
		req := newRequest(t, "PUT", g.URL, strings.NewReader("payload"))
		var copies atomic.Int32
		req.GetBody = func() (io.ReadCloser, error) {
			copies.Add(1)
			return nil, errors.New("no second copy of the body")
		}
		resp, err, as := do(t, rt, req)
		if err != nil {
			t.Fatalf("hedging %v: %v (attempts %s)", hedging, err, rules(as))
		}
		if got := readAll(t, resp.Body); resp.StatusCode != 200 || got != "done" {
			t.Errorf("hedging %v: %d %q", hedging, resp.StatusCode, got)
		}
		resp.Body.Close()
		if g.hits() != 1 {
			t.Errorf("hedging %v: %d requests reached the server, want 1", hedging, g.hits())
		}
		g.setScript(slowAnswer(150 * time.Millisecond))
		if !hedging {
			if len(as) != 1 || copies.Load() != 0 {
				t.Errorf("without hedging: %d attempts, %d GetBody calls", len(as), copies.Load())
			}
			continue
		}
		if copies.Load() != 1 || len(as) != 2 {
			t.Fatalf("GetBody called %d times (want 1: no hedge after it failed); attempts %+v", copies.Load(), as)
		}
		hedge, win := as[0], as[1]
		if !hedge.Hedge || hedge.Number != 2 || hedge.Reach != policy.ReachNotSent || hedge.Rule != policy.RuleHedgePending || hedge.Err == nil {
			t.Errorf("failed hedge recorded as %+v", hedge)
		}
		if win.Hedge || win.Number != 1 || win.Status != 200 || win.Rule != policy.RuleNotRetryable {
			t.Errorf("winner recorded as %+v", win)
		}
	}
}

// TestHedgeGetBodyFailureBreakerUntouched: failed hedges say nothing about
// the host: many of them leave a strict breaker closed.
func TestHedgeGetBodyFailureBreakerUntouched(t *testing.T) {
	t.Parallel()
	g := newGateway(t, slowAnswer(30*time.Millisecond))
	b := transport.DefaultBreaker()
	b.ReadyToTrip = func(c gobreaker.Counts) bool { return c.TotalFailures >= 1 }
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
		transport.WithBreaker(b), transport.WithHedging(time.Millisecond))
	for i := 0; i < 5; i++ {
		req := newRequest(t, "GET", g.URL, strings.NewReader("x"))
		req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("gone") }
		resp, err, as := do(t, rt, req)
		if err != nil {
			t.Fatalf("request %d: %v (%s)", i, err, rules(as))
		}
		resp.Body.Close()
	}
}

// hedgeAllocs measures one hedged GET that the first attempt answers at
// once, with MaxAttempts n: allocations and bytes, averaged.
func hedgeAllocs(t *testing.T, n int) (allocs, bytes float64) {
	t.Helper()
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	p := fastPolicy()
	p.MaxAttempts = n
	rt := transport.New(base, transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget(),
		transport.WithHedging(time.Hour))
	get := func() {
		resp, err := rt.RoundTrip(newRequest(t, "GET", "http://example.invalid/x", nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get() // warm up
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		get()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / runs, float64(after.TotalAlloc-before.TotalAlloc) / runs
}

// TestBugHedgeMemoryIndependentOfMaxAttempts: a hedged request allocates for
// the attempts it makes, not for the ones MaxAttempts would allow; 1<<22
// used to cost a GiB per GET.
func TestBugHedgeMemoryIndependentOfMaxAttempts(t *testing.T) {
	small, smallBytes := hedgeAllocs(t, 3)
	large, largeBytes := hedgeAllocs(t, 1<<22)
	t.Logf("MaxAttempts 3: %.1f allocs, %.0f B; 1<<22: %.1f allocs, %.0f B per GET", small, smallBytes, large, largeBytes)
	if large > small+3 || largeBytes > smallBytes+2048 {
		t.Errorf("MaxAttempts 1<<22 costs %.1f allocs and %.0f B per GET, 3 costs %.1f and %.0f B", large, largeBytes, small, smallBytes)
	}
}

// TestBugHedgeUntilMaxElapsed: MaxAttempts math.MaxInt32 with MaxElapsed, "retry
// until the time runs out", ends by MaxElapsed with the attempts made. In
// virtual time over an in-memory base, exactly: an attempt every 5 ms (the
// backoff; the 1 ms hedge delay has no attempt to cover, each answering at
// once): 20 attempts, the last at 95 ms, after which the next would go at
// MaxElapsed.
func TestBugHedgeUntilMaxElapsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			return &http.Response{StatusCode: 503, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("busy")), Request: r}, nil
		})
		p := fastPolicy()
		p.MaxAttempts = math.MaxInt32
		p.MaxElapsed = 100 * time.Millisecond
		p.Backoff = policy.Backoff{Jitter: policy.NoJitter, Base: 5 * time.Millisecond, Cap: 5 * time.Millisecond}
		rt := transport.New(base, transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget(),
			transport.WithHedging(time.Millisecond))
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", "http://example.invalid/x", nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || len(as) != 20 || int(calls.Load()) != len(as) {
			t.Errorf("status %d, %d attempts, %d calls; want 503, 20 and 20", resp.StatusCode, len(as), calls.Load())
		}
		if d := time.Since(start); d != 95*time.Millisecond {
			t.Errorf("took %v, want 95ms (the last attempt's)", d)
		}
		if last := as[len(as)-1]; last.Rule != policy.RuleMaxElapsed {
			t.Errorf("last rule %q, want max_elapsed", last.Rule)
		}
	})
}
