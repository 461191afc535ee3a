package transport

import "time"

// The success path of a healthy host, in fewer steps: a first attempt to a
// host whose breaker, if it has one, takes its fast path (breakerfast.go)
// is admitted in one section of the host's wait (the queue and stall checks, the
// breaker's permission, the in-flight slot), and, when it succeeds in
// time, lands in one (the slot, the slow-call threshold, the usual
// latency). Each does what admitFirst and landing.land do, in the same
// order for the host's wait: the breaker and the send rate, objects of
// their own, are told after it instead of between. Anything else (a
// waiting queue, a stall, a breaker that is not healthy, a fleet, a
// failure, a slow success) takes the general path.

// admitHealthy admits a first attempt sent at now, as admitFirst would,
// when the host is healthy: nobody waits, the host has not stalled, no
// fleet is consulted and the breaker, if any, takes its fast path: it sets
// *l and reports true. It reports false, and nothing has changed, when
// one of those does not hold.
func (w *hostWait) admitHealthy(now time.Time, l *landing) bool {
	h := w.h
	f, done := h.fast, h.fastDone
	switch {
	case h.fleet != nil:
		return false
	case h.breaker == nil:
		done = noopDone
	case f == nil || !f.healthy.Load():
		return false
	}
	w.mu.Lock()
	if w.on && (len(w.queue) > 0 || w.stalledLocked(now)) {
		w.mu.Unlock()
		return false
	}
	if f != nil && !f.allow() {
		w.mu.Unlock()
		return false
	}
	id := w.trackLocked(now)
	w.mu.Unlock()
	*l = landing{done: done, w: w, sendAt: now, id: id, fast: true}
	return true
}

// landHealthy lands, at now, an attempt admitHealthy admitted whose
// breaker verdict is a success, as land would: it reports false, and
// changes nothing, when the attempt was admitted otherwise or counts as
// slow (land then applies the slow-call rule).
func (l *landing) landHealthy(now time.Time) bool {
	if !l.fast {
		return false
	}
	w := l.w
	elapsed := now.Sub(l.sendAt)
	if elapsed < 0 {
		return false
	}
	w.mu.Lock()
	if thr := w.slowAfterLocked(); thr > 0 && elapsed >= thr {
		w.mu.Unlock()
		return false
	}
	w.untrackLocked(l.id)
	w.learnLocked(now, l.sendAt, elapsed, nil, nil, false)
	w.mu.Unlock()
	l.done(nil)
	if w.rate != nil {
		w.rate.Succeeded(now)
	}
	return true
}
