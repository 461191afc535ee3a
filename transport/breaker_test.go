package transport_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// stateLog records a breaker's state changes.
type stateLog struct {
	mu      sync.Mutex
	changes []string
}

func (l *stateLog) record(name string, from, to gobreaker.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, fmt.Sprintf("%s %s->%s", name, from, to))
}

func (l *stateLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.changes, ", ")
}

// tripAfter returns breaker settings that open after n consecutive
// failures and stay open for timeout.
func tripAfter(n uint32, timeout time.Duration, log *stateLog) gobreaker.Settings {
	s := gobreaker.Settings{
		MaxRequests: 1,
		Timeout:     timeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= n },
	}
	if log != nil {
		s.OnStateChange = log.record
	}
	return s
}

func breakerTransport(t testing.TB, s gobreaker.Settings, opts ...transport.Option) *transport.Transport {
	return transport.New(newBase(t), append([]transport.Option{
		transport.WithPolicy(fastPolicy()), transport.WithoutBudget(), transport.WithBreaker(s), transport.WithFailFast()}, opts...)...)
}

func get(t testing.TB, rt http.RoundTripper, url string) (*http.Response, error) {
	t.Helper()
	resp, err := rt.RoundTrip(newRequest(t, "GET", url, nil))
	if resp != nil {
		readAll(t, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// TestBreakerOutage: an all-504 outage opens the breaker; later requests
// fail fast with ErrCircuitOpen and nothing reaches the server.
func TestBreakerOutage(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	var log stateLog
	rt := breakerTransport(t, tripAfter(3, time.Minute, &log))
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil || resp.StatusCode != 504 || rules(as) != "retry,retry,max_attempts" {
		t.Fatalf("first request: %v %v %s", resp, err, rules(as))
	}
	for i := 0; i < 5; i++ {
		resp, err, as := do(t, rt, newRequest(t, "POST", g.URL, newRequestBody("x")))
		if resp != nil {
			t.Fatalf("request %d got a response %d", i, resp.StatusCode)
		}
		if !errors.Is(err, transport.ErrCircuitOpen) || !errors.Is(err, gobreaker.ErrOpenState) {
			t.Fatalf("request %d: err %v", i, err)
		}
		var te *transport.Error
		if !errors.As(err, &te) || len(te.Attempts) != 0 || len(as) != 0 {
			t.Errorf("request %d: err %#v, %d recorded", i, err, len(as))
		}
		if !strings.Contains(err.Error(), g.URL) {
			t.Errorf("message %q does not name the host", err)
		}
	}
	if g.hits() != 3 {
		t.Errorf("%d hits, want 3", g.hits())
	}
	if want := "http://" + g.Listener.Addr().String() + " closed->open"; log.String() != want {
		t.Errorf("state changes %q, want %q", log.String(), want)
	}
}

// TestBreakerOpensBetweenAttempts: when an attempt's failure opens the
// breaker, retrying stops and the last response is returned.
func TestBreakerOpensBetweenAttempts(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := breakerTransport(t, tripAfter(1, time.Minute, nil))
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 504 || rules(as) != "circuit_open" || g.hits() != 1 {
		t.Errorf("status %d rules %s hits %d", resp.StatusCode, rules(as), g.hits())
	}
	if got := readAll(t, resp.Body); got != gw504.body {
		t.Errorf("body %q", got)
	}
}

// TestBreakerWhatCounts: 5xx answers and transport errors are failures; 4xx
// answers are successes; throttles (429, API Gateway's 500 for a throttled
// Lambda) and the caller's cancellation are not counted at all.
func TestBreakerWhatCounts(t *testing.T) {
	t.Parallel()
	quota := answer{status: 429, body: `{"message":"Limit Exceeded"}`, errType: "LimitExceededException"}
	tests := []struct {
		name string
		seq  []answer
		open bool
	}{
		{"504 504", []answer{gw504, gw504}, true},
		{"502 502", []answer{gw502, gw502}, true},
		{"gateway 500 x5 (Lambda throttled)", []answer{gw500, gw500, gw500, gw500, gw500}, false},
		{"503 504", []answer{plain503, gw504}, true},
		{"504 404 504", []answer{gw504, fn404, gw504}, false},
		{"504 403 504", []answer{gw504, gw403, gw504}, false},
		{"504 200 504", []answer{gw504, ok200, gw504}, false},
		{"504 429 504", []answer{gw504, gw429, gw504}, true},
		{"504 quota 504", []answer{gw504, quota, gw504}, true},
		{"429 x5", []answer{gw429, gw429, gw429, gw429, gw429}, false},
		{"404 x5", []answer{fn404, fn404, fn404, fn404, fn404}, false},
		{"504 blocked-cancelled 504", []answer{gw504, blocked, gw504}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, append(tt.seq, ok200)...)
			p := fastPolicy()
			p.MaxAttempts = 1
			rt := transport.New(newBase(t), transport.WithPolicy(p), transport.WithoutBudget(),
				transport.WithBreaker(tripAfter(2, time.Minute, nil)), transport.WithFailFast())
			for i, a := range tt.seq {
				req := newRequest(t, "GET", g.URL, nil)
				if a.serve != nil { // blocked: the caller gives up
					ctx, cancel := context.WithCancel(context.Background())
					time.AfterFunc(20*time.Millisecond, cancel)
					req = req.WithContext(ctx)
				}
				resp, err := rt.RoundTrip(req)
				if resp != nil {
					resp.Body.Close()
				}
				if errors.Is(err, transport.ErrCircuitOpen) {
					t.Fatalf("request %d refused", i+1)
				}
			}
			_, err := get(t, rt, g.URL)
			if open := errors.Is(err, transport.ErrCircuitOpen); open != tt.open {
				t.Errorf("breaker open = %v, want %v (err %v)", open, tt.open, err)
			}
		})
	}
}

// TestBreakerTransportErrorsCount: connection errors open the breaker.
func TestBreakerTransportErrorsCount(t *testing.T) {
	t.Parallel()
	url := closedPortURL(t)
	rt := breakerTransport(t, tripAfter(3, time.Minute, nil))
	_, err, as := do(t, rt, newRequest(t, "GET", url, nil))
	if errors.Is(err, transport.ErrCircuitOpen) || len(as) != 3 {
		t.Fatalf("first request: %v, %d attempts", err, len(as))
	}
	if _, err := get(t, rt, url); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("second request: %v", err)
	}
}

