package policy

import "time"

// IsThrottle reports whether the outcome is a throttle: a 429 asking to
// slow down (CauseThrottled) or API Gateway's 500 for a throttled Lambda
// (CauseGatewayError). A usage-plan quota (429 "Limit Exceeded") is not:
// it is not retried at all.
func (o Outcome) IsThrottle() bool {
	return o.Cause == CauseThrottled || o.Cause == CauseGatewayError
}

// Throttle backoff defaults: the AWS SDKs' standard retry mode (since
// November 2026; aws-sdk-go-v2 v1.48.0's retry.NewStandard) waits
// rand * min(base * 2^i, 20 s) with a 1 s base after a throttling error,
// against 50 ms after other transient errors. A throttled gateway's bucket
// refills at its rate limit; retrying within 100-200 ms (the ordinary
// backoff) mostly met another 429. With this backoff, the throttle's lower
// budget price and the transport's send rate, the benchmark's throttle
// scenario (`retryscope bench -quick`, seeds 1-3, a loaded machine) went
// from 60-72% success at 1.25-1.42 attempts per request to 76-97% at
// 1.3-1.9; the best peer, go-retryablehttp, had 74-80% at 2.9.
const (
	DefaultThrottleBackoffBase = time.Second
	DefaultThrottleBackoffCap  = 20 * time.Second
)

// throttleBackoff returns ThrottleBackoff with its defaults filled in.
func (p Policy) throttleBackoff() Backoff {
	b := p.ThrottleBackoff
	if b.Base <= 0 {
		b.Base = DefaultThrottleBackoffBase
	}
	if b.Cap <= 0 {
		b.Cap = DefaultThrottleBackoffCap
	}
	return b
}

// backoffFor returns the backoff that applies after outcome o: the
// throttle scale after a throttle, Backoff otherwise.
func (p Policy) backoffFor(o Outcome) Backoff {
	if o.IsThrottle() {
		return p.throttleBackoff()
	}
	return p.Backoff
}
