package otelwire

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/internal/gatewayid"
	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
)

// Attempt is the telemetry of one attempt: its CLIENT span and its metrics.
// A nil *Attempt records nothing. End it exactly once.
type Attempt struct {
	in       *Instrumentation
	ctx      context.Context
	span     trace.Span  // nil when the span does not record
	url      *url.URL    // the attempt's URL, to redact messages
	header   http.Header // the attempt's own header, while injecting
	t        target
	sentID   string
	sentRoot string
	n        int
	hedge    bool

	// slots hold the values the propagator sets, so that injecting costs
	// no []string per header (see carrier).
	slots [2]string
	used  int
}

// AttemptResult is what one attempt saw and what was decided after it.
type AttemptResult struct {
	// Response is the answer, nil when none came. Its Body is not read.
	Response *http.Response
	// Err is the attempt's error, nil when a response came.
	Err error
	// Duration is how long the attempt took, until the response headers or
	// the error; it is the http.client.request.duration measurement.
	Duration time.Duration
	// Outcome is policy.Classify's verdict; its zero value records no
	// reach, cause or reason.
	Outcome policy.Outcome
	// Decision is what was decided after the attempt; a zero Decision (no
	// Rule) records no decision, e.g. for a hedge that lost.
	Decision policy.Decision
}

// StartAttempt starts the CLIENT span of attempt n (1 for the first, hedges
// included): the first as a child of ctx's span (pass the context
// StartRequest returned, or one derived from it), the others as children
// of the logical span, which the second attempt starts. The span is named
// after the method ("GET") and carries http.request.method, url.full
// (a userinfo as REDACTED:REDACTED; query values and path parameter values
// redacted),
// server.address, server.port, http.request.resend_count (n-1, only when
// n > 1), aws.xray.trace_id (the Root it sends, if any), retryscope.hedge
// when hedge is true, and the opted-in request headers.
//
// It then injects the attempt span's context into req.Header with the
// propagator, so the server sees this attempt as the parent. req must be the
// attempt's own clone: only its Header is modified. Send the request with
// the returned context so that the attempt span is current while it runs.
//
// The attributes the HTTP semantic conventions list for sampling decisions
// (http.request.method, server.address, server.port, url.full) are given
// to the tracer when the span starts, so that a sampler sees them: a
// sampler that drops health checks by their URL, or keeps one host's
// traces, can decide on the attempt's span, the trace's root when the
// caller has no span. They are built once per request and shared by its
// attempts. The other attributes are set in one call when the attempt
// ends (the opted-in request headers excepted, read at once).
func (r *Request) StartAttempt(ctx context.Context, req *http.Request, n int, hedge bool) (context.Context, *Attempt) {
	if r == nil {
		return ctx, nil
	}
	in := r.in
	var span trace.Span
	var t target
	if r.traced {
		if n > 1 || hedge {
			ctx = r.logical() // later attempts are the logical span's children
		}
		r.mu.Lock()
		if n == 1 && r.started {
			ctx = r.lctx // the logical span came first (a refusal): its child
		}
		t = targetOf(req)
		ctx, span = in.tracer.Start(ctx, methodName(req.Method), r.startOptions(t, req.URL)...)
		if n == 1 {
			r.firstSC = span.SpanContext()
		}
		r.mu.Unlock()
		if req.Header == nil {
			req.Header = make(http.Header)
		}
		if !span.IsRecording() {
			// Sampled out: the context still goes out, with its decision.
			in.propagator.Inject(ctx, headerCarrier(req.Header))
			span = nil
		}
	}
	if span == nil && (in.metricsUnset() || !in.m.enabled(ctx)) {
		return ctx, nil
	}
	if !r.traced {
		t = targetOf(req)
	}
	a := r.newAttempt(span != nil)
	a.in, a.ctx, a.span, a.url, a.t, a.n, a.hedge = in, ctx, span, req.URL, t, n, hedge
	if span == nil {
		return ctx, a
	}
	a.header = req.Header
	in.propagator.Inject(ctx, (*carrier)(a))
	a.header = nil
	a.sentID = headerValue(req.Header, HeaderRequestID)
	a.sentRoot = TraceRoot(req.Header)
	if len(in.reqHeaders) > 0 {
		// Read now: the headers are the attempt's as sent.
		buf := getAttrs()
		attrs := recordHeaders(buf[:0], in.reqHeaders, req.Header)
		span.SetAttributes(attrs...)
		putAttrs(span, buf, attrs)
	}
	return ctx, a
}

