package transport_test

import (
	"context"
	"net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/retryscope/retryscope/transport"
)

// TestSuccessPathAllocations pins what a request that succeeds at once
// costs in allocations on top of its base transport: with the correlation
// headers, the attempt's request with its header values and the text of
// both UUIDs (1) and the header map (2); without them, none (a GET without
// a body goes to the base as the caller made it, and a closed, healthy
// breaker costs nothing: breakerfast.go); traced with a recording SDK
// provider, 15: its one span and what the SDK makes for it (12), and three
// for the attributes a sampler sees at the span's start (the boxed start
// option, the SDK's copy of it in the span's configuration, and the span's
// attributes growing a second time at End); 12 when every attribute was
// set at End, out of the sampler's sight. With the correlation headers,
// before: 4 (the UUIDs in an allocation of their own), and before that 5,
// 2 (the request's copy and gobreaker's callback) and 17 (a logical span
// for every request).
func TestSuccessPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/orders/42", nil)
	req.Header.Set("Accept", "application/json")
	allocs := func(rt http.RoundTripper) float64 {
		return testing.AllocsPerRun(200, func() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		})
	}
	bare := allocs(base)
	// A recording SDK provider with a span processor, as users run it.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(endCounter{}))
	defer tp.Shutdown(context.Background())
	tests := []struct {
		name string
		rt   http.RoundTripper
		max  float64
	}{
		{"defaults", transport.New(base), 3},
		{"no correlation", transport.New(base, transport.WithCorrelation(false)), 0},
		{"no correlation, no breaker", transport.New(base, transport.WithCorrelation(false), transport.WithoutBreaker()), 0},
		{"traced", transport.New(base, transport.WithTracerProvider(tp)), 15},
	}
	for _, tt := range tests {
		got := allocs(tt.rt) - bare
		t.Logf("%s: %v", tt.name, got)
		if got > tt.max {
			t.Errorf("%s: %v allocations over the base's %v, want at most %v", tt.name, got, bare, tt.max)
		}
	}
	if req.Header.Get("X-Amzn-Requestid") != "" || len(req.Header) != 1 {
		t.Errorf("the caller's header was modified: %v", req.Header)
	}
}

// endCounter is a span processor that receives every ended span and keeps
// none: the SDK builds the snapshot an exporter would get.
type endCounter struct{}

func (endCounter) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (endCounter) OnEnd(s sdktrace.ReadOnlySpan)                   { _ = s.Name() }
func (endCounter) Shutdown(context.Context) error                  { return nil }
func (endCounter) ForceFlush(context.Context) error                { return nil }
