package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// host is a local server for the waiting tests: it answers 504 while
// down, 200 otherwise, and notes when each request arrived.
type host struct {
	*httptest.Server
	down     atomic.Bool
	mu       sync.Mutex
	arrivals []arrival
}

type arrival struct {
	at    time.Time
	order string // the X-Order header
	body  string
}

func newHost(t *testing.T) *host {
	h := &host{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.arrivals = append(h.arrivals, arrival{time.Now(), r.Header.Get("X-Order"), string(body)})
		h.mu.Unlock()
		if h.down.Load() {
			w.Header().Set("X-Amzn-Errortype", "InternalServerErrorException")
			w.WriteHeader(http.StatusGatewayTimeout)
			w.Write([]byte(`{"message": "Endpoint request timed out"}`))
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *host) seen() []arrival {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]arrival(nil), h.arrivals...)
}

// waitingTransport opens its breaker after one failure, for openFor.
func waitingTransport(t *testing.T, openFor time.Duration, w transport.WaitConfig, opts ...transport.Option) *transport.Transport {
	s := gobreaker.Settings{MaxRequests: 1, Timeout: openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }}
	return transport.New(newBase(t), append([]transport.Option{transport.WithPolicy(fastPolicy()),
		transport.WithoutBudget(), transport.WithBreaker(s), transport.WithWaitForHost(w),
		transport.WithSlowCallThreshold(-1)}, opts...)...)
}

// trip opens rt's breaker for h with one failed request (one attempt).
func trip(t *testing.T, rt http.RoundTripper, h *host) {
	t.Helper()
	h.down.Store(true)
	req := newRequest(t, "POST", h.URL, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.down.Store(false)
}

// openHost is a host whose breaker in rt is open for openFor, its queue
// ticking every tick, without extra probes.
func openHost(t *testing.T, openFor, tick time.Duration) (*host, *transport.Transport) {
	h := newHost(t)
	rt := waitingTransport(t, openFor, transport.WaitConfig{Tick: tick, ProbeInterval: time.Hour})
	trip(t, rt, h)
	return h, rt
}

// send sends a GET with order as X-Order under ctx and reports the result.
func send(t *testing.T, rt http.RoundTripper, ctx context.Context, url, order string) error {
	req := newRequest(t, "GET", url, nil).WithContext(ctx)
	req.Header.Set("X-Order", order)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}

// TestWaitForHost: requests to a host whose breaker is open wait instead
// of failing, and go in the order they came, a tick's batch at a time.
func TestWaitForHost(t *testing.T) {
	t.Parallel()
	tick := 60 * time.Millisecond
	h, rt := openHost(t, 300*time.Millisecond, tick)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- send(t, rt, context.Background(), h.URL, strconv.Itoa(i)) }()
		time.Sleep(15 * time.Millisecond) // in order
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a waiting request failed: %v", err)
		}
	}
	got := h.seen()[1:] // after the failure that opened the breaker
	if len(got) != n {
		t.Fatalf("%d requests reached the host, want %d", len(got), n)
	}
	at := map[string]time.Time{}
	for _, a := range got {
		at[a.order] = a.at
	}
	// First come, first served: a request never reaches the host a tick
	// before one that waited longer (within a tick's batch, the goroutines
	// race).
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if at[strconv.Itoa(j)].Add(tick / 2).Before(at[strconv.Itoa(i)]) {
				t.Errorf("request %d went %v before request %d, which came first", j, at[strconv.Itoa(i)].Sub(at[strconv.Itoa(j)]), i)
			}
		}
	}
}

// TestWaitNoHerd: when the breaker closes, waiters are released in a slow
// start (1, 2, 4, ... a tick), not all at once.
func TestWaitNoHerd(t *testing.T) {
	t.Parallel()
	tick := 80 * time.Millisecond
	h, rt := openHost(t, 200*time.Millisecond, tick)
	const n = 30
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if send(t, rt, context.Background(), h.URL, strconv.Itoa(i)) != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d waiting requests failed", failed.Load())
	}
	got := h.seen()[1:]
	first := got[0].at
	within := 0
	for _, a := range got {
		if a.at.Sub(first) < tick+tick/2 {
			within++
		}
	}
	// The probe, then at most 2 more in the next tick (a tick and a half
	// leaves room for a late tick).
	if within > 3 {
		t.Errorf("%d of %d waiters reached the host within %v of the first: a herd", within, n, tick+tick/2)
	}
}

