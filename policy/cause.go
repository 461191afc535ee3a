package policy

// Cause is a short stable token for what one attempt saw, e.g.
// "integration_timeout" (Outcome.Cause, the span attribute retryscope.cause,
// the attempt log key "cause"). The values the library produces are the
// Cause constants below; a Signature may name its own. The zero value ""
// means no attempt was classified.
type Cause string

// String returns the cause as it is recorded, e.g. "integration_timeout".
func (c Cause) String() string { return string(c) }

// The causes Policy.Classify produces for an answer.
const (
	// CauseOK: a status below 400 from a server no signature matched.
	CauseOK Cause = "ok"
	// CauseNoResponse: the base transport returned neither a response nor
	// an error.
	CauseNoResponse Cause = "no_response"
	// CauseInProgress: a 409 answered to a request with an Idempotency-Key;
	// the first request with that key is still running.
	CauseInProgress Cause = "in_progress"
	// CauseRequestTimeout: a 408, the server gave up waiting for the
	// request.
	CauseRequestTimeout Cause = "request_timeout"
	// CauseUnavailable: a plain 503.
	CauseUnavailable Cause = "unavailable"
	// CauseGatewayTimeout: a plain 504 (a gateway stopped waiting for its
	// backend).
	CauseGatewayTimeout Cause = "gateway_timeout"
	// CauseServerError: any other 5xx no signature matched.
	CauseServerError Cause = "server_error"
	// CauseClientError: any other 4xx no signature matched.
	CauseClientError Cause = "client_error"
)

// The causes of the built-in signatures (APIGatewaySignatures).
const (
	// CauseIntegrationTimeout: API Gateway's REST 504 "Endpoint request
	// timed out" or HTTP API 503 "Service Unavailable"; the function may
	// still be running.
	CauseIntegrationTimeout Cause = "integration_timeout"
	// CauseFunctionError: API Gateway's REST 502 or HTTP API 500 for a
	// function that ran and failed (or returned a malformed proxy response).
	CauseFunctionError Cause = "function_error"
	// CauseQuotaExceeded: a 429 "Limit Exceeded", a usage-plan quota; not
	// retried. Reach says whether API Gateway answered it
	// (x-amzn-ErrorType LimitExceededException) or someone else.
	CauseQuotaExceeded Cause = "quota_exceeded"
	// CauseMissingAuthToken: API Gateway's 403 "Missing Authentication
	// Token" (also an unknown route).
	CauseMissingAuthToken Cause = "missing_auth_token"
	// CauseGatewayRefused: any other 403 carrying x-amzn-ErrorType.
	CauseGatewayRefused Cause = "gateway_refused"
	// CauseAuthorizerError: API Gateway's 500 for an authorizer that
	// failed, timed out or could not be reached (x-amzn-ErrorType
	// AuthorizerConfigurationException or AuthorizerFailureException); the
	// function did not run.
	CauseAuthorizerError Cause = "authorizer_error"
	// CauseEdgeError: an error page CloudFront generated itself (502, 503
	// or another status); API Gateway did not run the request.
	CauseEdgeError Cause = "edge_error"
	// CauseEdgeTimeout: CloudFront's own 504, it stopped waiting for the
	// origin, which may have received the request.
	CauseEdgeTimeout Cause = "edge_timeout"
)

// Causes of the answers that say "too many requests": a throttle asks to
// slow down, it is not a failure, and it is retried on the throttle scale
// (Policy.ThrottleBackoff) for less of the retry budget
// (BudgetConfig.ThrottleCost). Outcome.IsThrottle reports them. Whether
// the request was refused before any work is the Reach's to say: a 429
// that API Gateway made, or that no function behind API Gateway can have
// made (a plain server's), has ReachGateway.
const (
	// CauseThrottled is a 429 that asks to slow down: API Gateway's "Too
	// Many Requests" or a plain server's rate limiting (reach gateway),
	// the function's own 429 through a proxy integration (reach backend),
	// or an HTTP API's 429, which does not show who answered it (reach
	// unknown).
	CauseThrottled Cause = "throttled"
	// CauseGatewayError is API Gateway's 500 for a throttled Lambda (the
	// same answer covers configuration errors).
	CauseGatewayError Cause = "gateway_error"
)

