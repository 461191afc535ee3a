package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retryscope/retryscope/internal/httpsyntax"
	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/internal/xray"
	"github.com/retryscope/retryscope/policy"
)

// attemptResult is what one attempt produced, before it is recorded.
type attemptResult struct {
	n       int
	hedge   bool
	sentID  string // x-amzn-RequestId sent
	traceID string // X-Ray Root sent, if any
	resp    *http.Response
	err     error
	outcome policy.Outcome
	plain   bool // outcome is the Transport's answered outcome, classified without Classify
	start   time.Time
	end     time.Time
	cancel  context.CancelFunc // ends the attempt's own context; nil when it has none
	timeout *time.Timer        // ends it with errAttemptTimeout; stopped once the answer is in
	span    *otelwire.Attempt  // the attempt's span; nil without telemetry
	body    *sentBody          // the request body as sent; nil without one
	conn    *connWatch         // whether the base had a connection for it; nil without an attempt timeout
}

// release ends the attempt's own context, if it has one.
func (r *attemptResult) release() {
	if r.timeout != nil {
		r.timeout.Stop()
	}
	if r.cancel != nil {
		r.cancel()
	}
}

// discard lets go of the attempt's response, within ErrorBodyWait, and
// ends the attempt's context.
func (r *attemptResult) discard() {
	drain(r.resp, r.cancel)
	r.release()
}

// errAttemptTimeout is the cause of an attempt's context that
// Policy.AttemptTimeout ended. It is a context.DeadlineExceeded, so
// Classify says "attempt_timeout".
var errAttemptTimeout = fmt.Errorf("retryscope: attempt timeout: %w", context.DeadlineExceeded)

// withAttemptTimeout returns a context that errAttemptTimeout ends after d,
// unless the timer is stopped first. Unlike context.WithTimeout it bounds
// only the wait for the answer: once the headers are in, send stops the
// timer, and the body of a returned response stays readable until the
// caller closes it (failsafe-go issues #65 and #123).
func withAttemptTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, *time.Timer) {
	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(d, func() { cancel(errAttemptTimeout) })
	return actx, func() { cancel(context.Canceled) }, timer
}

// attempt sends attempt n of the call under ctx and classifies what came
// back. The response body is left unread but for the bytes Classify needs.
func (c *call) attempt(ctx context.Context, n int, hedge bool, r *attemptResult) {
	if areq := c.prepareAttempt(ctx, n, hedge, r); areq != nil {
		c.send(areq, r)
	}
}

// prepareAttempt builds attempt n's request: its own context, headers and
// body. It must run on the call's goroutine (the body replay is not shared).
// A nil request means the attempt failed before sending; r, which it
// fills from its zero value, says why.
func (c *call) prepareAttempt(ctx context.Context, n int, hedge bool, r *attemptResult) *http.Request {
	r.n, r.hedge = n, hedge
	body, getBody, err := c.replay.body()
	if err == nil && body != nil {
		err = checkLength(body, c.req.ContentLength)
	} else if err == nil && c.req.Body == nil && c.req.ContentLength != 0 {
		// net/http refuses it before writing anything: the caller's
		// mistake, not the host's, and the same on every attempt.
		err = fmt.Errorf("%w: ContentLength=%d with a nil Body", errBodyRead, c.req.ContentLength)
	}
	if err != nil {
		bodyFailed(r, err)
		return nil
	}
	actx := ctx
	if c.t.cfg.policy.AttemptTimeout > 0 || hedge || c.t.cfg.hedgeDelay > 0 {
		actx = c.attemptContext(ctx, hedge, r)
	}
	areq := c.attemptRequest(actx, r, body, getBody)
	r.traceID = c.traceRoot(areq)
	return areq
}

// bodyFailed fills r for an attempt whose body could not be produced:
// nothing was sent.
//
//go:noinline
func bodyFailed(r *attemptResult, err error) {
	r.start = time.Now()
	r.end, r.err = r.start, err
	r.outcome = policy.Outcome{Reach: policy.ReachNotSent, Cause: policy.CauseRequestBody,
		Reason: "the request body could not be produced (it failed, or its length differs from ContentLength); nothing was sent"}
}

