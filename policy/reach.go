package policy

// Reach says how far one attempt got, as far as the client can tell. It is
// recorded on every attempt (span attribute retryscope.reach, attempt log key
// "reach") and it is what the safety rule in Policy.Decide looks at.
type Reach string

// The reach values, from "certainly nothing happened" to "the function ran".
const (
	// ReachNotSent: the request never reached the peer (DNS error, connection
	// refused, TLS handshake failure). Retrying is safe for every method.
	ReachNotSent Reach = "not_sent"
	// ReachUnknown: the request may have been sent and no response came
	// (reset after write, attempt timeout, EOF), an edge such as
	// CloudFront gave up waiting for the origin (its own 504), or a 429
	// does not show who answered it (an HTTP API's). The function may have
	// run.
	ReachUnknown Reach = "unknown"
	// ReachGateway: a gateway or edge answered without running the function
	// (API Gateway's own 429, which names its error type in
	// x-amzn-ErrorType, or a plain server's rate limiting; gateway 500 for
	// a throttled Lambda; 403;
	// CloudFront-generated 502 and 503). Retrying is safe for every method.
	ReachGateway Reach = "gateway"
	// ReachBackendTimeout: the function was invoked (or queued) and may still
	// be running (REST 504 "Endpoint request timed out", HTTP API 503).
	ReachBackendTimeout Reach = "backend_timeout"
	// ReachBackend: the function (or a plain HTTP server) produced the
	// response, including a 502 for a function error and a 429 the
	// function returned through a REST API's proxy integration.
	ReachBackend Reach = "backend"
)

// MayHaveRun reports whether an attempt with this reach may have run the
// function (or changed state on a plain server).
func (r Reach) MayHaveRun() bool {
	return r != ReachNotSent && r != ReachGateway
}

// String returns the reach as it is recorded, e.g. "backend_timeout".
func (r Reach) String() string { return string(r) }

// mayStillRun reports whether the outcome says that someone stopped
// waiting for an answer while the request may still be processed, so that
// a first run may still be going when a retry is sent: the reach
// ReachBackendTimeout (API Gateway's integration timeout, a plain 504),
// CloudFront's own 504 (CauseEdgeTimeout: it stopped waiting for API
// Gateway, which may have invoked the function), the attempt's own
// timeout (CauseAttemptTimeout: the client stopped waiting) and any other
// network timeout after sending (CauseTimeout: a read deadline, say). A
// reset or an EOF is not: the connection ended, which says nothing of a
// run still going; nor is a timeout before anything was sent
// (ReachNotSent). Policy.Decide waits at least Policy.InProgressDelay
// before retrying a request with an Idempotency-Key after such an outcome.
func (o Outcome) mayStillRun() bool {
	switch {
	case o.Reach == ReachNotSent:
		return false
	case o.Reach == ReachBackendTimeout:
		return true
	}
	return o.Cause == CauseEdgeTimeout || o.Cause == CauseAttemptTimeout || o.Cause == CauseTimeout
}
