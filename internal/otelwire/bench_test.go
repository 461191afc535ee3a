package otelwire_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// BenchmarkRequest measures one logical request with one attempt:
// StartRequest, StartAttempt, Attempt.End and Request.End.
func BenchmarkRequest(b *testing.B) {
	b.Run("nil", func(b *testing.B) { benchRequest(b, nil) })
	b.Run("global-noop", func(b *testing.B) {
		// The OpenTelemetry globals as a program finds them when nothing
		// set them: delegating providers with no delegate.
		benchRequest(b, otelwire.New(otelwire.Config{}))
	})
	b.Run("recording", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() {
			_ = tp.Shutdown(context.Background())
			_ = mp.Shutdown(context.Background())
		})
		benchRequest(b, otelwire.New(otelwire.Config{TracerProvider: tp, MeterProvider: mp}))
	})
}

func benchRequest(b *testing.B, in *otelwire.Instrumentation) {
	orig, _ := http.NewRequest(http.MethodGet, "https://api.example.com/prod/items?id=7", nil)
	req := orig.Clone(context.Background())
	resp := &http.Response{StatusCode: 200, Header: http.Header{"X-Amzn-Requestid": {"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}}}
	res := otelwire.AttemptResult{
		Response: resp, Duration: 30 * time.Millisecond,
		Outcome:  policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK, Reason: "the server answered"},
		Decision: policy.Decision{Rule: policy.RuleNotRetryable, Reason: "the server answered"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		clear(req.Header)
		c, r := in.StartRequest(ctx, orig, time.Now())
		_, a := r.StartAttempt(c, req, 1, false)
		a.End(res)
		r.End(resp, nil, 1)
	}
}

// BenchmarkOtelhttp is the reference: otelhttp's transport, one CLIENT span
// per RoundTrip, on the same recording providers, around a base transport
// that answers at once.
func BenchmarkOtelhttp(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody}
	rt := otelhttp.NewTransport(roundTripFunc(func(*http.Request) (*http.Response, error) { return resp, nil }),
		otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp))
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/prod/items?id=7", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.RoundTrip(req); err != nil {
			b.Fatal(err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
