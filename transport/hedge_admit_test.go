package transport_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
// it; it is not refused with ErrCircuitOpen. In virtual time against an
// in-memory host: it reaches the host at the queue's first tick after the
// breaker's 200 ms open time has passed (gobreaker turns half-open after
// its Timeout, not at it), 220 ms.
func TestHedgedWaitsForHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newMemHost()
		openFor, tick := 200*time.Millisecond, 20*time.Millisecond
		rt := waitingOver(h, openFor, transport.WaitConfig{Tick: tick, ProbeInterval: time.Hour},
			transport.WithHedging(time.Hour))
		h.trip(t, rt)
		opened := time.Now()
		if err := send(t, rt, context.Background(), memURL, "hedged"); err != nil {
			t.Fatalf("a hedged request to an open breaker: %v, want it to wait and succeed", err)
		}
		got := h.seen()
		if len(got) != 2 {
			t.Fatalf("%d requests reached the host, want the failure and the waiter", len(got))
		}
		if d := got[1].at.Sub(opened); d != openFor+tick {
			t.Errorf("the hedged request reached the host %v after the breaker opened, want %v (the first tick after its %v)", d, openFor+tick, openFor)
		}
		time.Sleep(tick) // the pacer sees its queue empty and ends: time stops when this function returns
	})
}

// TestHedgedSlowCallsCount: the slow-call rule applies to hedged requests:
// an answer that comes after the threshold counts as a failure although it
// succeeds, and opens the breaker. The first call is fast, so the host's
// usual latency is under the threshold when the slow one comes. In
// virtual time against an in-memory host: the first call takes no time,
// the slow one 150 ms exactly, however loaded the machine.
func TestHedgedSlowCallsCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ok := scriptedBase(ok200)
		var calls atomic.Int32
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) > 1 {
				time.Sleep(150 * time.Millisecond)
			}
			return ok.RoundTrip(r)
		})
		// The breaker opens at the first failure.
		rt := waitingOver(base, time.Hour, transport.WaitConfig{}, transport.WithFailFast(),
			transport.WithSlowCallThreshold(60*time.Millisecond), transport.WithHedging(time.Hour))
		for i := range 2 { // fast, then slow
			if err := send(t, rt, context.Background(), memURL, "call"); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if err := send(t, rt, context.Background(), memURL, "after"); !errors.Is(err, transport.ErrCircuitOpen) {
			t.Errorf("after a slow call: %v, want the breaker open", err)
		}
	})
}

// TestHedgedRetryWaitsForBudget: a hedged request's retry that the spent
// budget cannot pay now waits for the next token (one every 100 ms here),
// as a sequential one does, instead of giving up. In virtual time against
// an in-memory host: the first request's retry takes the only token at
// once; the second's waits for the next, 100 ms exactly.
func TestHedgedRetryWaitsForBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spent := policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: 10, MaxTokens: 1}
		rt := transport.New(scriptedBase(gw504, ok200, gw504, ok200), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
			transport.WithBudget(spent), transport.WithHedging(time.Hour))
		for i, wait := range []time.Duration{0, 100 * time.Millisecond} { // the first retry takes the only token
			start := time.Now()
			resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || rules(as) != "retry,not_retryable" {
				t.Fatalf("request %d: status %d, rules %s; want 200 after a retry", i+1, resp.StatusCode, rules(as))
			}
			if d := time.Since(start); d != wait || as[0].Wait != wait {
				t.Errorf("request %d: its retry went after %v (recorded wait %v), want %v (the next token)", i+1, d, as[0].Wait, wait)
			}
		}
	})
}

// TestHedgedPacedAfterThrottle: after a 429 the host's send rate paces a
// hedged request's retries, as it paces every attempt to that host. In
// virtual time against an in-memory host: the first retry takes the rate's
// first slot, at once, the second the next one, 500 ms later.
func TestHedgedPacedAfterThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// After the first 429 the rate is its least: 2 sends a second, one
		// every 500 ms.
		rate := policy.SendRateConfig{Period: time.Second, Beta: 0.01, Min: 2}
		rt := transport.New(scriptedBase(gw429, gw429, ok200), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(), transport.WithoutBudget(),
			transport.WithSendRate(rate), transport.WithHedging(time.Hour))
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || len(as) != 3 {
			t.Fatalf("status %d, rules %s; want 200 after two retries", resp.StatusCode, rules(as))
		}
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Errorf("two retries after 429s went within %v, want 500ms: the send rate did not pace them", d)
		}
		if as[1].Wait != 500*time.Millisecond {
			t.Errorf("the recorded wait before the second retry is %v, want the send rate's 500ms", as[1].Wait)
		}
	})
}

// TestHedgeRefusedByBreaker: the hedge timer launches no hedge to a host
// whose breaker opened while the first attempt hung, nor takes a
// half-open breaker's probe (those are for the requests waiting for the
// host, which its release hands them at its ticks). In virtual time
// against an in-memory host: the breaker opens before the hedge delay has
// passed, however loaded the machine.
func TestHedgeRefusedByBreaker(t *testing.T) {
	for _, tc := range []struct {
		name       string
		openFor    time.Duration // the breaker's open time
		hedgeDelay time.Duration
		slowAnswer answer // the hung first attempt's answer once released
	}{
		{"open", time.Hour, 50 * time.Millisecond, gw504},
		// Half-open from 20 ms on; the first attempt then answers 200, so
		// that no retry asks for the probe either.
		{"half-open", 20 * time.Millisecond, 100 * time.Millisecond, ok200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				var hits = make(chan struct{}, 10)
				slow, failing := scriptedBase(tc.slowAnswer), scriptedBase(gw504)
				base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					hits <- struct{}{}
					if r.Header.Get("X-Order") == "slow" {
						<-release
						return slow.RoundTrip(r)
					}
					return failing.RoundTrip(r)
				})
				s := gobreaker.Settings{Timeout: tc.openFor,
					ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }}
				rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
					transport.WithBreaker(s), transport.WithFailFast(), transport.WithSlowCallThreshold(-1),
					transport.WithHedging(tc.hedgeDelay))
				done := make(chan []transport.Attempt)
				go func() {
					req := newRequest(t, "GET", memURL, nil)
					req.Header.Set("X-Order", "slow")
					_, _, as := do(t, rt, req)
					done <- as
				}()
				<-hits
				// Open the breaker with another request's failure (POST: no hedge).
				resp, err := rt.RoundTrip(newRequest(t, "POST", memURL, nil))
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
		})
	}
}
