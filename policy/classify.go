package policy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// Exchange is what one attempt saw: the request as sent, the response or
// the error, and the first bytes of the response body. Classify reads it and
// never the body itself.
type Exchange struct {
	// Request is the attempt's request; its method and Idempotency-Key
	// header are read. It may be nil.
	Request *http.Request
	// Response is the answer, nil when the attempt ended in an error. Its
	// Body is not read.
	Response *http.Response
	// Body holds the first bytes of the response body (the transport reads
	// up to Policy.PeekBytes of error answers), or nil.
	Body []byte
	// Err is the attempt's error, nil when a response came.
	Err error
	// Elapsed is how long the attempt took.
	Elapsed time.Duration
	// Now is when the attempt ended; it turns a Retry-After HTTP-date into a
	// delay.
	Now time.Time
}

// Outcome is the classification of one attempt.
type Outcome struct {
	// Reach is how far the attempt got.
	Reach Reach
	// Retryable says whether the answer is transient, so that another
	// attempt may succeed. Whether a retry is safe is Policy.Decide's call.
	Retryable bool
	// Cause is a short stable token, e.g. CauseIntegrationTimeout,
	// CauseConnectionRefused, CauseOK.
	Cause Cause
	// Reason says in words what happened.
	Reason string
	// RetryAfter is the delay the server asked for with Retry-After, valid
	// when HasRetryAfter is true (0 means "now").
	RetryAfter    time.Duration
	HasRetryAfter bool
}

// Classify says what one attempt saw: its reach, whether it is transient,
// its cause and the server-requested delay. Policy.Signatures are matched
// first (on every status), then APIGatewaySignatures() (on statuses of 400
// and above), then the rules for plain HTTP servers:
// any other 429 is a throttle (transient, or a quota that is not when its
// body has API Gateway's JSON message "Limit Exceeded"): the function's
// own through a REST API (x-amz-apigw-id without x-amzn-ErrorType) has
// reach backend, one with another mark of API Gateway (an HTTP API's
// apigw-requestid, another error type) reach unknown, and a plain
// server's, a rate limiter's refusal before any work, reach gateway;
// 503 and 408 are transient; 504 is a timeout behind a gateway
// (backend_timeout); a status outside 100-599, which is invalid, is taken
// as a 500 (RFC 9110, section 15), transient; other statuses are the
// backend's final word. Errors
// are classified with errors.Is and errors.As, never by their text.
func (p Policy) Classify(e Exchange) Outcome {
	if e.Err != nil {
		return classifyError(e.Err)
	}
	if e.Response == nil {
		return Outcome{Reach: ReachUnknown, Cause: CauseNoResponse,
			Reason: "the base transport returned neither a response nor an error"}
	}
	o := p.classifyResponse(e)
	if d, ok := ParseRetryAfter(e.Response.Header.Get("Retry-After"), e.Now); ok {
		o.RetryAfter, o.HasRetryAfter = d, true
	}
	return o
}

func (p Policy) classifyResponse(e Exchange) Outcome {
	status, h := e.Response.StatusCode, e.Response.Header
	for i := range p.Signatures {
		if s := &p.Signatures[i]; s.matches(status, h, e.Body) {
			return s.outcome()
		}
	}
	if status >= 400 { // the built-in signatures describe error answers only
		for i := range builtinSignatures {
			if s := &builtinSignatures[i]; s.matches(status, h, e.Body) {
				return s.outcome()
			}
		}
	}
	switch {
	case status < 100 || status > 599:
		// Invalid; RFC 9110, section 15: process it as a 5xx. net/http
		// hands a "000" status line over as status 0.
		return Outcome{Reach: ReachBackend, Retryable: true, Cause: CauseServerError,
			Reason: "invalid status " + strconv.Itoa(status) + ", taken as a 500: the server failed, perhaps for now; it may have done part of the work"}
	case status < 400:
		return Outcome{Reach: ReachBackend, Cause: CauseOK, Reason: "the server answered"}
	case status == http.StatusTooManyRequests:
		return tooManyRequests(h, e.Body)
	case status == http.StatusConflict && e.Request != nil && sentKey(e.Request.Header):
		return Outcome{Reach: ReachBackend, Retryable: true, Cause: CauseInProgress,
			Reason: "409 for an Idempotency-Key: the first request with this key is still being processed"}
	case status == http.StatusRequestTimeout:
		return Outcome{Reach: ReachBackend, Retryable: true, Cause: CauseRequestTimeout,
			Reason: "408: the server gave up waiting for the request"}
	case status == http.StatusServiceUnavailable:
		return Outcome{Reach: ReachBackend, Retryable: true, Cause: CauseUnavailable,
			Reason: "503: the server is unavailable for now"}
	case status == http.StatusGatewayTimeout:
		return Outcome{Reach: ReachBackendTimeout, Retryable: true, Cause: CauseGatewayTimeout,
			Reason: "504: a gateway stopped waiting for the backend, which may still be working"}
	case status == http.StatusInternalServerError:
		// Transient often enough that every peer retries it; the function
		// ran, so Decide retries only requests that are safe to repeat.
		return Outcome{Reach: ReachBackend, Retryable: true, Cause: CauseServerError,
			Reason: "500: the server failed, perhaps for now; it may have done part of the work"}
	case status >= 500:
		return Outcome{Reach: ReachBackend, Cause: CauseServerError,
			Reason: "the server failed with " + http.StatusText(status)}
	default:
		return Outcome{Reach: ReachBackend, Cause: CauseClientError,
			Reason: "the server refused the request: " + http.StatusText(status)}
	}
}

