package otelwire

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
)

// Request is the telemetry of one logical request: its INTERNAL span, the
// parent of every attempt's CLIENT span. A nil *Request records nothing.
// Its methods may be called from the goroutines of concurrent hedges.
type Request struct {
	in     *Instrumentation
	traced bool       // attempts start spans
	span   trace.Span // nil when the span does not record
	url    *url.URL   // to redact error messages
	full   string     // url.full of url, for the attempts

	// first is the first recording attempt's telemetry, allocated with
	// the request.
	first      Attempt
	firstTaken atomic.Bool
}

// StartRequest starts the INTERNAL span of one logical request, named
// "retryscope <METHOD>", as a child of ctx's span, and returns a context
// carrying it: pass that context to StartAttempt. It does not touch req. A
// nil Instrumentation returns ctx and a nil *Request.
func (in *Instrumentation) StartRequest(ctx context.Context, req *http.Request) (context.Context, *Request) {
	if in == nil {
		return ctx, nil
	}
	if !in.tracing || in.tracingUnset(ctx) {
		return ctx, &in.untraced
	}
	ctx, span := in.tracer.Start(ctx, logicalName(req.Method), in.internalStart...)
	if !span.IsRecording() {
		// The context still carries the span, so attempts inherit its
		// sampling decision; there is nothing to end.
		return ctx, &in.traced
	}
	// The attributes are set when the span ends, in one call.
	return ctx, &Request{in: in, traced: true, span: span, url: req.URL, full: redact.URL(req.URL)}
}

// Traced reports whether StartRequest put a span into the context it
// returned (recording or not) and StartAttempt will do the same: the
// request's contexts are then its own. A nil Request gives false.
func (r *Request) Traced() bool { return r != nil && r.traced }

// urlFull is url.full for an attempt's URL, computed again only when it
// differs from the logical request's.
func (r *Request) urlFull(u *url.URL) string {
	if r.url != nil && u != nil && (r.url == u || sameURL(r.url, u)) {
		return r.full
	}
	return redact.URL(u)
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
	return in.unsetGlobal != nil && otel.GetTracerProvider() == in.unsetGlobal &&
		!trace.SpanContextFromContext(ctx).IsValid()
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
	if r.span != nil {
		r.span.AddEvent(EventRefused, trace.WithAttributes(AttrRefusal.String(string(kind)), semconv.ServerAddress(host)))
	}
	r.in.m.refused(string(kind))
}

// End ends the logical span with the number of attempts made
// (retryscope.attempts), the final status code, and, for an error or an
// error status (4xx, 5xx), error.type and the span status Error. The HTTP
// request attributes (method, server, url.full) are the attempts': the
// logical span carries only what they do not. resp's Body is not read.
func (r *Request) End(resp *http.Response, err error, attempts int) {
	if r == nil || r.span == nil {
		return
	}
	buf := getAttrs()
	attrs := append(buf[:0], AttrAttempts.Int(attempts))
	switch {
	case err != nil:
		attrs = append(attrs, semconv.ErrorType(err))
		r.span.SetStatus(codes.Error, redact.Text(err.Error(), r.url))
	case resp != nil:
		attrs = append(attrs, semconv.HTTPResponseStatusCode(resp.StatusCode))
		if isErrorStatus(resp.StatusCode) {
			attrs = append(attrs, semconv.ErrorTypeKey.String(strconv.Itoa(resp.StatusCode)))
			r.span.SetStatus(codes.Error, "")
		}
	}
	r.span.SetAttributes(attrs...)
	putAttrs(r.span, buf, attrs)
	r.span.End()
}
