package otelwire

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
)

// Request is the telemetry of one logical request. Its INTERNAL span, the
// parent of the attempts after the first, starts only when the request
// needs it: when a second attempt (a retry or a hedge) goes, when a breaker
// or a budget refuses one, or when the request ends without any. A request
// answered by its first attempt records that attempt's CLIENT span alone,
// as a child of the caller's span (a root without one), as the HTTP
// semantic conventions describe a request that is not resent. A nil
// *Request records nothing. Its methods may be called from the goroutines
// of concurrent hedges.
type Request struct {
	in     *Instrumentation
	traced bool            // attempts start spans
	own    bool            // allocated for this request (not a shared one)
	parent context.Context // the caller's context, the first attempt's parent
	start  time.Time       // the request's start, the logical span's
	method string
	url    *url.URL // to redact error messages
	full   string   // url.full of url, for the attempts

	mu      sync.Mutex
	started bool              // the logical span was started (it may not record)
	lctx    context.Context   // a context carrying the logical span, once started
	span    trace.Span        // the logical span while it records; nil otherwise
	firstSC trace.SpanContext // the first attempt's span, the logical span's parent when the caller has none

	// clientStart are the start options of the attempts whose URL is the
	// request's: the CLIENT kind, and the attributes the HTTP conventions
	// ask to have at span creation, where a sampler sees them (see
	// StartAttempt). The first attempt to start builds them, in the
	// arrays below; nil before.
	clientStart   []trace.SpanStartOption
	clientOpts    [2]trace.SpanStartOption
	samplingAttrs [samplingAttrCount]attribute.KeyValue

	// first is the first recording attempt's telemetry, allocated with
	// the request.
	first      Attempt
	firstTaken atomic.Bool
}

// StartRequest begins the telemetry of one logical request that started at
// start, under ctx (the caller's context, whose span, if any, is the
// parent). It returns the context to pass to StartAttempt, ctx itself: no
// span is started yet (see Request). It does not touch req. A nil
// Instrumentation returns ctx and a nil *Request, and so does one whose
// request would record nothing at all: no span (see tracingUnset) and no
// metric (the global meter provider is unset, see metricsUnset). That is
// decided here, once per request, instead of at each of its attempts; a
// provider set while a request runs counts from the next request on.
func (in *Instrumentation) StartRequest(ctx context.Context, req *http.Request, start time.Time) (context.Context, *Request) {
	if in == nil {
		return ctx, nil
	}
	if !in.tracing || in.tracingUnset(ctx) {
		if in.metricsUnset() {
			return ctx, nil // nothing to record: every method of a nil Request is free
		}
		return ctx, &in.untraced
	}
	return ctx, &Request{in: in, traced: true, own: true, parent: ctx, start: start, method: req.Method,
		url: req.URL, full: urlFull(req.URL)}
}

// Traced reports whether StartAttempt starts spans, and puts them into the
// contexts it returns: the attempts' contexts are then their own. A nil
// Request gives false.
func (r *Request) Traced() bool { return r != nil && r.traced }

// logical starts the logical span unless it has started, and returns a
// context carrying it. Its parent is the caller's span, or, when the
// caller has none, the first attempt's, so that every attempt of the
// request stays in one trace. It starts at the request's start.
func (r *Request) logical() context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return r.lctx
	}
	r.started = true
	parent := r.parent
	if !trace.SpanContextFromContext(parent).IsValid() && r.firstSC.IsValid() {
		parent = trace.ContextWithSpanContext(parent, r.firstSC)
	}
	opts := append(r.in.internalStart[:len(r.in.internalStart):len(r.in.internalStart)], trace.WithTimestamp(r.start))
	ctx, span := r.in.tracer.Start(parent, logicalName(r.method), opts...)
	r.lctx = ctx
	if span.IsRecording() {
		r.span = span
	}
	return ctx
}

// logicalSpan returns the logical span if it was started and records.
func (r *Request) logicalSpan() trace.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.span
}

// urlFull is url.full for an attempt's URL, computed again only when it
// differs from the logical request's.
func (r *Request) urlFull(u *url.URL) string {
	if r.url != nil && u != nil && (r.url == u || sameURL(r.url, u)) {
		return r.full
	}
	return urlFull(u)
}

