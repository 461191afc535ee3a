package policy_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// outcomes, one transient answer per reach.
var (
	notSent        = policy.Outcome{Reach: policy.ReachNotSent, Retryable: true, Cause: "connection_refused", Reason: "refused"}
	unknown        = policy.Outcome{Reach: policy.ReachUnknown, Retryable: true, Cause: "connection_reset", Reason: "reset"}
	gateway        = policy.Outcome{Reach: policy.ReachGateway, Retryable: true, Cause: "throttled", Reason: "429"}
	backendTimeout = policy.Outcome{Reach: policy.ReachBackendTimeout, Retryable: true, Cause: "integration_timeout", Reason: "504"}
	backend        = policy.Outcome{Reach: policy.ReachBackend, Retryable: true, Cause: "unavailable", Reason: "503"}
	lambdaThrottle = policy.Outcome{Reach: policy.ReachGateway, Retryable: true, Cause: "gateway_error", Reason: "500"}
	edge503        = policy.Outcome{Reach: policy.ReachGateway, Retryable: true, Cause: "edge_error", Reason: "503"}
	functionError  = policy.Outcome{Reach: policy.ReachBackend, Retryable: true, Cause: "function_error", Reason: "502"}
	clientError    = policy.Outcome{Reach: policy.ReachBackend, Retryable: false, Cause: "client_error", Reason: "400"}
)

func withRetryAfter(o policy.Outcome, d time.Duration) policy.Outcome {
	o.RetryAfter, o.HasRetryAfter = d, true
	return o
}

// fixed is a policy whose waits are known: plain exponential from 100 ms.
func fixed() policy.Policy {
	p := policy.Default()
	p.Backoff = policy.Backoff{Jitter: policy.NoJitter, Base: 100 * time.Millisecond, Cap: 10 * time.Second}
	p.ThrottleBackoff = policy.Backoff{Jitter: policy.NoJitter}
	return p
}

// after returns the State after the first attempt of a method.
func after(method string) policy.State {
	return policy.State{Method: method, Replayable: true, Attempts: 1, Start: now.Add(-time.Second)}
}

