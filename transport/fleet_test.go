package transport_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
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