// switchBase is an in-memory base that answers every request with its
// current answer (status, body, error type; not serve) and counts them.
type switchBase struct {
	now  atomic.Pointer[answer]
	hits atomic.Int32
}

func newSwitchBase(a answer) *switchBase {
	b := new(switchBase)
	b.set(a)
	return b
}

func (b *switchBase) set(a answer) { b.now.Store(&a) }

func (b *switchBase) RoundTrip(r *http.Request) (*http.Response, error) {
	b.hits.Add(1)
	return scriptedBase(*b.now.Load()).RoundTrip(r)
}

// TestBreakerRecovers: after Timeout the breaker lets probes through, and
// successful probes close it. In a synctest bubble over an in-memory base:
// the breaker is open, and refuses without sending, until exactly its
// Timeout has passed, however slow the machine (against a real server, a
// pause of more than the 50 ms Timeout between the first two requests let
// the second through).
func TestBreakerRecovers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := newSwitchBase(gw504)
		var log stateLog
		const open = 50 * time.Millisecond
		s := tripAfter(1, open, &log)
		s.MaxRequests = 2
		rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
			transport.WithBreaker(s), transport.WithFailFast())
		if resp, _ := get(t, rt, memURL); resp == nil || resp.StatusCode != 504 {
			t.Fatalf("first request: %v", resp)
		}
		if _, err := get(t, rt, memURL); !errors.Is(err, transport.ErrCircuitOpen) {
			t.Fatalf("not open: %v", err)
		}
		base.set(ok200)
		time.Sleep(open - time.Millisecond)
		if _, err := get(t, rt, memURL); !errors.Is(err, transport.ErrCircuitOpen) || base.hits.Load() != 1 {
			t.Fatalf("1 ms before Timeout: %v, %d sent, want refused, 1 sent", err, base.hits.Load())
		}
		time.Sleep(2 * time.Millisecond)
		resp, err := get(t, rt, memURL)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("1 ms after Timeout, the probe: %v %v", resp, err)
		}
		if resp, err := get(t, rt, memURL); err != nil || resp.StatusCode != 200 {
			t.Fatalf("second probe: %v %v", resp, err)
		}
		for range 5 {
			if _, err := get(t, rt, memURL); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		}
		const name = "http://api.example:80"
		want := name + " closed->open, " + name + " open->half-open, " + name + " half-open->closed"
		if log.String() != want {
			t.Errorf("state changes:\n%s\nwant\n%s", log.String(), want)
		}
		if n := base.hits.Load(); n != 8 {
			t.Errorf("%d sent, want 8 (one 504, two probes, five after)", n)
		}
	})
}

