// Package transport is retryscope's http.RoundTripper: it retries 504s and
// other transient failures only when that is safe, backs off with jitter,
// stays inside deadlines, breaks circuits per host, keeps retries within a
// budget, and records every attempt with the request ids that show whether
// it reached the Lambda function.
//
// One request flows one way through RoundTrip: the breaker for its host
// allows it, or when it is open the request waits in the host's queue
// within its deadline and WaitConfig's bounds (WithFailFast: refused at
// once, ErrCircuitOpen, nothing sent); each attempt
// clones the request, replays its body, sets the correlation headers and is
// sent by the base transport; policy.Classify says what the attempt saw and
// policy.Decide whether to try again; the budget must pay for a retry (a
// throttle's for less), and after a 429 the host's send rate paces every
// attempt; the
// wait is cut short by the caller's context. When retrying stops, the last
// response is returned with its body unread, or the last error wrapped in
// *Error, which lists the attempts.
//
// Policy.AttemptTimeout bounds each attempt until its response headers
// arrive; an answer that comes back just as it fires is a timeout, closed,
// never a body that dies part way. The returned response's body is bounded
// only by the caller's context, and its attempt's context ends when the
// caller closes it. The same holds for a hedge that wins. The transport's
// own reads of a body (the first bytes of an error answer, the drain of one
// it lets go) wait at most ErrorBodyWait, so a stalled error body never
// holds RoundTrip. An attempt whose timeout fires before net/http had a
// connection for it (read from httptrace's GetConn and GotConn) sent
// nothing: it is recorded with reach not_sent, and any request may be
// retried after it.
//
// The caller giving up (its context, its deadline, Request.Cancel as
// http.Client's Timeout uses it) ends the call with the caller's error: it
// is not retried and not counted against the host. Neither is a failure of
// the caller's own request body (its Read failed, its length is not
// ContentLength, GetBody failed), nor a request the base refused that no
// client may send (a header with a line break or a name that is no token,
// a URL without a host): cause request_body or invalid_request.
//
// Wrap an http.Client's transport:
//
//	client := &http.Client{Transport: transport.New(nil)}
//
// A Transport is safe for concurrent use by multiple goroutines.
package transport
