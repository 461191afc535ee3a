package transport

import (
	"net/http"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// answered is what the policy says, once and for all, about a plain answer:
// a status under 400 without Retry-After, when the policy has no signatures
// of its own. policy.Classify gives every such answer the same outcome (the
// built-in signatures describe error answers only, and nothing else of the
// exchange is read), and that outcome is not retryable, so policy.Decide
// stops with the same decision whatever the call's state. Both are asked of
// the policy when the Transport is made, so the success path skips neither
// rule: it reads their answers instead of building an Exchange and a State
// for each request. The breaker's verdict on such an answer does not depend
// on its status either (none is a 429 or a 5xx): success says it is a
// success.
type answered struct {
	on       bool
	success  bool // breakerVerdict gives such an answer nil
	outcome  policy.Outcome
	decision policy.Decision
}

func newAnswered(p *policy.Policy) answered {
	if len(p.Signatures) > 0 {
		return answered{}
	}
	now := time.Now()
	o := p.Classify(policy.Exchange{Response: &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, Now: now})
	d := p.Decide(policy.State{Attempts: 1, Start: now}, o, now)
	if o.Retryable || o.HasRetryAfter || d.Retry {
		return answered{} // not what Classify and Decide give today: ask them every time
	}
	plain := attemptResult{resp: &http.Response{StatusCode: http.StatusOK}, outcome: o}
	return answered{on: true, success: plain.breakerVerdict() == nil, outcome: o, decision: d}
}

// covers reports whether resp, which came without an error, is a plain
// answer whose outcome and decision are a's.
func (a *answered) covers(resp *http.Response) bool {
	return a.on && resp != nil && resp.StatusCode >= 100 && resp.StatusCode < 400 &&
		len(resp.Header["Retry-After"]) == 0
}