// TestBreakerFailedProbeReopens: a probe that fails opens the breaker again.
// In a synctest bubble over an in-memory base: the probe goes once Timeout
// has passed, and the request right after it is refused, however slow the
// machine (against a real server, a pause of more than the 50 ms Timeout
// after the probe let it through).
func TestBreakerFailedProbeReopens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := newSwitchBase(gw504)
		var log stateLog
		const open = 50 * time.Millisecond
		rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
			transport.WithBreaker(tripAfter(1, open, &log)), transport.WithFailFast())
		get(t, rt, memURL)
		time.Sleep(open + time.Millisecond)
		if resp, err := get(t, rt, memURL); err != nil || resp.StatusCode != 504 {
			t.Fatalf("the probe: %v %v, want its 504", resp, err)
		}
		if _, err := get(t, rt, memURL); !errors.Is(err, transport.ErrCircuitOpen) {
			t.Errorf("after a failed probe: %v", err)
		}
		const name = "http://api.example:80"
		if want := name + " closed->open, " + name + " open->half-open, " + name + " half-open->open"; log.String() != want {
			t.Errorf("state changes %q, want %q", log.String(), want)
		}
		if n := base.hits.Load(); n != 2 {
			t.Errorf("%d sent, want 2 (the 504 that opened it, the probe)", n)
		}
	})
}

// TestBreakerCancelledProbeGivesSlotBack: a half-open probe that the caller
// cancels does not use up the breaker's probe slots.
func TestBreakerCancelledProbeGivesSlotBack(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := breakerTransport(t, tripAfter(1, 50*time.Millisecond, nil))
	get(t, rt, g.URL)
	g.setScript(blocked, ok200)
	arrived := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for g.hits() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		close(arrived)
	}()
	waitFor(t, "a probe", func() bool {
		_, err := rt.RoundTrip(newRequest(t, "GET", g.URL, nil).WithContext(ctx))
		return !errors.Is(err, transport.ErrCircuitOpen)
	})
	<-arrived
	resp, err := get(t, rt, g.URL)
	if err != nil {
		t.Fatalf("the next probe was refused: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestBreakerPerHost: one host's outage does not open another's breaker.
func TestBreakerPerHost(t *testing.T) {
	t.Parallel()
	down := newGateway(t, gw504)
	up := newGateway(t, ok200)
	var log stateLog
	rt := breakerTransport(t, tripAfter(2, time.Minute, &log))
	get(t, rt, down.URL)
	if _, err := get(t, rt, down.URL); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Fatalf("down host not open: %v", err)
	}
	for i := 0; i < 3; i++ {
		if resp, err := get(t, rt, up.URL+"/x"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthy host: %v %v", resp, err)
		}
	}
	if up.hits() != 3 {
		t.Errorf("healthy host hits %d", up.hits())
	}
	if want := "http://" + down.Listener.Addr().String() + " closed->open"; log.String() != want {
		t.Errorf("state changes %q, want %q", log.String(), want)
	}
	// The same host spelled differently shares its breaker.
	alias := strings.Replace(down.URL, "127.0.0.1", "127.0.0.1", 1) + "/other?q=1"
	if _, err := get(t, rt, alias); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("another path on the down host: %v", err)
	}
}

// TestBreakerUserCallbacks: the user's IsSuccessful and IsExcluded see the
// attempt's *OutcomeError.
func TestBreakerUserCallbacks(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, fn404, ok200)
	var mu sync.Mutex
	var seenErrs []string
	s := tripAfter(1, time.Minute, nil)
	s.IsSuccessful = func(err error) bool {
		mu.Lock()
		defer mu.Unlock()
		var oe *transport.OutcomeError
		if errors.As(err, &oe) {
			seenErrs = append(seenErrs, fmt.Sprintf("%d/%s", oe.Status, oe.Outcome.Cause))
		} else {
			seenErrs = append(seenErrs, fmt.Sprint(err))
		}
		return true // this user trusts every answer
	}
	p := fastPolicy()
	p.MaxAttempts = 1
	rt := transport.New(newBase(t), transport.WithPolicy(p), transport.WithoutBudget(), transport.WithBreaker(s))
	for i := 0; i < 3; i++ {
		if _, err := get(t, rt, g.URL); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seenErrs, " "); got != "504/integration_timeout <nil> <nil>" {
		t.Errorf("IsSuccessful saw %s", got)
	}
}

