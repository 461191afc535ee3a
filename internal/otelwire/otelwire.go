package otelwire

import (
	"context"
	"net/http"
	"reflect"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/retryscope/retryscope/internal/redact"
)

// ScopeName is the instrumentation scope of retryscope's tracer and meter.
const ScopeName = "github.com/retryscope/retryscope"

// Config says where spans and metrics go. The zero value of each field means
// its default, so Config{} uses the OpenTelemetry globals.
type Config struct {
	// TracerProvider makes the spans; default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics; default otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Propagator writes each attempt's trace context into its headers;
	// default: the global propagator (otel.GetTextMapPropagator) if one has
	// been set when New runs (otelx.Setup sets it), else W3C TraceContext
	// (traceparent).
	Propagator propagation.TextMapPropagator
	// RequestHeaders and ResponseHeaders name the headers recorded on each
	// attempt span as http.request.header.<name> and
	// http.response.header.<name> (lower case); default none. Headers that
	// carry credentials by their name's words (Authorization, Cookie,
	// X-Api-Key, X-Amz-Security-Token, X-Auth-Token, X-Session-Id...: see
	// redact.SensitiveHeader) are never recorded, even when listed.
	RequestHeaders, ResponseHeaders []string
}

// Instrumentation records retryscope's spans and metrics. Make one with New
// and share it: it is safe for concurrent use. A nil *Instrumentation is
// valid and records nothing, at no cost; so are the nil *Request and
// *Attempt it hands out.
type Instrumentation struct {
	tracer     trace.Tracer
	tracing    bool
	propagator propagation.TextMapPropagator
	reqHeaders []header
	resHeaders []header
	m          *instruments

	internalStart []trace.SpanStartOption
	clientStart   []trace.SpanStartOption

	// untraced is the Request shared by the requests whose attempts start
	// no spans (their telemetry is metrics only).
	untraced Request
	// unsetMeter is the global meter provider as New found it, when it
	// was the OpenTelemetry default that nobody had set: its instruments
	// record nothing until it is set, which one comparison tells.
	unsetMeter metric.MeterProvider
	// unsetGlobal is the global tracer provider as New found it, when it
	// was the OpenTelemetry default that nobody had set.
	unsetGlobal trace.TracerProvider
	// noSpan is what trace.SpanFromContext returns for a context without
	// a span: a request whose context gives it has no parent span (one
	// comparison instead of reading its SpanContext).
	noSpan trace.Span
}

// header is an opted-in header: its canonical name for lookups and its
// attribute key.
type header struct {
	canonical string
	key       string
}

// New returns the Instrumentation for cfg. It returns nil, which records
// nothing, when both providers are the OpenTelemetry no-op types
// (go.opentelemetry.io/otel/trace/noop and .../metric/noop).
func New(cfg Config) *Instrumentation {
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	tracing, measuring := !isNoopTracerProvider(tp), !isNoopMeterProvider(mp)
	if !tracing && !measuring {
		return nil
	}
	in := &Instrumentation{
		tracer:        tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version)),
		tracing:       tracing,
		propagator:    cfg.Propagator,
		reqHeaders:    headers(cfg.RequestHeaders, "http.request.header."),
		resHeaders:    headers(cfg.ResponseHeaders, "http.response.header."),
		internalStart: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)},
		clientStart:   []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)},
	}
	in.untraced = Request{in: in}
	if cfg.TracerProvider == nil && isUnsetGlobal(tp) {
		in.unsetGlobal = tp
		in.noSpan = trace.SpanFromContext(context.Background())
	}
	if cfg.MeterProvider == nil && isUnsetGlobal(mp) {
		in.unsetMeter = mp
	}
	if in.propagator == nil {
		in.propagator = defaultPropagator()
	}
	if measuring {
		in.m = newInstruments(mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version)))
	}
	return in
}

// Version is the instrumentation scope version recorded with every span and
// metric.
const Version = "0.1.0"

func isNoopTracerProvider(tp trace.TracerProvider) bool {
	switch tp.(type) {
	case tracenoop.TracerProvider, *tracenoop.TracerProvider:
		return true
	}
	return false
}

func isNoopMeterProvider(mp metric.MeterProvider) bool {
	switch mp.(type) {
	case metricnoop.MeterProvider, *metricnoop.MeterProvider:
		return true
	}
	return false
}

// isUnsetGlobal reports whether p is the OpenTelemetry global tracer or
// meter provider before anyone set it: the delegating type of
// otel/internal/global (otel.GetTracerProvider and otel.GetMeterProvider
// return the set provider itself afterwards).
func isUnsetGlobal(p any) bool {
	t := reflect.TypeOf(p)
	return t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global"
}

// defaultPropagator is the global propagator when someone has set one (its
// Fields are not empty), else W3C TraceContext.
func defaultPropagator() propagation.TextMapPropagator {
	if g := otel.GetTextMapPropagator(); len(g.Fields()) > 0 {
		return g
	}
	return propagation.TraceContext{}
}

// headers keeps the names that may be recorded, deduplicated.
func headers(names []string, prefix string) []header {
	var hs []header
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		c := http.CanonicalHeaderKey(n)
		if n == "" || redact.SensitiveHeader(n) || redact.SensitiveHeader(c) || seen[c] {
			continue
		}
		seen[c] = true
		hs = append(hs, header{canonical: c, key: prefix + strings.ToLower(n)})
	}
	return hs
}
