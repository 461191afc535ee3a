package apigwtest

import "time"

// tokenBucket is API Gateway's throttle: it holds up to burst tokens, refills
// rate tokens per (real) second, and each request takes one. The caller
// holds the server's lock; time is an argument so tests need no sleeping.
type tokenBucket struct {
	rate   float64 // tokens per real second
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// allowAt takes a token at now, reporting false when there is none.
func (b *tokenBucket) allowAt(now time.Time) bool {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
