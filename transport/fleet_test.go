package transport_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
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

// TestRetryWaitsForFleetRoom: while the transport waits for its hosts (the
// default), a retry the fleet-wide budget refuses asks it again, about
// every 100 ms, and goes once it has room; it gives up
// ("budget") at the caller's deadline, and at once with WithFailFast, as a
// retry the host's own budget refuses does.
func TestRetryWaitsForFleetRoom(t *testing.T) {
	t.Parallel()
	opts := func(f transport.Fleet, more ...transport.Option) []transport.Option {
		return append([]transport.Option{transport.WithPolicy(fastPolicy()), transport.WithFleet(f)}, more...)
	}

	g := newGateway(t, gw504, ok200)
	fleet := &roomyFleet{from: time.Now().Add(300 * time.Millisecond)}
	rt := transport.New(newBase(t), opts(fleet)...)
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || rules(as) != "retry,not_retryable" {
		t.Fatalf("status %d, rules %s; want 200 after one retry", resp.StatusCode, rules(as))
	}
	if gap := as[1].Start.Sub(as[0].Start.Add(as[0].Duration)); gap < 200*time.Millisecond {
		t.Errorf("the retry went %v after the first attempt, want once the fleet had room (about 300 ms)", gap)
	}
	if n := fleet.asked.Load(); n < 2 || n > 8 {
		t.Errorf("the fleet was asked %d times in 300 ms, want every 50 to 150 ms", n)
	}
	if fleet.retries != 1 {
		t.Errorf("the fleet counted %d retries, want 1", fleet.retries)
	}

	// No room before the caller's deadline: not retried, and no later than
	// the deadline.
	g2 := newGateway(t, gw504)
	rt2 := transport.New(newBase(t), opts(&roomyFleet{from: time.Now().Add(time.Hour)})...)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	resp, err, as = do(t, rt2, newRequest(t, "GET", g2.URL, nil).WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rules(as) != "budget" || resp.StatusCode != 504 {
		t.Errorf("no room for an hour under a 400 ms deadline: status %d, rules %s; want 504, budget", resp.StatusCode, rules(as))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("gave up after %v, want by the 400 ms deadline", d)
	}

	// Fail fast: refused at once.
	g3 := newGateway(t, gw504)
	fleet3 := &roomyFleet{from: time.Now().Add(time.Hour)}
	rt3 := transport.New(newBase(t), opts(fleet3, transport.WithFailFast())...)
	resp, err, as = do(t, rt3, newRequest(t, "GET", g3.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rules(as) != "budget" || fleet3.asked.Load() != 1 {
		t.Errorf("fail fast: rules %s, fleet asked %d times; want budget, once", rules(as), fleet3.asked.Load())
	}
}