// TestDecide covers every rule of Policy.Decide.
func TestDecide(t *testing.T) {
	t.Parallel()
	withKey := after(http.MethodPost)
	withKey.HasIdempotencyKey = true
	assume := fixed()
	assume.AssumeIdempotent = true
	oneAttempt := fixed()
	oneAttempt.MaxAttempts = 1
	five := fixed()
	five.MaxAttempts = 5
	longer := fixed()
	longer.MaxRetryAfter = time.Minute
	elapsed := fixed()
	elapsed.MaxElapsed = 2 * time.Second
	with := func(s policy.State, f func(*policy.State)) policy.State { f(&s); return s }

	tests := []struct {
		name string
		p    policy.Policy
		s    policy.State
		o    policy.Outcome
		rule policy.Rule
		wait time.Duration
	}{
		{"not retryable", fixed(), after("GET"), clientError, "not_retryable", 0},
		{"not retryable before unsafe", fixed(), after("POST"), clientError, "not_retryable", 0},

		// A function error: the function ran and failed. As safe to repeat
		// as a plain 500, and no safer.
		{"GET after a function error", fixed(), after("GET"), functionError, "retry", 100 * time.Millisecond},
		{"POST after a function error", fixed(), after("POST"), functionError, "unsafe", 0},
		{"POST with key after a function error", fixed(), withKey, functionError, "retry", 100 * time.Millisecond},

		{"POST after backend_timeout", fixed(), after("POST"), backendTimeout, "unsafe", 0},
		{"POST after unknown", fixed(), after("POST"), unknown, "unsafe", 0},
		{"POST after backend", fixed(), after("POST"), backend, "unsafe", 0},
		{"PATCH after backend_timeout", fixed(), after("PATCH"), backendTimeout, "unsafe", 0},
		{"PATCH after unknown", fixed(), after("PATCH"), unknown, "unsafe", 0},
		{"lower-case get is not GET", fixed(), after("get"), backendTimeout, "unsafe", 0},
		{"POST after not_sent", fixed(), after("POST"), notSent, "retry", 100 * time.Millisecond},
		{"POST after gateway", fixed(), after("POST"), gateway, "retry", time.Second}, // a throttle: the throttle scale
		{"PATCH after gateway", fixed(), after("PATCH"), gateway, "retry", time.Second},
		{"POST after a Lambda throttle", fixed(), after("POST"), lambdaThrottle, "retry", time.Second},
		{"POST after CloudFront 503", fixed(), after("POST"), edge503, "retry", 100 * time.Millisecond},                   // not a throttle
		{"POST with key after backend_timeout", fixed(), withKey, backendTimeout, "retry", policy.DefaultInProgressDelay}, // the function runs on: wait for it
		{"POST with key after unknown", fixed(), withKey, unknown, "retry", 100 * time.Millisecond},
		{"POST AssumeIdempotent", assume, after("POST"), backendTimeout, "retry", 100 * time.Millisecond},
		{"GET after backend_timeout", fixed(), after("GET"), backendTimeout, "retry", 100 * time.Millisecond},
		{"empty method is GET", fixed(), after(""), backendTimeout, "retry", 100 * time.Millisecond},
		{"unsafe before max_attempts", fixed(), with(after("POST"), func(s *policy.State) { s.Attempts = 3 }), unknown, "unsafe", 0},

		{"second retry waits twice as long", fixed(), with(after("GET"), func(s *policy.State) { s.Attempts = 2 }), unknown, "retry", 200 * time.Millisecond},
		{"max attempts (default 4)", fixed(), with(after("GET"), func(s *policy.State) { s.Attempts = 4 }), unknown, "max_attempts", 0},
		{"third retry under the default", fixed(), with(after("GET"), func(s *policy.State) { s.Attempts = 3 }), unknown, "retry", 400 * time.Millisecond},
		{"max attempts 1 turns retries off", oneAttempt, after("GET"), unknown, "max_attempts", 0},
		{"max attempts 5", five, with(after("GET"), func(s *policy.State) { s.Attempts = 4 }), unknown, "retry", 800 * time.Millisecond},
		{"zero MaxAttempts means 4", policy.Policy{Backoff: fixed().Backoff}, with(after("GET"), func(s *policy.State) { s.Attempts = 4 }), unknown, "max_attempts", 0},

		{"not replayable", fixed(), with(after("PUT"), func(s *policy.State) { s.Replayable = false }), unknown, "not_replayable", 0},
		{"max_attempts before not_replayable", fixed(), with(after("PUT"), func(s *policy.State) { s.Replayable = false; s.Attempts = 4 }), unknown, "max_attempts", 0},

		{"Retry-After honoured", fixed(), after("GET"), withRetryAfter(gateway, 5*time.Second), "retry", 5 * time.Second},
		{"Retry-After 0", fixed(), after("GET"), withRetryAfter(gateway, 0), "retry", 0},
		{"Retry-After at the cap", fixed(), after("GET"), withRetryAfter(gateway, 30*time.Second), "retry", 30 * time.Second},
		{"Retry-After over the cap", fixed(), after("GET"), withRetryAfter(gateway, 31*time.Second), "retry_after_too_long", 0},
		{"Retry-After hostile", fixed(), after("GET"), withRetryAfter(gateway, 1<<31*time.Second), "retry_after_too_long", 0},
		{"Retry-After under a raised cap", longer, after("GET"), withRetryAfter(gateway, 45*time.Second), "retry", 45 * time.Second},

		// Start is 1 s ago; MaxElapsed 2 s.
		{"inside max_elapsed", elapsed, after("GET"), withRetryAfter(gateway, 900*time.Millisecond), "retry", 900 * time.Millisecond},
		{"past max_elapsed", elapsed, after("GET"), withRetryAfter(gateway, 1100*time.Millisecond), "max_elapsed", 0},
		{"at max_elapsed", elapsed, after("GET"), withRetryAfter(gateway, time.Second), "max_elapsed", 0},
		{"max_elapsed without start", elapsed, with(after("GET"), func(s *policy.State) { s.Start = time.Time{} }), withRetryAfter(gateway, time.Hour), "retry_after_too_long", 0},

		{"inside deadline", fixed(), with(after("GET"), func(s *policy.State) { s.Deadline = now.Add(time.Second) }), unknown, "retry", 100 * time.Millisecond},
		{"wait passes deadline", fixed(), with(after("GET"), func(s *policy.State) { s.Deadline = now.Add(50 * time.Millisecond) }), unknown, "deadline", 0},
		// An attempt that would start exactly at the deadline (or at
		// MaxElapsed) has no time left; both used to be retried.
		{"wait ends at deadline", fixed(), with(after("GET"), func(s *policy.State) { s.Deadline = now.Add(100 * time.Millisecond) }), unknown, "deadline", 0},
		{"deadline passed", fixed(), with(after("GET"), func(s *policy.State) { s.Deadline = now.Add(-time.Second) }), withRetryAfter(gateway, 0), "deadline", 0},
		{"Retry-After passes deadline", fixed(), with(after("GET"), func(s *policy.State) { s.Deadline = now.Add(4 * time.Second) }), withRetryAfter(gateway, 5*time.Second), "deadline", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.p.Decide(tc.s, tc.o, now)
			if d.Rule != tc.rule || d.Wait != tc.wait || d.Retry != (tc.rule == "retry") {
				t.Errorf("Decide = {Retry: %t, Wait: %v, Rule: %q}, want {Retry: %t, Wait: %v, Rule: %q} (%s)",
					d.Retry, d.Wait, d.Rule, tc.rule == "retry", tc.wait, tc.rule, d.Reason)
			}
			if d.Reason == "" {
				t.Error("Decide gave no Reason")
			}
		})
	}
}

