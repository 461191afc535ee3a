package policy

import (
	"math"
	"sync"
	"time"
)

// ThrottleConfig sets an AdaptiveThrottle. The zero value of each field
// means its default:
//
//   - K: how many requests the client sends for each one the backend
//     accepts before it starts refusing some itself; default
//     DefaultThrottleK (2), as in the Google SRE book. Lower throttles
//     sooner; a value of 1 or less is raised to 1, which throttles as soon
//     as anything is rejected.
//   - Window: how far back requests and accepts count; default
//     DefaultThrottleWindow (2 minutes), as in the Google SRE book.
//
// NaN and infinite values of K mean the default.
type ThrottleConfig struct {
	// K is the accept multiplier; default 2.
	K float64
	// Window is the history counted; default 2 minutes.
	Window time.Duration
}

// AdaptiveThrottle defaults, from the Google SRE book, chapter "Handling
// Overload" (docs/aws-behaviour.md#backoff-and-retry-budgets).
const (
	DefaultThrottleK      = 2.0
	DefaultThrottleWindow = 2 * time.Minute
)

// throttleBuckets is how many slices a window is counted in: 5 s each at
// the default window. Counts leave the window a slice at a time.
const throttleBuckets = 24

// AdaptiveThrottle is the Google SRE book's client-side adaptive throttle.
// Over the last Window it counts the requests the application made and
// those the backend accepted, and refuses a new request locally with
// probability
//
//	p = max(0, (requests - K*accepts) / (requests + 1))
//
// so a client whose backend rejects everything sends only a trickle, and
// sends everything again as the backend recovers. Because refused requests
// count too, recovery from a total outage is gradual: the share sent
// roughly doubles every minute (default window), from a trickle to
// everything in about a quarter of an hour at 100 requests a second. It
// complements Budget: the budget limits retries, the throttle all traffic.
//
// Call Allow before each request; when it refuses, the request counts as
// one not accepted and must not be sent. When it allows, send the request
// and call Record once with the backend's answer. Time is an argument
// (now) and so is the random draw, so tests and simulations are
// deterministic. An AdaptiveThrottle is safe for concurrent use; it holds a
// mutex.
type AdaptiveThrottle struct {
	k     float64
	width time.Duration // of one bucket

	mu      sync.Mutex
	origin  time.Time // the first time seen; bucket indexes count from it
	started bool
	buckets [throttleBuckets]throttleBucket
}

type throttleBucket struct {
	index              int64 // which slice of time since origin it holds
	set                bool
	requests, accepted float64
}

// NewAdaptiveThrottle returns a throttle with the settings c (zero fields
// mean their defaults; see ThrottleConfig) and no history, so it allows
// everything at first.
func NewAdaptiveThrottle(c ThrottleConfig) *AdaptiveThrottle {
	k := c.K
	switch {
	case k == 0 || math.IsNaN(k) || math.IsInf(k, 0):
		k = DefaultThrottleK
	case k < 1:
		k = 1
	}
	w := c.Window
	if w <= 0 {
		w = DefaultThrottleWindow
	}
	return &AdaptiveThrottle{k: k, width: max(w/throttleBuckets, 1)}
}

// index returns the slice of time now falls in, counted from the first
// time seen (floor division, so earlier times give negative indexes).
func (t *AdaptiveThrottle) index(now time.Time) int64 {
	if !t.started {
		t.origin, t.started = now, true
	}
	d, w := int64(now.Sub(t.origin)), int64(t.width)
	if d < 0 {
		return -((-d + w - 1) / w)
	}
	return d / w
}

// Probability returns p, the chance that Allow refuses a request at time
// now.
func (t *AdaptiveThrottle) Probability(now time.Time) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.probability(t.index(now))
}

func (t *AdaptiveThrottle) probability(i int64) float64 {
	var requests, accepted float64
	for _, b := range t.buckets {
		if b.set && b.index <= i && b.index > i-throttleBuckets {
			requests += b.requests
			accepted += b.accepted
		}
	}
	return max(0, (requests-t.k*accepted)/(requests+1))
}

// Allow reports whether to send a request at time now. rnd is a uniform
// draw from [0, 1) (math/rand/v2's Float64); the request is refused when
// rnd < p. A refused request is counted as one the backend did not accept,
// as the SRE book prescribes; an allowed one is counted by Record.
func (t *AdaptiveThrottle) Allow(now time.Time, rnd float64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.index(now)
	if rnd < t.probability(i) {
		t.add(i, false)
		return false
	}
	return true
}

// Record counts a request sent at (or answered by) time now, and whether
// the backend accepted it. What counts as accepted is the caller's call: an
// answer that says the backend is overloaded (429, 503, a timeout) is not.
func (t *AdaptiveThrottle) Record(now time.Time, accepted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(t.index(now), accepted)
}

func (t *AdaptiveThrottle) add(i int64, accepted bool) {
	b := &t.buckets[((i%throttleBuckets)+throttleBuckets)%throttleBuckets]
	switch {
	case !b.set || b.index < i:
		*b = throttleBucket{index: i, set: true}
	case b.index > i:
		return // older than the window the slot now holds
	}
	b.requests++
	if accepted {
		b.accepted++
	}
}
