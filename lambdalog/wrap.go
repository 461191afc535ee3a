package lambdalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/internal/xray"
)

// Handler is an aws-lambda-go handler for API Gateway REST (v1) Lambda proxy
// integrations; pass the wrapped one to lambda.Start.
type Handler func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// traceContextKey is the context key aws-lambda-go stores the invocation's
// X-Ray header under (a plain string, as the runtime sets it).
const traceContextKey = "x-amzn-trace-id"

const instrumentationName = "github.com/retryscope/retryscope/lambdalog"

// Wrap returns a Handler that calls h and then writes one Record as a JSON
// line. The returned Handler is safe for concurrent use.
func Wrap(h Handler, opts ...Option) Handler {
	r := newRecorder(opts)
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		var resp events.APIGatewayProxyResponse
		facts := requestFacts{
			apigwID: ev.RequestContext.RequestID, extendedID: ev.RequestContext.ExtendedRequestID,
			method: ev.HTTPMethod, resource: ev.Resource, headers: eventHeaders(ev.Headers, ev.MultiValueHeaders),
		}
		err := r.record(ctx, facts, func(ctx context.Context) (int, error) {
			var err error
			resp, err = h(ctx, ev)
			return resp.StatusCode, err
		})
		return resp, err
	}
}

// recorder writes the lines and starts the spans for one wrapped handler.
type recorder struct {
	c      config
	mu     sync.Mutex // serialises writes to c.out
	tracer trace.Tracer
}

func newRecorder(opts []Option) *recorder {
	r := &recorder{c: newConfig(opts)}
	if r.c.tracer != nil {
		r.tracer = r.c.tracer.Tracer(instrumentationName)
	}
	return r
}

// requestFacts is what the middleware reads from either event version.
type requestFacts struct {
	apigwID, extendedID, method, resource string
	headers                               http.Header
}

// record runs call (the handler) inside a span when tracing is on, then
// writes the Record.
func (r *recorder) record(ctx context.Context, f requestFacts, call func(context.Context) (int, error)) error {
	rec := Record{
		Message:             RecordMessage,
		APIGatewayRequestID: f.apigwID,
		ExtendedRequestID:   f.extendedID,
		InvocationID:        f.headers.Get("Amz-Sdk-Invocation-Id"),
		Method:              f.method,
		Resource:            f.resource,
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		rec.LambdaRequestID = lc.AwsRequestID
	}
	if ah, ok := ParseAttemptHeader(f.headers.Get("Amz-Sdk-Request")); ok {
		rec.Attempt, rec.MaxAttempts = ah.Attempt, ah.Max
	}
	rec.TraceID = traceID(ctx, f.headers)
	// Both come from the client's headers (up to 10 KB each behind API
	// Gateway): bounded, so a client cannot inflate every log line.
	rec.InvocationID, rec.TraceID = clipID(rec.InvocationID), clipID(rec.TraceID)

	var span trace.Span
	if r.tracer != nil {
		ctx = r.c.propagator.Extract(ctx, propagation.HeaderCarrier(f.headers))
		ctx, span = r.tracer.Start(ctx, spanName(f.method, f.resource), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(spanAttributes(rec)...))
		if rec.TraceID == "" {
			rec.TraceID = span.SpanContext().TraceID().String()
		}
	}

	rec.Start = r.c.now()
	defer func() {
		// A panicking handler ran too: aws-lambda-go turns the panic into
		// a function error (502), and the line is what tells a reader the
		// invocation reached the function. The panic goes on unchanged.
		if v := recover(); v != nil {
			rec.DurationMS = float64(r.c.now().Sub(rec.Start).Microseconds()) / 1000
			rec.Error = fmt.Sprintf("panic: %v", v)
			if span != nil {
				finishSpan(span, rec, errors.New(rec.Error))
			}
			r.write(rec)
			panic(v)
		}
	}()
	status, err := call(ctx)
	rec.DurationMS = float64(r.c.now().Sub(rec.Start).Microseconds()) / 1000
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.Status = status
	}
	if span != nil {
		finishSpan(span, rec, err)
	}
	r.write(rec)
	return err
}

// write writes rec as one JSON line.
func (r *recorder) write(rec Record) {
	if line, err := json.Marshal(rec); err == nil {
		line = append(line, '\n')
		r.mu.Lock()
		_, _ = r.c.out.Write(line)
		r.mu.Unlock()
	}
}

// maxIDBytes bounds the ids taken from request headers; real ones (UUIDs,
// X-Ray and W3C trace ids) are under 40 bytes.
const maxIDBytes = 128

func clipID(s string) string {
	if len(s) > maxIDBytes {
		return s[:maxIDBytes]
	}
	return s
}

// eventHeaders merges an event's single- and multi-value headers into a
// canonicalised http.Header, so lookups are case-insensitive.
func eventHeaders(single map[string]string, multi map[string][]string) http.Header {
	h := make(http.Header, len(single)+len(multi))
	for k, vs := range multi {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range single {
		if h.Get(k) == "" {
			h.Set(k, v)
		}
	}
	return h
}

// traceID prefers the X-Ray Root Lambda gave the runtime, then the one in
// the event's headers (internal/xray's rules: a malformed Root is none),
// then the W3C trace id from traceparent.
func traceID(ctx context.Context, h http.Header) string {
	if v, ok := ctx.Value(traceContextKey).(string); ok {
		if root := xray.Root(v); root != "" {
			return root
		}
	}
	if root := xray.Root(h.Get(xray.HeaderName)); root != "" {
		return root
	}
	if tp := h.Get("Traceparent"); len(tp) >= 55 && tp[2] == '-' && tp[35] == '-' {
		return tp[3:35]
	}
	return ""
}

func spanName(method, resource string) string {
	if resource == "" {
		return method
	}
	return method + " " + resource
}

func spanAttributes(rec Record) []attribute.KeyValue {
	attrs := []attribute.KeyValue{attribute.String("faas.trigger", "http")}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	add("faas.invocation_id", rec.LambdaRequestID)
	add("aws.request_id", rec.APIGatewayRequestID)
	add("aws.extended_request_id", rec.ExtendedRequestID)
	add("http.request.method", rec.Method)
	add("http.route", rec.Resource)
	add("retryscope.invocation_id", rec.InvocationID)
	if rec.Attempt > 0 {
		attrs = append(attrs, attribute.Int("retryscope.attempt", rec.Attempt))
	}
	return attrs
}

func finishSpan(span trace.Span, rec Record, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.Int("http.response.status_code", rec.Status))
		if rec.Status >= 500 {
			span.SetStatus(codes.Error, "")
		}
	}
	span.End()
}
