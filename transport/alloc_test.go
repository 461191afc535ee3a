package transport_test

import (
	"net/http"
	"testing"

	"github.com/retryscope/retryscope/transport"
)

// TestSuccessPathAllocations pins what a request that succeeds at once
// costs in allocations on top of its base transport: with the correlation
// headers, the attempt's request and header values (1), the header map (2),
// both UUIDs (1) and the breaker's callback (1); without them, the request
// and the callback.
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
	tests := []struct {
		name string
		rt   http.RoundTripper
		max  float64
	}{
		{"defaults", transport.New(base), 5},
		{"no correlation", transport.New(base, transport.WithCorrelation(false)), 2},
		{"no correlation, no breaker", transport.New(base, transport.WithCorrelation(false), transport.WithoutBreaker()), 1},
	}
	for _, tt := range tests {
		if got := allocs(tt.rt) - bare; got > tt.max {
			t.Errorf("%s: %v allocations over the base's %v, want at most %v", tt.name, got, bare, tt.max)
		}
	}
	if req.Header.Get("X-Amzn-Requestid") != "" || len(req.Header) != 1 {
		t.Errorf("the caller's header was modified: %v", req.Header)
	}
}
