package transport

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// ErrCircuitOpen is returned, wrapped in *Error, when a host's circuit
// breaker refuses a request: nothing was sent. errors.Is(err,
// ErrCircuitOpen) tells it apart.
var ErrCircuitOpen = errors.New("retryscope: circuit breaker open")

// Breaker defaults, chosen for API Gateway + Lambda and checked with the
// benchmarks (docs/bench):
//
//   - A REST 504 arrives only after the integration timeout (29 s).
//     gobreaker files a result in the time bucket where its request started
//     and drops it once that bucket has left the window, so the window must
//     be well over the integration timeout: with 30 s most 504s were never
//     counted (overload scenario: 44% success and 73 s to recover, against
//     68% and 23 s with 60 s).
//   - Open after 10 failures in a row, or half of at least 20 requests:
//     lower thresholds tripped on a share of slow invocations that retries
//     handle well (post-timeouts lost 6 to 10 points of success to
//     refusals; the outage took 38 s instead of 0 s to recover).
//   - Open for 10 s (Lambda scales and cold-starts in seconds), then let 3
//     probes through: one slow probe must not decide alone. A probe sent
//     while the backend is still down learns so only after the integration
//     timeout, so recovery can take the open time plus that timeout.
const (
	DefaultBreakerTimeout             = 10 * time.Second
	DefaultBreakerInterval            = 60 * time.Second
	DefaultBreakerBucket              = 10 * time.Second
	DefaultBreakerProbes              = 3
	DefaultBreakerConsecutiveFailures = 10
	DefaultBreakerMinRequests         = 20
	DefaultBreakerFailureRatio        = 0.5
)

// DefaultBreaker returns the breaker settings New uses: open after 10
// consecutive failures, or when at least half of 20 or more requests in a
// rolling 60 s window failed; stay open 10 s; close after 3 successful
// probes. What counts as a failure: classified 5xx answers and transport
// errors; throttles (429, and API Gateway's 500 for a throttled Lambda),
// the caller's own cancellation and the caller's own request body failing
// (its Read failed, its length differs from ContentLength, or GetBody
// failed for a retry) are not counted; other answers count as successes.
// The caller's cancellation is its context ending, its deadline passing or
// its Request.Cancel closing (http.Client's Timeout cancels that way);
// Policy.AttemptTimeout's timeouts count.
func DefaultBreaker() gobreaker.Settings {
	return gobreaker.Settings{
		MaxRequests:  DefaultBreakerProbes,
		Interval:     DefaultBreakerInterval,
		BucketPeriod: DefaultBreakerBucket,
		Timeout:      DefaultBreakerTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= DefaultBreakerConsecutiveFailures ||
				(c.Requests >= DefaultBreakerMinRequests &&
					float64(c.TotalFailures) >= DefaultBreakerFailureRatio*float64(c.Requests))
		},
	}
}

// OutcomeError is what the breaker's IsSuccessful and IsExcluded callbacks
// receive for an attempt that did not simply succeed.
type OutcomeError struct {
	// Status is the answer's status, 0 when none came.
	Status int
	// Outcome is the attempt's classification.
	Outcome policy.Outcome
	// Excluded is true when the attempt says nothing about the host's
	// health (a 429, the caller's cancellation): not counted.
	Excluded bool
}

func (e *OutcomeError) Error() string {
	return fmt.Sprintf("retryscope: attempt %s (status %d, reach %s)", e.Outcome.Cause, e.Status, e.Outcome.Reach)
}

// verdict is what the breaker is told about attempt r of the call: an
// attempt that failed because the caller gave up (its cancellation or its
// own deadline) says nothing about the host and is not counted.
func (c *call) verdict(r *attemptResult) error {
	if r.plain && c.t.ok.success {
		return nil // what breakerVerdict says of every plain answer: see answered
	}
	if r.err != nil && c.callerDone() {
		return errExcluded
	}
	return r.breakerVerdict()
}

