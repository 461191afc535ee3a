package transport

import "time"

// admitHealthy admits a first attempt sent at now as admitGeneral would,
// in one section of the host's wait instead of three (the queue and stall
// checks; the breaker's permission and the send rate's slot between them;
// the send rate's landing time; the in-flight slot), when nothing can make
// it wait or refuse it: no fleet is asked, nobody waits for the host, it
// has not stalled, its breaker (if any) takes its fast path and its send
// rate lets everything through (then the landing time, which bounds only a
// paced wait, is not read). The breaker's fast path and the send rate are
// asked in the same order as admitGeneral asks them. It fills l, a zero
// landing, and reports true; it reports false, and nothing has changed,
// when one of those does not hold. (An out parameter: the landing, 64
// bytes, is not copied through two returns.)
func (w *hostWait) admitHealthy(now time.Time, l *landing) bool {
	h := w.h
	f, done := h.fast, h.fastDone
	switch {
	case h.fleet != nil:
		return false
	case h.breaker == nil:
		f, done = nil, noopDone
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
	if w.rate != nil && !w.rate.TakeIfFree(now) {
		if f != nil {
			f.unallow() // the send rate may make it wait: admitGeneral asks again
		}
		w.mu.Unlock()
		return false
	}
	l.id = w.trackLocked(now)
	w.mu.Unlock()
	l.done, l.w, l.sendAt, l.fast = done, w, now, f != nil
	return true
}

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
	w.cameBackLocked(now)
	if l.probe {
		w.learnLocked(now, l.sendAt, elapsed, nil, nil, true)
	} else {
		// learnLocked for an answer and a verdict that are both a success,
		// of an attempt that was no probe: no verdict to note.
		w.learnOKLocked(now, elapsed)
		w.settleLocked(now)
	}
	w.mu.Unlock()
	if l.fast {
		w.h.fast.done(nil) // l.done is its method value
	} else {
		l.done(nil)
	}
	if w.rate != nil {
		w.rate.Succeeded(now)
	}
	return true
}
