package transport_test

import (
	"context"
	"net/http"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/retryscope/retryscope/transport"
)

// TestMetricsWithoutTracing: with a meter provider and no tracing, every
// attempt is still measured, although its request keeps the caller's
// context and header (the untraced fast path).
func TestMetricsWithoutTracing(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	for _, correlation := range []bool{true, false} {
		rt := transport.New(base, transport.WithCorrelation(correlation),
			transport.WithTracerProvider(tracenoop.NewTracerProvider()), transport.WithMeterProvider(mp))
		req, _ := http.NewRequest(http.MethodGet, "http://example.com/orders/42", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					counts[m.Name] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					counts[m.Name] += int64(p.Count)
				}
			}
		}
	}
	for _, name := range []string{"retryscope.attempts", "http.client.request.duration"} {
		if counts[name] != 2 {
			t.Errorf("%s counted %d attempts, want 2 (metrics: %v)", name, counts[name], counts)
		}
	}
}