// urlFull is the url.full attribute of u: redact.URL's text (no fragment,
// query values and path parameters redacted), with a userinfo written as
// "REDACTED:REDACTED@", as the HTTP semantic conventions ask, so that the
// attribute still shows that the URL carried credentials.
func urlFull(u *url.URL) string {
	s := redact.URL(u)
	if u == nil || u.User == nil || u.Host == "" {
		return s
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[:i+3] + "REDACTED:REDACTED@" + s[i+3:]
	}
	return s
}

// sameURL compares two URLs; a clone's Userinfo is a copy, so compare it
// by value.
func sameURL(a, b *url.URL) bool {
	x, y := *a, *b
	x.User, y.User = nil, nil
	if x != y || (a.User == nil) != (b.User == nil) {
		return false
	}
	return a.User == nil || *a.User == *b.User
}

// tracingUnset reports whether spans would go to the OpenTelemetry global
// tracer provider while nobody has set it, for a request without a parent
// span: then no span is started at all, which saves their allocations. Once
// otel.SetTracerProvider is called, spans flow again.
func (in *Instrumentation) tracingUnset(ctx context.Context) bool {
	if in.unsetGlobal == nil || otel.GetTracerProvider() != in.unsetGlobal {
		return false
	}
	// No parent span: none in ctx (the usual case, told by one
	// comparison), or one whose SpanContext is not valid.
	span := trace.SpanFromContext(ctx)
	return span == in.noSpan || !span.SpanContext().IsValid()
}

func logicalName(method string) string {
	switch method {
	case "", http.MethodGet:
		return "retryscope GET"
	case http.MethodHead:
		return "retryscope HEAD"
	case http.MethodPost:
		return "retryscope POST"
	case http.MethodPut:
		return "retryscope PUT"
	case http.MethodPatch:
		return "retryscope PATCH"
	case http.MethodDelete:
		return "retryscope DELETE"
	case http.MethodOptions:
		return "retryscope OPTIONS"
	case http.MethodConnect:
		return "retryscope CONNECT"
	case http.MethodTrace:
		return "retryscope TRACE"
	case methodQuery:
		return "retryscope QUERY"
	}
	return "retryscope HTTP"
}

// Refused records that a breaker or a budget refused to send an attempt to
// host: an event EventRefused on the logical span (attributes
// retryscope.refusal = kind and server.address = host) and one count of the
// retryscope.refusals metric (attribute retryscope.refusal only). kind is
// policy.RuleCircuitOpen or policy.RuleBudget.
func (r *Request) Refused(kind policy.Rule, host string) {
	if r == nil {
		return
	}
	if r.traced {
		r.logical()
		if span := r.logicalSpan(); span != nil {
			span.AddEvent(EventRefused, trace.WithAttributes(AttrRefusal.String(string(kind)), semconv.ServerAddress(host)))
		}
	}
	r.in.m.refused(string(kind))
}

// End ends the logical span with the number of attempts made
// (retryscope.attempts), the final status code, and, for an error or an
// error status (4xx, 5xx), error.type and the span status Error. The HTTP
// request attributes (method, server, url.full) are the attempts': the
// logical span carries only what they do not. A request that made one
// attempt and had nothing refused has no logical span: its attempt's span
// says it all. One that made none gets its logical span now. resp's Body
// is not read.
func (r *Request) End(resp *http.Response, err error, attempts int) {
	if r == nil || !r.traced {
		return
	}
	if attempts == 0 {
		r.logical()
	}
	r.mu.Lock()
	span := r.span
	r.span = nil // ended once
	r.mu.Unlock()
	if span != nil {
		r.endSpan(span, resp, err, attempts)
	}
}

func (r *Request) endSpan(span trace.Span, resp *http.Response, err error, attempts int) {
	buf := getAttrs()
	attrs := append(buf[:0], AttrAttempts.Int(attempts))
	switch {
	case err != nil:
		attrs = append(attrs, semconv.ErrorType(err))
		span.SetStatus(codes.Error, redact.Text(err.Error(), r.url))
	case resp != nil:
		attrs = append(attrs, semconv.HTTPResponseStatusCode(resp.StatusCode))
		if isErrorStatus(resp.StatusCode) {
			attrs = append(attrs, semconv.ErrorTypeKey.String(strconv.Itoa(resp.StatusCode)))
			span.SetStatus(codes.Error, "")
		}
	}
	span.SetAttributes(attrs...)
	putAttrs(span, buf, attrs)
	span.End()
}
