package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/retryscope/retryscope/internal/gatewayid"
	"github.com/retryscope/retryscope/policy"
)

// Attempt is the record of one attempt: what was sent, what came back, how
// far it got and what the transport decided next. Collect the attempts of
// your own requests with Record; WithLogger writes one log record each.
type Attempt struct {
	// InvocationID is the logical request's id, the same on every attempt
	// (sent as amz-sdk-invocation-id).
	InvocationID string
	// Number is the attempt's number, from 1.
	Number int
	// Hedge is true for an attempt sent while another was still running.
	Hedge bool
	// Method and URL (redacted: no userinfo, no query values, no path
	// parameter values; a query part without '=' is hidden whole).
	Method, URL string
	// Start and Duration of the attempt.
	Start    time.Time
	Duration time.Duration
	// Status is the response status, 0 when none came.
	Status int
	// Err is the attempt's error, nil when a response came. When the
	// error's text holds a URL with credentials (a *url.Error does), Err
	// wraps it with that text redacted (no userinfo, query values, path
	// parameter values or fragment); errors.Is and errors.As see through to the original.
	Err error
	// Reach, Cause and the classification's reason come from policy.Classify.
	Reach policy.Reach
	Cause policy.Cause
	// RequestIDSent is the x-amzn-RequestId the attempt sent (API Gateway
	// adopts a client UUID as its request id); RequestID is the one answered.
	RequestIDSent, RequestID string
	// ExtendedRequestID is x-amz-apigw-id (REST APIs).
	ExtendedRequestID string
	// HTTPAPIRequestID is apigw-requestid (HTTP APIs).
	HTTPAPIRequestID string
	// TraceID is the X-Ray trace Root sent or answered.
	TraceID string
	// Retry says whether the decision was another attempt, after Wait: it
	// follows unless the caller gives up during the wait (the attempt is
	// recorded when its decision is made, before the wait), when the call
	// ends with the caller's error.
	Retry bool
	Wait  time.Duration
	// Rule and Reason explain the decision (policy.Decision); URLs in
	// Reason are redacted as in Err.
	Rule   policy.Rule
	Reason string
}

// scrub redacts the credentials of any URL in the record's error and
// reason, before the record leaves the transport.
func (a *Attempt) scrub() {
	a.Err = scrubError(a.Err)
	a.Reason = scrubURLs(a.Reason)
}

// APIGatewayRequestID returns the request id API Gateway logged the attempt
// under: an HTTP API's apigw-requestid (it adopts no client id), else the
// x-amzn-RequestId a REST API answered, else the x-amzn-RequestId sent
// when it is a UUID (a REST API adopts it; no answer confirmed it), else
// "". See docs/aws-behaviour.md#request-ids.
func (a *Attempt) APIGatewayRequestID() string {
	id, _ := gatewayid.IDs{Sent: a.RequestIDSent, Answered: a.RequestID,
		Extended: a.ExtendedRequestID, HTTPAPI: a.HTTPAPIRequestID}.ID()
	return id
}

// String describes the attempt on one line.
func (a *Attempt) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "attempt %d", a.Number)
	if a.Hedge {
		b.WriteString(" (hedge)")
	}
	if a.Status != 0 {
		fmt.Fprintf(&b, ": %d", a.Status)
	} else if a.Err != nil {
		b.WriteString(": " + errorText(a.Err))
	}
	fmt.Fprintf(&b, " in %v, reach %s", a.Duration.Round(time.Millisecond), a.Reach)
	if id := a.APIGatewayRequestID(); id != "" {
		fmt.Fprintf(&b, ", request id %s", id)
	}
	if a.Retry {
		fmt.Fprintf(&b, "; retry after %v", a.Wait.Round(time.Millisecond))
	} else {
		b.WriteString("; stop")
	}
	if a.Reason != "" {
		b.WriteString(": " + scrubURLs(a.Reason))
	}
	return b.String()
}

// Recorder collects the attempts of the requests sent with its context. It
// is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	attempts []Attempt
}

type recorderKey struct{}