// TestWaitBounded: past MaxWaiters a request fails at once; a waiter's
// wait ends at its deadline, at MaxWait, and at once when it cancels.
func TestWaitBounded(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{MaxWaiters: 2, MaxWait: 300 * time.Millisecond, ProbeInterval: time.Hour})
	trip(t, rt, h)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queued := make(chan error, 2)
	for i := range 2 {
		go func() { queued <- send(t, rt, ctx, h.URL, strconv.Itoa(i)) }()
	}
	time.Sleep(50 * time.Millisecond) // both in the queue

	start := time.Now()
	err := send(t, rt, context.Background(), h.URL, "third")
	if !errors.Is(err, transport.ErrCircuitOpen) || !strings.Contains(err.Error(), "already waiting") {
		t.Errorf("past MaxWaiters: %v, want ErrCircuitOpen (queue full)", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("past MaxWaiters the refusal took %v, want at once", d)
	}

	// Cancellation ends the wait at once.
	start = time.Now()
	cancel()
	for range 2 {
		err := <-queued
		if !errors.Is(err, context.Canceled) || !errors.Is(err, transport.ErrCircuitOpen) {
			t.Errorf("cancelled waiter: %v", err)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("cancelled waiters returned after %v", d)
	}

	// The caller's deadline ends the wait, never later.
	dctx, dcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer dcancel()
	start = time.Now()
	err = send(t, rt, dctx, h.URL, "deadline")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter with a deadline: %v", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("waiter with a 100ms deadline returned after %v", d)
	}

	// Without a deadline, MaxWait ends it.
	start = time.Now()
	err = send(t, rt, context.Background(), h.URL, "maxwait")
	if !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("waiter without a deadline: %v", err)
	}
	if d := time.Since(start); d < 290*time.Millisecond || d > 450*time.Millisecond {
		t.Errorf("waiter without a deadline returned after %v, want MaxWait 300ms", d)
	}
	if n := len(h.seen()); n != 1 {
		t.Errorf("%d requests reached the host, want only the first", n)
	}
}

// TestWaitMaxElapsed: Policy.MaxElapsed bounds the wait like a deadline.
func TestWaitMaxElapsed(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	p := fastPolicy()
	p.MaxElapsed = 150 * time.Millisecond
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{ProbeInterval: time.Hour}, transport.WithPolicy(p))
	trip(t, rt, h)
	start := time.Now()
	if err := send(t, rt, context.Background(), h.URL, "x"); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("err %v, want ErrCircuitOpen", err)
	}
	if d := time.Since(start); d < 140*time.Millisecond || d > 300*time.Millisecond {
		t.Errorf("returned after %v, want MaxElapsed 150ms", d)
	}
}

// TestWaitProbesOnly: while the breaker is open only probes reach the
// host, one per ProbeInterval, failed probes do not use up a waiter's
// attempts, and the waiters go soon after a probe comes back fast.
func TestWaitProbesOnly(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	probe := 100 * time.Millisecond
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{Tick: 20 * time.Millisecond, ProbeInterval: probe})
	trip(t, rt, h)
	h.down.Store(true)
	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- send(t, rt, context.Background(), h.URL, strconv.Itoa(i)) }()
	}
	down := time.Second
	time.Sleep(down)
	h.down.Store(false)
	up := time.Now()
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a waiter failed: %v", err) // with 3 attempts it would have run out
		}
	}
	if d := time.Since(up); d > 5*probe {
		t.Errorf("waiters took %v after the host came back, want about a probe interval", d)
	}
	var during int
	for _, a := range h.seen()[1:] {
		if a.at.Before(up) {
			during++
		}
	}
	if max := int(down/probe) + 1; during > max || during < 3 {
		t.Errorf("%d probes reached the host in %v of outage, want 3 to %d", during, down, max)
	}
}

// TestFailFast: WithFailFast refuses at once, as before.
func TestFailFast(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{}, transport.WithFailFast())
	trip(t, rt, h)
	start := time.Now()
	if err := send(t, rt, context.Background(), h.URL, "x"); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("err %v", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("fail-fast took %v", d)
	}
}

