package policy

import (
	"fmt"
	"net/http"
	"time"
)

// Policy holds retryscope's retry rules. The zero value of each field means
// its default, so Policy{} behaves like Default(). A Policy is a value: copy
// and change it freely; it is safe for concurrent use as long as Rand is.
type Policy struct {
	// MaxAttempts is the number of attempts in all, the first included;
	// default DefaultMaxAttempts (4). 1 turns retries off.
	MaxAttempts int
	// Backoff computes the wait between attempts; default full jitter,
	// base 100 ms, cap 10 s.
	Backoff Backoff
	// ThrottleBackoff computes the wait after a throttle (Outcome.IsThrottle:
	// a 429, API Gateway's 500 for a throttled Lambda); default full jitter,
	// base DefaultThrottleBackoffBase (1 s), cap DefaultThrottleBackoffCap
	// (20 s), as the AWS SDKs' standard mode. Zero fields mean their
	// defaults.
	ThrottleBackoff Backoff
	// LambdaThrottleCap caps the throttle backoff after API Gateway's 500
	// for a throttled Lambda (a concurrency limit, which frees as running
	// invocations end); default DefaultLambdaThrottleCap (4 s).
	LambdaThrottleCap time.Duration
	// MaxRetryAfter caps the delay a server may ask for with Retry-After;
	// default 30 s. A longer request ends retrying at once (the last
	// response is returned), so a hostile value never stalls a caller.
	MaxRetryAfter time.Duration
	// PeekBytes is how many bytes of an error answer's body the transport
	// reads for Classify (the body is returned intact); default 512.
	PeekBytes int
	// AttemptTimeout bounds each attempt; default 0, no bound beyond the
	// caller's context. An attempt that times out has ReachUnknown, or
	// ReachNotSent when the transport saw that net/http had no connection
	// for it yet.
	AttemptTimeout time.Duration
	// MaxElapsed bounds the whole logical request, waits included; default
	// 0, no bound beyond the caller's context.
	MaxElapsed time.Duration
	// Signatures are the user's own answer signatures (custom gateway
	// responses), matched in order before APIGatewaySignatures() and on
	// every status; default none.
	Signatures []Signature
	// InProgressDelay is the least wait before retrying a request with an
	// Idempotency-Key whose first attempt is probably still running; default
	// 5 s. It applies after a 409 that says so, and after every answer or
	// error that means someone stopped waiting while the request may still
	// be processed: API Gateway's integration timeout (REST 504, HTTP API
	// 503), a plain 504, CloudFront's own 504 and the attempt's own timeout
	// (AttemptTimeout). Asking again at once only meets the key in
	// progress: a 409, or with Powertools behind a proxy integration a 502
	// (the benchmark's post-timeouts scenario: keys gained nothing with
	// backoff alone). A Retry-After takes precedence.
	InProgressDelay time.Duration
	// AssumeIdempotent treats every request as safe to repeat, as if it
	// carried an Idempotency-Key (SafeToRepeat); default false. Set it only
	// when every handler behind the API deduplicates. InProgressDelay still
	// waits only for requests that carry a key: a request without one
	// holds no key for a retry to find in progress, so, as for a GET, the
	// wait after an integration timeout is the backoff's.
	AssumeIdempotent bool
	// Rand returns a uniform value in [0, n) for n > 0 and drives the
	// jitter; default math/rand/v2's Int64N. Inject one for deterministic
	// tests.
	Rand func(n int64) int64
}

// Policy defaults.
//
// DefaultMaxAttempts, 4: the retry budget, not the count, bounds the load
// a failing host sees (`retryscope bench -quick -seeds 3`: outage attempts
// per request unchanged at 1.06, 0.77 and 0.55 under no, 60 s and 10 s
// caller deadlines). Against independent failures a fourth attempt is
// what the peers' success takes: with 3, 20% function errors left 0.6% of
// GETs failed (99.4% against go-retryablehttp's 100%, 5 attempts), with 4
// 99.9%; lambda-throttle went from 92.7% to 96.7% (go-retryablehttp 98.2%,
// failsafe-go 94.8%) and throttle without a deadline from 92.6% to 95.2%.
// The Google SRE book caps at 3; its concern, retries multiplying down a
// stack of services, is the budget's here.
const (
	DefaultMaxAttempts   = 4
	DefaultMaxRetryAfter = 30 * time.Second
	DefaultPeekBytes     = 512
	// DefaultInProgressDelay is Policy.InProgressDelay's default.
	DefaultInProgressDelay = 5 * time.Second
)

// Default returns the default policy with every field spelled out: 4
// attempts, full jitter from 100 ms capped at 10 s (from 1 s capped at 20 s
// after a throttle), Retry-After up to 30 s, no per-attempt timeout.
func Default() Policy {
	return Policy{
		MaxAttempts:       DefaultMaxAttempts,
		Backoff:           Backoff{Jitter: FullJitter, Base: DefaultBackoffBase, Cap: DefaultBackoffCap},
		ThrottleBackoff:   Backoff{Jitter: FullJitter, Base: DefaultThrottleBackoffBase, Cap: DefaultThrottleBackoffCap},
		LambdaThrottleCap: DefaultLambdaThrottleCap,
		MaxRetryAfter:     DefaultMaxRetryAfter,
		PeekBytes:         DefaultPeekBytes,
		InProgressDelay:   DefaultInProgressDelay,
	}
}

