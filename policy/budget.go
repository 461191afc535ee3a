package policy

import (
	"math"
	"sync"
	"time"
)

// BudgetConfig sets a Budget. The zero value of each field means its
// default, so BudgetConfig{} allows retries for about 20% of requests plus
// one retry a second, with at most 10 retries banked:
//
//   - Ratio: tokens each first attempt deposits, i.e. the share of requests
//     that may be retried; default DefaultBudgetRatio (0.2). A negative value
//     means no deposits: only MinRetriesPerSecond pays for retries.
//   - MinRetriesPerSecond: tokens that accrue every second whatever the
//     traffic, so a quiet client can still retry; default
//     DefaultBudgetMinRetriesPerSecond (1). A negative value means none.
//   - MaxTokens: the most tokens the budget holds, so a long healthy spell
//     does not bank a retry storm; default DefaultBudgetMaxTokens (10). A
//     value between 0 and 1 is raised to 1, or no retry could ever be paid.
//   - ThrottleCost: tokens a retry after a throttle withdraws (a failure
//     retry withdraws 1); default DefaultBudgetThrottleCost (5/14). A value
//     above 1 is lowered to 1.
//
// NaN and infinite fields mean their defaults.
type BudgetConfig struct {
	// Ratio is the tokens deposited per first attempt; default 0.2.
	Ratio float64
	// MinRetriesPerSecond is the tokens accrued per second; default 1.
	MinRetriesPerSecond float64
	// MaxTokens caps the balance; default 10.
	MaxTokens float64
	// ThrottleCost is what a retry after a throttle withdraws; default
	// 5/14 of a token.
	ThrottleCost float64
}

// Budget defaults, after Finagle's and Linkerd's retry budget (20% of
// requests plus a floor per second; docs/aws-behaviour.md#backoff-and-retry-budgets), with a smaller
// floor and cap that suit a single client.
const (
	DefaultBudgetRatio               = 0.2
	DefaultBudgetMinRetriesPerSecond = 1.0
	DefaultBudgetMaxTokens           = 10.0
	// DefaultBudgetThrottleCost is the AWS SDKs' 2026 retry quota scaled
	// to one token per failure retry: a retry after a throttling error
	// costs 5 tokens against 14 after another transient error. A throttle
	// says the host is healthy and busy, not broken; its retry is paid on
	// the throttle's slower backoff (Policy.ThrottleBackoff), so it adds
	// little load. Making throttle retries free instead cost 2.2 attempts
	// per request under heavy throttling in a prototype of this change.
	DefaultBudgetThrottleCost = 5.0 / 14
)

// withDefaults returns c with every zero, NaN or infinite field replaced by
// its default and negative rates replaced by 0.
func (c BudgetConfig) withDefaults() BudgetConfig {
	rate := func(v, def float64) float64 {
		switch {
		case v == 0 || math.IsNaN(v) || math.IsInf(v, 0):
			return def
		case v < 0:
			return 0
		}
		return v
	}
	c.Ratio = rate(c.Ratio, DefaultBudgetRatio)
	c.MinRetriesPerSecond = rate(c.MinRetriesPerSecond, DefaultBudgetMinRetriesPerSecond)
	if !(c.MaxTokens > 0) || math.IsInf(c.MaxTokens, 0) {
		c.MaxTokens = DefaultBudgetMaxTokens
	}
	c.MaxTokens = max(c.MaxTokens, 1)
	if !(c.ThrottleCost > 0) || math.IsInf(c.ThrottleCost, 0) {
		c.ThrottleCost = DefaultBudgetThrottleCost
	}
	c.ThrottleCost = min(c.ThrottleCost, 1)
	return c
}

// tokenSlack absorbs floating-point error, so that ten deposits of 0.1 pay
// for a retry.
const tokenSlack = 1e-9

