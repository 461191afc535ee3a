package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// memHost is host without a network, for tests in virtual time
// (synctest), where a loopback server's reads would not let the clock
// move: it answers through scriptedBase, gw504 while down and ok200
// otherwise, and notes when each request arrived.
type memHost struct {
	down     atomic.Bool
	mu       sync.Mutex
	arrivals []arrival
	up, dn   http.RoundTripper
}

// memURL is the address the tests send memHost's requests to.
const memURL = "http://api.example/orders"

func newMemHost() *memHost {
	return &memHost{up: scriptedBase(ok200), dn: scriptedBase(gw504)}
}

func (h *memHost) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	h.mu.Lock()
	h.arrivals = append(h.arrivals, arrival{time.Now(), r.Header.Get("X-Order"), string(body)})
	h.mu.Unlock()
	if h.down.Load() {
		return h.dn.RoundTrip(r)
	}
	return h.up.RoundTrip(r)
}

func (h *memHost) seen() []arrival {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]arrival(nil), h.arrivals...)
}

// trip opens rt's breaker for h with one failed request (one attempt).
func (h *memHost) trip(t *testing.T, rt http.RoundTripper) {
	t.Helper()
	h.down.Store(true)
	resp, err := rt.RoundTrip(newRequest(t, "POST", memURL, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.down.Store(false)
}

// waitingTransport opens its breaker after one failure, for openFor.
func waitingTransport(t *testing.T, openFor time.Duration, w transport.WaitConfig, opts ...transport.Option) *transport.Transport {
	return waitingOver(newBase(t), openFor, w, opts...)
}

// waitingOver is waitingTransport over base.
func waitingOver(base http.RoundTripper, openFor time.Duration, w transport.WaitConfig, opts ...transport.Option) *transport.Transport {
	s := gobreaker.Settings{MaxRequests: 1, Timeout: openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }}
	return transport.New(base, append([]transport.Option{transport.WithPolicy(fastPolicy()),
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
// of failing, and go in the order they came, first come first served. In
// virtual time against an in-memory host, each request joins the queue
// before the next one is sent (synctest.Wait: it is blocked there), so
// the order they came is known, not left to the goroutines' start; the
// slow start spreads each tick's batch over the tick, so no two reach the
// host at one instant and the order they go in is exact.
func TestWaitForHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tick := 60 * time.Millisecond
		h := newMemHost()
		rt := waitingOver(h, 300*time.Millisecond, transport.WaitConfig{Tick: tick, ProbeInterval: time.Hour})
		h.trip(t, rt)
		const n = 8
		errs := make(chan error, n)
		for i := range n {
			go func() { errs <- send(t, rt, context.Background(), memURL, strconv.Itoa(i)) }()
			synctest.Wait() // request i waits in the queue before i+1 is sent
		}
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("a waiting request failed: %v", err)
			}
		}
		got := h.seen()[1:] // after the failure that opened the breaker
		var order []string
		for _, a := range got {
			order = append(order, a.order)
		}
		want := []string{"0", "1", "2", "3", "4", "5", "6", "7"}
		if !slices.Equal(order, want) {
			t.Errorf("requests reached the host in the order %v, want the order they came, %v", order, want)
		}
		for i := 1; i < len(got); i++ {
			if !got[i].at.After(got[i-1].at) {
				t.Errorf("request %s reached the host at %v, not after request %s (%v)", got[i].order, got[i].at, got[i-1].order, got[i-1].at)
			}
		}
		time.Sleep(tick) // the pacer sees its queue empty and ends: time stops when this function returns
	})
}

// TestWaitNoHerd: when the breaker closes, waiters are released in a slow
// start (1, 2, 4, ... a tick), not all at once. In virtual time against
// an in-memory host, the ticks are exact: the probe goes alone in its
// tick, then 2, 4 and 8 go a tick, and the 15 left in the last.
func TestWaitNoHerd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tick := 80 * time.Millisecond
		h := newMemHost()
		rt := waitingOver(h, 200*time.Millisecond, transport.WaitConfig{Tick: tick, ProbeInterval: time.Hour})
		h.trip(t, rt)
		const n = 30
		var wg sync.WaitGroup
		var failed atomic.Int32
		for i := range n {
			wg.Go(func() {
				if send(t, rt, context.Background(), memURL, strconv.Itoa(i)) != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		if failed.Load() != 0 {
			t.Fatalf("%d waiting requests failed", failed.Load())
		}
		got := h.seen()[1:]
		first := got[0].at
		perTick := map[int]int{} // by tick since the probe
		last := 0
		for _, a := range got {
			k := int(a.at.Sub(first) / tick)
			perTick[k]++
			last = max(last, k)
		}
		counts := make([]int, last+1)
		for k, c := range perTick {
			counts[k] = c
		}
		// The probe alone, then 2, 4, 8 and the 15 left.
		if want := []int{1, 2, 4, 8, 15}; !slices.Equal(counts, want) {
			t.Errorf("waiters reached the host %v a tick from the probe's, want a slow start, %v", counts, want)
		}
		time.Sleep(tick) // the pacer sees its queue empty and ends: time stops when this function returns
	})
}

