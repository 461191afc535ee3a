package otelwire_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// TestGlobalMeterSetLater: an Instrumentation made while nobody had set the
// global meter provider records nothing, and records every attempt once
// the provider is set. It sets the process's global provider, so it runs
// in a process of its own.
func TestGlobalMeterSetLater(t *testing.T) {
	if os.Getenv("OTELWIRE_GLOBAL_METER_TEST") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalMeterSetLater$", "-test.count=1")
		cmd.Env = append(os.Environ(), "OTELWIRE_GLOBAL_METER_TEST=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	in := otelwire.New(otelwire.Config{}) // both globals unset
	if in == nil {
		t.Fatal("no Instrumentation for the unset global providers")
	}
	attempt := func() bool {
		ctx := context.Background()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://api.example.com/x", nil)
		ctx, r := in.StartRequest(ctx, req, time.Now())
		_, a := r.StartAttempt(ctx, req, 1, false)
		a.End(otelwire.AttemptResult{Response: &http.Response{StatusCode: 200},
			Outcome: policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK}})
		return a != nil
	}
	if attempt() {
		t.Error("an attempt is measured while the global meter provider is unset")
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	otel.SetMeterProvider(mp)
	if !attempt() {
		t.Error("an attempt is not measured once the global meter provider is set")
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == otelwire.MetricAttempts {
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					n += dp.Value
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("%s = %d after the provider was set, want 1", otelwire.MetricAttempts, n)
	}
}

// TestGlobalsUnsetNoRequest: an Instrumentation made while nobody had set
// the global providers hands out no Request (nil: nothing to record) for a
// request without a parent span, a Request that carries the caller's trace
// context for one with a parent span, and Requests that record once either
// provider is set afterwards, the tracer's after the meter's and the other
// way round. It sets the process's global providers, so each order runs in
// a process of its own.
func TestGlobalsUnsetNoRequest(t *testing.T) {
	for _, order := range []string{"meter-first", "tracer-first"} {
		t.Run(order, func(t *testing.T) {
			if os.Getenv("OTELWIRE_GLOBALS_UNSET_TEST") != order {
				if os.Getenv("OTELWIRE_GLOBALS_UNSET_TEST") != "" {
					t.Skip("another order's process")
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalsUnsetNoRequest$/^"+order+"$", "-test.count=1")
				cmd.Env = append(os.Environ(), "OTELWIRE_GLOBALS_UNSET_TEST="+order)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				return
			}
			globalsUnsetNoRequest(t, order == "tracer-first")
		})
	}
}

func globalsUnsetNoRequest(t *testing.T, tracerFirst bool) {
	in := otelwire.New(otelwire.Config{})
	if in == nil {
		t.Fatal("no Instrumentation for the unset global providers")
	}
	parent := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled}))
	invalid, _ := tracenoop.NewTracerProvider().Tracer("").Start(context.Background(), "x")
	if trace.SpanFromContext(invalid) == trace.SpanFromContext(context.Background()) {
		t.Fatal("the context carries no span of its own")
	}
	// start reports whether StartRequest handed out a Request, whether it
	// is traced, and the traceparent its first attempt sends.
	start := func(ctx context.Context) (bool, bool, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://api.example.com/x", nil)
		req.Header = http.Header{}
		ctx, r := in.StartRequest(ctx, req, time.Now())
		_, a := r.StartAttempt(ctx, req, 1, false)
		a.End(otelwire.AttemptResult{Response: &http.Response{StatusCode: 200},
			Outcome: policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK}})
		r.End(&http.Response{StatusCode: 200}, nil, 1)
		return r != nil, r.Traced(), req.Header.Get("traceparent")
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	setTracer := func() { otel.SetTracerProvider(tp) }
	setMeter := func() { otel.SetMeterProvider(mp) }
	first, second := setMeter, setTracer
	if tracerFirst {
		first, second = setTracer, setMeter
	}
	for _, tc := range []struct {
		name                    string
		set                     func()
		ctx                     context.Context
		request, traced, parent bool // a Request; traced; the first attempt sends the parent's trace id
		spans                   int  // spans exported after the step
	}{
		{name: "both unset, no parent span", ctx: context.Background()},
		{name: "both unset, a span that is not valid", ctx: invalid},
		{name: "both unset, a parent span", ctx: parent, request: true, traced: true, parent: true},
		{name: "one set", set: first, ctx: context.Background(), request: true, traced: tracerFirst, spans: map[bool]int{true: 1}[tracerFirst]},
		{name: "both set", set: second, ctx: context.Background(), request: true, traced: true, spans: map[bool]int{true: 2, false: 1}[tracerFirst]},
	} {
		if tc.set != nil {
			tc.set()
		}
		request, traced, tp := start(tc.ctx)
		if request != tc.request || traced != tc.traced {
			t.Errorf("%s: Request %v traced %v, want %v and %v", tc.name, request, traced, tc.request, tc.traced)
		}
		if got := strings.Contains(tp, trace.TraceID{1}.String()); got != tc.parent {
			t.Errorf("%s: traceparent %q, want the parent's trace id: %v", tc.name, tp, tc.parent)
		}
		if got := len(exp.GetSpans()); got != tc.spans {
			t.Errorf("%s: %d spans exported, want %d", tc.name, got, tc.spans)
		}
	}
}
