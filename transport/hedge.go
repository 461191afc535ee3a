package transport

import (
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
)

// hedger is what hedging adds to the call's attempt loop (run): a timer
// that, when an attempt has not answered after the hedge delay, launches
// another one (the breaker, the budget and the host's send rate
// permitting, up to MaxAttempts in all), and the attempts still in flight,
// each on its own goroutine. The first final answer wins, the others are
// cancelled and their bodies closed. The winner's context ends only when
// the caller closes its body.
//
// Memory follows the attempts made, never MaxAttempts: "retry until
// MaxElapsed" is MaxAttempts math.MaxInt32.
type hedger struct {
	// results carries each attempt's result from its goroutine; await
	// always receives (or drains, in stopAll), so a small buffer suffices.
	results chan attemptResult
	timer   *time.Timer
	flights []flight // launched and not yet landed
	unsent  []flight // failed before anything was sent, handled next
	on      bool     // false once a hedge could not produce its body
}

// flight is an attempt of a hedged call that has not landed: how to land
// it and how to cancel it.
type flight struct {
	n      int
	l      landing
	cancel func()
	r      attemptResult // for an unsent attempt, its result
}

// hedgerIfSafe starts the hedge delay of a call that may be hedged: its
// request is safe to repeat and its body can be sent again. It returns nil
// for any other call. The hedger keeps no pointer to the call, so that a
// call without hedging stays on its caller's stack.
func (c *call) hedgerIfSafe() *hedger {
	if !c.replay.replayable || !c.safeToRepeat() {
		return nil
	}
	return &hedger{results: make(chan attemptResult, 1), timer: time.NewTimer(c.t.cfg.hedgeDelay), on: true}
}

// next launches attempt *launched (a first attempt or a retry, admitted
// with l) and waits, launching hedges meanwhile, for the next answer that
// ends the wait: a success, or a failure with no other attempt in flight.
// It fills r with it, landed. When the caller gives up it stops every
// attempt and returns the caller's error.
func (h *hedger) next(c *call, launched *int, l landing, r *attemptResult) error {
	h.launch(c, *launched, false, l)
	for {
		var err error
		if *r, err = h.await(c, launched); err != nil {
			return err
		}
		if !h.pending(c, r) {
			return nil
		}
	}
}

// lost stops the attempts still in flight once another one's answer ends
// the call with decision d. When d is the caller's cancellation they end
// for it too: the answer that came first may be an attempt that failed
// because the caller gave up, before the call saw the cancellation itself.
//
//go:noinline
func (h *hedger) lost(c *call, d policy.Decision) {
	if d.Rule != policy.RuleCanceled {
		d = policy.Decision{Rule: policy.RuleHedgeLost, Reason: "cancelled: another attempt answered first"}
	}
	h.stopAll(c, d)
}

// launch starts attempt n, admitted with l, on a goroutine of its own. A
// first attempt or a retry (not a hedge) starts the hedge delay again.
func (h *hedger) launch(c *call, n int, hedge bool, l landing) {
	var r attemptResult
	areq := c.prepareAttempt(c.ctx, n, hedge, &r)
	if areq == nil {
		h.unsent = append(h.unsent, flight{n: n, l: l, r: r})
	} else {
		h.flights = append(h.flights, flight{n: n, l: l, cancel: r.release})
		// send reads only what no attempt changes (the transport, the
		// caller's request, the call's start): a copy serves it.
		sc := new(call)
		*sc = *c
		go func() {
			sc.send(areq, &r)
			h.results <- r
		}()
	}
	if !hedge {
		h.timer.Reset(c.t.cfg.hedgeDelay)
	}
}