// TestWaitBounded: past MaxWaiters a request fails at once; a waiter's
// wait ends at its deadline, at MaxWait, and at once when it cancels. In
// virtual time against an in-memory host: each wait ends at its bound
// exactly, and a loaded machine cannot stretch it.
func TestWaitBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newMemHost()
		rt := waitingOver(h, time.Hour, transport.WaitConfig{MaxWaiters: 2, MaxWait: 300 * time.Millisecond, ProbeInterval: time.Hour})
		h.trip(t, rt)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		queued := make(chan error, 2)
		for i := range 2 {
			go func() { queued <- send(t, rt, ctx, memURL, strconv.Itoa(i)) }()
		}
		synctest.Wait() // both in the queue

		start := time.Now()
		err := send(t, rt, context.Background(), memURL, "third")
		if !errors.Is(err, transport.ErrCircuitOpen) || !strings.Contains(err.Error(), "already waiting") {
			t.Errorf("past MaxWaiters: %v, want ErrCircuitOpen (queue full)", err)
		}
		if d := time.Since(start); d != 0 {
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
		if d := time.Since(start); d != 0 {
			t.Errorf("cancelled waiters returned after %v, want at once", d)
		}

		// The caller's deadline ends the wait, at the deadline.
		dctx, dcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer dcancel()
		start = time.Now()
		err = send(t, rt, dctx, memURL, "deadline")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("waiter with a deadline: %v", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("waiter with a 100ms deadline returned after %v", d)
		}

		// Without a deadline, MaxWait ends it.
		start = time.Now()
		err = send(t, rt, context.Background(), memURL, "maxwait")
		if !errors.Is(err, transport.ErrCircuitOpen) {
			t.Errorf("waiter without a deadline: %v", err)
		}
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("waiter without a deadline returned after %v, want MaxWait 300ms", d)
		}
		if n := len(h.seen()); n != 1 {
			t.Errorf("%d requests reached the host, want only the first", n)
		}
	})
}

// TestWaitMaxElapsed: Policy.MaxElapsed bounds the wait like a deadline:
// in virtual time, the wait ends at 150 ms exactly.
func TestWaitMaxElapsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newMemHost()
		p := fastPolicy()
		p.MaxElapsed = 150 * time.Millisecond
		rt := waitingOver(h, time.Hour, transport.WaitConfig{ProbeInterval: time.Hour}, transport.WithPolicy(p))
		h.trip(t, rt)
		start := time.Now()
		if err := send(t, rt, context.Background(), memURL, "x"); !errors.Is(err, transport.ErrCircuitOpen) {
			t.Errorf("err %v, want ErrCircuitOpen", err)
		}
		if d := time.Since(start); d != 150*time.Millisecond {
			t.Errorf("returned after %v, want MaxElapsed 150ms", d)
		}
	})
}

// TestWaitProbesOnly: while the breaker is open only probes reach the
// host, one per ProbeInterval, failed probes do not use up a waiter's
// attempts, and the waiters go soon after a probe comes back fast. In
// virtual time against an in-memory host, the schedule is exact: the
// pacer sees the breaker open at its first tick (20 ms) and probes every
// 100 ms from then, 9 times in the second of outage (120 to 920 ms); the
// host is back at 1 s, the next probe (1.02 s) comes back fast, and the
// slow start releases the other 9 waiters, 2, 4 and 3 at the next ticks,
// spread over each: the last goes 85 ms after the host came back.
func TestWaitProbesOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newMemHost()
		probe, tick := 100*time.Millisecond, 20*time.Millisecond
		rt := waitingOver(h, time.Hour, transport.WaitConfig{Tick: tick, ProbeInterval: probe})
		h.trip(t, rt)
		h.down.Store(true)
		start := time.Now()
		const n = 10
		errs := make(chan error, n)
		for i := range n {
			go func() { errs <- send(t, rt, context.Background(), memURL, strconv.Itoa(i)) }()
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
		if d := time.Since(up); d != 85*time.Millisecond {
			t.Errorf("waiters took %v after the host came back, want 85ms (a probe at the next tick, then 2, 4 and 3 a tick)", d)
		}
		var during []time.Duration
		var after []time.Duration
		for _, a := range h.seen()[1:] {
			if a.at.Before(up) {
				during = append(during, a.at.Sub(start))
			} else {
				after = append(after, a.at.Sub(up))
			}
		}
		want := make([]time.Duration, 0, 9)
		for at := tick + probe; at < down; at += probe {
			want = append(want, at)
		}
		if !slices.Equal(during, want) {
			t.Errorf("during %v of outage probes reached the host at %v, want one every %v from the first tick: %v", down, during, probe, want)
		}
		if len(after) == 0 || after[0] != tick {
			t.Errorf("after the host came back requests reached it at %v, want the first (the probe) at the next tick (%v)", after, tick)
		}
		time.Sleep(tick) // the pacer sees its queue empty and ends: time stops when this function returns
	})
}

