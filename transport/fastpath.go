package transport

import "time"

// landSuccess lands, at now, an attempt whose breaker verdict is a success
// and that ended in time, as land would, in one section of the host's wait
// instead of two: the in-flight slot, the slow-call threshold, the usual
// latency and, for a probe, the release's verdict. The breaker and the
// send rate, objects of their own, are told after that section instead of
// around it; nothing they decide reads the host's wait, nor the wait
// them. It reports false, and changes nothing, when land has more to do:
// the attempt counts as slow (the slow-call rule makes it a failure), its
// send was never reached (the budget's cost is refunded), or there is no
// breaker's permission to report to.
func (l *landing) landSuccess(now time.Time) bool {
	if l.done == nil {
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
	w.learnLocked(now, l.sendAt, elapsed, nil, nil, l.probe)
	w.mu.Unlock()
	l.done(nil)
	if w.rate != nil {
		w.rate.Succeeded(now)
	}
	return true
}