// TestSlowCallsCount: attempts that outlive the slow-call threshold count
// as failures even when the caller's own deadline ended them; quick
// cancellations do not.
func TestSlowCallsCount(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	defer close(block)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name     string
		deadline time.Duration
		open     bool
	}{
		{"quick cancellations", 20 * time.Millisecond, false},
		{"slow calls", 150 * time.Millisecond, true},
	} {
		s := gobreaker.Settings{Timeout: time.Hour,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 }}
		rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
			transport.WithBreaker(s), transport.WithFailFast(), transport.WithSlowCallThreshold(100*time.Millisecond))
		for range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			send(t, rt, ctx, srv.URL, "x")
			cancel()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := send(t, rt, ctx, srv.URL, "x")
		cancel()
		if open := errors.Is(err, transport.ErrCircuitOpen); open != tc.open {
			t.Errorf("%s: breaker open = %v, want %v (%v)", tc.name, open, tc.open, err)
		}
	}
}

// TestSlowHostLearnt: a host that is always slow is not a failing host:
// the slow-call threshold follows its usual latency (4 times it), so only
// the first calls, before it is known, count.
func TestSlowHostLearnt(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(120 * time.Millisecond)
	}))
	defer srv.Close()
	s := gobreaker.Settings{Timeout: time.Hour,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 }}
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
		transport.WithBreaker(s), transport.WithFailFast(), transport.WithSlowCallThreshold(50*time.Millisecond))
	for i := range 6 {
		if err := send(t, rt, context.Background(), srv.URL, strconv.Itoa(i)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

// TestWaitStalledHost: when many attempts hang past the slow-call
// threshold and none succeeds, later requests wait before the breaker has
// heard of a single failure; they go once a probe comes back fast.
func TestWaitStalledHost(t *testing.T) {
	t.Parallel()
	var hang atomic.Bool
	hang.Store(true)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if hang.Load() { // an integration timeout, 500 ms late
			select {
			case <-time.After(500 * time.Millisecond):
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	defer srv.Close()
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
		transport.WithSlowCallThreshold(50*time.Millisecond),
		transport.WithWaitForHost(transport.WaitConfig{Tick: 10 * time.Millisecond, ProbeInterval: 100 * time.Millisecond}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 10 { // hang past the threshold
		go send(t, rt, ctx, srv.URL, "hung")
	}
	waitFor(t, "10 hung attempts", func() bool { return hits.Load() == 10 })
	time.Sleep(80 * time.Millisecond)
	errs := make(chan error, 20)
	for range 20 {
		go func() { errs <- send(t, rt, context.Background(), srv.URL, "later") }()
	}
	time.Sleep(250 * time.Millisecond)
	if n := hits.Load() - 10; n > 3 {
		t.Errorf("%d of 20 later requests reached a stalled host, want only probes (at most 3)", n)
	}
	hang.Store(false)
	for range 20 {
		if err := <-errs; err != nil {
			t.Errorf("a later request failed: %v", err)
		}
	}
}

// A retry that waited for the breaker and was not sent because the caller
// gave up, or Policy.MaxElapsed passed, was recorded as refused by the
// breaker (circuit_open): the user read "the breaker refused it" where the
// deadline ended it. The wait's own bound (MaxWait) is still the breaker's.
func TestBugRetryWaitEndedRule(t *testing.T) {
	t.Parallel()
	elapsed := fastPolicy()
	elapsed.MaxElapsed = 150 * time.Millisecond
	tests := []struct {
		name     string
		timeout  time.Duration // the caller's deadline; 0: none
		opts     []transport.Option
		maxWait  time.Duration
		wantRule policy.Rule
	}{
		{"caller deadline", 150 * time.Millisecond, nil, 0, policy.RuleCanceled},
		{"max elapsed", 0, []transport.Option{transport.WithPolicy(elapsed)}, 0, policy.RuleMaxElapsed},
		{"wait bound", 0, nil, 150 * time.Millisecond, policy.RuleCircuitOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			h.down.Store(true) // the first attempt's 504 opens the breaker
			rt := waitingTransport(t, time.Hour, transport.WaitConfig{ProbeInterval: time.Hour, MaxWait: tt.maxWait}, tt.opts...)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			resp, err, as := do(t, rt, newRequest(t, "GET", h.URL, nil).WithContext(ctx))
			if d := time.Since(start); d < 140*time.Millisecond {
				t.Errorf("returned after %v: the retry did not wait", d)
			}
			if err != nil || resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("got %v, %v; want the 504", resp, err)
			}
			if len(as) != 1 || as[0].Rule != tt.wantRule || as[0].Retry {
				t.Fatalf("attempts %s, want one with rule %s", rules(as), tt.wantRule)
			}
			if n := len(h.seen()); n != 1 {
				t.Errorf("%d requests reached the host, want 1", n)
			}
		})
	}
}