// attemptContext returns the attempt's own context, under ctx: one that
// Policy.AttemptTimeout ends, or, with hedging, one that is cancelled
// alone when the attempt loses. It sets r's means to end it.
func (c *call) attemptContext(ctx context.Context, hedge bool, r *attemptResult) context.Context {
	if d := c.t.cfg.policy.AttemptTimeout; d > 0 {
		actx, cancel, timer := withAttemptTimeout(ctx, d)
		r.cancel, r.timeout = cancel, timer
		r.conn = new(connWatch)
		return httptrace.WithClientTrace(actx, r.conn.trace())
	}
	actx, cancel := context.WithCancel(ctx) // a losing hedge is cancelled alone
	r.cancel = cancel
	return actx
}

// send sends areq through the base transport and classifies the answer. It
// is safe to run on its own goroutine. Its rare branches are helpers of
// their own (see run).
func (c *call) send(areq *http.Request, r *attemptResult) {
	if r.n == 1 {
		r.start = c.start // a moment earlier, one clock read fewer
	} else {
		r.start = time.Now()
	}
	if c.req.Cancel != nil && c.canceledBeforeSend(r) {
		return
	}
	resp, err := c.t.base.RoundTrip(areq)
	if resp != nil && err != nil {
		discard(resp)
		resp = nil
	}
	if r.timeout != nil {
		resp, err = stopAttemptTimeout(areq, r.timeout, resp, err)
	}
	var prefix []byte
	if resp != nil && resp.StatusCode >= 400 && areq.Method != http.MethodHead {
		prefix = peek(resp, c.t.cfg.policy.Peek())
	}
	// One monotonic clock read instead of time.Now's two: the same
	// instant, its wall reading carried forward from the start's.
	r.end = r.start.Add(time.Since(r.start))
	r.resp, r.err = resp, err
	if err == nil && c.t.ok.covers(resp) {
		r.outcome, r.plain = c.t.ok.outcome, true
		return
	}
	c.classify(areq, r, prefix)
}

// canceledBeforeSend reports whether the caller closed Request.Cancel
// before this attempt (a hedge or a retry) went out; if so it is not sent
// at all, and r says so.
func (c *call) canceledBeforeSend(r *attemptResult) bool {
	if !c.cancelClosed() {
		return false
	}
	r.end, r.err = r.start, errCanceled
	r.outcome = policy.Outcome{Reach: policy.ReachNotSent, Cause: policy.CauseCanceled,
		Reason: "the caller canceled the request (Request.Cancel was closed); nothing was sent"}
	return true
}

// stopAttemptTimeout stops the attempt's timer once the base has answered
// areq, and returns the answer to go on with. The timer bounds the wait
// for the headers only: it stops before any of the body is read, so it
// never cuts a body that may be returned (the peek has its own bound).
func stopAttemptTimeout(areq *http.Request, timeout *time.Timer, resp *http.Response, err error) (*http.Response, error) {
	if !timeout.Stop() && err == nil {
		// It fired as the base returned: the attempt's context is ending
		// and this body would die part way. The attempt timed out before
		// its answer was handed over.
		discard(resp)
		err = errAttemptTimeout
		if cause := context.Cause(areq.Context()); cause != nil && cause != errAttemptTimeout {
			err = cause // ended by a hedge's win or by the caller
		}
		return nil, err
	}
	if err != nil && context.Cause(areq.Context()) == errAttemptTimeout && !errors.Is(err, context.DeadlineExceeded) {
		err = errAttemptTimeout // a base that reports the cancellation, not its cause
	}
	return resp, err
}