// Budget keeps retries to a share of requests: a token bucket in the spirit
// of Finagle's and Linkerd's retry budget. Every first attempt deposits
// Ratio tokens (Request), tokens also accrue at MinRetriesPerSecond, the
// balance never exceeds MaxTokens, and every retry withdraws its cost
// (Retry: one token; Reserve with Cost: one, or ThrottleCost after a
// throttle), which is refused when the balance does not hold it. A new
// Budget starts full. Over any run, then,
//
//	otherRetries + ThrottleCost*throttleRetries
//	    <= Ratio*requests + MinRetriesPerSecond*seconds + MaxTokens:
//
// with the default ThrottleCost (5/14) a full default budget pays 28
// retries after throttles at once, against 10 after other failures.
//
// Time is an argument (now), as in golang.org/x/time/rate's ...N methods, so
// simulations need no clock; a now earlier than one already seen accrues
// nothing. A Budget is safe for concurrent use; it holds a mutex.
type Budget struct {
	cfg BudgetConfig

	mu     sync.Mutex
	tokens float64
	last   time.Time // when tokens was last brought up to date; zero before the first call
}

// NewBudget returns a full budget with the settings c (zero fields mean
// their defaults; see BudgetConfig).
func NewBudget(c BudgetConfig) *Budget {
	c = c.withDefaults()
	return &Budget{cfg: c, tokens: c.MaxTokens}
}

// Config returns the budget's settings with the defaults filled in.
func (b *Budget) Config() BudgetConfig { return b.cfg }

// advance accrues MinRetriesPerSecond for the time since the last call. The
// accrual is capped, so it does not matter how often it runs.
func (b *Budget) advance(now time.Time) {
	if b.last.IsZero() {
		b.last = now
		return
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.cfg.MaxTokens, b.tokens+b.cfg.MinRetriesPerSecond*d.Seconds())
		b.last = now
	}
}

// Request counts a first attempt at time now: it deposits Ratio tokens.
// Retries and hedges are not requests; they call Retry.
func (b *Budget) Request(now time.Time) {
	b.mu.Lock() // no defer: nothing here panics, and this runs once a request
	if b.tokens >= b.cfg.MaxTokens && !b.last.IsZero() {
		// Full, as a healthy client's budget stays: the accrual and the
		// deposit are both capped, so only the clock moves.
		if now.After(b.last) { // now.Sub(b.last) > 0, inlined
			b.last = now
		}
		b.mu.Unlock()
		return
	}
	b.advance(now)
	b.tokens = min(b.cfg.MaxTokens, b.tokens+b.cfg.Ratio)
	b.mu.Unlock()
}

// Retry withdraws one token for a retry (or a hedge) at time now. It reports
// false, and withdraws nothing, when less than one token remains: the
// budget is spent and the retry must not be sent.
func (b *Budget) Retry(now time.Time) bool {
	_, ok := b.Reserve(now, 1, 0)
	return ok
}

// Cost returns what a retry after outcome o withdraws: ThrottleCost after a
// throttle (Outcome.IsThrottle), 1 otherwise.
func (b *Budget) Cost(o Outcome) float64 {
	if o.IsThrottle() {
		return b.cfg.ThrottleCost
	}
	return 1
}

// Reserve withdraws cost tokens for a retry at time now (cost <= 0 means
// 1). When the balance holds them it returns 0 and true. Otherwise, if the
// tokens that accrue at MinRetriesPerSecond would cover the shortfall
// within maxWait, it withdraws them in advance (the balance goes below
// zero, so later retries queue behind this one) and returns how long to
// wait before sending; else it withdraws nothing and returns false. A
// caller that gives up on a reserved retry returns the tokens with Refund.
// The bound on retries (see Budget) holds for the retries sent.
func (b *Budget) Reserve(now time.Time, cost float64, maxWait time.Duration) (time.Duration, bool) {
	if !(cost > 0) || math.IsInf(cost, 0) {
		cost = 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	if b.tokens >= cost-tokenSlack {
		b.tokens = max(0, b.tokens-cost)
		return 0, true
	}
	rate := b.cfg.MinRetriesPerSecond
	if rate <= 0 || maxWait <= 0 {
		return 0, false
	}
	wait := time.Duration((cost - b.tokens) / rate * float64(time.Second))
	if wait > maxWait {
		return 0, false
	}
	b.tokens -= cost
	return wait, true
}

// Refund gives back cost tokens of a reservation whose retry was not sent
// (cost <= 0 means 1); the balance still never exceeds MaxTokens.
func (b *Budget) Refund(cost float64) {
	if !(cost > 0) || math.IsInf(cost, 0) {
		cost = 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.cfg.MaxTokens, b.tokens+cost)
}

// Tokens returns the balance at time now: how many retries could be paid
// for at once.
func (b *Budget) Tokens(now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	return b.tokens
}
