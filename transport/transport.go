package transport

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
)

// Transport is an http.RoundTripper that retries when it is safe. Make one
// with New; the zero value is not usable.
type Transport struct {
	base  http.RoundTripper
	cfg   config
	hosts hostTable
	tel   *otelwire.Instrumentation // nil: no spans, no metrics
	ok    answered                  // the success path's classification and decision, made once
	clock startClock                // when calls start
}

// New returns a Transport that sends through base (nil: http.DefaultTransport)
// with the default policy (policy.Default), a circuit breaker and a retry
// budget per host, and correlation headers on every attempt; opts change
// them.
func New(base http.RoundTripper, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, cfg: defaults()}
	for _, o := range opts {
		o(&t.cfg)
	}
	t.tel = otelwire.New(otelwire.Config{
		TracerProvider:  t.cfg.tracer,
		MeterProvider:   t.cfg.meter,
		Propagator:      t.cfg.propagator,
		RequestHeaders:  t.cfg.reqHeaders,
		ResponseHeaders: t.cfg.respHeaders,
	})
	t.hosts.init(t.cfg, t.tel)
	t.ok = newAnswered(&t.cfg.policy)
	return t
}

// CloseIdleConnections closes the base transport's idle connections when
// it can (as *http.Transport can), so that http.Client's
// CloseIdleConnections reaches through a Transport.
func (t *Transport) CloseIdleConnections() {
	if b, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		b.CloseIdleConnections()
	}
}

// errNoResponse is what an attempt reports when the base transport broke
// the RoundTripper contract by returning neither a response nor an error.
var errNoResponse = errors.New("retryscope: base transport returned a nil response and a nil error")

// errNilURL answers a request without a URL, as http.Transport does.
var errNilURL = errors.New("retryscope: nil Request.URL")

// RoundTrip sends req, retrying as the policy allows. It never modifies req
// and always closes its body. It returns the last response with its body
// unread, or an *Error listing the attempts when the last one failed.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	err := ctx.Err()
	if err == nil && req.Cancel != nil {
		select {
		case <-req.Cancel:
			err = errCanceled
		default:
		}
	}
	if err == nil && req.URL == nil {
		err = errNilURL
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &Error{Err: err}
	}
	var c call // set field by field: no temporary of 320 bytes to copy
	c.t, c.req, c.ctx, c.replay = t, req, ctx, newReplay(req)
	c.host, c.rec = t.hosts.get(req.URL), recorderFrom(ctx)
	c.prepare()
	c.ctx, c.span = t.tel.StartRequest(ctx, req, c.start)
	resp, err := c.run()
	if c.span != nil { // nil: nothing to record (the common case), not even a call
		c.span.End(resp, err, c.sent)
	}
	t.hosts.release(c.host, c.end)
	return resp, err
}

// call is one logical request: the state its attempts share.
type call struct {
	t       *Transport
	req     *http.Request
	ctx     context.Context
	replay  replay
	host    *hostState
	rec     *Recorder
	span    *otelwire.Request // the logical request's span; nil without telemetry
	sent    int               // attempts made
	start   time.Time
	invID   string // amz-sdk-invocation-id, "" when correlation is off or before the first attempt
	nextID  string // a fresh x-amzn-RequestId made along with invID, not yet sent
	idemKey string // Idempotency-Key added by the transport, if any
	hasKey  bool   // the request carries an Idempotency-Key, the caller's or idemKey
	url     string // redacted, computed once when needed
	hdr     callerHeader
	history []Attempt
	end     time.Time // when the last attempt ended; zero when none did
	// freeAttempts counts failed probes: attempts released while the
	// host's breaker was open, which do not use up the caller's attempts.
	freeAttempts int
}

func (c *call) prepare() {
	c.start = c.t.clock.now()
	c.t.cfg.readHeaderInto(&c.hdr, c.req.Header)
	if c.t.cfg.correlation {
		c.invID = c.hdr.invID // "": made with the first attempt (header)
	}
	c.hasKey = c.hdr.hasKey
	if c.t.cfg.idemKeys && !c.hasKey && (c.req.Method == http.MethodPost || c.req.Method == http.MethodPatch) {
		c.idemKey = newQuotedUUID()
		c.hasKey = true
	}
}

// countFirst counts the first attempt, once the breaker let it go, for the
// retry budgets: a refused request earns no retries.
func (c *call) countFirst() {
	if c.host.budget != nil {
		c.host.budget.Request(c.start)
	}
	if c.host.fleet != nil {
		c.host.fleet.CountRequest(c.host.name, false)
	}
}

func (c *call) hasIdempotencyKey() bool { return c.hasKey }

// safeToRepeat reports whether the request may be sent twice whatever
// happens to the first attempt (hedging needs that).
func (c *call) safeToRepeat() bool {
	return c.t.cfg.policy.SafeToRepeat(c.req.Method, c.hasIdempotencyKey(), policy.ReachBackend)
}