// TestDefaultBreakerOn: New's default breaker opens on a long outage.
func TestDefaultBreakerOn(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(), transport.WithFailFast())
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = get(t, rt, g.URL)
	}
	if !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("default breaker did not open: %v", err)
	}
	if g.hits() != transport.DefaultBreakerConsecutiveFailures {
		t.Errorf("%d hits, want %d", g.hits(), transport.DefaultBreakerConsecutiveFailures)
	}
}

// TestBreakerHalfOpenLimitsProbes: while the half-open breaker's only probe
// is in flight, other requests are refused with ErrCircuitOpen.
func TestBreakerHalfOpenLimitsProbes(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := breakerTransport(t, tripAfter(1, 50*time.Millisecond, nil))
	get(t, rt, g.URL)
	release := make(chan struct{})
	g.setScript(answer{serve: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	probeDone := make(chan error, 1)
	go func() {
		for {
			resp, err := rt.RoundTrip(newRequest(t, "GET", g.URL, nil))
			if errors.Is(err, transport.ErrCircuitOpen) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if resp != nil {
				resp.Body.Close()
			}
			probeDone <- err
			return
		}
	}()
	waitFor(t, "the probe to arrive", func() bool { return g.hits() == 1 })
	_, err := get(t, rt, g.URL)
	if !errors.Is(err, transport.ErrCircuitOpen) || !errors.Is(err, gobreaker.ErrTooManyRequests) {
		t.Errorf("a second request during the probe: %v", err)
	}
	close(release)
	if err := <-probeDone; err != nil {
		t.Errorf("probe: %v", err)
	}
	if g.hits() != 1 {
		t.Errorf("%d requests reached the server during the probe", g.hits())
	}
}

// TestBugCallerDeadlineCountsAgainstBreaker pins a bug: an attempt cut
// short by the caller's own deadline was counted as a failure of the host,
// so callers with tight deadlines opened the breaker of a healthy host.
func TestBugCallerDeadlineCountsAgainstBreaker(t *testing.T) {
	t.Parallel()
	g := newGateway(t, blocked, ok200)
	var log stateLog
	rt := breakerTransport(t, tripAfter(1, time.Minute, &log))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := rt.RoundTrip(newRequest(t, "GET", g.URL, nil).WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if _, err := get(t, rt, g.URL); err != nil {
		t.Errorf("next request: %v", err)
	}
	if log.String() != "" {
		t.Errorf("state changes: %s", log.String())
	}
}

// TestBugHostCaseSplitsBreaker pins a bug: the same host spelled in another
// case got a breaker of its own, so an open breaker was bypassed.
func TestBugHostCaseSplitsBreaker(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := breakerTransport(t, tripAfter(1, time.Minute, nil))
	port := g.Listener.Addr().(*net.TCPAddr).Port
	get(t, rt, fmt.Sprintf("http://localhost:%d/", port))
	if _, err := get(t, rt, fmt.Sprintf("http://LocalHost:%d/x", port)); !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("LocalHost: %v", err)
	}
	if g.hits() != 1 {
		t.Errorf("%d hits", g.hits())
	}
}

// TestBreakerNames: a breaker is named scheme://host:port, with the
// scheme's default port filled in, and the user's IsSuccessful sees an
// *OutcomeError that says what happened.
func TestBreakerNames(t *testing.T) {
	t.Parallel()
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 504, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	var log stateLog
	var msgs []string
	s := tripAfter(1, time.Minute, &log)
	s.IsSuccessful = func(err error) bool {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
		return err == nil
	}
	p := fastPolicy()
	p.MaxAttempts = 1
	rt := transport.New(base, transport.WithPolicy(p), transport.WithoutBudget(), transport.WithBreaker(s))
	for _, u := range []string{"http://Example.invalid/a", "https://example.invalid/b", "http://example.invalid:8080/c"} {
		get(t, rt, u)
	}
	want := "http://example.invalid:80 closed->open, https://example.invalid:443 closed->open, http://example.invalid:8080 closed->open"
	if log.String() != want {
		t.Errorf("state changes:\n%s\nwant\n%s", log.String(), want)
	}
	if len(msgs) != 3 || msgs[0] != "retryscope: attempt gateway_timeout (status 504, reach backend_timeout)" {
		t.Errorf("IsSuccessful saw %q", msgs)
	}
}