// newAttempt returns the Attempt of the request's first recording attempt,
// allocated with the Request, or a new one.
func (r *Request) newAttempt(recording bool) *Attempt {
	if recording && r.own && r.firstTaken.CompareAndSwap(false, true) {
		return &r.first
	}
	return new(Attempt)
}

// samplingAttrCount bounds the attributes a span starts with: the method
// (and the original one, for a method the conventions do not know),
// server.address, server.port and url.full.
const samplingAttrCount = 5

// startOptions returns the start options of an attempt span for target t
// and URL u: its kind and its sampling attributes (see StartAttempt).
// Those of an attempt to the request's URL are built once, in r, and
// shared; another URL gets options of its own. Called with r.mu held.
func (r *Request) startOptions(t target, u *url.URL) []trace.SpanStartOption {
	if r.clientStart != nil && r.url == u {
		return r.clientStart
	}
	full := r.urlFull(u)
	if full != r.full {
		attrs := append(t.attrs(make([]attribute.KeyValue, 0, samplingAttrCount)), semconv.URLFull(full))
		return []trace.SpanStartOption{r.in.clientStart[0], trace.WithAttributes(attrs...)}
	}
	if r.clientStart == nil {
		attrs := append(t.attrs(r.samplingAttrs[:0]), semconv.URLFull(r.full))
		r.clientOpts = [2]trace.SpanStartOption{r.in.clientStart[0], trace.WithAttributes(attrs...)}
		r.clientStart = r.clientOpts[:]
	}
	return r.clientStart
}

// startAttrs are the attributes known when the attempt started that its
// span did not start with.
func (a *Attempt) startAttrs(attrs []attribute.KeyValue) []attribute.KeyValue {
	if a.n > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(a.n-1))
	}
	if a.sentRoot != "" {
		attrs = append(attrs, AttrXRayTraceID.String(a.sentRoot))
	}
	if a.hedge {
		attrs = append(attrs, AttrHedge.Bool(true))
	}
	return attrs
}

// methodName is the HTTP conventions' span name: the method, or "HTTP" for
// one they do not know.
func methodName(method string) string {
	switch method {
	case "":
		return http.MethodGet
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace, methodQuery:
		return method
	}
	return "HTTP"
}

// End ends the attempt span and records the attempt's metrics. On the span:
// http.response.status_code; network.protocol.version (the response's,
// as negotiated); error.type (the status code for 4xx and 5xx, as
// the HTTP conventions ask of CLIENT spans, else the outcome's cause, else
// the error's type) with the span status Error; aws.request_id, the id API
// Gateway logged the attempt under by internal/gatewayid's rule (an HTTP
// API's apigw-requestid, else the x-amzn-RequestId a REST API answered,
// else the one sent, read from req.Header at the start, when it is a UUID;
// absent when none is known); aws.extended_request_id (x-amz-apigw-id, or
// apigw-requestid from HTTP APIs); aws.xray.trace_id when the answered X-Amzn-Trace-Id Root (Root-only
// headers included) differs from the one sent; retryscope.reach, .cause and
// .reason from the outcome; retryscope.retry, .retry.wait_ms, .decision and
// .decision.reason from the decision; and the opted-in response headers.
// Error messages and reasons are recorded with the URL redacted.
func (a *Attempt) End(r AttemptResult) {
	if a == nil {
		return
	}
	errType := errorType(r)
	if a.span != nil {
		a.endSpan(r, errType)
	}
	a.in.m.attempt(a.ctx, a.t, r, errType)
}

