package transport_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/retryscope/retryscope/transport"
)

// BenchmarkRoundTrip measures the success path on loopback, side by side in
// one run: a bare *http.Transport, the same kind of transport wrapped by
// transport.New with its defaults (breaker, budget, correlation headers),
// wrapped without breaker and budget, and without correlation headers.
// Allocations count the server's side too. The target: retryscope costs at
// most 1.05x bare in ns/op and at most 6 more allocs/op.
func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	run := func(b *testing.B, rt http.RoundTripper) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/orders/42", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	newBase := func(b *testing.B) *http.Transport {
		t := &http.Transport{MaxIdleConnsPerHost: 4}
		b.Cleanup(t.CloseIdleConnections)
		return t
	}

	b.Run("bare", func(b *testing.B) {
		run(b, newBase(b))
	})
	// For reference: bare sending three headers of the same sizes, to tell
	// the transport's cost from the wire's.
	b.Run("bare-with-3-headers", func(b *testing.B) {
		base := newBase(b)
		run(b, roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("X-Amzn-Requestid", "8e03978e-40d5-43e8-bc93-6894a57f9324")
			r.Header.Set("Amz-Sdk-Invocation-Id", "8e03978e-40d5-43e8-bc93-6894a57f9325")
			r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
			return base.RoundTrip(r)
		}))
	})
	b.Run("retryscope", func(b *testing.B) {
		run(b, transport.New(newBase(b)))
	})
	b.Run("retryscope-no-breaker-no-budget", func(b *testing.B) {
		run(b, transport.New(newBase(b), transport.WithoutBreaker(), transport.WithoutBudget()))
	})
	// Without the three correlation headers, which the server also pays to
	// parse (two allocations each in net/textproto, counted here too).
	b.Run("retryscope-no-correlation", func(b *testing.B) {
		run(b, transport.New(newBase(b), transport.WithCorrelation(false)))
	})
}

// BenchmarkOverhead measures the transport's own cost on the success path,
// without a network: the base answers 200 at once.
func BenchmarkOverhead(b *testing.B) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/orders/42", nil)
	for _, bc := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"base", base},
		{"retryscope", transport.New(base)},
		{"retryscope-no-breaker-no-budget", transport.New(base, transport.WithoutBreaker(), transport.WithoutBudget())},
		{"retryscope-no-correlation", transport.New(base, transport.WithCorrelation(false))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := bc.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