// classify classifies an answer other than the Transport's plain success
// (see answered): Classify's outcome, then what only the transport knows
// (a broken base, the caller's own body, the caller's cancellation).
func (c *call) classify(areq *http.Request, r *attemptResult, prefix []byte) {
	resp, err := r.resp, r.err
	r.outcome = c.t.cfg.policy.Classify(policy.Exchange{
		Request: areq, Response: resp, Body: prefix, Err: err,
		Elapsed: r.end.Sub(r.start), Now: r.end,
	})
	switch {
	case err == nil:
		if resp == nil {
			// Classified as "no_response" (not retryable: the base is
			// broken); the caller gets an error that says so.
			r.err = errNoResponse
		}
	case r.body.failed(areq.ContentLength):
		// The caller's own body failed the attempt: nothing about the host,
		// and sending it again would fail the same way.
		r.outcome = policy.Outcome{Reach: r.outcome.Reach, Cause: policy.CauseRequestBody,
			Reason: "the request body failed while it was sent (its Read failed, or its length differs from ContentLength); not retried"}
	case r.outcome.Cause == policy.CauseCanceled:
	case r.conn.unsent() && (r.outcome.Cause == policy.CauseAttemptTimeout || r.outcome.Cause == policy.CauseTimeout):
		r.outcome.Reach = policy.ReachNotSent
		r.outcome.Reason = "the attempt timed out before it had a connection (while dialing, in the TLS handshake or waiting for a free one), nothing was sent: " + err.Error()
	default:
		if why := invalidRequest(areq); why != nil {
			// net/http refuses such a request before it writes anything
			// (and says so in a plain error): the caller's mistake, not
			// the host's.
			r.outcome = policy.Outcome{Reach: policy.ReachNotSent, Cause: policy.CauseInvalidRequest,
				Reason: why.Error() + "; nothing was sent, not retried"}
		} else if c.cancelClosed() {
			// http.Client's Timeout cancels through Request.Cancel; the
			// base says "request canceled", which is no context error.
			r.outcome = policy.Outcome{Reach: r.outcome.Reach, Cause: policy.CauseCanceled,
				Reason: "the caller canceled the request (Request.Cancel was closed)"}
		}
	}
}

// connWatch notes, through net/http's GetConn and GotConn hooks, whether
// the base asked for a connection for an attempt and whether it got one.
// An attempt that ended after asking and before getting one wrote nothing
// of its request. A base that does not call the hooks (not net/http's)
// never shows asking, and is not judged.
type connWatch struct {
	asked, got atomic.Bool
}

func (w *connWatch) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { w.asked.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { w.got.Store(true) },
	}
}

// unsent reports whether the base asked for a connection and never had
// one; false for a nil watch.
func (w *connWatch) unsent() bool { return w != nil && w.asked.Load() && !w.got.Load() }

// sentBody is an attempt's request body as handed to the base transport. It
// notes how the body ended, so that a failure of the caller's own body (a
// Read error, a length other than ContentLength) is told from the host's.
type sentBody struct {
	io.ReadCloser
	mu     sync.Mutex
	n      int64 // bytes read
	eof    bool
	err    error // the first Read error other than io.EOF, before Close
	closed bool
}

func (b *sentBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	b.n += int64(n)
	if err == io.EOF {
		b.eof = true
	} else if err != nil && b.err == nil && !b.closed {
		b.err = err
	}
	b.mu.Unlock()
	return n, err
}

func (b *sentBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.ReadCloser.Close()
}

// failed reports whether the body failed: a Read error, or an end at a
// length other than contentLength (when that is known, above 0).
func (b *sentBody) failed(contentLength int64) bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err != nil || (b.eof && contentLength > 0 && b.n != contentLength)
}

// finish records attempt r with decision d: into the call's history when
// anyone may read it, into the caller's Recorder, and into the log.
func (c *call) finish(r *attemptResult, d *policy.Decision) {
	cfg := &c.t.cfg
	c.sent++
	if r.span != nil {
		r.endSpan(d)
	}
	if c.rec == nil && cfg.logger == nil && !d.Retry && r.err == nil && c.history == nil {
		return // a first attempt that ends the call: nobody reads a record
	}
	c.record(r, d)
}

// endSpan ends the attempt's span with decision d.
func (r *attemptResult) endSpan(d *policy.Decision) {
	r.span.End(otelwire.AttemptResult{Response: r.resp, Err: r.err, Duration: r.end.Sub(r.start), Outcome: r.outcome, Decision: *d})
}

