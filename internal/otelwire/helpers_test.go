package otelwire_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// recorder is an Instrumentation backed by an in-memory span recorder and a
// manual metric reader.
type recorder struct {
	*otelwire.Instrumentation
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newRecorder(t testing.TB, cfg otelwire.Config) *recorder {
	t.Helper()
	r := &recorder{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	cfg.TracerProvider, cfg.MeterProvider = tp, mp
	r.Instrumentation = otelwire.New(cfg)
	r.mp = mp
	return r
}

// meterProvider is the recorder's meter provider, to share its metrics.
func (r *recorder) meterProvider() *sdkmetric.MeterProvider { return r.mp }

// metrics collects every metric by name.
func (r *recorder) metrics(t testing.TB) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// attrs turns a span's attributes into a map.
func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func attributeKey(s string) attribute.Key { return attribute.Key(s) }

// kvStrings renders keys and values for searching.
func kvStrings(kvs []attribute.KeyValue) []string {
	out := make([]string, 0, 2*len(kvs))
	for _, kv := range kvs {
		out = append(out, string(kv.Key), kv.Value.Emit())
	}
	return out
}

// oneRequest sends a logical request with one successful attempt through in
// and returns the attempt's headers.
func oneRequest(in *otelwire.Instrumentation) http.Header {
	orig, _ := http.NewRequest(http.MethodGet, "http://api.example.com/items", nil)
	ctx, r := in.StartRequest(context.Background(), orig, time.Now())
	req := orig.Clone(ctx)
	_, a := r.StartAttempt(ctx, req, 1, false)
	resp := &http.Response{StatusCode: 200, Header: http.Header{}}
	a.End(otelwire.AttemptResult{Response: resp, Outcome: policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK}})
	r.End(resp, nil, 1)
	return req.Header
}
