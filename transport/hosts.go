package transport

import (
	"time"

	"github.com/sony/gobreaker/v2"
)

// DefaultHostIdleTTL is how long a Transport keeps a host's state (its
// circuit breaker and retry budget, about 1 KiB) after the host's last
// request ended: 10 minutes, well past the breaker's 60 s window and the
// budget's 10 s, so nothing they still count is lost. A client that talks
// to many hosts (per-tenant subdomains, presigned URLs) holds the state of
// those it used within the TTL, not of every host it ever met. A host with
// a request in flight or an open breaker is never dropped. See
// WithHostIdleTTL.
const DefaultHostIdleTTL = 10 * time.Minute

// release ends a request that get counted in flight: the host was in use
// until at (its last attempt's end, read a moment ago; zero: now). It may
// sweep the table.
func (t *hostTable) release(h *hostState, at time.Time) {
	now := t.clock(at)
	n := now.UnixNano()
	h.lastUsed.Store(n) // before the count drops: a sweep that sees 0 sees this use
	h.inflight.Add(^uint64(0))
	if t.dueAt(n) {
		t.mu.Lock()
		t.sweepLocked(now)
		t.mu.Unlock()
	}
}

// clock is the table's time: at, or time.Now when at is zero; the test's
// clock when one is set.
func (t *hostTable) clock(at time.Time) time.Time {
	switch {
	case t.now != nil:
		return t.now()
	case at.IsZero():
		return time.Now()
	}
	return at
}

// due reports whether a sweep is due at now, and if so claims it: of the
// goroutines that ask at once, one gets true.
func (t *hostTable) due(now time.Time) bool { return t.dueAt(now.UnixNano()) }

// dueAt is due at n, now's unix nanos.
func (t *hostTable) dueAt(n int64) bool {
	ttl := t.cfg.hostIdleTTL
	if ttl <= 0 {
		return false
	}
	last := t.swept.Load()
	return n-last >= int64(sweepEvery(ttl)) && t.swept.CompareAndSwap(last, n)
}

// sweepEvery is how often the table is swept: a state lives at most
// ttl + ttl/8 after its last use, and a sweep's cost (one pass over the
// hosts) is spread over at least ttl/8 of requests.
func sweepEvery(ttl time.Duration) time.Duration { return ttl / 8 }

// sweep drops the states idle for the TTL at now.
func (t *hostTable) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
}

// sweepLocked drops, under the write lock, every state with no request in
// flight, no open breaker and no use for the TTL at now.
func (t *hostTable) sweepLocked(now time.Time) {
	ttl := t.cfg.hostIdleTTL
	if ttl <= 0 {
		return
	}
	n := now.UnixNano()
	dropped := false
	for name, h := range t.byName {
		// get may count a request on h without the table's lock: h goes
		// only if the word that shows none in flight is still the same
		// (see hostUse).
		if v := h.inflight.Load(); v&hostCount == 0 && n-h.lastUsed.Load() >= int64(ttl) && n >= h.openUntil.Load() &&
			h.inflight.CompareAndSwap(v, v|hostDropped) {
			h.evicted = true
			delete(t.byName, name)
			dropped = true
		}
	}
	if dropped {
		for k, e := range t.byKey {
			if e.h.evicted {
				delete(t.byKey, k)
			}
		}
		if e := t.last.Load(); e != nil && e.h.evicted {
			t.last.Store(nil)
		}
	}
}

// noteBreaker records the breaker's move to state to: while open (until
// until, on the table's clock) the host is kept.
func (h *hostState) noteBreaker(to gobreaker.State, until time.Time) {
	if to == gobreaker.StateOpen {
		h.openUntil.Store(until.UnixNano())
	} else {
		h.openUntil.Store(0)
	}
}