// record records attempt r with decision d: into the call's history, into
// the caller's Recorder, and into the log.
func (c *call) record(r *attemptResult, d *policy.Decision) {
	cfg := &c.t.cfg
	a := Attempt{
		InvocationID:  c.invID,
		Number:        r.n,
		Hedge:         r.hedge,
		Method:        c.req.Method,
		URL:           c.redactedURL(),
		Start:         r.start,
		Duration:      r.end.Sub(r.start),
		Err:           r.err,
		Reach:         r.outcome.Reach,
		Cause:         r.outcome.Cause,
		RequestIDSent: r.sentID,
		TraceID:       r.traceID,
		Retry:         d.Retry,
		Wait:          d.Wait,
		Rule:          d.Rule,
		Reason:        d.Reason,
	}
	a.InvocationID, a.RequestIDSent = ownIDs(c.invID, r.sentID)
	if r.resp != nil {
		// net/http files the headers it reads under their canonical names:
		// no search under other spellings (that is for the caller's).
		h := r.resp.Header
		a.Status = r.resp.StatusCode
		a.RequestID = firstValue(h, policy.HeaderRequestID)
		a.ExtendedRequestID = firstValue(h, policy.HeaderExtendedRequestID)
		a.HTTPAPIRequestID = firstValue(h, policy.HeaderHTTPAPIRequestID)
		if root := xray.Root(firstValue(h, policy.HeaderTraceID)); root != "" {
			a.TraceID = root
		}
	}
	a.scrub()
	c.history = append(c.history, a)
	if c.rec != nil {
		c.rec.add(a)
	}
	if cfg.logger != nil {
		logAttempt(c.ctx, cfg.logger, &a, cfg.policy.Attempts())
	}
}

// cancelOnClose ties an attempt's context to the body of the response that
// is returned: cancelling earlier would cut the caller's read short. A body
// that can be written to (a 101 Switching Protocols connection) stays an
// io.ReadWriteCloser.
func cancelOnClose(body io.ReadCloser, cancel context.CancelFunc) io.ReadCloser {
	if body == nil {
		cancel()
		return nil
	}
	if w, ok := body.(io.Writer); ok {
		return &cancelRWBody{cancelBody{ReadCloser: body, cancel: cancel}, w}
	}
	return &cancelBody{ReadCloser: body, cancel: cancel}
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

type cancelRWBody struct {
	cancelBody
	w io.Writer
}

func (b *cancelRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }

// invalidRequest returns why no HTTP client may send req, or nil: a URL
// without a host, a header name that is not an RFC 9110 token, or a header
// value with a control character other than a tab (what net/http checks
// before it writes a request). It runs only on an attempt that failed.
func invalidRequest(req *http.Request) error {
	if req.URL == nil || req.URL.Host == "" {
		return errors.New("the request's URL has no host")
	}
	for name, values := range req.Header {
		if !httpsyntax.IsToken(name) {
			return fmt.Errorf("header name %q is not a token", name)
		}
		for _, v := range values {
			if !httpsyntax.ValidValue(v) {
				return fmt.Errorf("the value of header %q holds a control character", name)
			}
		}
	}
	return nil
}

// ownIDs returns copies of inv and sent in one allocation, for a record
// that may outlive the call: the ids the transport makes lie in an attempt
// request's allocation (see idString), and a record pointing there would
// keep that request alive for as long as the record lives, its context
// too, and through the context the call's Recorder with every attempt's
// record, the answers' ids whatever their length (probe -json, keeping
// every record of a run, held 361 MB for 30 requests to a server that
// answered megabyte ids).
func ownIDs(inv, sent string) (string, string) {
	if inv == "" && sent == "" {
		return "", ""
	}
	var b strings.Builder
	b.Grow(len(inv) + len(sent))
	b.WriteString(inv)
	b.WriteString(sent)
	s := b.String()
	return s[:len(inv)], s[len(inv):]
}