// breakerVerdict is what the breaker is told about an attempt: nil for a
// success, an *OutcomeError otherwise.
func (r *attemptResult) breakerVerdict() error {
	status := 0
	if r.resp != nil {
		status = r.resp.StatusCode
	}
	switch {
	case r.outcome.Cause == policy.CauseCanceled || r.outcome.Cause == policy.CauseRequestBody ||
		r.outcome.Cause == policy.CauseInvalidRequest || throttled(status, r.outcome):
		return &OutcomeError{Status: status, Outcome: r.outcome, Excluded: true}
	case r.resp != nil && status >= 100 && status < 500: // outside 100-599 is invalid, a 5xx (RFC 9110, section 15)
		return nil
	}
	return &OutcomeError{Status: status, Outcome: r.outcome}
}

// throttled reports a refusal to take more work: a 429, or API Gateway's
// 500 for a throttled Lambda (policy.CauseGatewayError; the same answer covers
// configuration errors, which the breaker cannot help either). Throttles say
// the host is protecting itself, not that it is broken: opening the breaker
// on them refused requests the gateway would have taken (the lambda-throttle
// benchmark lost 50 points of success before this). The retry budget, not
// the breaker, keeps their retries in check.
func throttled(status int, o policy.Outcome) bool {
	return status == http.StatusTooManyRequests || o.Cause == policy.CauseGatewayError
}

// errExcluded tells the breaker an attempt was abandoned before it was sent.
var errExcluded = &OutcomeError{Outcome: policy.Outcome{Reach: policy.ReachNotSent, Cause: policy.CauseCanceled}, Excluded: true}

func isExcluded(err error) bool {
	if oe, ok := err.(*OutcomeError); ok { // the usual case, without an allocation
		return oe.Excluded
	}
	return err != nil && wrappedExcluded(err)
}

// wrappedExcluded looks for an excluded *OutcomeError in err's chain.
func wrappedExcluded(err error) bool {
	var oe *OutcomeError
	return errors.As(err, &oe) && oe.Excluded
}

// hostState is what a Transport keeps per host.
type hostState struct {
	name    string
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	budget  *policy.Budget
	fleet   Fleet

	// For expiry (hosts.go): requests in flight (see hostUse), when the
	// last one ended and until when the breaker is open (unix nanos of the
	// table's clock).
	inflight  atomic.Uint64
	lastUsed  atomic.Int64
	openUntil atomic.Int64
	evicted   bool      // guarded by the table's lock
	wait      *hostWait // its queue of waiting requests and what its answers taught
	// fast spares a closed, healthy breaker gobreaker's calls
	// (breakerfast.go); nil when the settings rule it out. fastDone is
	// its done, made once.
	fast     *fastBreaker
	fastDone func(error)
}

func noopDone(error) {}

// allow asks the host's breaker for permission to send one attempt.
func (h *hostState) allow() (func(error), error) {
	if h.fleet != nil && h.fleet.CircuitOpen(h.name, time.Now()) {
		return nil, fmt.Errorf("%w for %s: opened by another member of the fleet", ErrCircuitOpen, h.name)
	}
	if h.breaker == nil {
		return noopDone, nil
	}
	if h.fast != nil && h.fast.allow() {
		return h.fastDone, nil
	}
	done, err := h.breaker.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w for %s: %w", ErrCircuitOpen, h.name, err)
	}
	if h.fast != nil {
		return h.fast.wrap(done), nil
	}
	return done, nil
}

type hostKey struct{ scheme, host string }

// hostEntry is a hostKey's state in the table.
type hostEntry struct {
	key hostKey
	h   *hostState
}

// hostTable holds one hostState per scheme, host and port. A state idle
// for the configured TTL goes (hosts.go).
type hostTable struct {
	mu     sync.RWMutex
	byKey  map[hostKey]*hostEntry
	byName map[string]*hostState
	// last is the entry get found last: a client that keeps calling one
	// host compares two strings instead of hashing them. Read under mu,
	// cleared under its write lock when its state is dropped.
	last  atomic.Pointer[hostEntry]
	cfg   config
	tel   *otelwire.Instrumentation
	now   func() time.Time // nil: time.Now; tests set a clock of their own
	swept atomic.Int64     // unix nanos of the last sweep
}