// sentKey reports whether a request's header sends an idempotency key,
// under either of its names.
func sentKey(h http.Header) bool {
	return h.Get(HeaderIdempotencyKey) != "" || h.Get(HeaderXIdempotencyKey) != ""
}

// tooManyRequests classifies a 429 that no signature matched, so one that
// does not carry the x-amzn-ErrorType of API Gateway's own throttle or
// quota. With a REST API's x-amz-apigw-id (which only the gateway makes)
// and no error type at all it is the function's own answer through the
// proxy integration: the function ran. With another mark of API Gateway
// (an HTTP API's apigw-requestid: an HTTP API names no error type even on
// its own throttle; or another error type) it does not show who answered,
// and the request may have run (docs/aws-behaviour.md#whose-429). Without
// any, it is a server's rate limiting, which refuses a request before
// doing its work (RFC 6585, section 4), as HTTP clients take it. Its words
// decide the rest, as for the gateway's: the JSON string "Limit Exceeded",
// the whole of API Gateway's quota message, is a quota, not retried;
// anything else a throttle ("Rate Limit Exceeded" included), retried on
// the throttle scale when Decide finds it safe.
func tooManyRequests(h http.Header, body []byte) Outcome {
	o := Outcome{Reach: ReachUnknown, Retryable: true, Cause: CauseThrottled}
	what := "429"
	if bytes.Contains(body, quotaMessage) {
		o.Retryable, o.Cause = false, CauseQuotaExceeded
		what = `429 "Limit Exceeded" (a quota: not retried)`
	}
	_, restAPI := h[HeaderExtendedRequestID]
	_, httpAPI := h[HeaderHTTPAPIRequestID]
	_, errorType := h[HeaderErrorType]
	switch {
	case restAPI && !errorType:
		o.Reach = ReachBackend
		o.Reason = what + " from the function itself, through a REST API (x-amz-apigw-id, no x-amzn-ErrorType): the function ran"
	case restAPI || httpAPI || errorType:
		o.Reason = what + " from API Gateway without the x-amzn-ErrorType of its own throttle: nothing shows it was refused before any work, the request may have run"
	default:
		o.Reach = ReachGateway
		o.Reason = what + ": the server refused the request before doing any work (rate limiting)"
	}
	return o
}

// quotaMessage is API Gateway's quota message as a JSON string, quotes
// included, so that a rate limiter's "Rate Limit Exceeded" is not a quota.
var quotaMessage = []byte(`"Limit Exceeded"`)

// tlsHandshakeTimeout is the text of net/http's error for a TLS handshake
// that outlasted Transport.TLSHandshakeTimeout; its type is unexported.
const tlsHandshakeTimeout = "net/http: TLS handshake timeout"

// isTLSHandshakeTimeout reports whether err, or an error it wraps, is
// net/http's TLS handshake timeout: the connection was never ready, so
// nothing of the request was written.
func isTLSHandshakeTimeout(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() && err.Error() == tlsHandshakeTimeout {
			return true
		}
	}
	return false
}

// classifyError places a transport error: a failed dial or DNS lookup never
// sent anything; a reset, EOF or timeout after the dial may have.
func classifyError(err error) Outcome {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		netErr  net.Error
	)
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return Outcome{Reach: ReachUnknown, Cause: CauseCanceled, Reason: "the attempt was canceled: " + msg}
	case errors.As(err, &dnsErr):
		return Outcome{Reach: ReachNotSent, Retryable: !dnsErr.IsNotFound, Cause: CauseDNS,
			Reason: "DNS lookup failed, nothing was sent: " + msg}
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return Outcome{Reach: ReachNotSent, Cause: CauseTLSCertificate,
			Reason: "TLS certificate rejected, nothing was sent: " + msg}
	case isTLSHandshakeTimeout(err):
		return Outcome{Reach: ReachNotSent, Retryable: true, Cause: CauseTLSHandshake,
			Reason: "the TLS handshake timed out, nothing was sent: " + msg}
	case errors.As(err, &recErr), errors.Is(err, http.ErrSchemeMismatch):
		return Outcome{Reach: ReachNotSent, Cause: CauseTLSHandshake,
			Reason: "TLS handshake failed (the peer does not speak TLS), nothing was sent: " + msg}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Outcome{Reach: ReachNotSent, Retryable: true, Cause: CauseConnectionRefused,
			Reason: "connection refused, nothing was sent: " + msg}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return Outcome{Reach: ReachNotSent, Retryable: true, Cause: CauseConnect,
			Reason: "could not connect, nothing was sent: " + msg}
	case errors.Is(err, context.DeadlineExceeded):
		return Outcome{Reach: ReachUnknown, Retryable: true, Cause: CauseAttemptTimeout,
			Reason: "the attempt timed out; the request may have been processed: " + msg}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return Outcome{Reach: ReachUnknown, Retryable: true, Cause: CauseConnectionReset,
			Reason: "the connection was reset; the request may have been processed: " + msg}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Outcome{Reach: ReachUnknown, Retryable: true, Cause: CauseEOF,
			Reason: "the connection closed before a response; the request may have been processed: " + msg}
	case errors.As(err, &netErr) && netErr.Timeout():
		return Outcome{Reach: ReachUnknown, Retryable: true, Cause: CauseTimeout,
			Reason: "timed out; the request may have been processed: " + msg}
	default:
		return Outcome{Reach: ReachUnknown, Retryable: true, Cause: CauseTransportError,
			Reason: "transport error; the request may have been sent: " + msg}
	}
}