func (a *Attempt) endSpan(r AttemptResult, errType string) {
	buf := getAttrs()
	attrs := a.startAttrs(buf[:0])
	if id := gatewayRequestID(a.sentID, r.Response); id != "" {
		attrs = append(attrs, semconv.AWSRequestID(id))
	}
	if resp := r.Response; resp != nil {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(resp.StatusCode))
		if v := protocolVersion(resp); v != "" {
			attrs = append(attrs, semconv.NetworkProtocolVersion(v))
		}
		if id := extendedRequestID(resp.Header); id != "" {
			attrs = append(attrs, semconv.AWSExtendedRequestID(id))
		}
		if root := TraceRoot(resp.Header); root != "" && root != a.sentRoot {
			attrs = append(attrs, AttrXRayTraceID.String(root))
		}
		attrs = recordHeaders(attrs, a.in.resHeaders, resp.Header)
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		msg := ""
		if r.Err != nil {
			msg = redact.Text(r.Err.Error(), a.url)
			a.span.AddEvent("exception", trace.WithAttributes(
				semconv.ExceptionType(semconv.ErrorType(r.Err).Value.AsString()),
				semconv.ExceptionMessage(msg)))
		}
		a.span.SetStatus(codes.Error, msg)
	}
	// A plain success (cause "ok", no retry) says all it has to say with its
	// status and reach: its cause, reasons and decision ("the server
	// answered", "not retried") are left out, on the hot path.
	plain := r.Err == nil && errType == "" && r.Outcome.Cause == policy.CauseOK && !r.Decision.Retry
	if plain {
		attrs = append(attrs, AttrReach.String(string(r.Outcome.Reach)))
		r.Outcome, r.Decision = policy.Outcome{}, policy.Decision{}
	}
	if o := r.Outcome; o.Reach != "" || o.Cause != "" {
		attrs = append(attrs, AttrReach.String(string(o.Reach)), AttrCause.String(string(o.Cause)))
		if o.Reason != "" && !plain {
			attrs = append(attrs, AttrReason.String(redact.Text(o.Reason, a.url)))
		}
	}
	if d := r.Decision; d.Rule != "" {
		attrs = append(attrs, AttrRetry.Bool(d.Retry), AttrDecision.String(string(d.Rule)))
		if d.Retry {
			attrs = append(attrs, AttrRetryWaitMS.Int64(d.Wait.Milliseconds()))
		}
		if d.Reason != "" && !plain {
			attrs = append(attrs, AttrDecisionReason.String(redact.Text(d.Reason, a.url)))
		}
	}
	a.span.SetAttributes(attrs...)
	putAttrs(a.span, buf, attrs)
	a.span.End()
}

// gatewayRequestID is the request id API Gateway logged the attempt under,
// by internal/gatewayid's rule (the one the transport's records, probe and
// diagnose use): an HTTP API's apigw-requestid, else the x-amzn-RequestId
// a REST API answered, else the one sent when it is a UUID (a REST API
// adopts it), else "". net/http files the answer's headers under their
// canonical names, so they are looked up under those only.
func gatewayRequestID(sent string, resp *http.Response) string {
	ids := gatewayid.IDs{Sent: sent}
	if resp != nil {
		h := resp.Header
		ids.Answered = headerValue(h, HeaderRequestID)
		ids.Extended = headerValue(h, HeaderAPIGWID)
		ids.HTTPAPI = headerValue(h, HeaderHTTPAPIID)
	}
	id, _ := ids.ID()
	return id
}

// extendedRequestID is API Gateway's own id for a request: x-amz-apigw-id
// from REST APIs, apigw-requestid from HTTP APIs.
func extendedRequestID(h http.Header) string {
	if id := headerValue(h, HeaderAPIGWID); id != "" {
		return id
	}
	return headerValue(h, HeaderHTTPAPIID)
}

// statusString is strconv.Itoa without allocating for the usual error
// statuses.
func statusString(code int) string {
	switch code {
	case 400:
		return "400"
	case 403:
		return "403"
	case 404:
		return "404"
	case 429:
		return "429"
	case 500:
		return "500"
	case 502:
		return "502"
	case 503:
		return "503"
	case 504:
		return "504"
	}
	return strconv.Itoa(code)
}

// errorType is the attempt's error.type, "" when it succeeded: the status
// code for an error status, else the outcome's cause (a short stable token),
// else the error's type.
func errorType(r AttemptResult) string {
	switch {
	case r.Err != nil:
		if r.Outcome.Cause != "" {
			return string(r.Outcome.Cause)
		}
		return semconv.ErrorType(r.Err).Value.AsString()
	case r.Response == nil:
		if r.Outcome.Cause != "" {
			return string(r.Outcome.Cause)
		}
		return semconv.ErrorTypeOther.Value.AsString()
	case isErrorStatus(r.Response.StatusCode):
		return statusString(r.Response.StatusCode)
	}
	return ""
}
