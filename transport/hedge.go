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
func (c *call) hedged() (*http.Response, error) {
	pol := &c.t.cfg.policy
	maxAttempts := pol.Attempts()
	results := make(chan attemptResult, maxAttempts)
	dones := make(map[int]func(error), maxAttempts)
	cancels := make(map[int]func(), maxAttempts)
	launched := 0

	// launch sends the next attempt; done is the breaker's permission.
	launch := func(hedge bool, done func(error)) {
		launched++
		areq, r := c.prepareAttempt(c.ctx, launched, hedge)
		dones[r.n], cancels[r.n] = done, r.release
		if areq == nil {
			results <- r
			return
		}
		go func() {
			c.send(areq, &r)
			results <- r
		}()
	}
	// stopAll cancels the attempts still in flight and waits for them, so
	// none outlives RoundTrip; each is recorded with decision d.
	stopAll := func(d policy.Decision) {
		for _, cancel := range cancels {
			cancel()
		}
		for len(dones) > 0 {
			r := <-results
			dones[r.n](errExcluded)
			delete(dones, r.n)
			delete(cancels, r.n)
			discard(r.resp)
			c.finish(&r, d)
		}
	}

	done, err := c.host.allow()
	if err != nil {
		c.span.Refused(refusedCircuitOpen, c.host.name)
		c.replay.close()
		return nil, &Error{Err: err}
	}
	c.countFirst()
	launch(false, done)
	timer := time.NewTimer(c.t.cfg.hedgeDelay)
	defer timer.Stop()
	var prevWait time.Duration
	for {
		select {
		case <-c.ctx.Done():
			stopAll(policy.Decision{Rule: "canceled", Reason: "the caller canceled the request"})
			return nil, &Error{Attempts: c.history, Err: c.ctx.Err()}

		case <-timer.C:
			if launched < maxAttempts {
				if done, ok := c.admitHedge(); ok {
					launch(true, done)
					timer.Reset(c.t.cfg.hedgeDelay)
				}
			}

		case r := <-results:
			dones[r.n](c.verdict(&r))
			delete(dones, r.n)
			delete(cancels, r.n)
			d := c.decide(launched, prevWait, &r)
			if r.outcome.Retryable && len(dones) > 0 {
				// Another attempt is still running: let it answer.
				discard(r.resp)
				r.release()
				c.finish(&r, policy.Decision{Rule: "hedge_pending", Reason: "another attempt is still in flight: " + r.outcome.Reason})
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
				stopAll(policy.Decision{Rule: "hedge_lost", Reason: "cancelled: another attempt answered first"})
				return c.result(r)
			}
			discard(r.resp)
			r.release()
			prevWait = d.Wait
			if err := sleep(c.ctx, d.Wait); err != nil {
				next(errExcluded)
				return nil, &Error{Attempts: c.history, Err: err}
			}
			launch(false, next)
			timer.Reset(c.t.cfg.hedgeDelay)
		}
	}
}

// admitHedge asks the breaker, then the budget, for a hedge; it returns the
// breaker's done function when both agree.
func (c *call) admitHedge() (func(error), bool) {
	done, err := c.host.allow()
	if err != nil {
		c.span.Refused(refusedCircuitOpen, c.host.name)
		return nil, false
	}
	if !c.budgetAllowsHedge() {
		c.span.Refused(refusedBudget, c.host.name)
		done(errExcluded)
		return nil, false
	}
	return done, true
}

// budgetAllowsHedge spends a retry token on a hedge.
func (c *call) budgetAllowsHedge() bool {
	return c.host.retryAllowed(time.Now())
}