// The causes Policy.Classify produces for a transport error.
const (
	// CauseCanceled: the attempt's context was canceled (by the caller, or
	// by the transport when another attempt won). The transport also
	// records it for an attempt it abandoned.
	CauseCanceled Cause = "canceled"
	// CauseDNS: the DNS lookup failed; nothing was sent.
	CauseDNS Cause = "dns"
	// CauseTLSCertificate: the peer's TLS certificate was rejected; nothing
	// was sent.
	CauseTLSCertificate Cause = "tls_certificate"
	// CauseTLSHandshake: the TLS handshake failed (the peer does not speak
	// TLS) or timed out (net/http's TLSHandshakeTimeout); nothing was sent.
	// Only a timeout is retryable.
	CauseTLSHandshake Cause = "tls_handshake"
	// CauseConnectionRefused: the connection was refused; nothing was sent.
	CauseConnectionRefused Cause = "connection_refused"
	// CauseConnect: dialing failed otherwise; nothing was sent.
	CauseConnect Cause = "connect"
	// CauseAttemptTimeout: the attempt's deadline passed; the request may
	// have been processed. (The transport records reach not_sent instead
	// when it knows that the attempt had no connection yet.)
	CauseAttemptTimeout Cause = "attempt_timeout"
	// CauseConnectionReset: the connection was reset (or a broken pipe);
	// the request may have been processed.
	CauseConnectionReset Cause = "connection_reset"
	// CauseEOF: the connection closed before a response.
	CauseEOF Cause = "eof"
	// CauseTimeout: another network timeout.
	CauseTimeout Cause = "timeout"
	// CauseTransportError: any other transport error.
	CauseTransportError Cause = "transport_error"
)

// Causes the transport records itself, not produced by Classify.
const (
	// CauseRequestBody: the request body could not be produced (or read)
	// before sending; nothing about the host.
	CauseRequestBody Cause = "request_body"
	// CauseInvalidRequest: the base refused the request before sending
	// it, and the request is one no HTTP/1.1 or HTTP/2 client may send (a
	// header name that is no token, a header value with a control
	// character, a URL without a host); nothing about the host, and
	// every attempt would fail alike.
	CauseInvalidRequest Cause = "invalid_request"
	// CauseSlowCall: told to the circuit breaker for an attempt that took
	// longer than its slow-call threshold.
	CauseSlowCall Cause = "slow_call"
)

// Rule names the rule that decided whether to retry (Decision.Rule, the span
// attribute retryscope.decision, the attempt log key "rule"). The values are
// the Rule constants below; the zero value "" means no decision was made.
type Rule string

// String returns the rule as it is recorded, e.g. "max_attempts".
func (r Rule) String() string { return string(r) }

// The rules Policy.Decide applies, in its order.
const (
	// RuleNotRetryable: the outcome is not transient (including a success).
	RuleNotRetryable Rule = "not_retryable"
	// RuleUnsafe: the attempt may have run the function and the request is
	// not safe to repeat (see Policy.SafeToRepeat).
	RuleUnsafe Rule = "unsafe"
	// RuleMaxAttempts: no attempts remain (Policy.MaxAttempts).
	RuleMaxAttempts Rule = "max_attempts"
	// RuleNotReplayable: the request body cannot be sent again.
	RuleNotReplayable Rule = "not_replayable"
	// RuleRetryAfterTooLong: the server's Retry-After exceeds
	// Policy.MaxRetryAfter.
	RuleRetryAfterTooLong Rule = "retry_after_too_long"
	// RuleMaxElapsed: the wait would pass Policy.MaxElapsed.
	RuleMaxElapsed Rule = "max_elapsed"
	// RuleDeadline: the wait would pass the caller's deadline.
	RuleDeadline Rule = "deadline"
	// RuleRetry: another attempt follows after Decision.Wait.
	RuleRetry Rule = "retry"
)

// The rules the transport applies around Policy.Decide.
const (
	// RuleBudget: the retry budget for the host is spent. Also the kind of
	// a budget refusal (span attribute retryscope.refusal).
	RuleBudget Rule = "budget"
	// RuleCircuitOpen: the circuit breaker for the host is open. Also the
	// kind of a breaker refusal (span attribute retryscope.refusal) and the
	// error.type of a request the breaker refused.
	RuleCircuitOpen Rule = "circuit_open"
	// RuleCanceled: the caller canceled the request.
	RuleCanceled Rule = "canceled"
	// RuleRequestBody: the request body could not be produced again
	// (GetBody failed), so no retry.
	RuleRequestBody Rule = "request_body"
	// RuleHedgeLost: a hedged attempt was cancelled because another
	// attempt answered first.
	RuleHedgeLost Rule = "hedge_lost"
	// RuleHedgePending: a hedged attempt failed while another attempt is
	// still in flight; the outcome waits on that one.
	RuleHedgePending Rule = "hedge_pending"
)