// await returns the next attempt to answer, landed, launching hedges while
// it waits; launched counts the attempts launched. When the caller gives
// up it stops every attempt and returns the caller's error.
func (h *hedger) await(c *call, launched *int) (attemptResult, error) {
	for {
		if len(h.unsent) > 0 {
			f := h.unsent[0]
			h.unsent = h.unsent[1:]
			f.l.land(c, c.verdict(&f.r), f.r.end)
			return f.r, nil
		}
		select {
		case <-c.ctx.Done():
			h.stopAll(c, policy.Decision{Rule: policy.RuleCanceled, Reason: "the caller canceled the request"})
			return attemptResult{}, c.ctx.Err()
		case <-c.req.Cancel: // nil, never ready, unless the caller set it
			h.stopAll(c, policy.Decision{Rule: policy.RuleCanceled, Reason: "the caller canceled the request (Request.Cancel was closed)"})
			return attemptResult{}, errCanceled
		case <-h.timer.C:
			if h.on && *launched-c.freeAttempts < c.t.cfg.policy.Attempts() {
				if l, ok := c.admitHedge(); ok {
					*launched++
					h.launch(c, *launched, true, l)
					h.timer.Reset(c.t.cfg.hedgeDelay)
				}
			}
		case r := <-h.results:
			c.host.noteEnd(r.end)
			l := h.land(r.n)
			l.land(c, c.verdict(&r), r.end)
			c.end = r.end
			return r, nil
		}
	}
}

// land removes attempt n from the flights and returns its landing.
func (h *hedger) land(n int) landing {
	for i, f := range h.flights {
		if f.n == n {
			last := len(h.flights) - 1
			h.flights[i], h.flights[last] = h.flights[last], flight{}
			h.flights = h.flights[:last]
			return f.l
		}
	}
	return landing{}
}

// pending reports whether r, just landed, is a failure that waits for
// another attempt still in flight; if so r is recorded as such and let go.
func (h *hedger) pending(c *call, r *attemptResult) bool {
	notSent := r.outcome.Cause == policy.CauseRequestBody || r.outcome.Cause == policy.CauseInvalidRequest
	if notSent && r.hedge {
		h.on = false // its body or request could not be sent: later hedges would fail alike
	}
	if !(r.outcome.Retryable || notSent) || len(h.flights) == 0 {
		return false
	}
	r.discard()
	c.finish(r, &policy.Decision{Rule: policy.RuleHedgePending, Reason: "another attempt is still in flight: " + r.outcome.Reason})
	return true
}

// stopAll cancels the attempts still in flight and waits for them, so
// none outlives RoundTrip; each is recorded with decision d.
func (h *hedger) stopAll(c *call, d policy.Decision) {
	for _, f := range h.flights {
		f.cancel()
	}
	for len(h.flights) > 0 {
		r := <-h.results
		h.land(r.n).land(c, errExcluded, r.end)
		r.discard()
		c.finish(&r, &d)
	}
	for _, f := range h.unsent {
		f.l.land(c, errExcluded, f.r.end)
		c.finish(&f.r, &d)
	}
	h.unsent = nil
}

// admitHedge asks for a hedge to go now, without waiting: the breaker
// (closed only), then the retry budget (a hedge costs what a retry does), then the host's
// send rate (a hedge that would have to wait for it is not sent). It does
// not look at the host's queue of waiters or its stall rule: their state
// at the hedge's instant depends on which goroutine acting at that
// instant ran first, and under virtual time the same seed then gave
// different runs (overload with retryscope-hedge, 5 results in 9 runs).
func (c *call) admitHedge() (landing, bool) {
	now := time.Now()
	h, w := c.host, c.host.wait
	// Only into a closed breaker: a half-open breaker's few probes are the
	// waiters' (taken by its release at its ticks), and a hedge that took
	// one at the same instant would make who probes depend on which
	// goroutine ran first.
	if h.breaker != nil && h.breaker.State() != gobreaker.StateClosed {
		c.span.Refused(policy.RuleCircuitOpen, h.name)
		return landing{}, false
	}
	done, err := h.allow()
	if err != nil {
		c.span.Refused(policy.RuleCircuitOpen, h.name)
		return landing{}, false
	}
	if !h.retryAllowed(now) {
		c.span.Refused(policy.RuleBudget, h.name)
		done(errExcluded)
		return landing{}, false
	}
	var cost float64
	if h.budget != nil {
		cost = 1
	}
	if w.rate != nil {
		if _, ok := w.rate.Reserve(now, 0); !ok {
			c.refund(cost)
			done(errExcluded)
			return landing{}, false
		}
	}
	return w.observed(done, false, now, cost), true
}
