package otelwire_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

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