// run sends the call's attempts until the policy stops: one at a time,
// and with hedging (WithHedging, for a request that is safe to repeat and
// whose body can be sent again) another one each time the hedge delay
// passes without an answer. Either way every attempt is admitted the same
// way (the first waits for the host while its breaker is open and for the
// host's send rate; a retry also for the budget), lands the same way (the
// breaker's verdict, the slow-call rule, the host's latency and send rate)
// and is decided by the policy the same way.
func (c *call) run() (*http.Response, error) {
	var next landing
	if err := c.admitFirst(&next); err != nil {
		return c.refused(err)
	}
	if c.replay.unread != nil {
		// Buffered only now that the attempt may go: a call that waited
		// for its host held no copy of its body meanwhile.
		if err := c.replay.fill(c.t.cfg.bodyLimit); err != nil {
			return c.fail(&next, err)
		}
	}
	c.countFirst()
	// Without hedging (nil) one attempt at a time, on this goroutine; a
	// hedge must send the same bytes.
	var hg *hedger
	if c.t.cfg.hedgeDelay > 0 {
		if hg = c.hedgerIfSafe(); hg != nil {
			defer hg.timer.Stop()
		}
	}
	var prevWait time.Duration
	launched := 0
	for {
		launched++
		var res attemptResult
		if hg == nil {
			c.attempt(c.ctx, launched, false, &res)
			c.host.noteEnd(res.end)
			c.end = res.end
			if v := c.verdict(&res); v != nil || !next.landSuccess(res.end) {
				next.land(c, v, res.end)
			} else if res.plain && c.unrecorded(&res) {
				// A plain success, landed: the policy's decision is
				// answered's (no retry), and nobody reads a record of it.
				c.sent++
				return res.resp, nil
			}
		} else if err := hg.next(c, &launched, next, &res); err != nil {
			return c.fail(nil, err)
		}
		d := c.decide(launched, prevWait, &res)
		if d.Retry {
			c.admitRetry(&d, &res, &next)
		}
		c.finish(&res, &d)
		if !d.Retry {
			if hg != nil {
				hg.lost(c, d)
			}
			return c.result(&res)
		}
		res.discard()
		prevWait = d.Wait
		if err := c.sleep(d.Wait); err != nil {
			return c.fail(&next, err)
		}
	}
}

// unrecorded reports whether attempt r, if it ends the call without an
// error, leaves nothing to record or wrap: no span, no context of its own,
// no Recorder, no logger, no earlier attempt in the history. decide,
// finish and result then have nothing to do for a plain success but count
// it.
func (c *call) unrecorded(r *attemptResult) bool {
	return r.span == nil && r.cancel == nil && c.rec == nil && c.t.cfg.logger == nil && c.history == nil
}

// The helpers below are run's rare branches, kept out of its body (the
// small ones with go:noinline): the lines a success runs then sit
// together, in fewer of the processor's instruction-cache lines.

// refused ends a call whose first attempt was not let go: the breaker
// refused it, or the send rate had no slot in time.
func (c *call) refused(err error) (*http.Response, error) {
	rule := policy.RuleCircuitOpen
	if errors.Is(err, ErrThrottledLocally) {
		rule = policy.RuleDeadline
	}
	c.span.Refused(rule, c.host.name)
	c.replay.close()
	return nil, &Error{Err: err}
}

// fail ends a call that cannot go on: its caller gave up between
// attempts, or its body could not be read. The attempt admitted with next
// (nil: none) is let go unsent.
//
//go:noinline
func (c *call) fail(next *landing, err error) (*http.Response, error) {
	if next != nil {
		next.land(c, errExcluded, time.Now())
	}
	c.replay.close()
	return nil, &Error{Attempts: c.history, Err: err}
}

// decide is the policy's decision after attempt r, n attempts made: none
// once the caller has given up.
func (c *call) decide(n int, prevWait time.Duration, r *attemptResult) policy.Decision {
	if c.callerDone() {
		return policy.Decision{Rule: policy.RuleCanceled, Reason: "the caller canceled the request"}
	}
	if r.plain {
		return c.t.ok.decision // what Decide says after any state: see answered
	}
	return c.t.cfg.policy.Decide(c.state(n, prevWait), r.outcome, r.end)
}

// callerDone reports whether the caller has given up on the call: its
// context ended or its deadline passed, or it closed Request.Cancel.
// http.Client's Timeout closes Request.Cancel at the deadline, and the
// base's "request canceled" can come back before the context's own
// deadline fires; either way the failure is the caller's, not the host's.
func (c *call) callerDone() bool {
	if c.ctx.Err() != nil || c.cancelClosed() {
		return true
	}
	dl, ok := c.ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// cancelClosed reports whether the caller closed Request.Cancel.
func (c *call) cancelClosed() bool {
	if c.req.Cancel == nil {
		return false
	}
	select {
	case <-c.req.Cancel:
		return true
	default:
		return false
	}
}

// errCanceled ends a call whose caller closed Request.Cancel before it was
// sent or while the transport waited to retry.
var errCanceled = errors.New("retryscope: request canceled (Request.Cancel closed)")

// sleep waits d or until the caller gives up (its context or
// Request.Cancel).
func (c *call) sleep(d time.Duration) error {
	if c.req.Cancel == nil || d <= 0 {
		if err := sleep(c.ctx, d); err != nil || !c.cancelClosed() {
			return err
		}
		return errCanceled
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-c.ctx.Done():
		return c.ctx.Err()
	case <-c.req.Cancel:
		return errCanceled
	case <-timer.C:
		return nil
	}
}

// state is what the policy needs to know about the call after n attempts.
func (c *call) state(n int, prevWait time.Duration) policy.State {
	st := policy.State{
		Method:            c.req.Method,
		HasIdempotencyKey: c.hasIdempotencyKey(),
		Replayable:        c.replay.replayable,
		Attempts:          n - c.freeAttempts,
		Start:             c.start,
		PrevWait:          prevWait,
	}
	if dl, ok := c.ctx.Deadline(); ok {
		st.Deadline = dl
	}
	return st
}

// result turns the last attempt into RoundTrip's answer.
func (c *call) result(res *attemptResult) (*http.Response, error) {
	if res.resp != nil {
		if res.cancel != nil {
			res.resp.Body = cancelOnClose(res.resp.Body, res.cancel)
		}
		return res.resp, nil
	}
	res.release()
	return nil, &Error{Attempts: c.history, Err: res.err}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func (c *call) redactedURL() string {
	if c.url == "" {
		c.url = redact.URL(c.req.URL)
	}
	return c.url
}
