package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// countingFleet is a transport.Fleet that holds a circuit open on demand
// and counts what it is told.
type countingFleet struct {
	mu       sync.Mutex
	open     bool
	firsts   int
	retries  int
	openings int
}

func (f *countingFleet) CircuitOpen(string, time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open
}

func (f *countingFleet) BreakerChanged(_ string, to gobreaker.State, _ time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if to == gobreaker.StateOpen {
		f.openings++
	}
}

func (f *countingFleet) CountRequest(_ string, retry bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if retry {
		f.retries++
	} else {
		f.firsts++
	}
}

func (f *countingFleet) RetryAllowed(string, time.Time) bool { return true }

// TestBugRefusedRequestsEarnRetries: a request the fleet's open circuit
// refused was counted as a first attempt, so a long open window banked
// retries in the fleet-wide budget.
func TestBugRefusedRequestsEarnRetries(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	fleet := &countingFleet{open: true}
	rt := transport.New(nil, transport.WithFleet(fleet), transport.WithFailFast())
	for range 5 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if _, err := rt.RoundTrip(req); !errors.Is(err, transport.ErrCircuitOpen) {
			t.Fatalf("want ErrCircuitOpen while the fleet holds the circuit open, got %v", err)
		}
	}
	fleet.mu.Lock()
	fleet.open = false
	fleet.mu.Unlock()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fleet.mu.Lock()
	defer fleet.mu.Unlock()
	if fleet.firsts != 1 || fleet.retries != 0 {
		t.Errorf("fleet counted %d first attempts and %d retries, want 1 and 0 (refused requests are not attempts)", fleet.firsts, fleet.retries)
	}
}

// roomyFleet is a transport.Fleet whose retry budget has room from a given
// time on, and that counts how often it was asked.
type roomyFleet struct {
	countingFleet
	from  time.Time
	asked atomic.Int32
}

func (f *roomyFleet) RetryAllowed(_ string, now time.Time) bool {
	f.asked.Add(1)
	return !now.Before(f.from)
}

// scriptedBase answers in memory, without a network: request i gets
// script[i] as API Gateway shapes it (helpers_test.go), and the last
// answer repeats. For tests in virtual time (synctest), where a loopback
// server's reads would not let the clock move.
func scriptedBase(script ...answer) http.RoundTripper {
	var n atomic.Int32
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		a := script[min(int(n.Add(1))-1, len(script)-1)]
		h := http.Header{"Content-Type": {"application/json"}, "X-Amz-Apigw-Id": {apigwID()}}
		if a.errType != "" {
			h.Set("X-Amzn-Errortype", a.errType)
		}
		return &http.Response{StatusCode: a.status, Header: h, Request: r, ContentLength: int64(len(a.body)),
			Body: io.NopCloser(strings.NewReader(a.body))}, nil
	})
}

// TestRetryWaitsForFleetRoom: while the transport waits for its hosts (the
// default), a retry the fleet-wide budget refuses asks it again, every
// fleetPoll (100 ms; the policy's Rand takes the middle of the jitter),
// and goes once it has room; it gives up ("budget") at
// the caller's deadline, and at once with WithFailFast, as a retry the
// host's own budget refuses does. In virtual time: the waits are exact, and
// a loaded machine cannot stretch them.
func TestRetryWaitsForFleetRoom(t *testing.T) {
	p := fastPolicy()
	p.Rand = func(n int64) int64 { return n / 2 } // each poll's wait is fleetPoll exactly
	opts := func(f transport.Fleet, more ...transport.Option) []transport.Option {
		return append([]transport.Option{transport.WithPolicy(p), transport.WithFleet(f)}, more...)
	}
	synctest.Test(t, func(t *testing.T) {
		fleet := &roomyFleet{from: time.Now().Add(300 * time.Millisecond)}
		rt := transport.New(scriptedBase(gw504, ok200), opts(fleet)...)
		resp, err, as := do(t, rt, newRequest(t, "GET", "http://api.example/orders", nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || rules(as) != "retry,not_retryable" {
			t.Fatalf("status %d, rules %s; want 200 after one retry", resp.StatusCode, rules(as))
		}
		if !as[1].Start.Equal(fleet.from) {
			t.Errorf("the retry went %v after the fleet had room, want at the poll that found it (300 ms)", as[1].Start.Sub(fleet.from))
		}
		if n := fleet.asked.Load(); n != 4 { // at 0, 100, 200 and 300 ms
			t.Errorf("the fleet was asked %d times until it had room at 300 ms, want 4 (every 100 ms)", n)
		}
		if fleet.retries != 1 {
			t.Errorf("the fleet counted %d retries, want 1", fleet.retries)
		}
	})

	// No room before the caller's deadline: not retried, and no later than
	// the deadline (450 ms: the poll after the one at 400 ms would pass it).
	synctest.Test(t, func(t *testing.T) {
		rt := transport.New(scriptedBase(gw504), opts(&roomyFleet{from: time.Now().Add(time.Hour)})...)
		ctx, cancel := context.WithTimeout(context.Background(), 450*time.Millisecond)
		defer cancel()
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", "http://api.example/orders", nil).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if rules(as) != "budget" || resp.StatusCode != 504 {
			t.Errorf("no room for an hour under a 450 ms deadline: status %d, rules %s; want 504, budget", resp.StatusCode, rules(as))
		}
		if d := time.Since(start); d != 400*time.Millisecond {
			t.Errorf("gave up after %v, want at the last poll before the deadline (400 ms)", d)
		}
	})

	// Fail fast: refused at once.
	synctest.Test(t, func(t *testing.T) {
		fleet := &roomyFleet{from: time.Now().Add(time.Hour)}
		rt := transport.New(scriptedBase(gw504), opts(fleet, transport.WithFailFast())...)
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", "http://api.example/orders", nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if rules(as) != "budget" || fleet.asked.Load() != 1 || time.Since(start) != 0 {
			t.Errorf("fail fast: rules %s, fleet asked %d times, after %v; want budget, once, at once", rules(as), fleet.asked.Load(), time.Since(start))
		}
	})
}