// Record returns a context that makes the transport record, into the
// returned Recorder, every attempt of the requests sent with it.
//
//	ctx, rec := transport.Record(ctx)
//	resp, err := client.Do(req.WithContext(ctx))
//	for _, a := range rec.Attempts() { ... }
func Record(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{}
	return context.WithValue(ctx, recorderKey{}, r), r
}

func recorderFrom(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

func (r *Recorder) add(a Attempt) {
	r.mu.Lock()
	r.attempts = append(r.attempts, a)
	r.mu.Unlock()
}

// Attempts returns a copy of the attempts recorded so far, in the order
// they ended.
func (r *Recorder) Attempts() []Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Attempt(nil), r.attempts...)
}

// Error is returned when the last attempt of a request ended in an error
// (or the breaker refused it). It lists the attempts; Unwrap gives the last
// error, so errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, ErrCircuitOpen) work through it.
//
// Error() redacts every URL in its text (no userinfo, query values, path
// parameter values or fragment), as the attempts' records are. Err is the error exactly as the
// base transport returned it, for errors.Is and errors.As: its own text
// is not redacted (a *url.Error's holds the request's URL).
type Error struct {
	// Attempts are the attempts made, in order; empty when none was sent.
	Attempts []Attempt
	// Err is the last attempt's error, or the reason none was sent.
	Err error
}

func (e *Error) Error() string {
	n := len(e.Attempts)
	if n == 0 {
		return "retryscope: no attempt sent: " + errorText(e.Err) // a zero Error must not panic
	}
	last := &e.Attempts[n-1]
	return fmt.Sprintf("retryscope: %s %s: %d attempt(s), last: %s (%s)",
		last.Method, scrubURLs(last.URL), n, errorText(e.Err), scrubURLs(last.Reason))
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorType names the failure for the error.type span attribute: the last
// attempt's cause, "circuit_open" when the breaker refused the request, or
// "throttled_locally" when the host's send rate had no slot for it.
func (e *Error) ErrorType() string {
	switch {
	case errors.Is(e.Err, ErrCircuitOpen):
		return string(policy.RuleCircuitOpen)
	case errors.Is(e.Err, ErrThrottledLocally):
		return "throttled_locally"
	case len(e.Attempts) > 0 && e.Attempts[len(e.Attempts)-1].Cause != "":
		return string(e.Attempts[len(e.Attempts)-1].Cause)
	}
	return "retryscope_error"
}

// logAttempt writes one structured record per attempt with stable keys; the
// diagnose command reads them back as JSON lines.
func logAttempt(ctx context.Context, l *slog.Logger, a *Attempt, maxAttempts int) {
	attrs := make([]slog.Attr, 0, 22)
	attrs = append(attrs,
		slog.String("invocation_id", a.InvocationID),
		slog.Int("attempt", a.Number),
		slog.Int("max_attempts", maxAttempts),
		slog.Bool("hedge", a.Hedge),
		slog.String("method", a.Method),
		slog.String("url", a.URL),
		slog.String("start", a.Start.UTC().Format(time.RFC3339Nano)),
		slog.Float64("duration_ms", float64(a.Duration)/float64(time.Millisecond)),
		slog.Int("status", a.Status),
	)
	if a.Err != nil {
		attrs = append(attrs, slog.String("error", errorText(a.Err)))
	}
	attrs = append(attrs, slog.String("reach", string(a.Reach)), slog.String("cause", string(a.Cause)))
	for _, kv := range [...][2]string{
		{"request_id_sent", a.RequestIDSent}, {"request_id", a.RequestID},
		{"apigw_id", a.ExtendedRequestID}, {"apigw_requestid", a.HTTPAPIRequestID},
		{"trace_id", a.TraceID},
	} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	attrs = append(attrs,
		slog.Bool("retry", a.Retry),
		slog.Float64("wait_ms", float64(a.Wait)/float64(time.Millisecond)),
		slog.String("rule", string(a.Rule)),
		slog.String("reason", scrubURLs(a.Reason)),
	)
	l.LogAttrs(ctx, slog.LevelInfo, "attempt", attrs...)
}
