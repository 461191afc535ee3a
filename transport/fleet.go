package transport

import (
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
	// room (from a cached read).
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
