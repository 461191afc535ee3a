package transport

import (
	"net/http"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// hedged sends the call with hedging: when an attempt has not answered
// after the hedge delay, another one goes out (budget and breaker
// permitting, up to MaxAttempts in all); the first final answer wins, the
// others are cancelled and their bodies closed. The winner's context ends
// only when the caller closes its body. Only calls that are safe to repeat
// come here.
//
// Memory follows the attempts made, never MaxAttempts: "retry until
// MaxElapsed" is MaxAttempts math.MaxInt32.
func (c *call) hedged() (*http.Response, error) {
	pol := &c.t.cfg.policy
	maxAttempts := pol.Attempts()
	// Each attempt's goroutine hands its result over here; the loop below
	// always receives (or drains, in stopAll), so a small buffer suffices.
	results := make(chan attemptResult, 1)
	var flights []flight // the attempts launched and not yet ended
	launched := 0
	hedging := true // false once a hedge could not produce its body

	// launch starts the next attempt; done is the breaker's permission. It
	// returns false, with the attempt's result, when the attempt failed
	// before anything was sent.
	launch := func(hedge bool, done func(error)) (attemptResult, bool) {
		launched++
		areq, r := c.prepareAttempt(c.ctx, launched, hedge)
		flights = append(flights, flight{n: r.n, done: done, cancel: r.release})
		if areq == nil {
			return r, false
		}
		go func() {
			c.send(areq, &r)
			results <- r
		}()
		return attemptResult{}, true
	}
	// land removes attempt n from the flights and returns its breaker's
	// done function.
	land := func(n int) func(error) {
		for i, f := range flights {
			if f.n == n {
				last := len(flights) - 1
				flights[i], flights[last] = flights[last], flight{}
				flights = flights[:last]
				return f.done
			}
		}
		return noopDone
	}
	// stopAll cancels the attempts still in flight and waits for them, so
	// none outlives RoundTrip; each is recorded with decision d.
	stopAll := func(d policy.Decision) {
		for _, f := range flights {
			f.cancel()
		}
		for len(flights) > 0 {
			r := <-results
			land(r.n)(errExcluded)
			r.discard()
			c.finish(&r, d)
		}
	}

	done, err := c.host.allow()
	if err != nil {
		c.span.Refused(policy.RuleCircuitOpen, c.host.name)
		c.replay.close()
		return nil, &Error{Err: err}
	}
	c.countFirst()
	timer := time.NewTimer(c.t.cfg.hedgeDelay)
	defer timer.Stop()
	var (
		prevWait time.Duration
		unsent   *attemptResult // an attempt that failed before sending, handled next
	)
	if r, sent := launch(false, done); !sent {
		unsent = &r
	}
	for {
		var r attemptResult
		if unsent != nil {
			r, unsent = *unsent, nil
		} else {
			select {
			case <-c.ctx.Done():
				stopAll(policy.Decision{Rule: policy.RuleCanceled, Reason: "the caller canceled the request"})
				return nil, &Error{Attempts: c.history, Err: c.ctx.Err()}

			case <-timer.C:
				if hedging && launched < maxAttempts {
					if done, ok := c.admitHedge(); ok {
						var sent bool
						if r, sent = launch(true, done); !sent {
							break // handled below, at once
						}
						timer.Reset(c.t.cfg.hedgeDelay)
					}
				}
				continue

			case r = <-results:
			}
		}
		land(r.n)(c.verdict(&r))
		d := c.decide(launched, prevWait, &r)
		notSent := r.outcome.Cause == policy.CauseRequestBody
		if notSent && r.hedge {
			// Its body could not be made: later hedges would fail alike.
			hedging = false
		}
		if (r.outcome.Retryable || notSent) && len(flights) > 0 {
			// Another attempt is still running: let it answer.
			r.discard()
			c.finish(&r, policy.Decision{Rule: policy.RuleHedgePending, Reason: "another attempt is still in flight: " + r.outcome.Reason})
			continue
		}
		var next func(error)
		if d.Retry {
			// Budget and breaker are asked before the answer is
			// discarded: refused, it is the one returned.
			d, next = c.admitRetry(d, r.end)
		}
		c.finish(&r, d)
		if !d.Retry {
			stopAll(policy.Decision{Rule: policy.RuleHedgeLost, Reason: "cancelled: another attempt answered first"})
			return c.result(r)
		}
		r.discard()
		prevWait = d.Wait
		if err := sleep(c.ctx, d.Wait); err != nil {
			next(errExcluded)
			return nil, &Error{Attempts: c.history, Err: err}
		}
		if r, sent := launch(false, next); !sent {
			unsent = &r
		}
		timer.Reset(c.t.cfg.hedgeDelay)
	}
}

// flight is an attempt of a hedged call that has not ended: its breaker
// permission and how to cancel it.
type flight struct {
	n      int
	done   func(error)
	cancel func()
}

// admitHedge asks the breaker, then the budget, for a hedge; it returns the
// breaker's done function when both agree.
func (c *call) admitHedge() (func(error), bool) {
	done, err := c.host.allow()
	if err != nil {
		c.span.Refused(policy.RuleCircuitOpen, c.host.name)
		return nil, false
	}
	if !c.budgetAllowsHedge() {
		c.span.Refused(policy.RuleBudget, c.host.name)
		done(errExcluded)
		return nil, false
	}
	return done, true
}

// budgetAllowsHedge spends a retry token on a hedge.
func (c *call) budgetAllowsHedge() bool {
	return c.host.retryAllowed(time.Now())
}