// TestDecideInProgress: a POST with an Idempotency-Key answered 409 (the
// first request with the key still running) is retried, after at least
// InProgressDelay: asking again at once only spends attempts.
func TestDecideInProgress(t *testing.T) {
	t.Parallel()
	ex := answer(409, `{"error":"in progress"}`)
	ex.Request = &http.Request{Method: http.MethodPost, Header: http.Header{}}
	ex.Request.Header.Set(policy.HeaderIdempotencyKey, `"8e03978e-40d5-43e8-bc93-6894a57f9324"`)
	p := fixed()
	s := after(http.MethodPost)
	s.HasIdempotencyKey = true
	d := p.Decide(s, p.Classify(ex), now)
	if !d.Retry || d.Rule != "retry" || d.Wait != policy.DefaultInProgressDelay {
		t.Errorf("Decide = %+v, want a retry after DefaultInProgressDelay", d)
	}
	p.InProgressDelay = 50 * time.Millisecond // shorter than the backoff: the backoff stands
	if d := p.Decide(s, p.Classify(ex), now); d.Wait != 100*time.Millisecond {
		t.Errorf("Wait = %v, want the 100ms backoff", d.Wait)
	}
	ex.Response.Header.Set("Retry-After", "2")
	if d := p.Decide(s, p.Classify(ex), now); d.Wait != 2*time.Second {
		t.Errorf("Wait = %v, want Retry-After's 2s", d.Wait)
	}
}

// TestDecideUsesRand: the injected Rand drives the jitter.
func TestDecideUsesRand(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	p.Rand = func(n int64) int64 { return n / 2 }
	d := p.Decide(after("GET"), unknown, now)
	if want := 50 * time.Millisecond; d.Wait != want {
		t.Errorf("Wait = %v, want %v", d.Wait, want)
	}
}

