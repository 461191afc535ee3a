package transport_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// Hedging is the attempt loop plus a timer: a hedged request is admitted,
// landed and paced as any other. These tests send requests that hedging
// covers (GETs, with a delay long enough that no hedge goes unless a test
// wants one) through what the sequential path has.

// TestHedgedWaitsForHost: a hedged request to a host whose breaker is open
// waits for the host, as any request does, and goes when the breaker lets
// it; it is not refused with ErrCircuitOpen.
func TestHedgedWaitsForHost(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	openFor := 200 * time.Millisecond
	rt := waitingTransport(t, openFor, transport.WaitConfig{Tick: 20 * time.Millisecond, ProbeInterval: time.Hour},
		transport.WithHedging(time.Hour))
	trip(t, rt, h)
	opened := time.Now()
	if err := send(t, rt, context.Background(), h.URL, "hedged"); err != nil {
		t.Fatalf("a hedged request to an open breaker: %v, want it to wait and succeed", err)
	}
	got := h.seen()
	if len(got) != 2 {
		t.Fatalf("%d requests reached the host, want the failure and the waiter", len(got))
	}
	if d := got[1].at.Sub(opened); d < openFor-30*time.Millisecond {
		t.Errorf("the hedged request reached the host %v after the breaker opened, before its %v", d, openFor)
	}
}

// TestHedgedSlowCallsCount: the slow-call rule applies to hedged requests:
// an answer that comes after the threshold counts as a failure although it
// succeeds, and opens the breaker. The first call is fast, so the host's
// usual latency is under the threshold when the slow one comes.
func TestHedgedSlowCallsCount(t *testing.T) {
	t.Parallel()
	fastOnce := make(chan struct{}, 1)
	fastOnce <- struct{}{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-fastOnce:
		default:
			time.Sleep(150 * time.Millisecond)
		}
	}))
	defer srv.Close()
	// The breaker opens at the first failure.
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{}, transport.WithFailFast(),
		transport.WithSlowCallThreshold(60*time.Millisecond), transport.WithHedging(time.Hour))
	for i := range 2 { // fast, then slow
		if err := send(t, rt, context.Background(), srv.URL, "call"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if err := send(t, rt, context.Background(), srv.URL, "after"); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("after a slow call: %v, want the breaker open", err)
	}
}

// TestHedgedRetryWaitsForBudget: a hedged request's retry that the spent
// budget cannot pay now waits for the next token (one every 100 ms here),
// as a sequential one does, instead of giving up.
func TestHedgedRetryWaitsForBudget(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200, gw504, ok200)
	spent := policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: 10, MaxTokens: 1}
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(), transport.WithBudget(spent),
		transport.WithHedging(time.Hour))
	for i, minWait := range []time.Duration{0, 80 * time.Millisecond} { // the first retry takes the only token
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || rules(as) != "retry,not_retryable" {
			t.Fatalf("request %d: status %d, rules %s; want 200 after a retry", i+1, resp.StatusCode, rules(as))
		}
		if d := time.Since(start); d < minWait {
			t.Errorf("request %d: its retry went after %v, before the next token", i+1, d)
		}
	}
}

// TestHedgedPacedAfterThrottle: after a 429 the host's send rate paces a
// hedged request's retries, as it paces every attempt to that host.
func TestHedgedPacedAfterThrottle(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw429, gw429, ok200)
	// After the first 429 the rate is its least: 2 sends a second, one
	// every 500 ms.
	rate := policy.SendRateConfig{Period: time.Second, Beta: 0.01, Min: 2}
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(), transport.WithoutBudget(),
		transport.WithSendRate(rate), transport.WithHedging(time.Hour))
	start := time.Now()
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(as) != 3 {
		t.Fatalf("status %d, rules %s; want 200 after two retries", resp.StatusCode, rules(as))
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("two retries after 429s went within %v: the send rate did not pace them", d)
	}
	if as[1].Wait < 300*time.Millisecond {
		t.Errorf("the recorded wait before the second retry is %v, want the send rate's", as[1].Wait)
	}
}

// TestHedgeRefusedByBreaker: the hedge timer launches no hedge to a host
// whose breaker opened while the first attempt hung, nor takes a
// half-open breaker's probe (those are for the requests waiting for the
// host, which its release hands them at its ticks).
func TestHedgeRefusedByBreaker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		openFor     time.Duration // the breaker's open time
		hedgeDelay  time.Duration
		slowAnswers int // the hung first attempt's status once released
	}{
		{"open", time.Hour, 50 * time.Millisecond, http.StatusGatewayTimeout},
		// Half-open from 20 ms on; the first attempt then answers 200, so
		// that no retry asks for the probe either.
		{"half-open", 20 * time.Millisecond, 100 * time.Millisecond, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			var hits = make(chan struct{}, 10)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits <- struct{}{}
				if r.Header.Get("X-Order") == "slow" {
					<-release
					w.WriteHeader(tc.slowAnswers)
					return
				}
				w.WriteHeader(http.StatusGatewayTimeout)
			}))
			defer srv.Close()
			s := gobreaker.Settings{Timeout: tc.openFor,
				ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }}
			rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
				transport.WithBreaker(s), transport.WithFailFast(), transport.WithSlowCallThreshold(-1),
				transport.WithHedging(tc.hedgeDelay))
			done := make(chan []transport.Attempt)
			go func() {
				req := newRequest(t, "GET", srv.URL, nil)
				req.Header.Set("X-Order", "slow")
				_, _, as := do(t, rt, req)
				done <- as
			}()
			<-hits
			// Open the breaker with another request's failure (POST: no hedge).
			resp, err := rt.RoundTrip(newRequest(t, "POST", srv.URL, nil))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			<-hits
			time.Sleep(3 * tc.hedgeDelay) // hedge delays pass
			close(release)
			as := <-done
			if len(hits) != 0 || len(as) != 1 {
				t.Errorf("%d more requests reached the host and %d attempts were made: a hedge went to a breaker that was not closed", len(hits), len(as))
			}
		})
	}
}