// TestFailFast: WithFailFast refuses at once, as before (in virtual time:
// no time passes).
func TestFailFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newMemHost()
		rt := waitingOver(h, time.Hour, transport.WaitConfig{}, transport.WithFailFast())
		h.trip(t, rt)
		start := time.Now()
		if err := send(t, rt, context.Background(), memURL, "x"); !errors.Is(err, transport.ErrCircuitOpen) {
			t.Errorf("err %v", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("fail-fast took %v, want at once", d)
		}
		if n := len(h.seen()); n != 1 {
			t.Errorf("%d requests reached the host, want only the first", n)
		}
	})
}

// TestSlowCallsCount: attempts that outlive the slow-call threshold count
// as failures even when the caller's own deadline ended them; quick
// cancellations do not. In virtual time against a host that never
// answers: each attempt lasts its caller's deadline exactly, so a loaded
// machine cannot make a quick cancellation slow.
func TestSlowCallsCount(t *testing.T) {
	hangs := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	})
	for _, tc := range []struct {
		name     string
		deadline time.Duration
		open     bool
	}{
		{"quick cancellations", 20 * time.Millisecond, false},
		{"slow calls", 150 * time.Millisecond, true},
	} {
		synctest.Test(t, func(t *testing.T) {
			s := gobreaker.Settings{Timeout: time.Hour,
				ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 }}
			rt := transport.New(hangs, transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
				transport.WithBreaker(s), transport.WithFailFast(), transport.WithSlowCallThreshold(100*time.Millisecond))
			for range 3 {
				ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
				send(t, rt, ctx, memURL, "x")
				cancel()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			err := send(t, rt, ctx, memURL, "x")
			cancel()
			if open := errors.Is(err, transport.ErrCircuitOpen); open != tc.open {
				t.Errorf("%s: breaker open = %v, want %v (%v)", tc.name, open, tc.open, err)
			}
		})
	}
}

// TestSlowHostLearnt: a host that is always slow is not a failing host:
// the slow-call threshold follows its usual latency (4 times it), so only
// the first calls, before it is known, count. In virtual time, every call
// takes the host's 120 ms exactly.
func TestSlowHostLearnt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := scriptedBase(ok200)
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			time.Sleep(120 * time.Millisecond)
			return slow.RoundTrip(r)
		})
		s := gobreaker.Settings{Timeout: time.Hour,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 }}
		rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
			transport.WithBreaker(s), transport.WithFailFast(), transport.WithSlowCallThreshold(50*time.Millisecond))
		for i := range 6 {
			if err := send(t, rt, context.Background(), memURL, strconv.Itoa(i)); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	})
}

// TestWaitStalledHost: when many attempts hang past the slow-call
// threshold and none succeeds, later requests wait before the breaker has
// heard of a single failure; they go once a probe comes back fast. In
// virtual time against an in-memory host, whose hung attempts end in an
// integration timeout 500 ms late, the schedule is exact: the later
// requests come 80 ms on, 30 ms past the threshold; the pacer's first
// tick (90 ms) sees the stall, and in the 250 ms that follow only its
// probes, one every ProbeInterval (190 and 290 ms), reach the host.
func TestWaitStalledHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hang atomic.Bool
		hang.Store(true)
		var mu sync.Mutex
		var later []time.Duration // when each later request's attempt reached the host
		timedOut, ok := scriptedBase(gw504), scriptedBase(ok200)
		start := time.Now()
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Header.Get("X-Order") == "later" {
				mu.Lock()
				later = append(later, time.Since(start))
				mu.Unlock()
			}
			if hang.Load() { // an integration timeout, 500 ms late
				select {
				case <-time.After(500 * time.Millisecond):
				case <-r.Context().Done():
					return nil, r.Context().Err()
				}
				return timedOut.RoundTrip(r)
			}
			return ok.RoundTrip(r)
		})
		tick, probe := 10*time.Millisecond, 100*time.Millisecond
		rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
			transport.WithSlowCallThreshold(50*time.Millisecond),
			transport.WithWaitForHost(transport.WaitConfig{Tick: tick, ProbeInterval: probe}))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var hung sync.WaitGroup
		for range 10 { // hang past the threshold
			hung.Go(func() { send(t, rt, ctx, memURL, "hung") })
		}
		time.Sleep(80 * time.Millisecond)
		errs := make(chan error, 20)
		for range 20 {
			go func() { errs <- send(t, rt, context.Background(), memURL, "later") }()
		}
		time.Sleep(250 * time.Millisecond)
		mu.Lock()
		got := slices.Clone(later)
		mu.Unlock()
		if want := []time.Duration{80*time.Millisecond + tick + probe, 80*time.Millisecond + tick + 2*probe}; !slices.Equal(got, want) {
			t.Errorf("later requests reached a stalled host at %v, want only the probes, at %v", got, want)
		}
		hang.Store(false)
		for range 20 {
			if err := <-errs; err != nil {
				t.Errorf("a later request failed: %v", err)
			}
		}
		cancel()
		hung.Wait()
		time.Sleep(tick) // the pacer sees its queue empty and ends: time stops when this function returns
	})
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
