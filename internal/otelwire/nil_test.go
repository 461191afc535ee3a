package otelwire_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

func TestNilIsSafeAndFree(t *testing.T) {
	var in *otelwire.Instrumentation
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/", nil)
	ctx := context.Background()
	resp := &http.Response{StatusCode: 200, Header: http.Header{}}
	run := func() {
		c, r := in.StartRequest(ctx, req, time.Now())
		c2, a := r.StartAttempt(c, req, 2, true)
		if c2 != ctx || r != nil || a != nil {
			t.Fatal("nil Instrumentation returned something")
		}
		a.End(otelwire.AttemptResult{Response: resp, Err: errors.ErrUnsupported})
		r.Refused(policy.RuleBudget, "example.com")
		r.End(resp, nil, 1)
		in.BreakerTransition("example.com", "closed", "open")
	}
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("nil instrumentation: %v allocs per request, want 0", n)
	}
	if len(req.Header) != 0 {
		t.Errorf("nil instrumentation wrote headers: %v", req.Header)
	}
}

func TestNewNoopProvidersIsNil(t *testing.T) {
	t.Parallel()
	for _, cfg := range []otelwire.Config{
		{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()},
		{TracerProvider: &tracenoop.TracerProvider{}, MeterProvider: &metricnoop.MeterProvider{}},
	} {
		if in := otelwire.New(cfg); in != nil {
			t.Errorf("New(%T, %T) = %v, want nil", cfg.TracerProvider, cfg.MeterProvider, in)
		}
	}
}

// A no-op tracer with a real meter records metrics and starts no spans.
func TestNoopTracerStillMeasures(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{})
	in := otelwire.New(otelwire.Config{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: rec.meterProvider()})
	if in == nil {
		t.Fatal("New returned nil with a real meter provider")
	}
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/", nil)
	ctx, r := in.StartRequest(context.Background(), req, time.Now())
	_, a := r.StartAttempt(ctx, req, 1, false)
	a.End(otelwire.AttemptResult{Response: &http.Response{StatusCode: 200}})
	r.End(nil, nil, 1)
	if req.Header.Get("traceparent") != "" {
		t.Errorf("a no-op tracer injected %q", req.Header.Get("traceparent"))
	}
	if _, ok := rec.metrics(t)["http.client.request.duration"]; !ok {
		t.Error("no http.client.request.duration with a no-op tracer")
	}
}