func (t *hostTable) init(cfg config, tel *otelwire.Instrumentation) {
	t.cfg, t.tel = cfg, tel
	t.byKey = make(map[hostKey]*hostEntry)
	t.byName = make(map[string]*hostState)
}

// get returns u's host state, counting a request in flight until release.
func (t *hostTable) get(u *url.URL) *hostState {
	k := hostKey{u.Scheme, u.Host}
	// The entry found last, without the table's lock: counting the
	// request tells whether a sweep dropped its state meanwhile (see
	// hostUse), and then the state is not used.
	if e := t.last.Load(); e != nil && e.key == k && e.h.use() {
		return e.h
	}
	var h *hostState
	t.mu.RLock()
	if e := t.byKey[k]; e != nil {
		h = e.h
		t.last.Store(e)
		h.inflight.Add(hostUse) // under the lock: no sweep runs, none dropped it
	}
	t.mu.RUnlock()
	if h != nil {
		return h
	}
	name := hostName(u)
	now := t.clock(time.Time{})
	t.mu.Lock()
	defer t.mu.Unlock()
	if h = t.byName[name]; h == nil {
		if t.due(now) {
			t.sweepLocked(now)
		}
		h = t.newHost(name)
		h.lastUsed.Store(now.UnixNano())
		t.byName[name] = h
	}
	t.byKey[k] = &hostEntry{key: k, h: h}
	h.inflight.Add(hostUse)
	return h
}

// A host state's inflight word counts its requests in flight in its low
// 31 bits and the requests it was handed in its high 32 (wrapping), and
// its bit 31 (hostDropped) marks a state a sweep dropped: get adds
// hostUse, release takes one off the count, and a sweep drops a state by
// swapping the very word in which it saw no request in flight for one
// with hostDropped set, so a request counted since (even one already
// released) keeps it. A state, once dropped, is never used again.
const (
	hostUse     = 1<<32 | 1
	hostDropped = 1 << 31
	hostCount   = hostDropped - 1
)

// use counts a request in flight on h, found without the table's lock,
// and reports whether h may serve it: false when a sweep dropped it.
func (h *hostState) use() bool {
	return h.inflight.Add(hostUse)&hostDropped == 0
}

// hostName is scheme://host:port with the scheme's default port filled in.
func hostName(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port() // DNS names ignore case
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

func (t *hostTable) newHost(name string) *hostState {
	h := &hostState{name: name, fleet: t.cfg.fleet}
	h.wait = newHostWait(t.cfg, h)
	if t.cfg.budget != nil {
		h.budget = policy.NewBudget(*t.cfg.budget)
	}
	if t.cfg.breaker != nil {
		s := *t.cfg.breaker
		s.Name = name
		userChange, openFor, fleet, tel := s.OnStateChange, s.Timeout, t.cfg.fleet, t.tel
		if openFor <= 0 {
			openFor = 60 * time.Second // gobreaker's own default
		}
		s.OnStateChange = func(name string, from, to gobreaker.State) {
			h.noteBreaker(to, t.clock(time.Time{}).Add(openFor))
			tel.BreakerTransition(name, from.String(), to.String())
			if fleet != nil {
				fleet.BreakerChanged(name, to, time.Now().Add(openFor))
			}
			if userChange != nil {
				userChange(name, from, to)
			}
		}
		userExcluded := s.IsExcluded
		s.IsExcluded = func(err error) bool {
			return isExcluded(err) || (userExcluded != nil && userExcluded(err))
		}
		fast := newFastBreaker(&s, s.IsSuccessful != nil, userExcluded != nil)
		h.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](s)
		if fast != nil {
			fast.cb = h.breaker
			h.fast, h.fastDone = fast, fast.done
		}
	}
	return h
}
