package policy

import (
	"math"
	"math/rand/v2"
	"time"
)

// Jitter selects how Backoff spreads its delays. The formulas are Brooker's
// ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015), with
// expo(n) = min(Cap, Base*2^(n-1)) for retry n = 1, 2, ...
type Jitter int

const (
	// FullJitter waits rand(0, expo(n)): the fewest calls under contention.
	// The default.
	FullJitter Jitter = iota
	// EqualJitter waits expo(n)/2 + rand(0, expo(n)/2): never less than half.
	EqualJitter
	// DecorrelatedJitter waits min(Cap, rand(Base, 3*previous wait)).
	DecorrelatedJitter
	// NoJitter waits expo(n): plain capped exponential backoff.
	NoJitter
	// Constant waits Base every time.
	Constant
	// NoWait retries at once.
	NoWait
)

var jitterNames = [...]string{"full", "equal", "decorrelated", "exponential", "constant", "none"}

// String returns the jitter's name: "full", "equal", "decorrelated",
// "exponential", "constant" or "none".
func (j Jitter) String() string {
	if j < 0 || int(j) >= len(jitterNames) {
		return "unknown"
	}
	return jitterNames[j]
}

// Backoff computes the wait before a retry. The zero value is full jitter
// with the default Base and Cap.
type Backoff struct {
	// Jitter is the formula; default FullJitter.
	Jitter Jitter
	// Base is the first step; default DefaultBackoffBase.
	Base time.Duration
	// Cap bounds every wait; default DefaultBackoffCap.
	Cap time.Duration
}

// Backoff defaults. A REST 504 arrives after the integration timeout (29 s
// by default), so the first retry need not wait long; throttling (429)
// wants the spread that jitter gives.
const (
	DefaultBackoffBase = 100 * time.Millisecond
	DefaultBackoffCap  = 10 * time.Second
)

// Delay returns the wait before retry n (1 for the first retry). prev is the
// wait before the previous retry (used by DecorrelatedJitter; 0 at first).
// rnd returns a uniform value in [0, n) for n > 0; nil means math/rand/v2.
func (b Backoff) Delay(n int, prev time.Duration, rnd func(n int64) int64) time.Duration {
	base, cap := b.Base, b.Cap
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if cap <= 0 {
		cap = DefaultBackoffCap
	}
	if base > cap {
		base = cap
	}
	if rnd == nil {
		rnd = rand.Int64N
	}
	switch b.Jitter {
	case NoWait:
		return 0
	case Constant:
		return base
	case DecorrelatedJitter:
		if prev < base {
			prev = base
		}
		hi := cap
		if prev <= cap/3 { // prev is the caller's: 3*prev may overflow
			hi = 3 * prev
		}
		return base + uniform(rnd, hi-base)
	}
	e := expo(n, base, cap)
	switch b.Jitter {
	case EqualJitter:
		return e/2 + uniform(rnd, e-e/2)
	case NoJitter:
		return e
	default:
		return uniform(rnd, e)
	}
}

// expo returns min(cap, base*2^(n-1)) without overflowing.
func expo(n int, base, cap time.Duration) time.Duration {
	d := base
	for i := 1; i < n; i++ {
		if d >= cap/2 {
			return cap
		}
		d *= 2
	}
	return min(d, cap)
}

// uniform returns a value in [0, d] ([0, d) when d is MaxInt64), guarding
// against a source that misbehaves.
func uniform(rnd func(int64) int64, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n := int64(d)
	if n < math.MaxInt64 {
		n++ // [0, d] inclusive, unless d+1 would overflow into a panic
	}
	v := rnd(n)
	if v < 0 || v > int64(d) {
		return d
	}
	return time.Duration(v)
}
