package policy_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// The bodies of API Gateway's own 429s (docs/aws-behaviour.md#gateway-answers).
const (
	gatewayTooMany = `{"message":"Too Many Requests"}`
	gatewayLimit   = `{"message":"Limit Exceeded"}`
)

// The trace headers of a gateway error and of the function's own answer
// (docs/aws-behaviour.md, "The trace header per answer").
var (
	traceRootOnly = []string{"X-Amzn-Trace-Id", "Root=1-67a8b0c1-5f3e2d1c0b9a8f7e6d5c4b3a"}
	traceFull     = []string{"X-Amzn-Trace-Id", "Root=1-67a8b0c1-5f3e2d1c0b9a8f7e6d5c4b3a;Sampled=0"}
)

// headRequest turns ex into the answer to a HEAD, which has no body.
func headRequest(ex policy.Exchange) policy.Exchange {
	ex.Request.Method = http.MethodHead
	ex.Body = nil
	return ex
}

// TestClassify429Origin: a 429 is a refusal before any work (reach
// gateway) only when the answer shows that API Gateway made it: a REST
// API's own answers name their error type in x-amzn-ErrorType. A 429 that
// comes with the REST API's x-amz-apigw-id and no error type is the
// function's own answer through the proxy integration: the function ran
// (reach backend).
// A 429 with another mark of API Gateway (an HTTP API, which sends no
// error type; an error type that is not a throttle's) has reach unknown:
// it may have run. One without any mark is a server's rate limiting
// (reach gateway), as HTTP clients take it. The cause and whether it is
// transient follow the words, as before.
func TestClassify429Origin(t *testing.T) {
	t.Parallel()
	const (
		gw      = policy.ReachGateway
		fn      = policy.ReachBackend
		unknown = policy.ReachUnknown
	)
	tests := []classifyCase{
		// The gateway's own.
		{"REST throttle", answer(429, gatewayTooMany, join(restIDs, errType("TooManyRequestsException"), traceRootOnly)...), gw, true, policy.CauseThrottled},
		{"REST throttle via CloudFront", answer(429, gatewayTooMany, join(restIDs, errType("TooManyRequestsException"), edgeHops)...), gw, true, policy.CauseThrottled},
		{"REST throttle to HEAD", headRequest(answer(429, "", join(restIDs, errType("TooManyRequestsException"))...)), gw, true, policy.CauseThrottled},
		{"REST throttle with a customised body", answer(429, `{"error":"slow down"}`, join(restIDs, errType("TooManyRequestsException"))...), gw, true, policy.CauseThrottled},
		{"REST quota", answer(429, gatewayLimit, join(restIDs, errType("LimitExceededException"))...), gw, false, policy.CauseQuotaExceeded},

		// The function's own, through the proxy integration.
		{"function 429", answer(429, `{"error":"rate limited"}`, join(restIDs, traceFull)...), fn, true, policy.CauseThrottled},
		{"function 429 in the gateway's words", answer(429, gatewayTooMany, join(restIDs, traceFull)...), fn, true, policy.CauseThrottled},
		{"function 429 to HEAD", headRequest(answer(429, "", restIDs...)), fn, true, policy.CauseThrottled},
		{"function 429 via CloudFront", answer(429, gatewayTooMany, join(restIDs, edgeHops)...), fn, true, policy.CauseThrottled},
		{"function 429 with x-amz-apigw-id only", answer(429, gatewayTooMany, "x-amz-apigw-id", "K2G9wEbUoAMEvag="), fn, true, policy.CauseThrottled},
		{"function 429 saying Limit Exceeded", answer(429, gatewayLimit, restIDs...), fn, false, policy.CauseQuotaExceeded},

		// Neither shown.
		{"HTTP API throttle", answer(429, gatewayTooMany, httpAPIIDs...), unknown, true, policy.CauseThrottled},
		{"HTTP API, Limit Exceeded", answer(429, gatewayLimit, httpAPIIDs...), unknown, false, policy.CauseQuotaExceeded},
		// No mark of API Gateway: a server's rate limiting, which refuses
		// a request before doing its work.
		{"plain 429", answer(429, ""), gw, true, policy.CauseThrottled},
		{"plain 429 in API Gateway's words", answer(429, gatewayTooMany), gw, true, policy.CauseThrottled},
		{"plain 429 saying Limit Exceeded", answer(429, gatewayLimit), gw, false, policy.CauseQuotaExceeded},
		// x-amzn-RequestId alone is no REST API's mark: other AWS services
		// send it too (their throttles refuse before any work), and a
		// client may choose its value.
		{"429 with x-amzn-RequestId only", answer(429, gatewayTooMany, "x-amzn-RequestId", "6f1c7d3e-8a44-4b9e-9d1f-2f0b3c4d5e6f"), gw, true, policy.CauseThrottled},
		// An HTTP API's throttle with an id from behind it.
		{"HTTP API 429 with x-amzn-RequestId", answer(429, gatewayTooMany, join(httpAPIIDs, []string{"x-amzn-RequestId", "replaced"})...), unknown, true, policy.CauseThrottled},
		// A gateway response of another kind given status 429 (its
		// x-amzn-ErrorType says which, and this one may be a timeout), or
		// a function that sets the header itself.
		{"REST 429 with another error type", answer(429, `{"message": "Endpoint request timed out"}`, join(restIDs, errType("InternalServerErrorException"))...), unknown, true, policy.CauseThrottled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkClassify(t, policy.Default(), tc)
		})
	}
}