// TestSafetyTable states, for every method and reach, whether a transient
// failure is retried by default: a method that is not idempotent (RFC 9110
// §9.2.2) and carries no Idempotency-Key is retried only when the attempt
// did not reach the function. The README's safety table is this one.
func TestSafetyTable(t *testing.T) {
	t.Parallel()
	reaches := []policy.Outcome{notSent, gateway, unknown, backendTimeout, backend}
	const y, n = true, false
	rows := []struct {
		method string
		key    bool
		//      not_sent, gateway, unknown, backend_timeout, backend
		retried [5]bool
	}{
		{"GET", false, [5]bool{y, y, y, y, y}},
		{"HEAD", false, [5]bool{y, y, y, y, y}},
		{"OPTIONS", false, [5]bool{y, y, y, y, y}},
		{"TRACE", false, [5]bool{y, y, y, y, y}},
		{"PUT", false, [5]bool{y, y, y, y, y}},
		{"DELETE", false, [5]bool{y, y, y, y, y}},
		{"POST", false, [5]bool{y, y, n, n, n}},
		{"PATCH", false, [5]bool{y, y, n, n, n}},
		{"CONNECT", false, [5]bool{y, y, n, n, n}},
		{"POST", true, [5]bool{y, y, y, y, y}},
		{"PATCH", true, [5]bool{y, y, y, y, y}},
	}
	// go test -run TestSafetyTable -v prints the table for the README.
	var md strings.Builder
	md.WriteString("\n| method | Idempotency-Key |")
	for _, o := range reaches {
		fmt.Fprintf(&md, " `%s` |", o.Reach)
	}
	md.WriteString("\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		key := "no"
		if r.key {
			key = "yes"
		}
		fmt.Fprintf(&md, "| %s | %s |", r.method, key)
		for i, o := range reaches {
			s := after(r.method)
			s.HasIdempotencyKey = r.key
			d := fixed().Decide(s, o, now)
			mark := "retried"
			if !d.Retry {
				mark = "**not retried**"
			}
			fmt.Fprintf(&md, " %s |", mark)
			if d.Retry != r.retried[i] {
				t.Errorf("%s (Idempotency-Key %t) after %s: retried %t, want %t (%s: %s)",
					r.method, r.key, o.Reach, d.Retry, r.retried[i], d.Rule, d.Reason)
			}
			if !d.Retry && d.Rule != "unsafe" {
				t.Errorf("%s after %s: rule %q, want unsafe", r.method, o.Reach, d.Rule)
			}
		}
		md.WriteString("\n")
	}
	t.Log(md.String())
}

// TestIsIdempotent pins RFC 9110's list.
func TestIsIdempotent(t *testing.T) {
	t.Parallel()
	for m, want := range map[string]bool{
		"": true, "GET": true, "HEAD": true, "OPTIONS": true, "TRACE": true, "PUT": true, "DELETE": true,
		"POST": false, "PATCH": false, "CONNECT": false, "get": false, "PROPFIND": false,
	} {
		if got := policy.IsIdempotent(m); got != want {
			t.Errorf("IsIdempotent(%q) = %t, want %t", m, got, want)
		}
	}
}

// TestDefault pins the defaults and that Policy{} behaves like Default().
func TestDefault(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	if p.MaxAttempts != 4 || p.MaxRetryAfter != 30*time.Second || p.PeekBytes != 512 ||
		p.Backoff != (policy.Backoff{Jitter: policy.FullJitter, Base: 100 * time.Millisecond, Cap: 10 * time.Second}) ||
		p.AttemptTimeout != 0 || p.MaxElapsed != 0 || p.AssumeIdempotent || p.Signatures != nil || p.Rand != nil {
		t.Errorf("Default() = %+v", p)
	}
	var zero policy.Policy
	if zero.Attempts() != 4 || zero.Peek() != 512 || p.Attempts() != 4 || p.Peek() != 512 {
		t.Errorf("zero policy: Attempts %d Peek %d", zero.Attempts(), zero.Peek())
	}
	half := func(n int64) int64 { return n / 2 }
	zero.Rand, p.Rand = half, half
	for _, o := range []policy.Outcome{unknown, withRetryAfter(gateway, 31*time.Second), withRetryAfter(gateway, 30*time.Second)} {
		for attempts := 1; attempts <= 3; attempts++ {
			s := after("GET")
			s.Attempts = attempts
			if a, b := zero.Decide(s, o, now), p.Decide(s, o, now); a != b {
				t.Errorf("Policy{} decides %+v, Default() %+v", a, b)
			}
		}
	}
}
