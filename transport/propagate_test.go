package transport_test

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/retryscope/retryscope/transport"
)

// TestBugPropagatorWritesCallerHeader pins a bug: with correlation off and
// no Idempotency-Key, an attempt shared the caller's header map (nothing to
// add), and the propagator then injected traceparent into the caller's own
// request. Each attempt's trace context goes on the wire only.
func TestBugPropagatorWritesCallerHeader(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(t.Context())
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithCorrelation(false),
		transport.WithTracerProvider(tp), transport.WithPropagator(propagation.TraceContext{}))...)
	req := newRequest(t, "GET", g.URL, nil)
	req.Header.Set("X-Caller", "1")
	before := req.Header.Clone()
	if _, err, _ := do(t, rt, req); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(req.Header, before) {
		t.Errorf("caller's header changed: %v, was %v", req.Header, before)
	}
	got := g.seen()
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	p1, p2 := got[0].Header.Get("Traceparent"), got[1].Header.Get("Traceparent")
	if p1 == "" || p2 == "" || p1 == p2 {
		t.Errorf("traceparents %q and %q: want one per attempt", p1, p2)
	}
}