// TestDecide429Origin: what the origin of a 429 means for a retry. A 429
// the function answered, or one whose origin is not shown, is retried only
// when the request is safe to repeat (an idempotent method, an
// Idempotency-Key or AssumeIdempotent); the gateway's own throttle is
// retried whatever the method, since the function did not run.
func TestDecide429Origin(t *testing.T) {
	t.Parallel()
	var (
		gatewayThrottle = answer(429, gatewayTooMany, join(restIDs, errType("TooManyRequestsException"), traceRootOnly)...)
		gatewayQuota    = answer(429, gatewayLimit, join(restIDs, errType("LimitExceededException"))...)
		function429     = answer(429, gatewayTooMany, join(restIDs, traceFull)...)
		httpAPI429      = answer(429, gatewayTooMany, httpAPIIDs...)
		plain429        = answer(429, "")
	)
	assume := fixed()
	assume.AssumeIdempotent = true
	tests := []struct {
		name   string
		p      policy.Policy
		ex     policy.Exchange
		method string
		key    bool
		rule   policy.Rule
	}{
		{"POST, gateway throttle", fixed(), gatewayThrottle, "POST", false, policy.RuleRetry},
		{"PATCH, gateway throttle", fixed(), gatewayThrottle, "PATCH", false, policy.RuleRetry},
		{"POST, gateway quota", fixed(), gatewayQuota, "POST", false, policy.RuleNotRetryable},
		{"POST, function 429", fixed(), function429, "POST", false, policy.RuleUnsafe},
		{"PATCH, function 429", fixed(), function429, "PATCH", false, policy.RuleUnsafe},
		{"POST with key, function 429", fixed(), function429, "POST", true, policy.RuleRetry},
		{"POST AssumeIdempotent, function 429", assume, function429, "POST", false, policy.RuleRetry},
		{"GET, function 429", fixed(), function429, "GET", false, policy.RuleRetry},
		{"PUT, function 429", fixed(), function429, "PUT", false, policy.RuleRetry},
		{"POST, HTTP API 429", fixed(), httpAPI429, "POST", false, policy.RuleUnsafe},
		{"POST with key, HTTP API 429", fixed(), httpAPI429, "POST", true, policy.RuleRetry},
		{"GET, HTTP API 429", fixed(), httpAPI429, "GET", false, policy.RuleRetry},
		{"POST, plain 429", fixed(), plain429, "POST", false, policy.RuleRetry},
		{"POST with key, plain 429", fixed(), plain429, "POST", true, policy.RuleRetry},
		{"DELETE, plain 429", fixed(), plain429, "DELETE", false, policy.RuleRetry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := tc.p.Classify(tc.ex)
			s := after(tc.method)
			s.HasIdempotencyKey = tc.key
			d := tc.p.Decide(s, o, now)
			if d.Rule != tc.rule || d.Retry != (tc.rule == policy.RuleRetry) {
				t.Fatalf("Decide = {Retry: %t, Rule: %q}, want rule %q (reach %s: %s; %s)", d.Retry, d.Rule, tc.rule, o.Reach, o.Reason, d.Reason)
			}
			// Every 429 retried is retried on the throttle scale (fixed's
			// ThrottleBackoff: no jitter from 1 s), whoever answered it.
			if d.Retry && d.Wait != time.Second {
				t.Errorf("Wait = %v, want the throttle backoff's 1s", d.Wait)
			}
		})
	}
}
