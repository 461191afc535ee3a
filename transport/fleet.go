package transport

import (
	"math/rand/v2"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Fleet shares circuit-breaker state and retry-budget counts among the
// processes of a fleet, so that when a host goes down they all back off
// together instead of each learning it alone. Every decision is still made
// locally: a Fleet is consulted through cached reads and told things
// asynchronously, and none of its methods may block or fail a request. When
// the shared store is slow or gone, a Fleet answers as if it knew nothing
// (circuit closed, retries allowed), leaving the local breaker and budget in
// charge. The package redisfleet implements it over Redis.
type Fleet interface {
	// CircuitOpen reports whether another member holds host's circuit open
	// (from a cached read).
	CircuitOpen(host string, now time.Time) bool
	// BreakerChanged tells the fleet this member's breaker for host moved
	// to state; when it opened, until is when it will half-open.
	BreakerChanged(host string, to gobreaker.State, until time.Time)
	// CountRequest counts one attempt to host for the fleet-wide budget;
	// retry is false for a first attempt.
	CountRequest(host string, retry bool)
	// RetryAllowed reports whether the fleet-wide retry budget for host has
	// room for one more retry of this member's (from a cached read). Every
	// member answers from a view read at its last sync, so a member should
	// grant only its part of the room that view shows (redisfleet's follows
	// its share of the fleet's first attempts, policy.FleetBudget): members
	// that each granted all of it would together send it many times over.
	// While the transport waits for its hosts (the default, see
	// WithWaitForHost), a refused retry asks again about every 100 ms
	// until the fleet has room or its caller's wait ends.
	RetryAllowed(host string, now time.Time) bool
}

// WithFleet shares breaker state and the retry budget through f; default
// none (each Transport decides alone).
func WithFleet(f Fleet) Option {
	return func(c *config) { c.fleet = f }
}

// retryAllowed spends a retry token from the host's budget and, with a
// fleet, asks the fleet-wide budget too; an allowed retry is counted.
func (h *hostState) retryAllowed(now time.Time) bool {
	if h.fleet != nil && !h.fleet.RetryAllowed(h.name, now) {
		return false
	}
	if h.budget != nil && !h.budget.Retry(now) {
		return false
	}
	if h.fleet != nil {
		h.fleet.CountRequest(h.name, true)
	}
	return true
}

// fleetPoll is how often, on average, a retry the fleet-wide budget
// refused asks it again while it waits for room: redisfleet's
// DefaultSyncInterval, as its view changes no more often than that. Each
// wait is drawn from [fleetPoll/2, 3·fleetPoll/2) so that the waiting
// calls of a member do not all ask at one instant.
const fleetPoll = 100 * time.Millisecond

// waitForFleet waits, from *at, for the fleet-wide budget to have room for
// the call's retry, when the host's wait is on (see WithWaitForHost), as
// the host's own budget waits for tokens (Budget.Reserve); it asks the
// fleet again every fleetPoll or so. It reports true, and sets *at to
// when it asked last, once the fleet has room; false when waiting is off
// (the retry is refused at once) or the call's limit (see limit) or its
// caller's cancellation came first.
func (c *call) waitForFleet(at *time.Time) bool {
	h := c.host
	if !h.wait.on {
		return false
	}
	rnd := c.t.cfg.policy.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	limit := c.limit(*at)
	for {
		d := fleetPoll/2 + time.Duration(rnd(int64(fleetPoll)))
		if at.Add(d).After(limit) || c.sleep(d) != nil {
			return false
		}
		*at = time.Now()
		if h.fleet.RetryAllowed(h.name, *at) {
			return true
		}
	}
}