// Attempts returns MaxAttempts, or its default.
func (p Policy) Attempts() int {
	if p.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return p.MaxAttempts
}

// Peek returns PeekBytes, or its default.
func (p Policy) Peek() int {
	if p.PeekBytes <= 0 {
		return DefaultPeekBytes
	}
	return p.PeekBytes
}

func (p Policy) inProgressDelay() time.Duration {
	if p.InProgressDelay <= 0 {
		return DefaultInProgressDelay
	}
	return p.InProgressDelay
}

func (p Policy) maxRetryAfter() time.Duration {
	if p.MaxRetryAfter <= 0 {
		return DefaultMaxRetryAfter
	}
	return p.MaxRetryAfter
}

// State is what Decide needs to know about the logical request so far.
type State struct {
	// Method is the request's method.
	Method string
	// HasIdempotencyKey is true when the request carries an Idempotency-Key
	// (the transport also takes X-Idempotency-Key, and either with a nil
	// value, as net/http does).
	HasIdempotencyKey bool
	// Replayable is false when the body cannot be sent again.
	Replayable bool
	// Attempts is the number of attempts made so far (at least 1).
	Attempts int
	// Start is when the logical request began.
	Start time.Time
	// Deadline is the caller's deadline; zero means none.
	Deadline time.Time
	// PrevWait is the wait before the previous attempt (0 before the
	// second), for decorrelated jitter.
	PrevWait time.Duration
}

// Decision is Decide's answer.
type Decision struct {
	// Retry says whether to send another attempt.
	Retry bool
	// Wait is how long to wait before it.
	Wait time.Duration
	// Rule names the rule that decided, one of the Rule constants:
	// RuleRetry, RuleNotRetryable, RuleUnsafe, RuleMaxAttempts,
	// RuleNotReplayable, RuleRetryAfterTooLong, RuleMaxElapsed, RuleDeadline
	// (and, from the transport, RuleBudget, RuleCircuitOpen, RuleCanceled,
	// RuleRequestBody, RuleHedgeLost, RuleHedgePending).
	Rule Rule
	// Reason says it in words.
	Reason string
}

// IsIdempotent reports whether method is idempotent (RFC 9110 §9.2.2):
// GET, HEAD, OPTIONS, TRACE, PUT and DELETE.
func IsIdempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace,
		http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// SafeToRepeat reports whether a request may be sent again after an attempt
// with reach r: always when it did not reach the function, otherwise only
// when its method is idempotent or it carries an Idempotency-Key.
func (p Policy) SafeToRepeat(method string, hasIdempotencyKey bool, r Reach) bool {
	return !r.MayHaveRun() || IsIdempotent(method) || hasIdempotencyKey || p.AssumeIdempotent
}

// Decide says whether to retry after an attempt with outcome o, and after
// how long, at time now. The rules, in order: the outcome must be transient;
// a retry must be safe (SafeToRepeat); attempts must remain; the body must
// be replayable; the wait (Retry-After when given, else Backoff) must not
// exceed MaxRetryAfter, and must end before MaxElapsed and the deadline. A
// wait that would pass the deadline stops at once rather than sleeping.
func (p Policy) Decide(s State, o Outcome, now time.Time) Decision {
	switch {
	case !o.Retryable:
		return Decision{Rule: RuleNotRetryable, Reason: o.Reason}
	case !p.SafeToRepeat(s.Method, s.HasIdempotencyKey, o.Reach):
		return Decision{Rule: RuleUnsafe, Reason: fmt.Sprintf(
			"not retried: %s without Idempotency-Key after a %s attempt; the function may have run, a retry could run it twice",
			s.Method, o.Reach)}
	case s.Attempts >= p.Attempts():
		return Decision{Rule: RuleMaxAttempts, Reason: fmt.Sprintf("not retried: %d of %d attempts made", s.Attempts, p.Attempts())}
	case !s.Replayable:
		return Decision{Rule: RuleNotReplayable, Reason: "not retried: the request body was too large to buffer and has no GetBody"}
	}
	wait := p.backoffFor(o).Delay(s.Attempts, s.PrevWait, p.Rand)
	if o.Cause == CauseInProgress || (s.HasIdempotencyKey && o.mayStillRun()) {
		wait = max(wait, p.inProgressDelay())
	}
	if o.HasRetryAfter {
		if o.RetryAfter > p.maxRetryAfter() {
			return Decision{Rule: RuleRetryAfterTooLong, Reason: fmt.Sprintf(
				"not retried: the server asked to wait %v, more than MaxRetryAfter %v", o.RetryAfter, p.maxRetryAfter())}
		}
		wait = o.RetryAfter
	}
	// An attempt that would start when the time is up has no time to run.
	if p.MaxElapsed > 0 && !s.Start.IsZero() && now.Add(wait).Sub(s.Start) >= p.MaxElapsed {
		return Decision{Rule: RuleMaxElapsed, Reason: fmt.Sprintf("not retried: waiting %v would pass MaxElapsed %v", wait, p.MaxElapsed)}
	}
	if !s.Deadline.IsZero() && !now.Add(wait).Before(s.Deadline) {
		return Decision{Rule: RuleDeadline, Reason: fmt.Sprintf("not retried: waiting %v would pass the context's deadline", wait)}
	}
	return Decision{Retry: true, Wait: wait, Rule: RuleRetry, Reason: o.Reason} // Wait says when
}
